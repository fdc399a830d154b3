"""The one workspace a server serves, as it is on disk now.

``pick`` finds it below ROOT (exactly one local workspace, or the one ``--workspace`` names);
``Served.reload`` reads it again (the event hub calls it when its files change, and after the
server's own changes that decide or change items), so trust levels, permissions and policies are
always the files' current ones. A reload that cannot read the workspace keeps the last good copy.
When only its request and audit logs changed (the server's own requests, or a decision's lines),
only those two logs are read again, by the loader's own readers; the items are kept.

A request the server has just written and left pending takes no re-read at all: ``took`` puts it,
as the loader read it back from the log under the workspace's lock (``core.sync.requests.deliver``),
into the workspace held in memory. So a mutate that waits for a human costs what its own lines
cost, not what the workspace's size does.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Collection, Sequence
from pathlib import Path

import msgspec

from core.analysis.approvals import WorkspacePolicy
from core.federation import Federation, load_federation, load_workspace
from core.model import Remote, Request, SudocodeRepo, Workspace, WorkspaceKind
from core.sources.files import ReadLimits
from core.sync.group_commit import GroupCommitter
from core.sync.log_tail import audit_now, requests_now
from core.sync.records import record_logs
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
        self._taken: list[Request] | None = None  # what ``took`` put in while a re-read is under way
        self.committer = GroupCommitter(self.root)  # the requests this server takes, committed in bursts

    @property
    def workspace(self) -> Workspace:
        return self._ws

    def reload(self, changed: Collection[str] | None = None) -> tuple[Workspace, Workspace]:
        """(before, after) reading the workspace again from disk (``read`` then ``install``)."""
        return self.install(self.read(changed))

    def read(self, changed: Collection[str] | None = None) -> Workspace | None:
        """The workspace read again from disk, not yet held: only its request and audit logs when
        ``changed`` (the paths of the files that changed) names nothing else. Calls of ``took``
        while it reads are kept, for ``install`` to put into what it read. One read at a time."""
        with self._lock:
            ws, self._taken = self._ws, []
        fresh = _logs_reread(ws, changed) if changed else None
        if fresh is None:
            fresh, _ = load_workspace(self.root, self.kind)
        return fresh

    def install(self, fresh: Workspace | None) -> tuple[Workspace, Workspace]:
        """(before, after) holding ``fresh`` from ``read`` (with the requests ``took`` put in
        meanwhile, which the read may have missed); None keeps the last good copy."""
        with self._lock:
            before, taken, self._taken = self._ws, self._taken or [], None
            if fresh is not None and fresh.name == self.name:
                for request in taken:
                    requests = _with(fresh.requests, request)
                    if requests is not None:
                        fresh = msgspec.structs.replace(fresh, requests=requests)
                self._ws = fresh
            return before, self._ws

    def took(self, request: Request) -> tuple[Workspace, Workspace]:
        """(before, after) putting ``request``, as the loader read it from the workspace's log
        just after this server wrote it, into the workspace held in memory: in place of the
        request's older state (a line further up the log), or as a new request in the log's
        order. An older state than the one held changes nothing."""
        with self._lock:
            before = self._ws
            if self._taken is not None:  # a re-read is under way: it gets it too
                self._taken.append(request)
            requests = _with(before.requests, request)
            if requests is not None:
                self._ws = msgspec.structs.replace(before, requests=requests)
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


def _later(a: Request, b: Request) -> bool:
    """Whether ``a`` was read from a line below ``b``'s in the same log."""
    return a.source == b.source and a.line is not None and b.line is not None and a.line > b.line


def _with(requests: list[Request], request: Request) -> list[Request] | None:
    """``requests`` with ``request`` in it, as the loader orders them (each request where its
    first line is, its last line's state); None when it changes nothing."""
    for index, held in enumerate(requests):
        if held.request_id == request.request_id:
            if held == request or _later(held, request):
                return None
            return [*requests[:index], request, *requests[index + 1:]]
    at = len(requests)
    while at and _later(requests[at - 1], request):  # written after it, taken first (a concurrent writer)
        at -= 1
    return [*requests[:at], request, *requests[at:]]


def _logs_reread(ws: Workspace, changed: Collection[str]) -> Workspace | None:
    """``ws`` with its request and audit logs read again, when the files in ``changed`` are
    those logs alone (and its audit entries from the log are one run, so the fresh ones take
    their place); None when the whole workspace must be read."""
    logs = record_logs(ws)
    requests, audit = os.path.abspath(logs.requests), os.path.abspath(logs.audit)
    if not {os.path.abspath(path) for path in changed} <= {requests, audit}:
        return None
    held = [i for i, event in enumerate(ws.audit) if event.source == str(logs.audit)]
    if (held and held[-1] - held[0] + 1 != len(held)) or (not held and ws.audit):
        return None  # the log's entries are not one run, or where they go is not known
    start, end = (held[0], held[-1] + 1) if held else (0, 0)
    fresh = msgspec.structs.replace(ws, requests=[], audit=[])
    limits = ReadLimits(within=os.path.realpath(ws.root))
    if logs.requests.is_file():  # each log parsed from where this process last read it (core.sync.log_tail)
        fresh.requests = requests_now(logs.requests, fresh, limits)
    if logs.audit.is_file():
        fresh.audit = audit_now(logs.audit, fresh, limits)
    fresh.audit[:0] = ws.audit[:start]
    fresh.audit.extend(ws.audit[end:])
    return fresh


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
