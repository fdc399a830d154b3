"""Explorer: the federation as a tree (towns > rigs > work units; realms > domains > contracts and
imports; sudocode repos > specs and issues; beads folders > work units) and the detail of the
node under the cursor: fields, relationships, why it is blocked, its neighbourhood."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static, Tree

from core.analysis.blocking import StepTree, blockers
from core.analysis.lookup import RefLookupError, find_node
from core.analysis.outline import GROUP_PREFIX, Outline, SearchResult
from tui.panes.base import Pane
from tui.panes.explorer.detail import ItemDetail
from tui.panes.explorer.tree import ExplorerTree
from tui.safe import literal

if TYPE_CHECKING:
    from core.dashboard import DashboardData

# Below this many work units the outline is built on the spot (a few ms); above, in a worker.
BUILD_INLINE = 20_000
SEARCH_LIMIT = 500


class ExplorerPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "toggle_depth", "Depth 1/2"),
        Binding("b", "go_blocker", "Go to blocker"),
        Binding("backspace", "back", "Back", show=False),
        Binding("d", "focus_detail", "Detail", show=False),
        Binding("t", "focus_tree", "Tree", show=False),
        Binding("D", "delegate", "Delegate"),
        Binding("Q", "request", "Request from a remote", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: DashboardData | None = None
        self.outline: Outline | None = None
        self.filter_text = ""
        self.selected: str | None = None  # the key whose detail is shown
        self.history: list[str] = []  # keys revealed before, for Back
        self._pending: str | None = None  # a reveal asked for before the outline was ready
        self._open_before_filter: list[str] = []  # nodes open when the filter started

    def compose(self) -> ComposeResult:
        yield Static("", id="explorer-headline", classes="pane-headline")
        with Horizontal(id="explorer-body"):
            yield ExplorerTree(id="explorer-tree")
            yield ItemDetail(id="explorer-detail")

    @property
    def tree(self) -> ExplorerTree:
        return self.query_one("#explorer-tree", ExplorerTree)

    @property
    def detail(self) -> ItemDetail:
        return self.query_one("#explorer-detail", ItemDetail)

    # -- data -------------------------------------------------------------------------------------
    def show(self, data: DashboardData) -> None:
        self.data = data
        units = sum(len(ws.work_units) for ws in data.federation.workspaces)
        self._headline(f"building the outline of {units} work units…")
        if units <= BUILD_INLINE:
            self._outline_ready(data, Outline(data.federation))
        else:  # after the next refresh: the other panes' new data is on screen before it takes the GIL
            self.call_after_refresh(self._build_outline, data)

    @work(thread=True, exclusive=True, group="explorer-outline", name="explorer outline",
          description="build the outline of the federation")
    def _build_outline(self, data: DashboardData) -> None:
        outline = Outline(data.federation)
        self.app.call_from_thread(self._outline_ready, data, outline)

    def _outline_ready(self, data: DashboardData, outline: Outline) -> None:
        if data is not self.data:
            return  # a newer load came in meanwhile
        tree = self.tree
        expanded = self._open_before_filter if self.filter_text else tree.expanded_keys()
        keep = self._pending or self.selected or tree.cursor_key
        self._pending = None
        self.outline = outline
        tree.load(outline, self._search(), expanded)
        self._headline()
        if keep is not None:
            self.reveal(keep, remember=False)
        elif tree.cursor_line < 0 and tree.last_line >= 0:
            tree.move_cursor_to_line(0)

    def _search(self) -> SearchResult | None:
        if not self.filter_text or self.outline is None:
            return None
        return self.outline.search(self.filter_text, SEARCH_LIMIT)

    def apply_filter(self, text: str) -> None:
        text = text.strip()
        if text == self.filter_text:
            return
        tree = self.tree
        if not self.filter_text and tree.outline is not None:
            self._open_before_filter = tree.expanded_keys()  # to open them again when it is cleared
        self.filter_text = text
        if self.outline is None:
            return
        tree.load(self.outline, self._search(), [] if text else self._open_before_filter)
        self._headline()
        found = tree.filtered
        keep = self.selected is not None and (found is None or self.selected in found.matches)
        if keep and tree.reveal(self.selected):  # type: ignore[arg-type]
            return
        if found is not None and found.matches:
            tree.reveal(found.matches[0])
            self._show_detail(found.matches[0])
        elif tree.last_line >= 0:
            tree.move_cursor_to_line(0)

    def _headline(self, message: str | None = None) -> None:
        if message is None:
            message = self._summary()
        self.query_one("#explorer-headline", Static).update(literal(message))

    def _summary(self) -> str:
        found = self.tree.filtered
        if found is not None:
            if not found.total:
                return f"nothing matches {self.filter_text!r}"
            shown = f"first {len(found.matches)} of " if len(found.matches) < found.total else ""
            return f"{shown}{found.total} match{'es' if found.total != 1 else ''} for {self.filter_text!r}"
        if self.data is None:
            return "loading…"
        fed = self.data.federation
        units = sum(len(ws.work_units) for ws in fed.workspaces)
        return (f"{len(fed.workspaces)} workspaces · {units} work units · Enter or space opens a node · "
                "g neighbourhood depth · b goes to the blocker")

    # -- the node under the cursor ----------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node is not self.tree.cursor_node:
            return  # from a tree since rebuilt (the filter changed meanwhile)
        key = event.node.data
        if key is not None and key != self.selected:
            self._show_detail(key)

    def _show_detail(self, key: str) -> None:
        self.selected = key
        if self.data is None:
            return
        if key.startswith(GROUP_PREFIX) and self.outline is not None:
            self.detail.show_group(self.outline.entry(key))
            return
        graph = self.data.graph
        if key not in graph:
            self.detail.show_unknown(key, "nothing by this key is loaded")
            return
        roots = list(self.data.federation.roots)
        self.detail.show_node(graph, key, roots, self.data.loaded_at.date())

    def reveal(self, key: str, remember: bool = True) -> None:
        """Open the tree down to ``key`` and select it; a node the tree does not hold (a stub, a
        remote item, an entity) still gets its detail. Called by ``app.show_item``."""
        if self.data is None or self.outline is None:
            self._pending = key
            return
        graph = self.data.graph
        if key not in graph and not key.startswith(GROUP_PREFIX):
            try:
                key = find_node(graph, key)
            except RefLookupError as exc:
                self.detail.show_unknown(key, str(exc))
                return
        if remember and self.selected is not None and self.selected != key:
            self.history.append(self.selected)
        if not self.tree.reveal(key):
            where = "left out by the filter" if self.filter_text else "not in the tree"
            self._headline(f"{key} is {where}: its detail is on the right")
        self._show_detail(key)

    # -- actions ----------------------------------------------------------------------------------
    def action_toggle_depth(self) -> None:
        self.detail.set_depth(2 if self.detail.depth == 1 else 1)

    def action_go_blocker(self) -> None:
        if self.data is None or self.selected is None or self.selected not in self.data.graph:
            return
        report = blockers(self.data.graph, self.selected)
        ends = [*report.blockers, *(s.key for s in report.unresolved), *(s.key for s in report.not_blocking)]
        target = report.direct[0].key if report.direct else (StepTree(report).path(ends[0])[0].key if ends else None)
        if target is None:
            self.notify("nothing blocks this", timeout=3)
            return
        self.reveal(target)

    def action_delegate(self) -> None:
        from tui.delegating import delegate_selected

        delegate_selected(self, self.data, self.selected)

    def action_request(self) -> None:
        from tui.requesting import request_from_selected

        request_from_selected(self, self.data, self.selected)

    def action_back(self) -> None:
        if self.history:
            self.reveal(self.history.pop(), remember=False)

    def action_focus_detail(self) -> None:
        self.detail.focus()

    def action_focus_tree(self) -> None:
        self.tree.focus()

    def focus_main(self) -> None:
        self.tree.focus()
