"""The tree every pane's tree is made from: Textual's ``Tree`` with the dashboard's navigation
keys (``tui.widgets.navigation``) and lines that end in an ellipsis where the window cuts them,
as a table's cells do, so a cut label never reads as a whole one."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.segment import Segment
from textual.binding import BindingType
from textual.strip import Strip
from textual.widgets import Tree

from core.columns import ELLIPSIS
from tui.widgets.navigation import NAVIGATION

T = TypeVar("T")


class DeckTree(Tree[T]):
    BINDINGS: ClassVar[list[BindingType]] = [*NAVIGATION]

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if width < 2 or not 0 <= y + scroll_y < len(self._tree_lines):
            return strip
        if self.line_width(y + scroll_y) <= scroll_x + width:
            return strip
        kept = strip.crop(0, width - 1)
        segments = list(kept)
        style = segments[-1].style if segments else None
        return Strip([*segments, Segment(ELLIPSIS, style)], width)

    def line_width(self, line: int) -> int:
        """The cells line ``line`` of the tree takes: its guides and its label."""
        tree_line = self._tree_lines[line]
        # _get_guide_width is what Tree itself sizes its lines with (Textual 8)
        return self.get_label_width(tree_line.node) + tree_line._get_guide_width(self.guide_depth, self.show_root)
