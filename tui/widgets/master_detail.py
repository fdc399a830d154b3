"""A main widget (a table or a tree) over a detail area that describes its highlighted entry.

The pane that owns it listens to its main widget's highlight messages and calls ``show_detail``
with ``Content`` built by ``DetailText``: fixed words in theme styles (``$error``, ``$warning``),
every string from a workspace passed through ``one_line`` and never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from core.text import one_line, printable

Part = str | tuple[str, str]  # literal text, or (literal text, style such as "$error bold")


class DetailText:
    """Lines for a detail area. Text in every part is shown literally: a title holding
    ``[bold red]x[/]`` or ``\\x1b[31m`` reads as those characters."""

    def __init__(self) -> None:
        self._lines: list[Content] = []

    def line(self, *parts: Part, indent: int = 0) -> DetailText:
        pieces: list[str | tuple[str, str]] = [" " * indent] if indent else []
        for part in parts:
            if isinstance(part, tuple):
                pieces.append((one_line(part[0]), part[1]))
            else:
                pieces.append(one_line(part))
        self._lines.append(Content.assemble(*pieces))
        return self

    def title(self, text: str, note: str = "") -> DetailText:
        return self.line((text, "bold $accent"), *([("  " + note, "$foreground-muted")] if note else []))

    def section(self, heading: str) -> DetailText:
        return self.line((heading, "bold $secondary"))

    def field(self, label: str, value: str, style: str = "") -> DetailText:
        """``label  value``, the label in a column of its own (a longer label, such as a time with
        its age, still has a space after it)."""
        return self.line((f"{label:<13} ", "$foreground-muted"), (value, style) if style else value, indent=2)

    def item(self, text: str, style: str = "", mark: str = "•") -> DetailText:
        return self.line((f"{mark} ", "$foreground-muted"), (text, style) if style else text, indent=2)

    def block(self, text: str, indent: int = 4) -> DetailText:
        """Multi-line text (a description): each of its lines literal, indented."""
        for row in printable(text).splitlines() or [""]:
            self.line(row, indent=indent)
        return self

    def items(self, texts: Iterable[str], style: str = "", empty: str = "") -> DetailText:
        listed = False
        for text in texts:
            self.item(text, style)
            listed = True
        if not listed and empty:
            self.line((empty, "$foreground-muted italic"), indent=2)
        return self

    def blank(self) -> DetailText:
        self._lines.append(Content(""))
        return self

    def content(self) -> Content:
        return Content("\n").join(self._lines)


class MasterDetail(Vertical):
    """``main`` above a scrolling detail area; the owner fills the detail with ``show_detail``."""

    DEFAULT_CSS = """
    MasterDetail { height: 1fr; }
    MasterDetail > .master-detail--main { height: 3fr; }
    MasterDetail > .master-detail--detail {
        height: 2fr; min-height: 5; padding: 0 1; border-top: solid $panel-lighten-2;
        background: $surface;
    }
    MasterDetail > .master-detail--detail > Static { width: 1fr; }
    """

    def __init__(self, main: Widget, *, placeholder: str = "nothing highlighted", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.main = main
        self.main.add_class("master-detail--main")
        self._placeholder = Content.styled(one_line(placeholder), "$foreground-muted italic")
        self._detail = self._placeholder

    def compose(self) -> ComposeResult:
        yield self.main
        with VerticalScroll(classes="master-detail--detail"):
            yield Static(self._detail, classes="master-detail--text")

    def show_detail(self, content: Content | DetailText | None) -> None:
        """Describe the highlighted entry (``None``: nothing is highlighted)."""
        if isinstance(content, DetailText):
            content = content.content()
        self._detail = self._placeholder if content is None else content
        if self.is_mounted:
            self.query_one(".master-detail--text", Static).update(self._detail)
            self.query_one(".master-detail--detail", VerticalScroll).scroll_home(animate=False)

    @property
    def detail_text(self) -> str:
        """What the detail area shows, as plain text (for tests and copying)."""
        return self._detail.plain
