"""The Explorer's detail pane: one node's fields, description, relationships, why it is blocked,
its delegations and its neighbourhood, each under a heading (hidden when it has nothing to say).

Everything shown is computed by core (``core.analysis.item.describe``,
``core.analysis.neighbourhood``); this widget only lays it out.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.analysis.item import describe
from core.analysis.neighbourhood import neighbourhood, to_text
from core.analysis.outline import OutlineEntry
from tui.panes.explorer import sections
from tui.panes.explorer.sections import unwrapped
from tui.safe import literal, literal_block

if TYPE_CHECKING:
    import networkx as nx

# (id, heading); a heading of None has no heading line
_SECTIONS: tuple[tuple[str, str | None], ...] = (
    ("title", None), ("notice", None), ("fields", "Fields"), ("blocked", "Why blocked"),
    ("description", "Description"), ("out", "Depends on / points to"), ("in", "Depended on by / pointed to from"),
    ("delegation", "Delegation"), ("history", "Dolt history"), ("branches", "Open polecat branches touching it"),
    ("hood", "Neighbourhood"),
)


# Relations, and delegations in and out, the detail lists at most (then says how many more):
# a node with 100,000 children is described in the time of a screenful, not of 100,000 lines.
SHOWN_RELATIONS = 200


def _backup_notice(graph: nx.MultiDiGraph, record: Any) -> Text | None:
    """An item of a rig whose Dolt server could not be read: shown from its backup, and why."""
    from core.dolt.servers import item_backup_note

    note = item_backup_note(graph, record)
    return literal(note, "italic") if note else None


class ItemDetail(VerticalScroll, can_focus=True):
    """What is known of the node the Explorer's cursor is on."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key: str | None = None
        self.depth = 1
        self.text_by_section: dict[str, str] = {}  # plain text of each section shown (for tests)
        self._graph: nx.MultiDiGraph | None = None
        self._histories: dict[tuple[str, str | None], Any] = {}  # (key, database token) -> BeadHistory read

    def compose(self) -> ComposeResult:
        for name, heading in _SECTIONS:
            if heading is not None:
                yield Static(heading, id=f"detail-{name}-head", classes="explorer-heading")
            yield Static("", id=f"detail-{name}", classes="explorer-section")

    def on_mount(self) -> None:
        self.clear("select an item in the tree")

    # -- what to show -----------------------------------------------------------------------------
    def show_node(self, graph: nx.MultiDiGraph, key: str, roots: list[str], today: dt.date) -> None:
        """Everything about node ``key`` of ``graph`` (a stub too)."""
        self.key = key
        self._graph = graph
        detail: dict[str, Any] = describe(graph, key, today, limit=SHOWN_RELATIONS)
        node, totals = detail["node"], detail["totals"]
        self._set("title", sections.title(node))
        self._set("notice", sections.stub_notice(node) or _backup_notice(graph, detail["record"]))
        self._set("fields", sections.fields(detail, roots))
        self._set("description", sections.description(detail))
        self._set("out", unwrapped(sections.relations(detail["out"], outgoing=True, total=totals["out"])),
                  f"Depends on / points to ({totals['out']})")
        self._set("in", unwrapped(sections.relations(detail["in"], outgoing=False, total=totals["in"])),
                  f"Depended on by / pointed to from ({totals['in']})")
        is_item = node.kind in ("work-unit", "stub")
        self._set("blocked", unwrapped(sections.why_blocked(detail["blockers"])) if is_item else None)
        position = sections.delegation(detail["delegation"], totals)
        self._set("delegation", unwrapped(position) if position is not None else None)
        self._show_hood()
        self._show_history(graph, key, detail["record"])
        self.scroll_home(animate=False)

    def show_group(self, entry: OutlineEntry) -> None:
        """A top group of the tree (towns, realms, ...): what it holds."""
        self.clear(f"{entry.children} {entry.name}", title=entry.name)
        self.key = entry.key

    def show_unknown(self, ref: str, why: str) -> None:
        self.clear(why, title=ref)
        self.key = None

    def clear(self, message: str, title: str | None = None) -> None:
        self.key = None
        self._graph = None
        for name, _ in _SECTIONS:
            self._set(name, None)
        if title is not None:
            self._set("title", literal(title, "bold"))
        self._set("notice", literal(message, "italic"))

    def set_depth(self, depth: int) -> None:
        self.depth = depth
        self._show_hood()

    # -- a Dolt-backed bead's history, read off the UI thread ----------------------------------------
    def _show_history(self, graph: nx.MultiDiGraph, key: str, record: Any) -> None:
        from core.dolt.servers import item_source

        fed = graph.graph.get("federation")
        source = item_source(fed, record) if record is not None else None
        if source is None:
            self._set("history", None)
            self._set("branches", None)
            return
        known = self._histories.get((key, source.token))
        if known is not None:
            self._history_read(key, known)
            return
        self._set("history", literal(f"reading its commits from Dolt server {source.server}…", "italic"))
        self._set("branches", None)
        self.run_worker(lambda: self._read_history(fed, key, record, source.token), thread=True, exclusive=True,
                        group="dolt-history", name="dolt history", description=f"read the Dolt history of {key}")

    def _read_history(self, fed: Any, key: str, record: Any, token: str | None) -> None:
        from core.dolt.history import read_bead_history

        found = read_bead_history(fed, record)
        if found is None:
            return
        if found.problem is None:
            self._histories[(key, token)] = found
        try:
            self.app.call_from_thread(self._history_read, key, found)
        except RuntimeError:  # the app closed meanwhile
            pass

    def _history_read(self, key: str, found: Any) -> None:
        if key != self.key:
            return  # the cursor moved on meanwhile
        self._set("history", sections.dolt_history(found), f"Dolt history ({len(found.commits)} commits)"
                  if found.problem is None else "Dolt history")
        self._set("branches", sections.polecat_branches(found))

    # -- drawing ----------------------------------------------------------------------------------
    def _show_hood(self) -> None:
        if self._graph is None or self.key is None:
            self._set("hood", None)
            return
        hood = neighbourhood(self._graph, self.key, depth=self.depth)
        other = 2 if self.depth == 1 else 1
        self._set("hood", unwrapped(literal_block(to_text(hood).rstrip("\n"))),
                  f"Neighbourhood (depth {self.depth}; g: depth {other}; {len(hood.nodes) - 1} nodes around it)")

    def _set(self, name: str, body: Text | None, heading: str | None = None) -> None:
        widget = self.query_one(f"#detail-{name}", Static)
        widget.display = body is not None
        widget.update(body if body is not None else "")
        self.text_by_section[name] = body.plain if body is not None else ""
        heads = self.query(f"#detail-{name}-head")
        if heads:
            head = heads.first(Static)
            head.display = body is not None
            if heading is not None:
                head.update(literal(heading))

    @property
    def plain(self) -> str:
        """All the text shown, section by section (for tests and copying)."""
        return "\n".join(text for text in self.text_by_section.values() if text)
