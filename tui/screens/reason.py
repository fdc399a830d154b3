"""Asking for a reason (rejecting a request): one line of text, never empty.

Enter submits; an empty or blank reason is refused with a message and the modal stays open.
Esc cancels. The screen dismisses with the reason, stripped, or None when cancelled.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.safe import literal

EMPTY_REASON = "a reason is required: the requester sees it"


class ReasonScreen(ModalScreen["str | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompt: str, *, placeholder: str = "reason",
                 max_length: int = 500) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.placeholder = placeholder
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-body", classes="modal-body"):
            yield Static(literal(self.title_text), id="reason-title", classes="modal-title")
            yield Static(literal(self.prompt), id="reason-prompt")
            yield Input(placeholder=self.placeholder, max_length=self.max_length, id="reason-input")
            yield Static("", id="reason-error", classes="modal-error")
            yield Static("Enter continues · Esc cancels", classes="modal-note")

    def on_mount(self) -> None:
        self.query_one("#reason-error", Static).display = False
        self.query_one("#reason-input", Input).focus()

    @on(Input.Submitted, "#reason-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reason = event.value.strip()
        if not reason:
            error = self.query_one("#reason-error", Static)
            error.update(EMPTY_REASON)
            error.display = True
            return
        self.dismiss(reason)

    @on(Input.Changed, "#reason-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()  # the app's filter bar listens for Input.Changed too
        if event.value.strip():
            self.query_one("#reason-error", Static).display = False

    def action_cancel(self) -> None:
        self.dismiss(None)
