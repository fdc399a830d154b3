"""What every pane has: a key, a title, data to show, and a filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.containers import Vertical

if TYPE_CHECKING:
    from core.dashboard import DashboardData


class Pane(Vertical):
    """A pane of the dashboard. Subclasses set the class attributes and implement ``show``."""

    PANE_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    KEY: ClassVar[str] = ""  # the key that shows it
    DESCRIPTION: ClassVar[str] = ""

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
