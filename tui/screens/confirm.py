"""A reusable confirm modal: a title, rows of label and value, Confirm and Cancel.

Values are untrusted text (workspace names, titles, actors, reasons) and are shown literally.
The rows scroll when there are more than the screen holds (a batch lists each of its requests), so
the buttons stay in view.
``y`` or Enter confirms, ``n`` or Esc cancels; the screen dismisses with True or False.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.safe import literal, literal_block

Row = tuple[str, object]  # (label, value); a value that is a rich Text is used as given


def rows_table(rows: Sequence[Row]) -> Table:
    """``label  value`` rows, values wrapping under themselves; every value shown literally."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for label, value in rows:
        grid.add_row(literal(label), value if isinstance(value, Text) else literal_block(str(value)))
    return grid


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something: what, where, who, and the change it makes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Confirm"),
        Binding("enter", "confirm", "Confirm", show=False),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, rows: Sequence[Row], *, confirm_label: str = "Confirm",
                 note: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.rows = list(rows)
        self.confirm_label = confirm_label
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-body", classes="modal-body"):
            yield Static(literal(self.title_text), id="confirm-title", classes="modal-title")
            with VerticalScroll(id="confirm-scroll"):
                yield Static(rows_table(self.rows), id="confirm-rows")
            if self.note:
                yield Static(literal(self.note), id="confirm-note", classes="modal-note")
            with Horizontal(id="confirm-buttons", classes="modal-buttons"):
                yield Button(f"{self.confirm_label} (y)", variant="primary", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self.dismiss(False)
