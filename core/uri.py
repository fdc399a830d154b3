"""References between work units: parse and format every form the federation writes.

Canonical forms (``format(parse(s)) == s`` for each):
  hop://ENTITY/CHAIN/RIG/ID, hop://ENTITY/CHAIN/ID     Gas Town (``gt://`` is the older scheme)
  beads://PLATFORM/ORG/REPO/ID, beads://local/FOLDER/ID
  realm://REALM/DOMAIN/CONTRACT, realm://REALM/DOMAIN/imports/CONTRACT
  ORG/REPO#ID                                           sudocode (``[[ORG/REPO#ID]]`` inside text)
  gp-xyz, rig/gp-xyz, ./gp-xyz                          short forms, resolved through routes
  external:PREFIX-OR-RIG:ID                             beads' cross-rig reference
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator

import msgspec


class RefForm(str, enum.Enum):
    HOP = "hop"
    GT = "gt"
    BEADS = "beads"
    REALM = "realm"
    SUDOCODE = "sudocode"
    SHORT = "short"  # gp-xyz
    RIG_SHORT = "rig-short"  # rig/gp-xyz
    LOCAL_SHORT = "local-short"  # ./gp-xyz
    EXTERNAL = "external"  # external:prefix:id


class Ref(msgspec.Struct, frozen=True, gc=False):
    """A parsed reference: its form, the segments that say where, and the item's id."""

    form: RefForm
    segments: tuple[str, ...]
    id: str

    def __str__(self) -> str:
        return format_ref(self)


class RefError(ValueError):
    pass


# The forms as module constants: on Python 3.11 reading an Enum member off its class costs four
# times a global, and parse / canonical run for every distinct reference of a load.
_HOP, _GT, _BEADS, _REALM = RefForm.HOP, RefForm.GT, RefForm.BEADS, RefForm.REALM
_SUDOCODE_FORM, _EXTERNAL_FORM = RefForm.SUDOCODE, RefForm.EXTERNAL
_SHORT_FORM, _RIG_SHORT, _LOCAL_SHORT = RefForm.SHORT, RefForm.RIG_SHORT, RefForm.LOCAL_SHORT
_URI_FORMS = (_HOP, _GT, _BEADS, _REALM)


_SEGMENT = r"[^/\s#\[\]]+"
_ID = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_SCHEMES = {"hop": RefForm.HOP, "gt": RefForm.GT, "beads": RefForm.BEADS, "realm": RefForm.REALM}
_SEGMENT_COUNTS = {RefForm.HOP: (2, 3), RefForm.GT: (2, 3), RefForm.BEADS: (2, 3), RefForm.REALM: (2, 3)}
_URI_PREFIXES = tuple(f"{scheme}://" for scheme in _SCHEMES)  # the only starts _URI can match
_URI = re.compile(rf"^(hop|gt|beads|realm)://((?:{_SEGMENT}/)+)({_SEGMENT})$")
_SUDOCODE = re.compile(rf"^({_SEGMENT})/({_SEGMENT})#({_ID})$")
_EXTERNAL = re.compile(rf"^external:([^:\s]+):({_ID})$")
# An id with a dash in it (``bd-a1b2``), written so that it is matched in linear time: the
# lookahead finds the first dash (the class before it has none) and checks a character follows
# it. ``{_ID}-[A-Za-z0-9_.\-]+`` says the same, but backtracks over every dash of a long id: a
# reference of 80,000 characters took 35 s, and every load of a workspace holding it paid again.
_DASHED_ID = r"[A-Za-z0-9](?=[A-Za-z0-9_.]*-[A-Za-z0-9_.\-])[A-Za-z0-9_.\-]+"
_SHORT = re.compile(rf"^(?:(\.|{_SEGMENT})/)?({_DASHED_ID})$")
_WIKI = re.compile(rf"\[\[({_SEGMENT}/{_SEGMENT}#{_ID})\]\]")


def parse(text: str) -> Ref:
    """Parse one reference; raises ``RefError`` with a plain message when it is none of the forms.

    The forms are tried in a fixed order (URI, sudocode, external, short), each only where it
    could match (a known scheme, a ``#``, the ``external:`` prefix): the same first match as
    trying every pattern, at one regex a reference instead of up to four.
    """
    s = text.strip()
    if s.startswith("[[") and s.endswith("]]"):
        s = s[2:-2]
    if s.startswith(_URI_PREFIXES):
        match = _URI.match(s)
        if match:
            form = _SCHEMES[match.group(1)]
            segments = tuple(match.group(2).rstrip("/").split("/"))
            low, high = _SEGMENT_COUNTS[form]
            if not low <= len(segments) <= high:
                raise RefError(f"{match.group(1)}:// reference needs {low + 1} or {high + 1} parts: {text!r}")
            if form is _REALM and len(segments) == 3 and segments[2] != "imports":
                raise RefError(f"realm:// reference must be REALM/DOMAIN/CONTRACT or REALM/DOMAIN/imports/CONTRACT: {text!r}")
            return Ref(form, segments, match.group(3))
    if "#" in s:
        match = _SUDOCODE.match(s)
        if match:
            return Ref(_SUDOCODE_FORM, (match.group(1), match.group(2)), match.group(3))
    if s.startswith("external:"):
        match = _EXTERNAL.match(s)
        if match:
            return Ref(_EXTERNAL_FORM, (match.group(1),), match.group(2))
    match = _SHORT.match(s)
    if match:
        where, ident = match.groups()
        if where is None:
            return Ref(_SHORT_FORM, (), ident)
        if where == ".":
            return Ref(_LOCAL_SHORT, (), ident)
        return Ref(_RIG_SHORT, (where,), ident)
    raise RefError(f"not a reference: {text!r}")


def try_parse(text: str) -> Ref | None:
    try:
        return parse(text)
    except RefError:
        return None


def format_ref(ref: Ref) -> str:
    form = ref.form
    if form in _URI_FORMS:
        return f"{form.value}://{'/'.join(ref.segments)}/{ref.id}"
    if form is _SUDOCODE_FORM:
        return f"{ref.segments[0]}/{ref.segments[1]}#{ref.id}"
    if form is _EXTERNAL_FORM:
        return f"external:{ref.segments[0]}:{ref.id}"
    if form is _RIG_SHORT:
        return f"{ref.segments[0]}/{ref.id}"
    if form is _LOCAL_SHORT:
        return f"./{ref.id}"
    return ref.id


def hop_key(entity: str, chain: str, rig: str | None, ident: str) -> str:
    """The canonical key of a town item (three segments for a town-level item)."""
    return f"hop://{entity}/{chain}/{rig}/{ident}" if rig else f"hop://{entity}/{chain}/{ident}"


def sudocode_key(repo: str, ident: str) -> str:
    return f"{repo}#{ident}"


def beads_key(folder: str, ident: str) -> str:
    return f"beads://local/{folder}/{ident}"


def realm_contract_key(realm: str, domain: str, contract: str) -> str:
    return f"realm://{realm}/{domain}/{contract}"


def realm_import_key(realm: str, domain: str, contract: str) -> str:
    return f"realm://{realm}/{domain}/imports/{contract}"


def canonical(ref: Ref) -> str | None:
    """The canonical key a fully qualified reference names (gt:// becomes hop://); None for
    short and external forms, which need a town's routes to resolve."""
    form = ref.form
    if form is _SHORT_FORM or form is _EXTERNAL_FORM or form is _RIG_SHORT or form is _LOCAL_SHORT:
        return None
    if form is _GT:
        return format_ref(Ref(_HOP, ref.segments, ref.id))
    return format_ref(ref)


def find_refs(text: str) -> Iterator[Ref]:
    """Every ``[[org/repo#id]]`` reference inside free text, in order."""
    for match in _WIKI.finditer(text):
        yield parse(match.group(1))


class RouteTable:
    """A town's ``routes.jsonl``: which path holds the ids of each prefix (longest prefix wins)."""

    __slots__ = ("_count", "_lengths", "_paths")

    def __init__(self, routes: Iterable[tuple[str, str]]):
        # One dict lookup per distinct prefix length, longest first, so the first hit is the
        # longest prefix; for a prefix listed twice, the first listed wins.
        self._paths: dict[str, str] = {}
        self._count = 0
        for prefix, path in routes:
            self._paths.setdefault(prefix, path)
            self._count += 1
        self._lengths = sorted({len(prefix) for prefix in self._paths}, reverse=True)

    def path_for(self, ident: str) -> str | None:
        paths = self._paths
        for length in self._lengths:
            path = paths.get(ident[:length])
            if path is not None:
                return path
        return None

    def __len__(self) -> int:
        return self._count

    def entries(self) -> list[tuple[str, str]]:
        """``(prefix, path)`` for each prefix, as the table holds them."""
        return list(self._paths.items())


def workspace_of(key: str) -> str | None:
    """The workspace name a canonical key belongs to (``hop://E/C/R/ID`` -> ``hop://E/C``)."""
    scheme, sep, rest = key.partition("://")
    if not sep:
        repo, hash_, _ = key.partition("#")
        return repo if hash_ and repo.count("/") == 1 else None
    parts = rest.split("/")
    if scheme in ("hop", "gt"):
        return f"hop://{parts[0]}/{parts[1]}" if len(parts) >= 3 else None
    if scheme == "realm":
        return f"realm://{parts[0]}" if parts and parts[0] else None
    if scheme == "beads":
        return f"beads://{'/'.join(parts[:-1])}" if len(parts) >= 3 else None
    return None
