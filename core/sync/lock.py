"""One lock per workspace, held across processes, so that two crossdeck processes (two
terminals, the dashboard and a script) never interleave their changes to the same workspace.

The lock file lives in crossdeck's state dir (``locks/<sha1 of the workspace root>.lock``),
never inside the workspace: nothing untracked lands in the user's repository. Holding the lock is
also what lets a thread write into the workspace (``core.workspace_paths.writing_into``): a write
lands inside the root of a workspace whose lock is held, links resolved, or nowhere.

Threads of one process (the server's writers) take turns on a lock of the process first, so the
lock passes from one to the next the moment it is let go; only the thread next in line waits on
the file, which another process's holder lets go of unannounced (it looks every 50 ms).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.settings import dirs
from core.sync import SyncError
from core.workspace_paths import writing_into

DEFAULT_TIMEOUT = 10.0
_turns: dict[Path, threading.Lock] = {}  # by lock file: this process's threads take turns on it
_turns_guard = threading.Lock()


class WorkspaceLocked(SyncError):
    """Another process held the workspace's lock for longer than the timeout."""


def lock_path(root: Path) -> Path:
    """Where the lock of the workspace at ``root`` lives (the same file for every spelling of it)."""
    digest = hashlib.sha1(str(Path(root).resolve()).encode("utf-8")).hexdigest()
    return dirs().state / "locks" / f"{digest}.lock"


@contextmanager
def workspace_lock(root: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Path]:
    """Hold the lock of the workspace at ``root``; raises ``WorkspaceLocked`` after ``timeout``
    seconds of waiting. Yields the lock file's path."""
    from filelock import FileLock, Timeout

    path = lock_path(root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SyncError(f"cannot create the lock folder {path.parent}: {exc.strerror or exc}") from None
    locked = WorkspaceLocked(f"the workspace at {root} is locked by another crossdeck process "
                             f"(waited {timeout:g} s); try again when it is done (lock file: {path})")
    with _turns_guard:
        turn = _turns.setdefault(path, threading.Lock())
    started = time.monotonic()
    if not turn.acquire(timeout=timeout if timeout >= 0 else -1):
        raise locked
    try:
        left = timeout - (time.monotonic() - started) if timeout >= 0 else timeout
        lock = FileLock(path, timeout=max(left, 0.0) if timeout >= 0 else timeout)
        try:
            lock.acquire()
        except Timeout:
            raise locked from None
        except OSError as exc:
            raise SyncError(f"cannot lock the workspace at {root}: {exc.strerror or exc} (lock file: {path})") from None
        try:
            with writing_into(root):
                yield path
        finally:
            lock.release()
    finally:
        turn.release()
