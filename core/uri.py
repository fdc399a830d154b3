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


_SEGMENT = r"[^/\s#\[\]]+"
_ID = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_ID_TAIL = r"[A-Za-z0-9_.\-]+"
_SCHEMES = {"hop": RefForm.HOP, "gt": RefForm.GT, "beads": RefForm.BEADS, "realm": RefForm.REALM}
_SEGMENT_COUNTS = {RefForm.HOP: (2, 3), RefForm.GT: (2, 3), RefForm.BEADS: (2, 3), RefForm.REALM: (2, 3)}
_URI = re.compile(rf"^(hop|gt|beads|realm)://((?:{_SEGMENT}/)+)({_SEGMENT})$")
_SUDOCODE = re.compile(rf"^({_SEGMENT})/({_SEGMENT})#({_ID})$")
_EXTERNAL = re.compile(rf"^external:([^:\s]+):({_ID})$")
_SHORT = re.compile(rf"^(?:(\.|{_SEGMENT})/)?({_ID}-{_ID_TAIL})$")
_WIKI = re.compile(rf"\[\[({_SEGMENT}/{_SEGMENT}#{_ID})\]\]")


def parse(text: str) -> Ref:
    """Parse one reference; raises ``RefError`` with a plain message when it is none of the forms."""
    s = text.strip()
    if s.startswith("[[") and s.endswith("]]"):
        s = s[2:-2]
    match = _URI.match(s)
    if match:
        form = _SCHEMES[match.group(1)]
        segments = tuple(match.group(2).rstrip("/").split("/"))
        low, high = _SEGMENT_COUNTS[form]
        if not low <= len(segments) <= high:
            raise RefError(f"{match.group(1)}:// reference needs {low + 1} or {high + 1} parts: {text!r}")
        if form is RefForm.REALM and len(segments) == 3 and segments[2] != "imports":
            raise RefError(f"realm:// reference must be REALM/DOMAIN/CONTRACT or REALM/DOMAIN/imports/CONTRACT: {text!r}")
        return Ref(form, segments, match.group(3))
    match = _SUDOCODE.match(s)
    if match:
        return Ref(RefForm.SUDOCODE, (match.group(1), match.group(2)), match.group(3))
    match = _EXTERNAL.match(s)
    if match:
        return Ref(RefForm.EXTERNAL, (match.group(1),), match.group(2))
    match = _SHORT.match(s)
    if match:
        where, ident = match.group(1), match.group(2)
        if where is None:
            return Ref(RefForm.SHORT, (), ident)
        if where == ".":
            return Ref(RefForm.LOCAL_SHORT, (), ident)
        return Ref(RefForm.RIG_SHORT, (where,), ident)
    raise RefError(f"not a reference: {text!r}")


def try_parse(text: str) -> Ref | None:
    try:
        return parse(text)
    except RefError:
        return None


def format_ref(ref: Ref) -> str:
    form = ref.form
    if form in (RefForm.HOP, RefForm.GT, RefForm.BEADS, RefForm.REALM):
        return f"{form.value}://{'/'.join(ref.segments)}/{ref.id}"
    if form is RefForm.SUDOCODE:
        return f"{ref.segments[0]}/{ref.segments[1]}#{ref.id}"
    if form is RefForm.EXTERNAL:
        return f"external:{ref.segments[0]}:{ref.id}"
    if form is RefForm.RIG_SHORT:
        return f"{ref.segments[0]}/{ref.id}"
    if form is RefForm.LOCAL_SHORT:
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
    if ref.form is RefForm.GT:
        return format_ref(Ref(RefForm.HOP, ref.segments, ref.id))
    if ref.form in (RefForm.HOP, RefForm.BEADS, RefForm.REALM, RefForm.SUDOCODE):
        return format_ref(ref)
    return None


def find_refs(text: str) -> Iterator[Ref]:
    """Every ``[[org/repo#id]]`` reference inside free text, in order."""
    for match in _WIKI.finditer(text):
        yield parse(match.group(1))


class RouteTable:
    """A town's ``routes.jsonl``: which path holds the ids of each prefix (longest prefix wins)."""

    __slots__ = ("_routes",)

    def __init__(self, routes: Iterable[tuple[str, str]]):
        # Longest prefix first, so the first match is the longest.
        self._routes = sorted(routes, key=lambda route: len(route[0]), reverse=True)

    def path_for(self, ident: str) -> str | None:
        for prefix, path in self._routes:
            if ident.startswith(prefix):
                return path
        return None

    def __len__(self) -> int:
        return len(self._routes)


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
