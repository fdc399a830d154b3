"""``crossdeck doctor``: what a crash or a bad merge left in a workspace, and its repair.

Four kinds of finding, each with where it is and what ``--fix`` does about it:

- **journal**: an action a killed process left half done (``core.sync.journal``): replayed and
  committed with its own author and message, as the next action there would;
- **torn line**: a record file whose last line was cut short (no newline at its end): a whole
  record gets its newline, a torn one is cut off (``core.sync.appendlog``); damage in the middle of
  a file is reported by the load and never touched;
- **temp file**: a ``.NAME.*.tmp`` an atomic write left beside its file: removed;
- **uncommitted**: a record file crossdeck writes that differs from the last commit (an action
  killed between its write and its commit before journals existed, a hand edit): committed as the
  actor ("doctor: ...").

Only the files crossdeck itself writes are looked at (``record_files``), never the rest of a
user's repository. The fixes of one workspace are made under its lock and committed together.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import msgspec

from core.model import Town, Workspace, WorkspaceKind
from core.sync.journal import pending, recover
from core.sync.lock import workspace_lock
from core.sync.records import record_logs

TEMP_GLOB = ".*.tmp"


class Finding(msgspec.Struct, kw_only=True, frozen=True):
    workspace: str
    kind: str  # journal | torn-line | temp-file | uncommitted
    path: str
    detail: str
    fixed: bool = False


def record_files(ws: Workspace) -> list[Path]:
    """The files crossdeck appends to or rewrites in ``ws`` (those present)."""
    root = Path(ws.root)
    logs = record_logs(ws)
    folder = logs.requests.parent
    candidates = [logs.requests, logs.audit, folder / "subscriptions.jsonl", folder / "delegations.jsonl"]
    if ws.kind is WorkspaceKind.SUDOCODE:
        candidates += [root / ".sudocode" / "issues.jsonl", root / ".sudocode" / "specs.jsonl",
                       root / ".sudocode" / "federation.config.json"]
    else:
        candidates += [root / ".crossdeck" / "remotes.json", root / ".beads" / "issues.jsonl",
                       root / ".beads" / "federation.jsonl"]
        if isinstance(ws.info, Town):
            candidates += [Path(rig.beads_dir) / "issues.jsonl" for rig in ws.info.rigs if rig.beads_dir]
    return [p for p in dict.fromkeys(candidates) if p.is_file()]


def examine(ws: Workspace) -> list[Finding]:
    """What needs repair in ``ws`` (nothing is changed)."""
    out = []
    for path, header in pending(Path(ws.root)):
        out.append(Finding(workspace=ws.name, kind="journal", path=str(path),
                           detail=f"{header.get('verb')} by {header.get('actor')} at {header.get('at')} "
                                  f"(pid {header.get('pid')}) was cut short: {header.get('message')}"))
    for path in record_files(ws):
        torn = _torn(path)
        if torn is not None:
            out.append(Finding(workspace=ws.name, kind="torn-line", path=str(path), detail=torn))
        for temp in sorted(path.parent.glob(f".{path.name}.*.tmp")):
            out.append(Finding(workspace=ws.name, kind="temp-file", path=str(temp),
                               detail=f"left by an interrupted rewrite of {path.name}"))
    for path in _uncommitted(ws):
        out.append(Finding(workspace=ws.name, kind="uncommitted", path=str(path),
                           detail="differs from the last commit"))
    return out


def repair(ws: Workspace, actor: str, now: dt.datetime) -> list[Finding]:
    """Fix what ``examine`` finds in ``ws`` (under its lock), committing the repair as ``actor``."""
    from core.sync.appendlog import mend_last_line
    from core.sync.gitcommit import commit_workspace

    root = Path(ws.root)
    done = []
    with workspace_lock(root):
        found = examine(ws)
        journal = [f for f in found if f.kind == "journal"]
        if journal:
            recover(root)
            done += [msgspec.structs.replace(f, fixed=not Path(f.path).exists()) for f in journal]
        for finding in found:
            if finding.kind == "torn-line":
                mend_last_line(Path(finding.path))
                done.append(msgspec.structs.replace(finding, fixed=True))
            elif finding.kind == "temp-file":
                Path(finding.path).unlink(missing_ok=True)
                done.append(msgspec.structs.replace(finding, fixed=True))
        files = _uncommitted(ws)
        if files:
            outcome = commit_workspace(ws, files, actor, "doctor: commit what an interrupted action or a hand "
                                                         "edit left\n\n" + "\n".join(str(f) for f in files) + "\n", now)
            done += [Finding(workspace=ws.name, kind="uncommitted", path=str(f), detail=outcome.note,
                             fixed=not outcome.failed) for f in files]
    return done


def _torn(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            if size == 0:
                return None
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return None
            handle.seek(max(0, size - 4096))
            tail = handle.read()
    except OSError:
        return None
    last = tail[tail.rfind(b"\n") + 1:]
    try:
        whole = isinstance(msgspec.json.decode(last), dict)
    except msgspec.DecodeError:
        whole = False
    return "the last line lacks its newline" if whole else f"the last line is cut short ({len(last)} bytes)"


def _uncommitted(ws: Workspace) -> list[Path]:
    """Record files that differ from the last commit of the repository holding ``ws``."""
    try:
        import git
    except ImportError:
        return []
    try:
        repo = git.Repo(ws.root, search_parent_directories=True)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        return []
    with repo:
        if repo.working_tree_dir is None:
            return []
        top = Path(repo.working_tree_dir).resolve()
        files = record_files(ws)
        rels = [os.path.relpath(p.resolve(), top) for p in files]
        try:
            changed = set(repo.git.status("--porcelain", "--untracked-files=all", "--", *rels).splitlines())
        except git.exc.GitCommandError:
            return []
    names = {line[3:].strip().strip('"') for line in changed}
    return [p for p, rel in zip(files, rels, strict=True) if rel in names]
