"""Where a ``.beads`` folder's beads are read from, and saying so.

- A folder whose ``metadata.json`` names the Dolt backend in server mode keeps its live beads in
  the town's Dolt SQL server (``core.dolt.target``): they are read from there
  (``core.sources.beads_server``). When the server cannot be reached or read (or server reads are
  off in config.toml), the newest complete export or backup is read instead, with a warning that
  names the server, the file and its age; with neither, the folder's beads are not loaded and
  the same warning says so (references into it become not-loaded stubs, covered by that one
  warning).
- Any other folder is read from its files: the newest complete of the export and the backup
  (``core.sources.beads_files``).

Every folder read leaves a ``BeadsSource`` on its workspace: what was read, from where, as of
when, and a change token, which ``crossdeck summary`` shows and a reload can key on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from core.diagnostics import Diagnostics
from core.dolt.config import DoltSettings
from core.dolt.session import DoltUnavailable, server_session
from core.dolt.target import DoltTarget, dolt_target, is_server_mode, metadata_path
from core.model import BeadsSource
from core.sources import seen
from core.sources.beads import BeadsLoad
from core.sources.beads_files import (
    Candidate,
    backup_candidate,
    backup_tables,
    choose,
    events_table,
    export_candidate,
    file_token,
    iso,
    stamp,
)
from core.sources.files import ReadLimits, linked_out, load_json
from core.timeutil import age_words, now

SERVER_READS_OFF = "server reads are off (config.toml: [dolt] server_reads = false)"


def load_beads_folder(load: BeadsLoad, beads_dir: Path, *, town: str | None, root: Path) -> BeadsSource:
    """Read ``beads_dir`` into ``load``'s workspace from wherever its beads are now; ``town`` is
    the town's workspace name (None for a standalone folder), ``root`` the workspace root (the
    messages name files relative to it)."""
    source = BeadsSource(folder=str(beads_dir), rig=load.rig)
    if linked_out(beads_dir, load.diags, load.limits):  # a link or a redirect out of the workspace
        source.read_from, source.problem = "none", "outside the workspace: not read"
        load.ws.sources.append(source)
        return source
    target, settings = dolt_backing(beads_dir, town=town, rig=load.rig, limits=load.limits, diags=load.diags)
    if target is None:
        _read_files(load, beads_dir, source, timed=False)
        load.ws.sources.append(source)
        return source
    source.server, source.database, source.user = target.server, target.database, target.user
    if settings.server_reads:
        problem = _read_server(load, target, source)
    else:
        problem = SERVER_READS_OFF
    if problem is not None:
        source.problem = problem
        chosen = _read_files(load, beads_dir, source, timed=True)
        load.diags.warning(metadata_path(beads_dir), _fallback_message(problem, chosen, root))
    load.ws.sources.append(source)
    return source


def _read_server(load: BeadsLoad, target: Any, source: BeadsSource) -> str | None:
    """Read from the server into the workspace, keeping nothing unless it all read; the problem
    that stopped it, or None."""
    from core.dolt import reuse
    from core.sources.beads_server import read_from_server

    scratch = msgspec.structs.replace(load.ws, work_units=[], relationships=[], delegations=[], audit=[])
    diags = Diagnostics(load.diags.workspace)
    reads = reuse.current()
    key = (load.ws.name, source.folder, target.address, reuse.keys_fingerprint(load.keys))
    kept: list[reuse.Kept] = []

    def unchanged(token: str) -> bool:
        found = reads.get(key, token) if reads is not None else None
        kept.extend([found] if found is not None else [])
        return found is not None

    with server_session() as session:
        try:
            read = read_from_server(load.for_workspace(scratch, diags), target, session, unchanged)
        except DoltUnavailable as exc:
            return str(exc)
    if read.reused:  # the database has not changed since the records kept were read
        records, diags.items[:] = reuse.copied(kept[0].records), list(kept[0].diagnostics)
    else:
        records = {field: getattr(scratch, field) for field in reuse.fields()}
        if reads is not None:
            reads.keep(key, target.address, reuse.Kept(read.token, read.dolt, reuse.copied(records), list(diags.items)))
    for field in reuse.fields():
        getattr(load.ws, field).extend(records[field])
    load.diags.extend(diags)
    source.read_from, source.dolt, source.token = "server", read.dolt, read.token
    source.as_of = iso(now())
    return None


def _read_files(load: BeadsLoad, beads_dir: Path, source: BeadsSource, timed: bool) -> Candidate | None:
    """Read the newest complete export or backup into ``load`` and note it on ``source``."""
    backup = backup_candidate(beads_dir, load.limits, load.diags)
    export = export_candidate(beads_dir, timed=timed or backup is not None)
    chosen, passed_over = choose([c for c in (export, backup) if c is not None])
    if chosen is None:
        source.read_from = "none"
        return None
    source.read_from, source.file, source.as_of = chosen.form, str(chosen.path), iso(chosen.as_of)
    source.token = file_token(chosen.path)
    if passed_over is not None:
        source.problem = passed_over if source.problem is None else f"{source.problem}; {passed_over}"
    if chosen.form == "backup":
        if chosen.cut_short and not source.backed_by_server:
            load.diags.warning(chosen.path, f"backup is incomplete ({chosen.why_incomplete}); read as it is")
        load.load_tables(backup_tables(chosen.path, load.diags, load.limits))
    else:
        load.load_export(chosen.path)
        events = events_table(beads_dir, load.diags, load.limits)
        if events is not None:
            load.load_events(events)
    return chosen


def _fallback_message(problem: str, chosen: Candidate | None, root: Path) -> str:
    if chosen is None:
        return f"{problem}; there is no export or backup here: these beads are not loaded"
    where = _relative(chosen.path, root)
    if chosen.as_of is None:
        when = "undated"
    else:
        when = f"from {stamp(chosen.as_of)}, {age_words(now() - chosen.as_of)} old"
    extra = "" if chosen.complete else f" (incomplete: {chosen.why_incomplete})"
    return f"{problem}; showing {where} {when}{extra}"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def dolt_backing(beads_dir: Path, *, town: str | None, rig: str | None, limits: ReadLimits,
                 diags: Diagnostics | None = None) -> tuple[DoltTarget | None, DoltSettings]:
    """The server and database holding ``beads_dir``'s beads (None: its files are its beads), and
    the Dolt settings in effect."""
    path = metadata_path(beads_dir)
    metadata = load_json(path, diags if diags is not None else Diagnostics(), limits) if seen.is_file(path) else None
    settings = limits.dolt or _configured()
    if not is_server_mode(metadata):
        return None, settings
    return dolt_target(metadata or {}, settings, town=town, rig=rig, standalone=town is None), settings


def _configured() -> DoltSettings:
    from core.settings import load_settings

    return load_settings().dolt

