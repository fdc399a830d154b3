"""The one workspace a server serves, as it is on disk now.

``pick`` finds it below ROOT (exactly one local workspace, or the one ``--workspace`` names);
``Served.reload`` reads it again (the event hub calls it when its files change, and after the
server's own changes), so trust levels, permissions and policies are always the files' current
ones. A reload that cannot read the workspace keeps the last good copy.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from pathlib import Path

from core.analysis.approvals import WorkspacePolicy
from core.federation import Federation, load_federation, load_workspace
from core.model import Remote, SudocodeRepo, Workspace, WorkspaceKind
from core.sync.group_commit import GroupCommitter
from core.sync.requests import address


class ServeError(Exception):
    """The workspace to serve could not be found or read; the message says why."""


class Served:
    def __init__(self, ws: Workspace):
        self.root = Path(ws.root)
        self.kind = ws.kind
        self.name = ws.name
        self._ws = ws
        self._lock = threading.Lock()
        self._policy: tuple[Workspace, dt.date, WorkspacePolicy] | None = None
        self.committer = GroupCommitter(self.root)  # the requests this server takes, committed in bursts

    @property
    def workspace(self) -> Workspace:
        return self._ws

    def reload(self) -> tuple[Workspace, Workspace]:
        """(before, after) reading the workspace again from disk."""
        fresh, _ = load_workspace(self.root, self.kind)
        with self._lock:
            before = self._ws
            if fresh is not None and fresh.name == self.name:
                self._ws = fresh
            return before, self._ws

    def federation(self) -> Federation:
        """The served workspace alone, as the core actions take it."""
        return Federation(roots=[str(self.root)], workspaces=[self._ws])

    def policy(self, today: dt.date) -> WorkspacePolicy:
        """The workspace's policy as its files say now, built once per re-read and day (every call
        looks its caller up in it; building it parses the policy's rules and counts the day's
        creates)."""
        ws, cached = self._ws, self._policy
        if cached is None or cached[0] is not ws or cached[1] != today:
            cached = (ws, today, WorkspacePolicy(ws, today))
            self._policy = cached
        return cached[2]

    def remote(self, name: str, today: dt.date) -> Remote | None:
        """The remote ``name`` (or any name of it: URL, display name) as the files say now."""
        index = self.policy(today).remote_index(name)
        return self._ws.remotes[index] if index is not None else None

    def is_between(self, from_repo: str, to_repo: str, remote_name: str, today: dt.date) -> bool:
        """Whether a request from ``from_repo`` to ``to_repo`` runs between this workspace and its
        remote ``remote_name`` (either side may name the remote by any of its names). Compared by
        name: a remote's record changes (its line, its permissions) while it stays the same remote."""
        policy = self.policy(today)
        for side in (from_repo, to_repo):
            index = policy.remote_index(side)
            if index is not None and self._ws.remotes[index].name == remote_name:
                return True
        return False

    @property
    def address(self) -> str:
        return address(self._ws)

    def identity(self) -> dict[str, str | None]:
        info = self._ws.info
        if isinstance(info, SudocodeRepo):
            local = info.federation.get("local_identity")
            description = local.get("description") if isinstance(local, dict) else None
            return {"url": info.identity_url, "display_name": info.display_name,
                    "description": description if isinstance(description, str) else None}
        return {"url": self.address, "display_name": getattr(info, "public_name", None) or self.name,
                "description": getattr(info, "description", None)}


def pick(roots: Sequence[Path], wanted: str | None = None) -> Served:
    """The one local workspace at or below ``roots`` (or the one ``wanted`` names: its name or folder)."""
    from core.sync.remote_config import RemoteConfigError, find_workspace

    fed = load_federation(roots)
    if not any(not ws.remote_cache for ws in fed.workspaces):
        raise ServeError("no workspace could be loaded below " + ", ".join(map(str, roots)))
    try:
        return Served(find_workspace(fed, wanted))
    except RemoteConfigError as exc:
        raise ServeError(str(exc)) from None


KIND_ENTITIES = {WorkspaceKind.SUDOCODE: ["issue", "spec"]}


def entities_of(ws: Workspace) -> list[str]:
    """The work-unit kinds this workspace serves, then ``work_unit`` and ``request``."""
    kinds = sorted({unit.kind for unit in ws.work_units} | set(KIND_ENTITIES.get(ws.kind, ["bead"])))
    return [*kinds, "work_unit", "request"]
