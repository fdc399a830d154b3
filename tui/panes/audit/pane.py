"""Audit trail: one timeline of every workspace's events, newest first (``core.analysis.audit``).

``/`` narrows by text over every column; ``f`` opens the field filters (actor, org, workspace,
type, since), each applied through the core query as you type. The rows are built once per
load; after a reload, a cursor that was on the newest event is on the newest one again, so
events that came in show at the top. Enter on an event that names an item opens it in the
Explorer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from core.analysis.audit import AuditEntry, AuditQuery, parse_moment, workspace_matches
from core.analysis.audit_subject import event_subject
from core.commands.audit import detail
from tui.panes.audit.filters import AuditFilters
from tui.panes.base import Pane
from tui.safe import literal
from tui.widgets.table import Column, FastTable

if TYPE_CHECKING:
    from core.dashboard import DashboardData

COLUMNS = [Column("TIME (UTC)", whole=True), Column("WORKSPACE"), Column("ACTOR"), Column("TYPE"), Column("DETAIL")]
EMPTY = "no audit events in the loaded workspaces"
NO_MATCH = "no event matches the field filters (f to change them, Esc in them to clear)"


def time_cell(entry: AuditEntry) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC (fraction dropped); ``? ts`` when the time cannot be read."""
    return entry.time[:19].replace("T", " ") if entry.time else f"? {entry.ts}"


def event_key(entry: AuditEntry, position: int) -> str:
    """A row key that survives reloads: the file and line the event was read from."""
    return f"{entry.source}:{entry.line}" if entry.line is not None else f"{entry.source}:#{position}"


class AuditPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filters", "Field filters"),
        Binding("enter", "open", "Open item", show=False),
        Binding("x", "clear_filters", "Clear field filters", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: DashboardData | None = None
        self.events: list[AuditEntry] = []
        self._position: dict[int, int] = {}  # id(entry) -> row number
        self._by_key: dict[str, int] = {}
        self.problem: str | None = None  # why the field filters cannot apply, when they cannot
        self.matched: int | None = None  # events the field filters keep (None: no field filter)

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-headline", classes="pane-headline")
        filters = AuditFilters(id="audit-filters")
        filters.display = False
        yield filters
        table = FastTable(COLUMNS, empty=EMPTY, id="audit-table")
        table.follow_top = True  # newest first: a cursor on the newest event stays on the newest one
        yield table

    @property
    def table(self) -> FastTable:
        return self.query_one("#audit-table", FastTable)

    @property
    def filters(self) -> AuditFilters:
        return self.query_one("#audit-filters", AuditFilters)

    # -- data -------------------------------------------------------------------------------------
    def show(self, data: DashboardData) -> None:
        previous, self.data = self.data, data
        if previous is not None and data.audit is previous.audit and _names(data) == _names(previous):
            return  # the same timeline (a reload of what changed kept it): 30k rows at 100k units not made again
        self.events = data.audit.query(AuditQuery()).events
        self._position = {id(entry): n for n, entry in enumerate(self.events)}
        rows = [(time_cell(e), e.workspace, e.actor or "-", e.type, detail(e)) for e in self.events]
        keys = [event_key(e, n) for n, e in enumerate(self.events)]
        self._by_key = {key: n for n, key in enumerate(keys)}
        self.filters.set_choices({
            "actor": sorted({e.actor for e in self.events if e.actor}),
            "org": data.audit.affiliations.organizations(),
            "workspace": sorted(ws.name for ws in data.federation.workspaces),
            "type": sorted({e.type for e in self.events}),
        })
        allowed = self._allowed(self.filters.values)
        self.table.empty_text = EMPTY if allowed is None else NO_MATCH
        self.table.set_rows(rows, keys, allowed)
        self._headline()

    def _allowed(self, values: dict[str, str]) -> list[int] | None:
        """The rows the field filters keep (None when none is set), through the core query."""
        self.problem = None
        self.matched = None
        if self.data is None or not any(values.values()):
            return None
        query = self._query(values)
        if query is None:
            return None
        result = self.data.audit.query(query)
        self.matched = result.matched
        position = self._position
        return [position[id(entry)] for entry in result.events if id(entry) in position]

    def _query(self, values: dict[str, str]) -> AuditQuery | None:
        assert self.data is not None
        since = None
        if values["since"]:
            try:
                since = parse_moment(values["since"], self.data.loaded_at)
            except ValueError as exc:
                self.problem = str(exc)
                return None
        workspace = values["workspace"] or None
        if workspace and not any(workspace_matches(ws.name, workspace) for ws in self.data.federation.workspaces):
            self.problem = f"no loaded workspace matches {workspace!r}"
        org = values["org"] or None
        if org and not self.data.audit.affiliations.is_known(org):
            orgs = ", ".join(self.data.audit.affiliations.organizations())
            self.problem = f"no entity {org!r} is known" + (f" (organisations: {orgs})" if orgs else "")
        types = tuple(t.strip() for t in values["type"].split(",") if t.strip())
        return AuditQuery(actor=values["actor"] or None, org=org, workspace=workspace, types=types, since=since)

    def on_audit_filters_changed(self, event: AuditFilters.Changed) -> None:
        allowed = self._allowed(event.values)
        self.table.empty_text = EMPTY if allowed is None else NO_MATCH
        self.table.restrict(allowed)
        self._headline()

    def on_audit_filters_closed(self, event: AuditFilters.Closed) -> None:
        self.table.focus()

    def apply_filter(self, text: str) -> None:
        self.table.filter(text)
        self._headline()

    def _headline(self) -> None:
        total = len(self.events)
        values = {k: v for k, v in self.filters.values.items() if v}
        parts = [f"{total} events, newest first"]
        if values:
            applied = ", ".join(f"{k}={v}" for k, v in values.items())
            if self.matched is not None:
                parts.append(f"{self.matched} of {total} match {applied}")
            else:
                parts.append(f"filters not applied: {applied}")
        if self.table.filter_text:
            parts.append(f"{self.table.row_count} shown for {self.table.filter_text!r}")
        if self.problem:
            parts.append(self.problem)
        if not values:
            parts.append("f filters by actor, org, workspace, type, time")
        self.query_one("#audit-headline", Static).update(literal(" · ".join(parts)))

    # -- actions ----------------------------------------------------------------------------------
    def action_filters(self) -> None:
        self.filters.open()

    def action_clear_filters(self) -> None:
        self.filters.action_clear()

    def action_open(self) -> None:
        self.table.action_select()

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        event.stop()
        position = self._by_key.get(event.key)
        if self.data is None or position is None:
            return
        subject = event_subject(self.data.graph, self.events[position])
        if subject is None:
            self.notify("this event names no loaded item", timeout=3)
            return
        self.app.show_item(subject)  # type: ignore[attr-defined]

    def focus_main(self) -> None:
        self.table.focus()


def _names(data: DashboardData) -> list[str]:
    return [ws.name for ws in data.federation.workspaces]
