"""How each file of a demo workspace came to be, for the git history ``crossdeck demo`` writes.

A file is one of three kinds, each able to say what it held at any moment:

- **JSON Lines** grow a line at a time: a line appears at the latest date it holds (not later
  than today; a future deadline is not a date it was written), written by the actor it names.
- **Contract files** (an implemented contract with ``evolution[]``, or a draft ``exports.yaml``
  with ``changelog[]``) grow an entry at a time, each on its changelog date, so the contract's
  git history agrees with its changelog. Earlier versions are re-dumped YAML (history only; the
  last version is the file's own bytes).
- **Any other file** appears once, at the latest date it holds, or at the start when it holds none.

A date alone (``2026-07-02``) counts as noon UTC that day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from core.demo_dates import is_date
from core.timeutil import UTC, parse_ts

# Fields that name who wrote a record, in the order they are trusted.
ACTOR_FIELDS = ("actor", "created_by", "approved_by", "rejected_by", "delegated_by", "assignee", "owner", "entity")
_HISTORY_KEYS = ("evolution", "changelog")


def when_of(text: str) -> dt.datetime | None:
    value = parse_ts(text)
    if value is None:
        return None
    if len(text.strip()) == 10:  # a bare date: noon UTC
        return dt.datetime(value.year, value.month, value.day, 12, tzinfo=UTC)
    return value.astimezone(UTC)


def latest_date(value: Any, cap: dt.datetime) -> dt.datetime | None:
    """The latest date held anywhere in a parsed value, ignoring dates after ``cap``."""
    best: dt.datetime | None = None
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            when = _when_of_value(item)
            if when is not None and when <= cap and (best is None or when > best):
                best = when
    return best


def _when_of_value(item: Any) -> dt.datetime | None:
    """A date-valued scalar as an aware time (YAML may already have made it a date or datetime)."""
    if isinstance(item, str):
        return when_of(item) if is_date(item) else None
    if isinstance(item, dt.datetime):
        return item.astimezone(UTC) if item.tzinfo else item.replace(tzinfo=UTC)
    if isinstance(item, dt.date):
        return dt.datetime(item.year, item.month, item.day, 12, tzinfo=UTC)
    return None


class Author(NamedTuple):
    """Who wrote a change: the actor's name and, when the record tells it, the owner it acts for
    (else the workspace's owner is the email)."""

    name: str
    email: str | None = None


def actor_of(record: Any) -> Author | None:
    """The actor a record names. An actor that is an e-mail address is its own email; an entry a
    remote workspace wrote (``direction: incoming`` from ``hop://OWNER/...``) acts for that owner."""
    if not isinstance(record, dict):
        return None
    for field in ACTOR_FIELDS:
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            name = value.strip()
            if "@" in name:
                return Author(name, name)
            remote = record.get("remote_repo")
            if record.get("direction") == "incoming" and isinstance(remote, str) and remote.startswith("hop://"):
                owner = remote[len("hop://"):].split("/", 1)[0]
                return Author(name, owner or None)
            return Author(name)
    return None


Changed = tuple[list[dt.datetime], list[Author], list[str]]  # (dates, authors, notes) of changes


class FileHistory:
    """What a file held over time: ``content_at(t)`` (None: not there yet), the dates it changed,
    who changed it and why. ``own_commits``: each of its dates deserves a commit of its own."""

    own_commits = False

    def __init__(self, path: str, final: bytes):
        self.path, self.final = path, final

    def times(self) -> list[dt.datetime]:
        return []

    def content_at(self, moment: dt.datetime) -> bytes | None:
        return self.final

    def changed(self, after: dt.datetime | None, until: dt.datetime) -> Changed:
        """(dates, actors, notes) of the changes in (after, until]."""
        return [], [], []


class _Whole(FileHistory):
    def __init__(self, path: str, final: bytes, when: dt.datetime | None, author: Author | None = None):
        super().__init__(path, final)
        self.when, self.author = when, author

    def times(self) -> list[dt.datetime]:
        return [self.when] if self.when else []

    def content_at(self, moment: dt.datetime) -> bytes | None:
        return self.final if self.when is None or self.when <= moment else None

    def changed(self, after: dt.datetime | None, until: dt.datetime) -> Changed:
        if self.when is None or (after is not None and self.when <= after) or self.when > until:
            return [], [], []
        return [self.when], [self.author] if self.author else [], []


class _Line(NamedTuple):
    text: bytes
    when: dt.datetime | None
    actor: Author | None


class _Lines(FileHistory):
    def __init__(self, path: str, final: bytes, cap: dt.datetime):
        super().__init__(path, final)
        self.lines: list[_Line] = []
        for raw in final.splitlines(keepends=True):
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            self.lines.append(_Line(raw, latest_date(record, cap), actor_of(record)))

    def times(self) -> list[dt.datetime]:
        return [line.when for line in self.lines if line.when]

    def content_at(self, moment: dt.datetime) -> bytes | None:
        kept = [line.text for line in self.lines if line.when is None or line.when <= moment]
        if not kept and self.lines:
            return None
        return b"".join(kept)

    def changed(self, after: dt.datetime | None, until: dt.datetime) -> Changed:
        new = [line for line in self.lines
               if line.when is not None and (after is None or line.when > after) and line.when <= until]
        return [line.when for line in new if line.when], [line.actor for line in new if line.actor], []


class _Contract(FileHistory):
    """A contract file re-told one changelog date at a time."""

    own_commits = True

    def __init__(self, path: str, final: bytes, doc: Any, cap: dt.datetime, author: Author | None):
        super().__init__(path, final)
        self.author = author
        self.versions: list[tuple[dt.datetime, bytes, list[str]]] = []
        moments = sorted({when for _, entry in _entries(doc) if (when := _entry_when(entry, cap))})
        for number, moment in enumerate(moments):
            notes = [_note(name, entry) for name, entry in _entries(doc) if _entry_when(entry, cap) == moment]
            last = number == len(moments) - 1
            content = final if last else _dump(_as_of(doc, moment, cap))
            self.versions.append((moment, content, notes))

    def times(self) -> list[dt.datetime]:
        return [moment for moment, _, _ in self.versions]

    def content_at(self, moment: dt.datetime) -> bytes | None:
        held = [content for when, content, _ in self.versions if when <= moment]
        return held[-1] if held else None

    def changed(self, after: dt.datetime | None, until: dt.datetime) -> Changed:
        hits = [(when, notes) for when, _, notes in self.versions if (after is None or when > after) and when <= until]
        actors = [self.author] * len(hits) if self.author else []
        return [when for when, _ in hits], actors, [note for _, notes in hits for note in notes]


def _histories(doc: Any) -> list[dict[str, Any]]:
    """The mappings of a contract file that carry a version history (the file, or its exports)."""
    if not isinstance(doc, dict):
        return []
    exports = doc.get("exports")
    candidates = [doc, *(exports if isinstance(exports, list) else [])]
    return [item for item in candidates if isinstance(item, dict)
            and any(isinstance(item.get(key), list) for key in _HISTORY_KEYS)]


def _entries(doc: Any) -> Iterable[tuple[str, dict[str, Any]]]:
    for item in _histories(doc):
        for key in _HISTORY_KEYS:
            for entry in item.get(key) or []:
                if isinstance(entry, dict):
                    yield str(item.get("name", "")), entry


def _entry_when(entry: dict[str, Any], cap: dt.datetime) -> dt.datetime | None:
    when = _when_of_value(entry.get("date"))
    if when is not None:
        when = dt.datetime(when.year, when.month, when.day, 12, tzinfo=UTC)  # the day is what counts
    return min(when, cap) if when else None


def _note(name: str, entry: dict[str, Any]) -> str:
    changes = entry.get("changes")
    first = changes[0] if isinstance(changes, list) and changes else changes
    text = f"{name} {entry.get('version', '')}".strip()
    return f"{text}: {first}" if isinstance(first, str) and first else text


def _as_of(doc: dict[str, Any], moment: dt.datetime, cap: dt.datetime) -> dict[str, Any] | None:
    """``doc`` as it stood at ``moment``: later entries gone, each version the newest then."""
    from core.analysis.stale import parse_version

    def cut(item: dict[str, Any]) -> dict[str, Any] | None:
        out = dict(item)
        kept_any = False
        for key in _HISTORY_KEYS:
            entries = item.get(key)
            if not isinstance(entries, list):
                continue
            kept = [e for e in entries if not isinstance(e, dict)
                    or (when := _entry_when(e, cap)) is None or when <= moment]
            out[key] = kept
            kept_any = kept_any or any(isinstance(e, dict) and _entry_when(e, cap) for e in kept)
            stable: list[tuple[Any, str]] = []
            for entry in kept:
                try:
                    version = parse_version(str(entry.get("version")))
                except (ValueError, AttributeError):
                    continue
                if not version.prerelease:
                    stable.append((version, str(entry.get("version"))))
            if stable:
                out["version"] = max(stable)[1]
        return out if kept_any else None

    carriers = {id(item) for item in _histories(doc)}
    result = cut(doc) if id(doc) in carriers else dict(doc)
    if result is not None and isinstance(doc.get("exports"), list):
        exports = [cut(e) if id(e) in carriers else e for e in doc["exports"]]
        result["exports"] = [e for e in exports if e is not None]
    return result


def _dump(doc: Any) -> bytes:
    import yaml

    if doc is None:
        return b""
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False).encode("utf-8")


def maintainer(root: Path, path: str, doc: Any) -> str | None:
    """Who maintains a file of a realm: the first maintainer of the repo it belongs to (a
    contract's ``owner``, a binding's repo, ``repos/REPO.yaml`` itself), else of its domain."""
    import yaml

    parts = path.split("/")
    owner = doc.get("owner") if isinstance(doc, dict) else None
    repos = [owner] if isinstance(owner, str) else []
    if len(parts) == 4 and parts[0] == "domains" and parts[2] == "bindings":
        repos.append(parts[3].rsplit(".", 1)[0])
    if len(parts) == 2 and parts[0] == "repos":
        repos.append(parts[1].rsplit(".", 1)[0])
    candidates = [root / "repos" / f"{repo}.yaml" for repo in repos if repo and "/" not in repo and repo != ".."]
    if len(parts) > 2 and parts[0] == "domains":
        candidates.append(root / "domains" / parts[1] / "domain.yaml")
    for candidate in candidates:
        try:
            info = yaml.safe_load(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        people = info.get("maintainers") if isinstance(info, dict) else None
        if isinstance(people, list) and people and isinstance(people[0], str):
            return people[0]
    return None


def file_history(path: str, final: bytes, cap: dt.datetime, root: Path | None = None) -> FileHistory:
    """The history of the file at ``path`` (relative to the workspace ``root``, posix) whose
    content is now ``final``."""
    lower = path.lower()
    try:
        text = final.decode("utf-8")
    except UnicodeDecodeError:
        return _Whole(path, final, None)
    if lower.endswith(".jsonl"):
        return _Lines(path, final, cap)
    if lower.endswith(".json"):
        try:
            return _Whole(path, final, latest_date(json.loads(text), cap))
        except ValueError:
            return _Whole(path, final, None)
    if lower.endswith((".yaml", ".yml")):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            return _Whole(path, final, None)
        person = maintainer(root, path, doc) if root and (root / "realm.yaml").is_file() else None
        author = Author(person, person if "@" in person else None) if person else None
        if _histories(doc):
            history = _Contract(path, final, doc, cap, author)
            if history.versions:
                return history
        return _Whole(path, final, latest_date(doc, cap), author)
    return _Whole(path, final, None)


def main_actor(actors: Iterable[Author], fallback: Author) -> Author:
    """The actor who made most of the changes (ties: the first in name order)."""
    counts = Counter(actors)
    if not counts:
        return fallback
    return min(counts, key=lambda name: (-counts[name], name))
