"""Write-ahead journals: an action that changes a workspace's files is finished whatever happens
to its process.

An action (an approval, a delegation, a close, a request sent or delivered) first works out every
write it will make: the lines it will append, the files it will rewrite whole, the beads it will
insert into or change in a Dolt database, and its commit (author, message). It writes that plan to
its journal, in crossdeck's state dir beside the workspace's lock (``locks/<sha1>.wal``: never in
the workspace), fsync'd, and only then makes the writes, then the commit, then deletes the
journal. A process killed anywhere in between leaves the journal behind; the next action in that
workspace (under its lock, before anything else) replays it: each write that is not there yet is
made (an appended line is looked for whole in its file; a rewritten file is compared with what it
should hold; a bead is looked for by its id), then the commit is made with the journal's author
and message. So after a crash the workspace and its git history are what one clean run leaves.
A journal of an action still running in a live process (its pid) is left alone.

Named write points let the tests kill a process at each of them: ``CROSSDECK_CRASH_AT=NAME``
makes the process exit abruptly right after that point (``VERB:N:KIND:FILE``, e.g.
``approve:2:append:issues.jsonl``; ``VERB:commit`` after the commit); ``CROSSDECK_CRASH_POINTS=FILE``
lists, a line each, the points a run passed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from core.sync import SyncError
from core.sync.appendlog import append_jsonl, encode_line
from core.sync.lock import lock_path

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
_running: set[str] = set()  # journals of actions running in this process
_running_lock = threading.Lock()


class JournalError(SyncError):
    """The journal could not be written: nothing of the action was."""


def journal_path(root: Path, action: str = "") -> Path:
    """Where an action's journal is kept: beside the workspace's lock (``locks/<sha1>.wal``; an
    action whose commit is grouped with others', ``locks/<sha1>.<ACTION>.wal``)."""
    base = lock_path(Path(root))
    return base.with_suffix(f".{action}.wal" if action else ".wal")


def journals(root: Path) -> list[Path]:
    """Every journal kept for ``root``."""
    base = lock_path(Path(root))
    return sorted(base.parent.glob(base.stem + ".*wal")) if base.parent.is_dir() else []


class Written(msgspec.Struct, kw_only=True):
    """An action whose writes are made and whose commit waits for a group (``commit_group``)."""

    root: str
    journal: str
    files: list[str]
    actor: str
    email: str
    message: str


def crash_point(name: str) -> None:
    """A named write point: a test may ask the process to die abruptly here."""
    listing = os.environ.get("CROSSDECK_CRASH_POINTS")
    if listing:
        with open(listing, "a", encoding="utf-8") as handle:
            handle.write(name + "\n")
    if os.environ.get("CROSSDECK_CRASH_AT") == name:
        os._exit(137)


class Plan:
    """The writes of one action, in order, and its commit."""

    def __init__(self, verb: str, actor: str, email: str, message: str):
        self.verb, self.actor, self.email, self.message = verb, actor, email, message
        self.ops: list[dict[str, Any]] = []

    def append(self, path: Path, record: Mapping[str, Any]) -> None:
        self.ops.append({"op": "append", "path": str(path), "line": encode_line(record).decode()})

    def replace(self, path: Path, data: bytes) -> None:
        self.ops.append({"op": "replace", "path": str(path), "data": base64.b64encode(data).decode(),
                         "sha256": hashlib.sha256(data).hexdigest()})

    def bead(self, op: dict[str, Any]) -> None:
        """A Dolt write (core.sync.bead_rows.replay_op reads it): ``insert`` or ``update``."""
        self.ops.append({"op": "bead", **op})

    @property
    def files(self) -> list[Path]:
        return list(dict.fromkeys(Path(op["path"]) for op in self.ops if op["op"] in ("append", "replace")))


def carry_out(root: Path, plan: Plan, now: dt.datetime, extra_paths: Sequence[Path] = ()) -> Any:
    """Journal ``plan``, make its writes, commit them (and ``extra_paths``: files an earlier,
    interrupted attempt may have written) and delete the journal; the commit's outcome. The caller
    holds the workspace's lock and has called ``recover`` under it."""
    written = write_ahead(root, plan, now, extra_paths)
    return commit_group([written], now, plan.verb)


def write_ahead(root: Path, plan: Plan, now: dt.datetime, extra_paths: Sequence[Path] = (),
                grouped: bool = False) -> Written:
    """Journal ``plan`` and make its writes; its commit is left to ``commit_group`` (at once, or,
    ``grouped``, with other actions' when the caller says). The caller holds the lock."""
    for target in plan.files:  # a write that can never be made is refused before any is journaled
        check_target(target)
    path = journal_path(root, _unique() if grouped else "")
    header = {"op": "begin", "verb": plan.verb, "actor": plan.actor, "email": plan.email,
              "message": plan.message, "at": now.isoformat(), "pid": os.getpid(),
              "extra": [str(p) for p in extra_paths]}
    body = b"".join(_encode(line) + b"\n" for line in [header, *plan.ops])
    try:
        _write_journal(path, body)
    except OSError as exc:
        raise JournalError(f"cannot write the journal {path}: {exc.strerror or exc}; nothing changed") from None
    key = str(path)
    with _running_lock:
        _running.add(key)
    try:
        crash_point(f"{plan.verb}:0:journal")
        for number, op in enumerate(plan.ops, start=1):
            _apply(op)
            crash_point(f"{plan.verb}:{number}:{_point(op)}")
    except BaseException:
        with _running_lock:
            _running.discard(key)
        raise
    return Written(root=str(root), journal=key, files=[str(f) for f in [*plan.files, *extra_paths]],
                   actor=plan.actor, email=plan.email, message=plan.message)


def commit_group(group: Sequence[Written], now: dt.datetime, verb: str = "group") -> Any:
    """One commit of the writes of ``group`` (actions of one workspace, in order), then their
    journals deleted; the commit's outcome. Its author is their actor when they share one, else
    ``crossdeck-server``; its message the one action's, else a line for each. The caller holds
    the workspace's lock."""
    from core.sync.gitcommit import CommitError, CommitOutcome, commit_change

    if not group:
        return None
    first = group[0]
    actors = {w.actor for w in group}
    actor = first.actor if len(actors) == 1 else GROUP_AUTHOR
    if len(group) == 1:
        message = first.message
    else:
        subjects = [w.message.splitlines()[0] if w.message else "" for w in group]
        message = f"{len(group)} changes by {', '.join(sorted(actors))}\n\n" + "\n".join(subjects) + "\n"
    files = [Path(f) for f in dict.fromkeys(f for w in group for f in w.files)]
    try:
        outcome = commit_change(Path(first.root), files, actor, message, first.email, now)
    except CommitError as exc:
        outcome = CommitOutcome(sha=None, repository=None, note=str(exc), failed=True)
    crash_point(f"{verb}:commit")
    for w in group:
        Path(w.journal).unlink(missing_ok=True)
        with _running_lock:
            _running.discard(w.journal)
    return outcome


GROUP_AUTHOR = "crossdeck-server"
_counter = iter(range(1, 1 << 62))


def _unique() -> str:
    return f"{os.getpid()}-{next(_counter)}"


def check_target(path: Path) -> None:
    """Raise ``JournalError`` when ``path`` is not somewhere this action may write (a link out of
    its workspace: ``core.workspace_paths``); nothing is written then."""
    from core.workspace_paths import LinkedOut, write_target

    try:
        write_target(path)
    except LinkedOut as exc:
        raise JournalError(f"{exc}; nothing was written") from None


def apply_now(plan: Plan) -> None:
    """Make a plan's writes at once, with no journal and no commit (a write that is its own
    action's whole effect, made under the caller's lock)."""
    for op in plan.ops:
        _apply(op)


def recover(root: Path) -> bool:
    """Finish the actions dead processes left in ``root``'s journals (writes, then the commit),
    oldest first; whether there was one. The caller holds the workspace's lock."""
    found = False
    def begun(path: Path) -> str:
        lines = _read_journal(path)
        return str(lines[0].get("at", "")) if lines else ""

    for path in sorted(journals(root), key=begun):
        found = _recover_one(root, path) or found
    return found


def _recover_one(root: Path, path: Path) -> bool:
    from core.sync.gitcommit import CommitError, commit_change

    if not path.is_file() or str(path) in _running:
        return False
    lines = _read_journal(path)
    if not lines or lines[0].get("op") != "begin":
        path.unlink(missing_ok=True)  # cut short before its plan was whole: nothing was written yet
        return False
    header, ops = lines[0], lines[1:]
    pid = header.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
        return False  # another process is carrying it out right now (it holds no lock: a server's group)
    for op in ops:
        _apply(op)
    files = list(dict.fromkeys([*(Path(op["path"]) for op in ops if op.get("op") in ("append", "replace")),
                                *(Path(p) for p in header.get("extra") or [])]))
    when = dt.datetime.fromisoformat(str(header.get("at")))
    try:
        commit_change(Path(root), files, str(header["actor"]), str(header["message"]), str(header["email"]), when)
    except CommitError:
        pass  # the files are right; the next commit of them carries them
    path.unlink(missing_ok=True)
    return True


def _point(op: Mapping[str, Any]) -> str:
    """The name of the write point after ``op``: ``append:requests.jsonl``, ``bead:insert``."""
    if op.get("op") == "bead":
        return f"bead:{op.get('kind')}"
    return f"{op.get('op')}:{Path(str(op.get('path'))).name}"


def _apply(op: Mapping[str, Any]) -> None:
    """Make one write unless it is made already."""
    kind = op.get("op")
    if kind == "append":
        target, line = Path(op["path"]), str(op["line"]).encode()
        if not _holds_line(target, line):
            append_jsonl(target, _decode(line))
    elif kind == "replace":
        from core.atomic import write_bytes_atomic

        target = Path(op["path"])
        data = base64.b64decode(op["data"])
        try:
            same = hashlib.sha256(target.read_bytes()).hexdigest() == op["sha256"]
        except OSError:
            same = False
        if not same:
            write_bytes_atomic(target, data)
    elif kind == "bead":
        from core.sync.bead_rows import replay_op

        replay_op(op)


def _holds_line(path: Path, line: bytes) -> bool:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    body = line.rstrip(b"\n")
    return data.startswith(body + b"\n") or (b"\n" + body + b"\n") in data or data.endswith(b"\n" + body) \
        or data == body


def _write_journal(path: Path, body: bytes) -> None:
    from core.atomic import write_bytes_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, body)


def _read_journal(path: Path) -> list[dict[str, Any]]:
    out = []
    try:
        data = path.read_bytes()
    except OSError:
        return []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            value = _decode(raw)
        except msgspec.DecodeError:
            return []  # a journal is written whole (atomically): a bad one is not ours to trust
        if isinstance(value, dict):
            out.append(value)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pending(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The journals left in ``root``'s state, with their headers (for ``crossdeck doctor``)."""
    out = []
    for path in journals(root):
        lines = _read_journal(path)
        if path.is_file() and str(path) not in _running:
            out.append((path, lines[0] if lines else {}))
    return out
