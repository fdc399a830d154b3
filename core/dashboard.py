"""Everything the dashboard shows, computed in one place from one load: the same core functions
the CLI verbs call, so the dashboard holds no business logic of its own.

``load_dashboard`` runs in a worker thread of the dashboard (it does all the I/O); the panes only
read the ``DashboardData`` it returns. After files of some workspaces changed on disk, ``reread``
reads only those again and keeps the others' records as loaded; ``Reread.apply`` then updates the
graph in place (``core.graph_update``) and recomputes only what the change can touch: the result
equals a full ``load_dashboard`` (tests/test_dashboard_reread.py).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from core.analysis.approvals import ApprovalsReport, approvals, approvals_of
from core.analysis.audit import AuditTimeline
from core.analysis.delegation import DelegationChains, delegation_chains
from core.analysis.reach import RemotesSummary, remotes_report
from core.analysis.stale import ImportReport, stale_imports
from core.diagnostics import Diagnostic, Diagnostics, Severity
from core.federation import Federation, dangling_references, gc_paused, load_federation, load_workspace
from core.graph import build_graph
from core.model import Workspace, WorkspaceKind
from core.settings import Settings
from core.store import Check, reachability_history, remote_states, remote_status_by_workspace
from core.sync.remote_workspaces import include_remote_workspaces

HISTORY_SHOWN = 8  # reachability checks kept per remote for the Remotes pane

Progress = Callable[[str, float], None]  # (what is happening, fraction done 0..1)


class DashboardData(msgspec.Struct, kw_only=True):
    federation: Federation
    graph: Any  # nx.MultiDiGraph (networkx is imported lazily, in the worker)
    summary: dict[str, Any]
    stale: list[ImportReport]
    chains: DelegationChains
    approvals: ApprovalsReport
    audit: AuditTimeline
    remotes: RemotesSummary
    remote_history: dict[str, list[Check]]  # "WORKSPACE\tREMOTE" -> its latest checks, newest first
    loaded_at: dt.datetime
    local_diagnostics: int = 0  # federation.diagnostics[:n] came from reading the local workspaces
    remote_status: dict[str, str] = {}  # each remote workspace's cached status, as the graph's stubs show it
    synced: dict[tuple[str, str], Any] = {}  # (workspace, remote) -> its last successful sync (approvals)
    dangling: Any = None  # core.dangling_update.Dangling of the local workspaces, once made (prepare_reread)
    parts: dict[str, Any] = {}  # root -> core.graph_update.Part of a workspace read again, as the graph holds it


def load_dashboard(roots: Sequence[Path], settings: Settings, now: dt.datetime,
                   progress: Progress | None = None) -> DashboardData:
    """Load the federation below ``roots`` (through the parsed cache: a workspace whose files did
    not change since a verb or the dashboard last read it comes from its entry) and compute every
    pane's data."""
    from core.cache.store import ParsedCache

    say = progress or (lambda what, fraction: None)
    say("reading workspaces", 0.05)
    fed = load_federation(roots, settings.limits, settings.discovery_max_depth, cache=ParsedCache.default())
    return _with_remotes(fed, settings, now, say)


def refresh_remotes(data: DashboardData, settings: Settings, now: dt.datetime,
                    progress: Progress | None = None) -> DashboardData:
    """``data`` with the remotes' side read again (their caches and snapshots in the store, their
    states) and every analysis run again: what a live event from a remote changed. The local
    workspaces are not read again: the event did not touch them."""
    local = data.federation
    fed = Federation(roots=list(local.roots), workspaces=[ws for ws in local.workspaces if not ws.remote_cache],
                     diagnostics=list(local.diagnostics[:data.local_diagnostics]))
    return _with_remotes(fed, settings, now, progress or (lambda what, fraction: None))


def with_reachability(data: DashboardData, settings: Settings, now: dt.datetime) -> DashboardData:
    """``data`` with every remote's state and recent checks read again from the store, and
    nothing else: what a check of a town's Dolt server that changed nothing shown updates
    (``tui.dolt_watch``)."""
    states = remote_states(diags=Diagnostics())
    local = [ws for ws in data.federation.workspaces if not ws.remote_cache]
    return msgspec.structs.replace(data, remotes=remotes_report(local, states, now, settings.remote_ttl_seconds),
                                   remote_history=_history(states), loaded_at=now)


def _history(states: Mapping[tuple[str, str], Any]) -> dict[str, list[Check]]:
    return {f"{ws}\t{name}": reachability_history(ws, name, limit=HISTORY_SHOWN) for ws, name in states}


def _with_remotes(fed: Federation, settings: Settings, now: dt.datetime, say: Progress) -> DashboardData:
    """The local federation ``fed`` with its remote workspaces added, the graph and every analysis."""
    local_diagnostics = len(fed.diagnostics)
    say("reading remote states", 0.55)
    store_diags = Diagnostics()
    states = remote_states(diags=store_diags)
    synced = {key: state.last_sync_at for key, state in states.items()}
    fed.diagnostics.extend(store_diags)
    include_remote_workspaces(fed, states, now, ttl_seconds=settings.remote_ttl_seconds)
    ttl = settings.remote_ttl_seconds
    status = remote_status_by_workspace(now, ttl, diags=Diagnostics())  # its warnings are in store_diags
    say("building the graph", 0.65)
    graph = build_graph(fed, remote_status=status)
    say("analysing", 0.85)
    from core.commands.summary import summarize

    today = now.date()
    data = DashboardData(
        federation=fed,
        graph=graph,
        summary=summarize(fed),
        stale=stale_imports(fed.workspaces, today),
        chains=delegation_chains(graph, today),
        approvals=approvals(graph, today, synced=synced),
        audit=AuditTimeline(fed.workspaces),
        remotes=remotes_report([ws for ws in fed.workspaces if not ws.remote_cache], states, now, ttl),
        remote_history=_history(states),
        loaded_at=now,
        local_diagnostics=local_diagnostics,
        remote_status=dict(status),
        synced=synced,
    )
    say("ready", 1.0)
    return data


class Reread:
    """Workspaces read again (``reread``), ready to be shown: ``apply`` updates the graph in place,
    so call it where the graph is read (the dashboard's UI thread), once."""

    def __init__(self, base: DashboardData, data: DashboardData, changes: list[tuple[int, Workspace, Workspace]],
                 graph_changes: list[Any], today: dt.date, stale_again: bool) -> None:
        self.base = base  # the data it was read against: apply only while that is the data shown
        self.roots = [new.root for _, _, new in changes]
        self._data, self._changes, self._graph_changes = data, changes, graph_changes
        self._today, self._stale_again = today, stale_again

    @property
    def changed(self) -> list[tuple[Workspace, Workspace]]:
        """(before, after) of each workspace read again."""
        return [(old, new) for _, old, new in self._changes]

    def apply(self) -> DashboardData:
        data = self._data
        graph, workspaces = data.graph, list(self.base.federation.workspaces)
        for n, ((index, _, new), change) in enumerate(zip(self._changes, self._graph_changes, strict=True)):
            workspaces[index] = new
            step = data.federation if n == len(self._changes) - 1 else Federation(
                roots=data.federation.roots, workspaces=list(workspaces))
            change.apply(graph, step)
        stale = stale_imports(workspaces, self._today) if self._stale_again else data.stale
        return msgspec.structs.replace(data, stale=stale, chains=delegation_chains(graph, self._today))


def reread(data: DashboardData, roots: Sequence[str], settings: Settings, now: dt.datetime) -> Reread | None:
    """The local workspaces at ``roots`` (as ``Workspace.root`` holds them) read again, the others
    kept as loaded; None when only a full ``load_dashboard`` can say what changed: a root that
    is no loaded workspace or whose kind changed, a workspace that no longer loads or whose name,
    shared records (``core.graph_update.can_update``) changed, diagnostics that cannot be told
    apart by workspace. The cyclic GC is paused meanwhile, as for a full load (a collection over
    the 100k records' heap, set off by the new ones, would cost more than the reread)."""
    with gc_paused():
        return _reread(data, roots, settings, now)


def _reread(data: DashboardData, roots: Sequence[str], settings: Settings, now: dt.datetime) -> Reread | None:
    fed = data.federation
    local = [ws for ws in fed.workspaces if not ws.remote_cache]
    remote = fed.workspaces[len(local):]
    if any(not ws.remote_cache for ws in remote):
        return None
    from core.graph_update import can_update
    from core.sources.discover import workspace_kind
    from core.sync.git_delivery import add_fetched_requests

    index = {ws.root: i for i, ws in enumerate(local)}
    new_local = list(local)
    read: dict[int, list[Diagnostic]] = {}
    changes: list[tuple[int, Workspace, Workspace]] = []
    for root in dict.fromkeys(roots):
        i = index.get(root)
        if i is None or workspace_kind(Path(root)) is not local[i].kind:
            return None
        new, diags = load_workspace(Path(root), local[i].kind, settings.limits)
        if new is None or not can_update(local[i], new) or sum(ws.name == new.name for ws in local) > 1:
            return None  # (two copies of one workspace: the graph holds the last one's nodes)
        if any(r.transport == "git" for r in new.remotes):  # as the full load: requests its remotes' copies hold
            add_fetched_requests(Federation(roots=fed.roots, workspaces=[new, *remote]))
        new_local[i], read[i] = new, diags.items
        changes.append((i, local[i], new))
    dangling = _dangling(data, local)
    dangling_before = len(dangling) if dangling is not None else len(dangling_references(local))
    split = _split(fed.diagnostics[:data.local_diagnostics - dangling_before], local)
    if split is None:
        return None
    found, own, after = split
    diagnostics = list(found)
    names: dict[str, str] = {}
    for i, ws in enumerate(new_local):
        diagnostics.extend(read.get(i, own[i]))
        if ws.name in names:
            diagnostics.append(Diagnostic(Severity.WARNING, ws.root, f"{_SAME} {names[ws.name]} ({ws.name}); both loaded",
                                          workspace=ws.name))
        names.setdefault(ws.name, ws.root)
        diagnostics.extend(after[i])
    if dangling is not None:
        for i, old, new in changes:
            dangling.replace(i, old, new, new_local)
        diagnostics.extend(dangling.all())
    else:
        diagnostics.extend(dangling_references(new_local))
    local_diagnostics = len(diagnostics)
    diagnostics.extend(fed.diagnostics[data.local_diagnostics:])
    new_fed = Federation(roots=list(fed.roots), workspaces=[*new_local, *remote], diagnostics=diagnostics)
    if dangling is not None:
        dangling.fed = new_fed
    today = now.date()
    from core.commands.summary import summarize

    requests = any(old.requests != new.requests for _, old, new in changes)
    audit = any(old.audit != new.audit for _, old, new in changes)
    pending = msgspec.structs.replace(
        data, federation=new_fed, summary=summarize(new_fed),
        approvals=approvals_of(new_fed.workspaces, today, synced=data.synced) if requests else data.approvals,
        audit=AuditTimeline(new_fed.workspaces) if audit else data.audit,
        loaded_at=now, local_diagnostics=local_diagnostics, dangling=dangling)
    from core.graph_update import Change

    graph_changes = [Change(old, new, data.remote_status, data.parts.get(new.root)) for _, old, new in changes]
    pending.parts = {**data.parts, **{new.root: change.after for (_, _, new), change in zip(changes, graph_changes)}}
    stale_again = any(WorkspaceKind.REALM in (old.kind, new.kind) for _, old, new in changes)
    return Reread(data, pending, changes, graph_changes, today, stale_again)


def prepare_reread(data: DashboardData) -> None:
    """Make ahead what ``reread`` needs beyond the data (the dangling references by workspace),
    so the first change on disk does not wait for it: in the load worker, after the data is shown."""
    _dangling(data, [ws for ws in data.federation.workspaces if not ws.remote_cache])


def _dangling(data: DashboardData, local: list[Workspace]) -> Any:
    """``data``'s dangling references by workspace (made when missing or of other data), or None
    where they cannot be kept by workspace."""
    from core.dangling_update import Dangling

    if data.dangling is None or data.dangling.fed is not data.federation:
        data.dangling = Dangling.of(data.federation, local)
    return data.dangling


_SAME = "same workspace as"  # core.federation.load_federation's warning for a second copy of a workspace


def _split(diagnostics: Sequence[Diagnostic], local: Sequence[Workspace]) \
        -> tuple[list[Diagnostic], list[list[Diagnostic]], list[list[Diagnostic]]] | None:
    """A full load's diagnostics (before the dangling references) by where they came from:
    discovery's, then each workspace's own (by the file they name, else the workspace), each
    followed by what came after it and is no loaded workspace's (a folder that failed to load).
    The "same workspace" warnings are left out (made again). None when the order does not fit."""
    at = {ws.root: i for i, ws in enumerate(local)}
    counts: dict[str, int] = {}
    for ws in local:
        counts[ws.name] = counts.get(ws.name, 0) + 1
    by_name = {ws.name: i for i, ws in enumerate(local) if counts[ws.name] == 1}
    found: list[Diagnostic] = []
    own: list[list[Diagnostic]] = [[] for _ in local]
    after: list[list[Diagnostic]] = [[] for _ in local]
    last = -1
    for diag in diagnostics:
        owner = _innermost(diag.path, at)
        if owner is None and diag.workspace is not None:
            owner = by_name.get(diag.workspace)
        if owner is not None and diag.path == local[owner].root and diag.message.startswith(_SAME):
            continue
        if owner is None:
            (after[last] if last >= 0 else found).append(diag)
        elif owner < last or (owner == last and after[last]):
            return None  # a workspace's own after another's, or after a folder that failed to load
        else:
            own[owner].append(diag)
            last = owner
    return found, own, after


def _innermost(path: str, roots: Mapping[str, int]) -> int | None:
    """The value of the innermost of ``roots`` that is ``path`` or holds it."""
    while True:
        found = roots.get(path)
        if found is not None:
            return found
        parent = os.path.dirname(path)
        if parent == path or not parent:
            return None
        path = parent
