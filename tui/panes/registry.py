"""The panes in key order. A pane module is imported only here and by its tests."""

from __future__ import annotations

from tui.panes.base import Pane


def make_panes() -> list[Pane]:
    from tui.panes.overview.pane import OverviewPane

    return [OverviewPane(id=OverviewPane.PANE_ID)]
