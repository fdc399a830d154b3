"""Committing concurrent actions of one workspace together (the federation server's mutates).

Each request a server takes is written at once, under the workspace's lock, its writes journaled
(``core.sync.journal.write_ahead``), and answered only once a commit holds it. The commit itself
is shared: the first action to ask becomes the group's leader, waits for the others writing at
that moment to finish (``writing``: at most ``window`` seconds; not at all when it writes alone),
then makes one commit of every write waiting and wakes them all. So the
repository grows by one commit per burst of requests, not one per request (each commit stores the
logs it touches whole), and writers wait for the lock for a write, not for a commit each. After a
commit the repository's loose objects are packed when they pile up (``core.sync.loose_objects``),
so its size on disk grows with what changed, not with the size of the logs times the commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.sync.journal import Written, commit_group
from core.sync.lock import DEFAULT_TIMEOUT, workspace_lock
from core.sync.loose_objects import pack_soon


class GroupCommitter:
    def __init__(self, root: Path, window: float = 0.05, lock_timeout: float = DEFAULT_TIMEOUT):
        self.root = Path(root)
        self.window = window
        self.lock_timeout = lock_timeout
        self._cond = threading.Condition()
        self._waiting: list[Written] = []
        self._done: dict[int, Any] = {}
        self._leading = False
        self._writing = 0  # actions between ``writing`` and their commit's outcome (or their failure)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """An action that may write and then ``commit``: while it runs, a leader waits for it
        (up to ``window``) to join the group, rather than commit without it."""
        with self._cond:
            self._writing += 1
        try:
            yield
        finally:
            with self._cond:
                self._writing -= 1
                self._cond.notify_all()

    def commit(self, written: Written, now: dt.datetime) -> Any:
        """Wait for the commit that holds ``written``; its outcome (shared by the group)."""
        ident = id(written)
        lead = False
        with self._cond:
            self._waiting.append(written)
            self._cond.notify_all()  # a leader waiting for this writer
            while ident not in self._done and self._leading:
                self._cond.wait()
            if ident not in self._done:
                self._leading = lead = True  # no group is being committed: lead the next one
        if lead:
            self._lead(now)
        with self._cond:
            result = self._done.pop(ident)
        if isinstance(result, BaseException):
            raise result
        return result

    def _lead(self, now: dt.datetime) -> None:
        group: list[Written] = []
        try:
            deadline = time.monotonic() + self.window
            with self._cond:  # let the writers of this burst finish: each joins the group or gives up
                while self._writing > len(self._waiting) and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
            with workspace_lock(self.root, self.lock_timeout):
                with self._cond:
                    group, self._waiting = self._waiting, []
                outcome: Any = commit_group(group, now, "deliver")
        except Exception as exc:  # noqa: BLE001 - every member of the group is told
            outcome = exc
            with self._cond:
                group, self._waiting = [*group, *self._waiting], []
        with self._cond:
            for member in group:
                self._done[id(member)] = outcome
            self._leading = False
            self._cond.notify_all()
        if getattr(outcome, "sha", None):  # a commit was made: keep the repository's objects packed
            pack_soon(self.root)
