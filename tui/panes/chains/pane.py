"""Delegation chains: a tree per chain, from its root delegation down, with completion (✓), open
(✗) and overdue (! with the deadline) marks, stubs of items not loaded, and cycles on top."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static, Tree

from core.analysis.delegation import ChainNode
from tui.panes.base import Pane
from tui.panes.chains import labels
from tui.panes.chains.labels import ChainEntry, Placeholder
from tui.panes.chains.tree import ChainTree
from tui.safe import literal
from tui.widgets.master_detail import MasterDetail

if TYPE_CHECKING:
    from core.dashboard import DashboardData


class ChainsPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open in Explorer", show=False),
        Binding("space", "toggle", "Expand or collapse", show=False),
        Binding("e", "expand_all", "Expand all"),
        Binding("c", "collapse_all", "Collapse all"),
        Binding("D", "delegate", "Delegate"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._chains: list[ChainNode] = []
        self._needle = ""
        self._data: DashboardData | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="chains-headline", classes="pane-headline")
        yield Static("", id="chains-cycles")
        yield Static("", id="chains-note")
        yield MasterDetail(ChainTree(id="chains-tree"), placeholder="no delegation highlighted", id="chains-view")

    def on_mount(self) -> None:
        self.query_one("#chains-cycles").display = False
        self.query_one("#chains-note").display = False

    @property
    def tree(self) -> ChainTree:
        return self.query_one("#chains-tree", ChainTree)

    def show(self, data: DashboardData) -> None:
        previous, self._data = self._data, data
        result = data.chains
        if previous is not None and result == previous.chains:
            return  # the same chains (a reload of what changed touched none): the tree is not filled again
        self._chains = list(result.chains)
        self.query_one("#chains-headline", Static).update(literal(labels.headline(result)))
        cycles = self.query_one("#chains-cycles", Static)
        cycles.display = bool(result.cycles)
        cycles.update(literal(f"cycles: {labels.cycles_text(result)}"))
        self._fill()

    def _fill(self) -> None:
        tree = self.tree
        tree.fill(self._chains, self._needle)
        if not self._chains:
            self.query_one("#chains-view", MasterDetail).show_detail(None)

    def apply_filter(self, text: str) -> None:
        self._needle = text
        self._fill()

    def action_open(self) -> None:
        self.tree.action_open()

    def action_toggle(self) -> None:
        self.tree.action_toggle_node()

    def action_expand_all(self) -> None:
        self.tree.expand_all()  # within its bound, which it says (ChainTree.Noted)

    def action_collapse_all(self) -> None:
        for node in self.tree.root.children:
            node.collapse_all()

    def action_delegate(self) -> None:
        from tui.delegating import delegate_selected

        node = self.tree.cursor_node
        entry = node.data if node is not None else None
        delegate_selected(self, self._data, entry.node.key if isinstance(entry, ChainEntry) else None)

    def on_chain_tree_opened(self, event: ChainTree.Opened) -> None:
        event.stop()
        self.app.show_item(event.key)  # type: ignore[attr-defined]

    def on_chain_tree_noted(self, event: ChainTree.Noted) -> None:
        event.stop()
        note = self.query_one("#chains-note", Static)
        note.display = bool(event.text)
        note.update(literal(event.text))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[ChainEntry | Placeholder]) -> None:
        event.stop()
        item = event.node.data
        view = self.query_one("#chains-view", MasterDetail)
        if isinstance(item, Placeholder):
            view.show_detail(labels.placeholder_detail(item))
        else:
            view.show_detail(labels.detail(item) if item is not None else None)

    @property
    def detail_text(self) -> str:
        return self.query_one("#chains-view", MasterDetail).detail_text
