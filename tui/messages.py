"""Messages that cross screens: the load worker's progress and result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from core.dashboard import DashboardData


@dataclass
class LoadProgress(Message):
    what: str
    fraction: float


@dataclass
class DataLoaded(Message):
    data: DashboardData
    live_seq: int = 0  # the live events already applied when this load began (tui/live.py)
    note: str | None = None  # what to say once it is shown: why it reloaded and what changed (tui/reloads.py)


@dataclass
class LoadFailed(Message):
    error: str


@dataclass
class FilesChanged(Message):
    """Live reload: files of these workspace roots changed on disk."""

    roots: list[str]


@dataclass
class SyncFailure:
    key: str  # the Remotes pane's row key, ``WORKSPACE\tREMOTE``
    remote: str
    workspace: str
    error: str


@dataclass
class RemotesSynced(Message):
    """A sync of ``count`` remotes finished: these ``failures``, these remotes ``synced``
    (row keys); ``background``: the auto-sync timer asked for it, not a key."""

    count: int
    failures: list[SyncFailure]
    synced: list[str]
    background: bool = False
