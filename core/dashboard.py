"""Everything the dashboard shows, computed in one place from one load: the same core functions
the CLI verbs call, so the dashboard holds no business logic of its own.

``load_dashboard`` runs in a worker thread of the dashboard (it does all the I/O); the panes only
read the ``DashboardData`` it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from core.analysis.approvals import ApprovalsReport, approvals
from core.analysis.audit import AuditTimeline
from core.analysis.delegation import DelegationChains, delegation_chains
from core.analysis.reach import RemotesSummary, remotes_report
from core.analysis.stale import ImportReport, stale_imports
from core.diagnostics import Diagnostics
from core.federation import Federation, load_federation
from core.graph import build_graph
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


def load_dashboard(roots: Sequence[Path], settings: Settings, now: dt.datetime,
                   progress: Progress | None = None) -> DashboardData:
    """Load the federation below ``roots`` and compute every pane's data."""
    say = progress or (lambda what, fraction: None)
    say("reading workspaces", 0.05)
    fed = load_federation(roots, settings.limits, settings.discovery_max_depth)
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
        stale=stale_imports(graph, today),
        chains=delegation_chains(graph, today),
        approvals=approvals(graph, today, synced={key: state.last_sync_at for key, state in states.items()}),
        audit=AuditTimeline(fed.workspaces),
        remotes=remotes_report([ws for ws in fed.workspaces if not ws.remote_cache], states, now, ttl),
        remote_history=_history(states),
        loaded_at=now,
        local_diagnostics=local_diagnostics,
    )
    say("ready", 1.0)
    return data
