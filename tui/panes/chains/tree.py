"""The delegation chains as a Textual ``Tree``: one root per chain, delegated children below.

Labels are plain ``Text`` (workspace strings never parsed as markup); the completion mark at the
start of each label takes its colour from the component classes, which the app stylesheet fills
with theme variables. The tree is rebuilt on every load and filter, keeping which nodes are
expanded and where the cursor is (by the path of keys from the chain's root).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.analysis.delegation import ChainNode
from tui.panes.chains.labels import ChainEntry, entry

Path = tuple[str, ...]
EXPAND_ALL_LIMIT = 3000  # nodes: a larger forest starts with only its roots expanded


class ChainTree(Tree[ChainEntry]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open in Explorer", show=False),
        Binding("space", "toggle_node", "Expand or collapse", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("g", "scroll_home", "First", show=False),
        Binding("G", "scroll_end", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chain-tree--complete", "chain-tree--open", "chain-tree--overdue", "chain-tree--context",
    }

    @dataclass
    class Opened(Message):
        """Enter on the node with this key."""

        key: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("chains", id=id)
        self.show_root = False
        self.auto_expand = False
        self.filtered = False  # the tree on screen was built with a filter
        self._expanded: dict[Path, bool] = {}  # what the user chose, node by node, without a filter
        self._generation = 0  # fills so far: a cursor move queued by an older fill is dropped

    # -- building ------------------------------------------------------------------------------
    def fill(self, chains: Sequence[ChainNode], needle: str = "") -> None:
        """Show ``chains``; with ``needle``, only the nodes whose label holds it and their ancestors."""
        if not self.filtered:
            self._expanded.update(self._expanded_now())
        cursor = self.cursor_path()
        entries = _entries(chains, needle.casefold())
        default = needle != "" or sum(len(kids) for kids in entries.values()) <= EXPAND_ALL_LIMIT
        self.clear()
        self._generation += 1
        by_path: dict[Path, TreeNode[ChainEntry]] = {}
        stack: list[tuple[TreeNode[ChainEntry], ChainEntry]] = []
        for top in entries.get((), []):
            stack.append((self._add(self.root, top, entries, default, needle != ""), top))
        stack.reverse()
        while stack:
            node, item = stack.pop()
            by_path[item.path] = node
            below = [(self._add(node, child, entries, default, needle != ""), child)
                     for child in entries.get(item.path, [])]
            stack.extend(reversed(below))
        self.filtered = needle != ""
        self._restore_cursor(cursor, by_path)

    def _add(self, parent: TreeNode[ChainEntry], item: ChainEntry, entries: dict[Path, list[ChainEntry]],
             default: bool, forced: bool) -> TreeNode[ChainEntry]:
        label = Text(item.text)
        if not entries.get(item.path):
            return parent.add_leaf(label, item)
        expand = True if forced else self._expanded.get(item.path, default or len(item.path) == 1)
        return parent.add(label, item, expand=expand)

    def _expanded_now(self) -> dict[Path, bool]:
        found: dict[Path, bool] = {}
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.data is not None and node.children:
                found[node.data.path] = node.is_expanded
            stack.extend(node.children)
        return found

    def cursor_path(self) -> Path | None:
        node = self.cursor_node
        return node.data.path if node is not None and node.data is not None else None

    def _restore_cursor(self, path: Path | None, by_path: dict[Path, TreeNode[ChainEntry]]) -> None:
        target = None
        while path and target is None:
            target = by_path.get(path)
            path = path[:-1]
        if target is None and self.root.children:
            target = self.root.children[0]
        if target is not None:
            self.call_after_refresh(self._move_to, target, self._generation)

    def _move_to(self, node: TreeNode[ChainEntry], generation: int) -> None:
        if generation == self._generation:
            self.move_cursor(node)

    # -- actions -------------------------------------------------------------------------------
    def action_open(self) -> None:
        node = self.cursor_node
        if node is not None and node.data is not None:
            self.post_message(self.Opened(node.data.node.key))

    # -- drawing -------------------------------------------------------------------------------
    def render_label(self, node: TreeNode[ChainEntry], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        item = node.data
        if item is None:
            return text
        start = len(text) - len(node.label)  # after the expand icon
        if not item.matched:
            text.stylize(self.get_component_rich_style("chain-tree--context", partial=True), start)
        text.stylize(self.get_component_rich_style(f"chain-tree--{item.mark}", partial=True), start,
                     start + item.mark_len)
        return text

    def labels(self) -> list[str]:
        """The labels on screen (children of folded nodes left out) in tree order, indented two
        spaces a level (for tests and exports)."""
        out: list[str] = []
        stack = [(child, 0) for child in reversed(self.root.children)]
        while stack:
            node, depth = stack.pop()
            out.append("  " * depth + str(node.label))
            if node.is_expanded:
                stack.extend((child, depth + 1) for child in reversed(node.children))
        return out


def _entries(chains: Sequence[ChainNode], needle: str) -> dict[Path, list[ChainEntry]]:
    """The entries to show, as children by parent path (``()`` for the roots); with a needle,
    a node is kept when its label holds it or when one of its descendants is kept."""
    built: dict[Path, list[ChainEntry]] = {}
    order: list[tuple[Path, ChainEntry]] = []  # parents before children
    stack: list[tuple[ChainNode, Path]] = [(chain, ()) for chain in reversed(chains)]
    while stack:
        node, parent = stack.pop()
        path = parent + (node.key,)
        item = entry(node, path)
        order.append((parent, item))
        stack.extend((child, path) for child in reversed(node.children))
    keep: set[Path] = set()
    if needle:
        for parent, item in reversed(order):  # children before their parents
            if item.path in keep or needle in item.text.casefold():
                keep.add(item.path)
                keep.add(parent)
    for parent, item in order:
        if not needle or item.path in keep:
            matched = not needle or needle in item.text.casefold()
            shown = item if matched else entry(item.node, item.path, matched=False)
            built.setdefault(parent, []).append(shown)
    return built
