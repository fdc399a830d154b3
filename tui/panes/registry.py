"""The panes in key order. A pane module is imported only here and by its tests."""

from __future__ import annotations

from tui.panes.base import Pane


def make_panes() -> list[Pane]:
    from tui.panes.approvals.pane import ApprovalsPane
    from tui.panes.audit.pane import AuditPane
    from tui.panes.chains.pane import ChainsPane
    from tui.panes.explorer.pane import ExplorerPane
    from tui.panes.overview.pane import OverviewPane
    from tui.panes.remotes.pane import RemotesPane
    from tui.panes.stale.pane import StalePane

    return [OverviewPane(id=OverviewPane.PANE_ID), StalePane(id=StalePane.PANE_ID), ChainsPane(id=ChainsPane.PANE_ID),
            ApprovalsPane(id=ApprovalsPane.PANE_ID), AuditPane(id=AuditPane.PANE_ID),
            RemotesPane(id=RemotesPane.PANE_ID), ExplorerPane(id=ExplorerPane.PANE_ID)]
