"""The panes, in key order: what each is called and where its class lives.

This is the one place a pane's id, key, title and description are stated. Pane modules are
imported only when a pane is first shown, so the first screen does not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tui.panes.base import Pane


class PaneSpec(NamedTuple):
    pane_id: str
    key: str
    title: str
    description: str
    path: str  # "module:Class"


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("overview", "1", "Overview",
             "workspaces by kind, record counts, remote health, diagnostics",
             "tui.panes.overview.pane:OverviewPane"),
    PaneSpec("stale", "2", "Stale imports",
             "realm imports that are broken, stale past their grace period, stale or pending, and why",
             "tui.panes.stale.pane:StalePane"),
    PaneSpec("chains", "3", "Delegation chains",
             "delegation trees with completion, overdue terms, remote stubs and cycles",
             "tui.panes.chains.pane:ChainsPane"),
    PaneSpec("approvals", "4", "Approvals",
             "pending incoming requests with policy verdicts (approve, reject); outgoing ones with their status",
             "tui.panes.approvals.pane:ApprovalsPane"),
    PaneSpec("audit", "5", "Audit trail",
             "every workspace's events, newest first; filter by actor, org, workspace, type, time",
             "tui.panes.audit.pane:AuditPane"),
    PaneSpec("remotes", "6", "Remotes",
             "configured remotes: state (never checked, synced, stale, unreachable), trust, live streams",
             "tui.panes.remotes.pane:RemotesPane"),
    PaneSpec("explorer", "7", "Explorer",
             "browse towns, realms and repos; an item's fields, links, blockers and neighbourhood",
             "tui.panes.explorer.pane:ExplorerPane"),
)


def spec_of(pane_id: str) -> PaneSpec:
    return next(spec for spec in PANES if spec.pane_id == pane_id)


def make_pane(spec: PaneSpec) -> Pane:
    """Import the pane's module and make the pane (its widget id is the pane id)."""
    module, _, name = spec.path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    pane: Pane = cls(id=spec.pane_id)
    pane.spec = spec
    return pane
