"""The Explorer's tree: the federation's outline, built lazily.

A node's children are added when it is first expanded, so a 100k-unit federation starts with a
handful of nodes. Labels are ``Text`` made from workspace strings (never markup); a work unit's
status mark is drawn in front of its label with a style from the stylesheet (theme variables).
With a filter, the tree holds only the matches and their ancestors; a matching container can
still be opened to see all it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.analysis.outline import Outline, OutlineEntry, SearchResult
from core.model import status_text
from tui.safe import literal
from tui.widgets.tree import DeckTree

# status -> (mark, style component); anything else is open, and no status at all (a spec) is "-"
_MARKS: dict[str, tuple[str, str]] = {
    "closed": ("✓", "done"), "tombstone": ("✓", "done"),
    "blocked": ("✗", "blocked"),
    "in_progress": ("◐", "active"), "hooked": ("◐", "active"),
    "pinned": ("◆", "active"),
    "deferred": ("◌", "deferred"),
}
_OPEN = ("○", "open")
_NO_STATUS = (status_text(None), "no-status")


def status_mark(status: str | None) -> tuple[str, str]:
    """The mark of a work unit's status and the name of its style (done, blocked, active, ...)."""
    return _NO_STATUS if status is None else _MARKS.get(status, _OPEN)


def entry_label(entry: OutlineEntry) -> Text:
    """What the tree shows for ``entry``, every part of it literal."""
    label = Text()
    if entry.kind == "work-unit":
        label.append_text(literal(entry.name, "bold"))
        label.append_text(literal(f"  {entry.title or ''}"))
        return label
    label.append_text(literal(entry.name, "bold" if entry.kind in ("group", "town", "realm") else ""))
    if entry.title:
        label.append_text(literal(f"  {entry.title}", "italic"))
    if entry.cached:
        label.append(" (cached copy)")
    if entry.from_backup:
        label.append(" (from a backup: its Dolt server is not read)")
    if entry.children:
        label.append(f"  ({entry.children})", "dim")
    return label


class ExplorerTree(DeckTree[str]):
    """The outline as a tree; each node's data is its key. The navigation keys (but not g G:
    the pane's g is the graph depth) and the ellipsis on cut lines come from ``DeckTree``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {
        "explorer-tree--done", "explorer-tree--blocked", "explorer-tree--active",
        "explorer-tree--deferred", "explorer-tree--open", "explorer-tree--no-status",
    }

    def __init__(self, *, id: str | None = None) -> None:
        self.outline: Outline | None = None
        self.filtered: SearchResult | None = None
        self._by_key: dict[str, TreeNode[str]] = {}
        self._filled: set[str] = set()
        self._matched: set[str] = set()
        super().__init__("federation", id=id)
        self.show_root = False
        self.guide_depth = 3

    # -- building -------------------------------------------------------------------------------
    def load(self, outline: Outline, filtered: SearchResult | None, expanded: Iterable[str] = ()) -> None:
        """Show ``outline`` (only what ``filtered`` shows, when given), opening ``expanded``."""
        self.outline = outline
        self.filtered = filtered
        self._matched = set(filtered.matches) if filtered is not None else set()
        self.clear()
        self.cursor_line = -1  # so that the next move is one, and says so
        self._by_key = {}
        self._filled = set()
        self._fill(self.root, "")
        if filtered is None:
            for group in outline.roots():  # towns, realms, ...: open from the start
                self.open(group.key)
        for key in expanded:
            if key in self._by_key:
                self.open(key)

    def _fill(self, node: TreeNode[str], key: str) -> None:
        """Add the children of ``key`` under ``node``: in a filtered tree, only those it shows,
        and every child of a container that matched itself."""
        if key in self._filled or self.outline is None:
            return
        self._filled.add(key)
        shown = self.filtered.shown if self.filtered is not None else None
        partial = shown is not None and key not in self._matched
        for entry in self.outline.children(key):
            if partial and entry.key not in shown:  # type: ignore[operator]
                continue
            child = node.add(entry_label(entry), entry.key, allow_expand=entry.children > 0)
            self._by_key[entry.key] = child
            if self.filtered is not None and entry.key in self.filtered.ancestors:  # above a match: open
                self._fill(child, entry.key)
                child.expand()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[str]) -> None:
        if event.node.data is not None:
            self._fill(event.node, event.node.data)

    def open(self, key: str) -> TreeNode[str] | None:
        """Expand the node of ``key`` (adding its children first); None when it is not shown."""
        node = self._by_key.get(key)
        if node is not None:
            self._fill(node, key)
            node.expand()
        return node

    # -- finding ----------------------------------------------------------------------------------
    def node_for(self, key: str) -> TreeNode[str] | None:
        return self._by_key.get(key)

    def reveal(self, key: str) -> bool:
        """Open the ancestors of ``key`` and put the cursor on it; False when the tree does not
        show it (not in the outline, or left out by the filter)."""
        path = self.outline.path_to(key) if self.outline is not None else None
        if not path:
            return False
        for ancestor in path[:-1]:
            if self.open(ancestor) is None:
                return False
        node = self._by_key.get(key)
        if node is None:
            return False
        self.last_line  # noqa: B018 - lays the lines out again, so the node knows its line
        self.move_cursor(node)
        self.call_after_refresh(self._centre, node)
        return True

    def _centre(self, node: TreeNode[str]) -> None:
        if node.line >= 0:
            self.scroll_to_line(node.line, animate=False)

    def expanded_keys(self) -> list[str]:
        """Keys of the expanded nodes, outermost first (to open them again after a reload)."""
        return [key for key, node in self._by_key.items() if node.is_expanded]

    @property
    def cursor_key(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None

    # -- drawing ----------------------------------------------------------------------------------
    def render_label(self, node: TreeNode[str], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        entry = self._entry(node)
        if entry is not None and entry.kind == "work-unit":
            mark, name = status_mark(entry.status)
            mark_style = self.get_component_rich_style(f"explorer-tree--{name}", partial=True)
            text = Text.assemble((f"{mark} ", base_style + mark_style), text)
            if name == "done":
                text.stylize(mark_style, 2)
        return text

    def get_label_width(self, node: TreeNode[str]) -> int:
        entry = self._entry(node)
        mark = 2 if entry is not None and entry.kind == "work-unit" else 0
        icon = len(self.ICON_NODE) if node.allow_expand else 0
        return node.label.cell_len + mark + icon  # type: ignore[union-attr]

    def _entry(self, node: TreeNode[str]) -> OutlineEntry | None:
        if self.outline is None or node.data is None or node.data not in self.outline:
            return None
        return self.outline.entry(node.data)
