"""``?``: every binding of the current pane, then the app's."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.panes.base import Pane
from tui.panes.registry import PANES

_KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter", "ctrl+r": "Ctrl+R",
              "ctrl+p": "Ctrl+P", "up": "↑", "down": "↓", "pageup": "PgUp", "pagedown": "PgDn"}


def key_label(key: str) -> str:
    return ", ".join(_KEY_NAMES.get(k, k) for k in key.split(","))


def binding_rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            rows.append((key_label(binding.key), binding.description))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, pane: Pane, app: App[None]) -> None:
        super().__init__()
        self.pane = pane
        self.app_bindings = app

    def compose(self) -> ComposeResult:
        sections = [(f"{self.pane.TITLE} pane", binding_rows(list(type(self.pane).BINDINGS))),
                    ("Tables and trees", [("↑ ↓ j k", "move"), ("PgUp PgDn", "page"), ("Home End", "first, last (g G in tables)"),
                                          ("Enter / click", "open"), ("mouse", "select rows, switch panes")]),
                    ("Everywhere", [(key_label(b.key), b.description) for b in self._app_bindings()])]
        lines = ["[b]crossdeck keys[/b]", ""]
        for title, rows in sections:
            lines.append(f"[b $accent]{title}[/]")
            lines.extend(f"  [b]{key:<14}[/b] {text}" for key, text in rows)
            lines.append("")
        lines.append("[dim]Esc, q or ? closes this help[/dim]")
        with VerticalScroll(id="help-body"):
            yield Static("\n".join(lines), id="help-text")

    def _app_bindings(self) -> list[Binding]:
        app = self.app_bindings
        out = [b for b in app.BINDINGS if isinstance(b, Binding) and b.description]
        out += [Binding(spec.key, "", f"{spec.title}: {spec.description}") for spec in PANES]
        out.append(Binding("ctrl+p", "", "command palette: panes, themes, jump to any item"))
        return out

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
