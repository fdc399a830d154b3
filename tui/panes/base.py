"""What every pane has: a key, a title, data to show, and a filter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical

if TYPE_CHECKING:
    from core.dashboard import DashboardData
    from tui.panes.registry import PaneSpec


class Pane(Vertical):
    """A pane of the dashboard. Subclasses implement ``show``; what a pane is called and its key
    are stated once, in ``tui.panes.registry`` (``make_pane`` sets ``spec``)."""

    spec: PaneSpec

    @property
    def PANE_ID(self) -> str:
        return self.spec.pane_id

    @property
    def TITLE(self) -> str:
        return self.spec.title

    @property
    def KEY(self) -> str:
        return self.spec.key

    @property
    def DESCRIPTION(self) -> str:
        return self.spec.description

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    def show(self, data: DashboardData) -> None:
        """Fill the pane from freshly loaded data, keeping the selection where it still exists."""
        raise NotImplementedError

    def apply_filter(self, text: str) -> None:
        """Show only what matches ``text`` (the ``/`` filter); the default filters nothing."""

    def focus_main(self) -> None:
        """Put the focus on the pane's main widget."""
        widgets = self.query("FastTable, Tree")
        if widgets:
            widgets.first().focus()
