"""The two file forms of a ``.beads`` folder, and which one holds the newer complete copy.

Both are one-way exports of the beads database: ``issues.jsonl`` (the export form) and
``backup/`` (flat table dumps with ``backup_state.json``). Either can be stale, empty or cut
short, and file times mean nothing after a clone, so each is judged by what it says of itself:

- an **export** is complete when it is not empty; its time is its newest ``updated_at``;
- a **backup** is complete when ``backup_state.json``'s ``counts`` match the lines of its table
  files; its time is that file's ``timestamp``.

The newest complete one is read; with none complete, whichever there is (an empty export is an
empty folder of beads; an incomplete backup is read with a warning).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path
from typing import NamedTuple

from core.diagnostics import Diagnostics
from core.sources import seen
from core.sources.beads import Table, TableSet
from core.sources.files import ReadLimits, iter_jsonl, load_json
from core.timeutil import parse_ts

BACKUP_TABLES = ("issues", "dependencies", "labels", "comments", "events")
_UPDATED_AT = re.compile(rb'"updated_at"\s*:\s*"([^"\n]{10,64})"')


class Candidate(NamedTuple):
    form: str  # export | backup
    path: Path  # issues.jsonl, or the backup folder
    complete: bool
    as_of: dt.datetime | None
    why_incomplete: str | None = None
    cut_short: bool = False  # its own record of what it holds disagrees with what it holds

    def describe(self) -> str:
        return "an empty export" if self.form == "export" and not self.complete else f"the {self.form}"


def export_candidate(beads_dir: Path, timed: bool) -> Candidate | None:
    """``issues.jsonl``, if there is one; its time is only read when ``timed`` (it costs a scan)."""
    path = beads_dir / "issues.jsonl"
    seen.looked_up(path)
    try:
        status = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):  # a folder, a pipe, a device: never opened (a pipe would wait)
        return Candidate("export", path, False, None, "it is not a regular file")
    if status.st_size == 0:
        return Candidate("export", path, False, None, "it is 0 bytes")
    return Candidate("export", path, True, export_time(path) if timed else None)


def export_time(path: Path) -> dt.datetime | None:
    """The newest ``updated_at`` of an export (a scan of its bytes, not a parse)."""
    try:
        started = seen.reading(path, os.fspath(path))
        data = path.read_bytes()
    except OSError:
        return None
    seen.read(started, data)
    stamps = {parse_ts(raw.decode("utf-8", "replace")) for raw in set(_UPDATED_AT.findall(data))}
    stamps.discard(None)
    return max(stamps) if stamps else None  # type: ignore[type-var]


def backup_candidate(beads_dir: Path, limits: ReadLimits, diags: Diagnostics) -> Candidate | None:
    """The backup, if there is one; a ``backup_state.json`` that cannot be read is an error in
    ``diags`` (the backup is then incomplete)."""
    backup = beads_dir / "backup"
    if not seen.is_file(backup / "issues.jsonl"):
        return None
    state = load_json(backup / "backup_state.json", diags, limits) \
        if seen.is_file(backup / "backup_state.json") else None
    if state is None:
        return Candidate("backup", backup, False, None, "it has no readable backup_state.json")
    as_of = parse_ts(state.get("timestamp"))
    counts = state.get("counts")
    if not isinstance(counts, dict):
        return Candidate("backup", backup, False, as_of, "its backup_state.json has no counts")
    for table in BACKUP_TABLES:
        expected = counts.get(table, 0)
        found = _lines(backup / f"{table}.jsonl")
        if expected != found:
            return Candidate("backup", backup, False, as_of,
                             f"backup_state.json counts {expected} {table}, {table}.jsonl holds {found}", True)
    return Candidate("backup", backup, True, as_of)


def choose(candidates: list[Candidate]) -> tuple[Candidate | None, str | None]:
    """The candidate to read, and why another was passed over (None when there was no choice)."""
    if not candidates:
        return None, None
    complete = [c for c in candidates if c.complete]
    if not complete:
        chosen = next((c for c in candidates if c.form == "backup"), candidates[0])
    else:
        # newest first; an unknown time loses; on a tie the export (it states every dependency inline)
        chosen = max(complete, key=lambda c: (c.as_of is not None, c.as_of or dt.datetime.min, c.form == "export"))
    others = [c for c in candidates if c is not chosen]
    if not others:
        return chosen, None
    other = others[0]
    if not other.complete:
        return chosen, f"{other.describe()} was not read: {other.why_incomplete}"
    return chosen, f"the {other.form} was not read: it is older ({stamp(other.as_of)})"


def backup_tables(backup: Path, diags: Diagnostics, limits: ReadLimits) -> TableSet:
    """The backup's table files as a ``TableSet`` (a missing file is an empty table)."""
    def table(name: str) -> Table | None:
        path = backup / f"{name}.jsonl"
        return Table(str(path), iter_jsonl(path, diags, limits)) if seen.is_file(path) else None

    return TableSet(issues=table("issues"), dependencies=table("dependencies"),  # type: ignore[arg-type]
                    labels=table("labels"), comments=table("comments"), events=table("events"))


def events_table(beads_dir: Path, diags: Diagnostics, limits: ReadLimits) -> Table | None:
    path = beads_dir / "backup" / "events.jsonl"
    return Table(str(path), iter_jsonl(path, diags, limits)) if seen.is_file(path) else None


def stamp(when: dt.datetime | None) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if when else "undated"


def iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def file_token(path: Path) -> str | None:
    """What identifies a file's (or a folder's files') current state: sizes and change times."""
    paths = [path / name for name in seen.names(path) if (path / name).is_file()] if seen.is_dir(path) else [path]
    try:
        return ";".join(f"{p.name}:{(st := p.stat()).st_size}:{st.st_mtime_ns}" for p in paths)
    except OSError:
        return None


def _lines(path: Path) -> int:
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    return sum(1 for line in data.split(b"\n") if line.strip())
