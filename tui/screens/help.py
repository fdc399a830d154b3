"""``?``: every binding of the current pane, then the app's."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.panes.base import Pane
from tui.panes.registry import PANES
from tui.widgets.navigation import HELP_ROWS

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
        self.sections: list[tuple[str, list[tuple[str, str]]]] = []
        self.pane = pane
        self.app_bindings = app

    def compose(self) -> ComposeResult:
        self.sections = sections = [(f"{self.pane.TITLE} pane", binding_rows(list(type(self.pane).BINDINGS))),
                    ("Tables and trees", HELP_ROWS),
                    ("Everywhere", [(key_label(b.key), b.description) for b in self._app_bindings()])]
        with VerticalScroll(id="help-body"):
            yield Static(Text("crossdeck keys", style="bold"), classes="help-title")
            for title, rows in sections:
                yield Static(Text(title, style="bold"), classes="help-section")
                table = Table.grid(padding=(0, 2))
                table.add_column(width=14, style="bold", no_wrap=True)
                table.add_column(ratio=1)
                for key, text in rows:
                    table.add_row(key, text)
                yield Static(table, classes="help-keys")
            yield Static(Text("Esc, q or ? closes this help", style="dim"), classes="help-title")

    @property
    def plain_text(self) -> str:
        """What the help lists, as plain lines (for tests and for copying)."""
        return "\n".join(f"{title}\n" + "\n".join(f"  {key}  {text}" for key, text in rows)
                         for title, rows in self.sections)

    def _app_bindings(self) -> list[Binding]:
        app = self.app_bindings
        out = [b for b in app.BINDINGS if isinstance(b, Binding) and b.description]
        out += [Binding(spec.key, "", f"{spec.title}: {spec.description}") for spec in PANES]
        out.append(Binding("ctrl+p", "", "command palette: panes, themes, jump to any item"))
        return out

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
