"""A record's raw JSON, pretty-printed and shown literally in a scrollable modal. Esc closes."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.safe import literal, literal_block


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON; control characters come out escaped (``\\u001b``)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class RawScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,v", "close", "Close")]

    def __init__(self, title: str, value: Any, *, where: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(id="raw-body", classes="modal-body"):
            yield Static(literal(self.title_text), id="raw-title", classes="modal-title")
            if self.where:
                yield Static(literal(self.where), id="raw-where", classes="modal-note")
            with VerticalScroll(id="raw-scroll"):
                yield Static(literal_block(pretty_json(self.value)), id="raw-json")
            yield Static("↑ ↓ PgUp PgDn scroll · Esc closes", classes="modal-note")

    def on_mount(self) -> None:
        self.query_one("#raw-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
