"""The delegation chains as a Textual ``Tree``: one root per chain, delegated children below,
built lazily and within bounds.

Only what is on screen is built: a node's children are added when it is first expanded, at most
``CHILDREN_SHOWN`` at a time (a "more" line shows the next ones), and at most ``DEPTH_SHOWN``
levels below the top of the view (a "deeper" line shows the chain from there down, Backspace goes
back up). So a chain 100,000 delegations deep or a node with 100,000 children costs what is shown,
and Textual's tree (which walks its lines recursively, keeping each line's path) never sees more
than ``DEPTH_SHOWN`` levels. Expand all opens at most ``EXPAND_ALL_LIMIT`` nodes and says so.

Labels are plain ``Text`` (workspace strings never parsed as markup); the completion mark at the
start of each label takes its colour from the component classes, which the app stylesheet fills
with theme variables. The tree is rebuilt on every load and filter, keeping which nodes are
expanded and where the cursor is (by each node's key and the key above it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Union

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.analysis.delegation import ChainNode
from tui.panes.chains.labels import ChainEntry, Placeholder, entry, label_text
from tui.widgets.navigation import FIRST_LAST
from tui.widgets.tree import DeckTree

Data = Union[ChainEntry, Placeholder]
Ident = tuple[str | None, str]
DEPTH_SHOWN = 32  # levels below the top of the view; deeper levels behind a "deeper" line
CHILDREN_SHOWN = 200  # children of one node (or chains) built at a time; the rest behind a "more" line
EXPAND_ALL_LIMIT = 3000  # nodes expand all opens at most; a larger forest also starts with its roots only


class ChainTree(DeckTree[Data]):
    """The navigation keys (and g G) come from ``DeckTree`` (``tui.widgets.navigation``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *FIRST_LAST,
        Binding("enter", "open", "Open in Explorer", show=False),
        Binding("space", "toggle_node", "Expand or collapse", show=False),
        Binding("backspace", "view_up", "Back up the chain", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chain-tree--complete", "chain-tree--open", "chain-tree--overdue", "chain-tree--context",
    }

    @dataclass
    class Opened(Message):
        """Enter on the node with this key."""

        key: str

    @dataclass
    class Noted(Message):
        """What the tree wants said above it (a bound it stopped at, the part of a chain shown);
        empty: nothing."""

        text: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("chains", id=id)
        self.show_root = False
        self.auto_expand = False
        self.filtered = False  # the tree on screen was built with a filter
        self._chains: Sequence[ChainNode] = ()
        self._needle = ""  # as given
        self._kept: set[int] | None = None  # with a filter: the ids of the chain nodes shown
        self._matched: set[int] = set()  # with a filter: those whose label holds it
        self._labels: dict[int, tuple[str, str, int]] = {}  # label_text by node id, for these chains
        self._forest_size = 0  # nodes in the forest
        # the nodes the view was moved down to (Enter on "deeper"), each with the trail back to it
        self._views: list[tuple[ChainEntry, list[Ident]]] = []
        self._expanded: dict[Ident, bool] = {}  # what the user chose, node by node, without a filter
        self._generation = 0  # fills so far: a cursor move queued by an older fill is dropped

    # -- building ------------------------------------------------------------------------------
    def fill(self, chains: Sequence[ChainNode], needle: str = "") -> None:
        """Show ``chains``; with ``needle``, only the nodes whose label holds it and their ancestors."""
        if chains is not self._chains:
            self._chains, self._labels, self._views = chains, {}, []
            self._forest_size = _count(chains)
        if needle != self._needle:
            self._views = []
        if not self.filtered:
            self._expanded.update(self._expanded_now())
        trail = self._cursor_trail()
        self._needle = needle
        self._kept, self._matched = self._filtered_sets(needle.casefold()) if needle else (None, set())
        self.filtered = needle != ""
        self.clear()
        self._generation += 1
        view = self._views[-1][0] if self._views else None
        if view is None:
            self._add_batch(self.root, None, self._shown_children(None))
        else:
            self._add_entry(self.root, view.node, view.parent, view.level)
        budget = EXPAND_ALL_LIMIT
        default = self.filtered or self._forest_size <= EXPAND_ALL_LIMIT
        queue = deque(self.root.children)
        while queue and budget > 0:
            node = queue.popleft()
            item = node.data
            if not isinstance(item, ChainEntry) or not node.allow_expand:
                continue
            if self.filtered or self._expanded.get(item.ident, default or node.parent is self.root):
                budget -= self._open_node(node)
                queue.extend(node.children)
        self._say()
        self._restore_cursor(trail)

    def _add_entry(self, parent: TreeNode[Data], node: ChainNode, above: str | None, level: int) -> TreeNode[Data]:
        matched = self._kept is None or id(node) in self._matched
        label = self._labels.get(id(node))
        if label is None:
            label = self._labels[id(node)] = label_text(node)
        item = entry(node, above, level, matched=matched, label=label)
        if not self._shown_children(node):
            return parent.add_leaf(Text(item.text), item)
        return parent.add(Text(item.text), item, expand=False, allow_expand=True)

    def _add_batch(self, parent: TreeNode[Data], owner: ChainEntry | None, kids: Sequence[ChainNode],
                      start: int = 0) -> int:
        """Up to ``CHILDREN_SHOWN`` of ``kids`` from ``start`` under ``parent`` (and a "more" line
        when some are left); how many lines were added."""
        above, level = (owner.node.key, owner.level + 1) if owner is not None else (None, 0)
        shown = kids[start:start + CHILDREN_SHOWN]
        for child in shown:
            self._add_entry(parent, child, above, level)
        left = len(kids) - start - len(shown)
        if left > 0:
            end = start + len(shown)
            hint = (f"{left} more not shown yet: the tree builds {CHILDREN_SHOWN} at a time; Enter shows the next "
                    f"{min(left, CHILDREN_SHOWN)}")
            parent.add_leaf(Text(f"⋯ {left} more (Enter shows the next {min(left, CHILDREN_SHOWN)})"),
                            Placeholder(kind="more", owner=owner, start=end, text=hint))
        return len(shown) + (left > 0)

    def _open_node(self, node: TreeNode[Data]) -> int:
        """Build ``node``'s children (once) and expand it; how many lines were added."""
        added = 0
        item = node.data
        if isinstance(item, ChainEntry) and not node.children:
            top = self._views[-1][0].level if self._views else 0
            if item.level - top >= DEPTH_SHOWN:
                hint = (f"the tree shows {DEPTH_SHOWN} levels at a time; Enter shows the chain from "
                        f"{item.node.key} (level {item.level}) down, Backspace goes back up")
                node.add_leaf(Text(f"⋯ deeper: Enter shows the chain from {item.node.key} down"),
                              Placeholder(kind="deeper", owner=item, start=0, text=hint))
                added = 1
            else:
                added = self._add_batch(node, item, self._shown_children(item.node))
        if not node.is_expanded:
            node.expand()
        return added

    def _shown_children(self, node: ChainNode | None) -> Sequence[ChainNode]:
        """The children shown under ``node`` (the chains under None): with a filter, those kept."""
        kids = self._chains if node is None else node.children
        if self._kept is None:
            return kids
        return [kid for kid in kids if id(kid) in self._kept]

    def _filtered_sets(self, needle: str) -> tuple[set[int], set[int]]:
        """(kept, matched): the nodes whose label holds ``needle`` and every node above one of them."""
        order: list[tuple[ChainNode, int]] = []  # (node, index of the node above it; -1 for a root)
        stack: list[tuple[ChainNode, int]] = [(chain, -1) for chain in reversed(self._chains)]
        while stack:
            node, above = stack.pop()
            order.append((node, above))
            here = len(order) - 1
            stack.extend((child, here) for child in reversed(node.children))
        matched: set[int] = set()
        kept_at: set[int] = set()
        for index in range(len(order) - 1, -1, -1):  # children before their parents
            node, above = order[index]
            label = self._labels.get(id(node))
            if label is None:
                label = self._labels[id(node)] = label_text(node)
            if needle in label[0].casefold():
                matched.add(id(node))
                kept_at.add(index)
            if index in kept_at and above >= 0:
                kept_at.add(above)
        return {id(order[index][0]) for index in kept_at}, matched

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Data]) -> None:
        if event.node.tree is self and not event.node.children:
            self._open_node(event.node)

    # -- bounds said on screen ------------------------------------------------------------------
    def _say(self, extra: str = "") -> None:
        parts = [extra] if extra else []
        if self._views:
            view = self._views[-1][0]
            parts.append(f"from {view.node.key}, level {view.level} of its chain (Backspace goes back up)")
        self.post_message(self.Noted("; ".join(parts)))

    # -- actions -------------------------------------------------------------------------------
    def action_open(self) -> None:
        node = self.cursor_node
        item = node.data if node is not None else None
        if isinstance(item, ChainEntry):
            self.post_message(self.Opened(item.node.key))
        elif isinstance(item, Placeholder) and node is not None:
            self._follow(node, item)

    def _follow(self, node: TreeNode[Data], item: Placeholder) -> None:
        """Enter on a "more" line: the next children in its place; on "deeper": the chain from there."""
        if item.kind == "deeper" and item.owner is not None:
            self._views.append((item.owner, self._cursor_trail()))
            self.fill(self._chains, self._needle)
            return
        parent = node.parent
        if parent is None:
            return
        node.remove()
        kids = self._shown_children(item.owner.node if item.owner is not None else None)
        first = len(parent.children)
        self._add_batch(parent, item.owner, kids, item.start)
        if first < len(parent.children):
            self.call_after_refresh(self._move_to, parent.children[first], self._generation)

    def action_view_up(self) -> None:
        """Back from the part of a chain Enter on a "deeper" line showed, to where it was."""
        if self._views:
            _, trail = self._views.pop()
            self.fill(self._chains, self._needle)
            self._restore_cursor(trail)

    def expand_all(self) -> None:
        """Expand every node, breadth-first, up to ``EXPAND_ALL_LIMIT`` lines; say where it stopped."""
        budget = EXPAND_ALL_LIMIT
        queue = deque(self.root.children)
        while queue and budget > 0:
            node = queue.popleft()
            if isinstance(node.data, ChainEntry) and node.allow_expand:
                budget -= self._open_node(node)
                queue.extend(node.children)
        stopped = bool(queue) and any(isinstance(n.data, ChainEntry) and n.allow_expand and not n.is_expanded
                                      for n in queue)
        self._say(f"expand all stopped after {EXPAND_ALL_LIMIT} new lines (e opens the next {EXPAND_ALL_LIMIT})"
                  if stopped else "")

    # -- the cursor -----------------------------------------------------------------------------
    def _cursor_trail(self) -> list[Ident]:
        """The idents from the top of the tree down to the cursor's node (a placeholder: its owner)."""
        trail: list[Ident] = []
        node = self.cursor_node
        while node is not None and node is not self.root:
            if isinstance(node.data, ChainEntry):
                trail.append(node.data.ident)
            node = node.parent
        return trail[::-1]

    def _restore_cursor(self, trail: list[Ident]) -> None:
        """The cursor on the deepest node of ``trail`` that is built, else on the first line."""
        target: TreeNode[Data] | None = None
        here: TreeNode[Data] = self.root
        for ident in trail:
            found = next((n for n in here.children if isinstance(n.data, ChainEntry) and n.data.ident == ident), None)
            if found is None:
                if here is self.root:
                    continue  # the view moved: look for the rest of the trail at its top
                break
            target = here = found
        if target is None and self.root.children:
            target = self.root.children[0]
        if target is not None:
            self.call_after_refresh(self._move_to, target, self._generation)

    def _move_to(self, node: TreeNode[Data], generation: int) -> None:
        if generation == self._generation:
            self.move_cursor(node)

    # -- drawing -------------------------------------------------------------------------------
    def render_label(self, node: TreeNode[Data], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        item = node.data
        if item is None:
            return text
        start = len(text) - len(node.label)  # after the expand icon
        if isinstance(item, Placeholder) or not item.matched:
            text.stylize(self.get_component_rich_style("chain-tree--context", partial=True), start)
        if isinstance(item, ChainEntry):
            text.stylize(self.get_component_rich_style(f"chain-tree--{item.mark}", partial=True), start,
                         start + item.mark_len)
        return text

    def _expanded_now(self) -> dict[Ident, bool]:
        found: dict[Ident, bool] = {}
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if isinstance(node.data, ChainEntry) and node.allow_expand and node.children:
                found[node.data.ident] = node.is_expanded
            stack.extend(node.children)
        return found

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


def _count(chains: Sequence[ChainNode]) -> int:
    """The nodes of a forest, without recursion."""
    count, stack = 0, list(chains)
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(node.children)
    return count
