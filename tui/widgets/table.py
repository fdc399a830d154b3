"""A table that stays fast at 100k rows: it renders only the visible lines (Textual's Line API)
over an index of row numbers that filtering rebuilds in place.

Cells are plain strings made safe on the way in (``core.text.one_line``) and drawn as text:
markup or escape sequences in workspace data are shown literally, never interpreted.

Column widths follow the window (``core.columns.fit``, as the verbs' text tables do): each
column as wide as its widest cell when they all fit; in a narrower window the widest are cut
first, with an ellipsis, never below a column's minimum nor a ``whole`` column at all. The keys are the dashboard's one set (``tui.widgets.navigation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.columns import cells, fit, pad, widest
from core.text import one_line
from tui.widgets.navigation import FIRST_LAST, NAVIGATION


@dataclass(frozen=True)
class Column:
    title: str
    min: int = 0  # the fewest cells it is cut to in a narrow window (0: its title's width)
    whole: bool = False  # never cut (an identifier, a verdict): its widest cell's width always
    right: bool = False  # right-aligned (numbers)

    def minimum(self, natural: int) -> int:
        return natural if self.whole else max(self.min, cells(self.title))


class FastTable(ScrollView, can_focus=True):
    """Rows of cells with a header, a cursor and a filter, drawn line by line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *NAVIGATION,
        *FIRST_LAST,
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fast-table--header", "fast-table--cursor", "fast-table--odd", "fast-table--empty",
    }
    DEFAULT_CSS = """
    FastTable { height: 1fr; overflow-x: auto; overflow-y: auto; scrollbar-size-horizontal: 0; }
    FastTable > .fast-table--header { text-style: bold; background: $panel; color: $foreground; }
    FastTable > .fast-table--cursor { background: $primary 40%; }
    FastTable:focus > .fast-table--cursor { background: $primary; color: $background; }
    FastTable > .fast-table--odd { background: $surface; }
    FastTable > .fast-table--empty { color: $text-muted; text-style: italic; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to the row with this key."""

        def __init__(self, table: FastTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

    class Selected(Message):
        """Enter (or a click) on the row with this key."""

        def __init__(self, table: FastTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

    def __init__(self, columns: Sequence[Column], *, empty: str = "nothing to show", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.empty_text = empty
        self._rows: list[tuple[str, ...]] = []
        self._keys: list[str] = []
        self._haystack: list[str] = []
        self._view: list[int] = []  # row numbers shown, in order
        self._allowed: Sequence[int] | None = None  # a restriction chosen outside the table
        self._natural: list[int] = [cells(c.title) for c in self.columns]  # each column's widest cell
        self._widths: tuple[int, list[int], int] | None = None  # (window width, column widths, line width)
        self._right = [c.right for c in self.columns]
        self.filter_text = ""
        self.follow_top = False  # a refill keeps a cursor on the first row there (newest-first tables)

    # -- data ------------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Sequence[object]], keys: Sequence[str],
                 allowed: Sequence[int] | None = None) -> None:
        """Replace every row (cells of any type, shown as safe text) and the restriction (row
        numbers of the new rows, or None for all); keep the cursor on the same key when it is
        still there; with ``follow_top``, a cursor on the first row stays on the first row, so
        rows arriving at the top show."""
        current = None if self.follow_top and self.cursor == 0 else self.current_key
        self._allowed = allowed
        self._rows = [tuple(one_line(str(cell)) for cell in row) for row in rows]
        self._keys = list(keys)
        self._haystack = ["\t".join(row).casefold() for row in self._rows]
        self._natural = [max(cells(c.title), self._widest_cell(i)) for i, c in enumerate(self.columns)]
        self._widths = None
        self._refilter(current)

    def _widest_cell(self, column: int) -> int:
        try:
            return widest(list(map(itemgetter(column), self._rows)))
        except IndexError:  # a row shorter than the header: its missing cells are empty
            return widest([row[column] for row in self._rows if column < len(row)])

    def filter(self, text: str) -> None:
        """Show only rows holding ``text`` (case-insensitive) in any cell."""
        self.filter_text = text
        self._refilter(self.current_key)

    def restrict(self, allowed: Sequence[int] | None) -> None:
        """Show only the rows numbered in ``allowed`` (in that order), under the text filter; None
        shows every row. A structured filter swaps this list instead of rebuilding the rows."""
        self._allowed = allowed
        self._refilter(self.current_key)

    @property
    def restricted(self) -> bool:
        return self._allowed is not None

    def _refilter(self, keep: str | None) -> None:
        needle = self.filter_text.casefold()
        hay = self._haystack
        candidates: Sequence[int] = range(len(self._rows)) if self._allowed is None else self._allowed
        self._view = [i for i in candidates if needle in hay[i]] if needle else list(candidates)
        height_changed = self.virtual_size.height != len(self._view) + 1
        self.virtual_size = Size(self._total_width(), len(self._view) + 1)
        position = 0
        if keep is not None:
            position = next((n for n, i in enumerate(self._view) if self._keys[i] == keep), 0)
        self.cursor = min(position, max(len(self._view) - 1, 0))
        self.refresh(layout=height_changed and self.styles.height is not None and self.styles.height.is_auto)

    @property
    def row_count(self) -> int:
        return len(self._view)

    @property
    def current_key(self) -> str | None:
        if not self._view or not 0 <= self.cursor < len(self._view):
            return None
        return self._keys[self._view[self.cursor]]

    def visible_rows(self) -> list[tuple[str, ...]]:
        """The rows the filter lets through, in order (for tests and exports)."""
        return [self._rows[i] for i in self._view]

    def move_to(self, key: str) -> bool:
        for position, index in enumerate(self._view):
            if self._keys[index] == key:
                self.cursor = position
                return True
        return False

    # -- drawing -----------------------------------------------------------------------------
    def _total_width(self) -> int:
        return self._layout(self.size.width)[1]

    def column_widths(self) -> list[int]:
        """Each column's cells in the window as it is now (``core.columns.fit``); a line is
        padded to the window's edge after its last column."""
        return self._layout(self.size.width)[0]

    def _layout(self, room: int) -> tuple[list[int], int]:
        """The column widths for a window ``room`` cells wide, and the cells a line takes."""
        if self._widths is not None and self._widths[0] == room:
            return self._widths[1], self._widths[2]
        minimum = [c.minimum(n) for c, n in zip(self.columns, self._natural)]
        widths = fit(self._natural, minimum, room - (len(self.columns) - 1))
        total = max(room, sum(widths) + len(widths) - 1)
        self._widths = (room, widths, total)
        return widths, total

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self._total_width(), len(self._view) + 1)

    def _line(self, cells: Sequence[str], widths: Sequence[int], total: int, style: Style) -> Strip:
        line = " ".join(pad(cell, width, right) for cell, width, right in zip(cells, widths, self._right))
        return Strip([Segment(line, style)]).adjust_cell_length(total, style)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        room = self.size.width
        widths, total = self._layout(room)
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("fast-table--header")
            strip = self._line([c.title for c in self.columns], widths, total, base + header)
            return strip.crop(scroll_x, scroll_x + room)
        position = scroll_y + y - 1
        if not self._view:
            if y == 1:
                empty = self.get_component_rich_style("fast-table--empty")
                text = self.empty_text if not self.filter_text else f"no row matches {self.filter_text!r}"
                return Strip([Segment(pad(one_line(text), room), base + empty)])
            return Strip.blank(room, base)
        if position >= len(self._view):
            return Strip.blank(room, base)
        row = self._rows[self._view[position]]
        style = base
        if position % 2:
            style = style + self.get_component_rich_style("fast-table--odd")
        if position == self.cursor:
            style = style + self.get_component_rich_style("fast-table--cursor")
        return self._line(row, widths, total, style).crop(scroll_x, scroll_x + room)

    # -- moving ------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_key))

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        rows = max(self.size.height - 1, 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + rows:
            self.scroll_to(y=self.cursor - rows + 1, animate=False)

    def move(self, delta: int) -> None:
        if self._view:
            self.cursor = max(0, min(len(self._view) - 1, self.cursor + delta))

    def action_cursor_up(self) -> None:
        self.move(-1)

    def action_cursor_down(self) -> None:
        self.move(1)

    def action_page_up(self) -> None:
        self.move(-max(self.size.height - 2, 1))

    def action_page_down(self) -> None:
        self.move(max(self.size.height - 2, 1))

    def action_scroll_home(self) -> None:
        self.move(-len(self._view))

    def action_scroll_end(self) -> None:
        self.move(len(self._view))

    def action_select(self) -> None:
        key = self.current_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        position = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= position < len(self._view):
            if position == self.cursor and event.chain > 1:
                self.action_select()
            self.cursor = position
