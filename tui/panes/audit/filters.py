"""The audit trail's structured filters: actor, org, workspace, type and since, as a bar of
inputs with completion from the loaded data. Each change posts ``Changed``; Esc clears them all
and closes the bar; Enter goes back to the table, keeping them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input

FIELDS: tuple[tuple[str, str], ...] = (
    ("actor", "bob@acme.dev, web/ …"),
    ("org", "globex.io …"),
    ("workspace", "storefront …"),
    ("type", "merge_failed, mail …"),
    ("since", "7d, 24h, 2026-11-01 …"),
)


class AuditFilters(Horizontal):
    """One input per field; values are plain text, read by the pane into a core ``AuditQuery``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filters"),
    ]

    @dataclass
    class Changed(Message):
        """A field changed: every field's text, by name (empty when unset)."""

        values: dict[str, str]

    @dataclass
    class Closed(Message):
        """Enter or Esc: back to the table (``cleared`` after Esc)."""

        cleared: bool

    def compose(self) -> ComposeResult:
        for name, hint in FIELDS:
            field = Input(placeholder=hint, id=f"audit-filter-{name}", classes="audit-filter")
            field.border_title = name
            yield field

    @property
    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#audit-filter-{name}", Input).value.strip() for name, _ in FIELDS}

    def set_choices(self, choices: dict[str, Iterable[str]]) -> None:
        """Completion for each field, from the loaded data."""
        for name, values in choices.items():
            self.query_one(f"#audit-filter-{name}", Input).suggester = SuggestFromList(values, case_sensitive=False)

    def set_value(self, name: str, value: str) -> None:
        self.query_one(f"#audit-filter-{name}", Input).value = value

    def open(self, field: str = "actor") -> None:
        self.display = True
        self.query_one(f"#audit-filter-{field}", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.values))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Closed(cleared=False))

    def action_clear(self) -> None:
        for name, _ in FIELDS:
            self.query_one(f"#audit-filter-{name}", Input).value = ""
        self.display = False
        self.post_message(self.Closed(cleared=True))
