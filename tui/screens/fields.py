"""Asking for a few lines of text at once (a version and a change line; a target and a title).

Each field is a label over an Input, optionally prefilled. Enter in a field moves to the next one;
Enter in the last submits. A blank field, or what ``check`` refuses, shows a message and the modal
stays open. Esc cancels. The screen dismisses with the values, stripped, or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, NamedTuple

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.safe import literal


class Field(NamedTuple):
    label: str
    placeholder: str = ""
    value: str = ""  # prefilled


class FieldsScreen(ModalScreen["list[str] | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompt: str, fields: Sequence[Field], *,
                 check: Callable[[list[str]], str | None] | None = None, max_length: int = 300) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.fields = list(fields)
        self.check = check
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="fields-body", classes="modal-body"):
            yield Static(literal(self.title_text), id="fields-title", classes="modal-title")
            if self.prompt:
                yield Static(literal(self.prompt), id="fields-prompt")
            for n, field in enumerate(self.fields):
                yield Static(literal(field.label), classes="fields-label")
                yield Input(value=field.value, placeholder=field.placeholder, max_length=self.max_length,
                            id=f"fields-input-{n}", classes="fields-input")
            yield Static("", id="fields-error", classes="modal-error")
            yield Static("Enter goes to the next field, then continues · Esc cancels", classes="modal-note")

    def on_mount(self) -> None:
        self.query_one("#fields-error", Static).display = False
        self.inputs[0].focus()

    @property
    def inputs(self) -> list[Input]:
        return list(self.query(".fields-input").results(Input))

    @on(Input.Submitted, ".fields-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = self.inputs
        at = inputs.index(event.input)
        if at + 1 < len(inputs):
            inputs[at + 1].focus()
            return
        values = [i.value.strip() for i in inputs]
        blank = next((f.label for f, v in zip(self.fields, values, strict=True) if not v), None)
        problem = f"{blank} is required" if blank else (self.check(values) if self.check else None)
        if problem:
            error = self.query_one("#fields-error", Static)
            error.update(literal(problem))
            error.display = True
            return
        self.dismiss(values)

    @on(Input.Changed, ".fields-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()  # the app's filter bar listens for Input.Changed too
        self.query_one("#fields-error", Static).display = False

    def action_cancel(self) -> None:
        self.dismiss(None)
