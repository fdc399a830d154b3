"""The keys that move the cursor in every table and tree of the dashboard: one set, stated here.

``FastTable`` and ``DeckTree`` (the base of every tree) bind ``NAVIGATION``; each implements
the actions it names (``cursor_up``, ``page_down``, ``scroll_home``, ...), as Textual's ``Tree``
already does. ``g`` and ``G`` (``FIRST_LAST``) are bound too wherever the pane leaves them free:
the Explorer's ``g`` is its graph depth, so its tree takes Home and End only. The help screen
lists ``HELP_ROWS``, written beside the bindings they describe.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

NAVIGATION: list[BindingType] = [
    Binding("up,k", "cursor_up", "Up", show=False),
    Binding("down,j", "cursor_down", "Down", show=False),
    Binding("pageup", "page_up", "Page up", show=False),
    Binding("pagedown", "page_down", "Page down", show=False),
    Binding("home", "scroll_home", "First", show=False),
    Binding("end", "scroll_end", "Last", show=False),
]

FIRST_LAST: list[BindingType] = [
    Binding("g", "scroll_home", "First", show=False),
    Binding("G", "scroll_end", "Last", show=False),
]

HELP_ROWS: list[tuple[str, str]] = [
    ("↑ ↓ j k", "move"),
    ("PgUp PgDn", "page"),
    ("Home End", "first, last (g G too, but in the Explorer g is the graph depth)"),
    ("Enter / click", "open"),
    ("mouse", "select rows, switch panes"),
]
