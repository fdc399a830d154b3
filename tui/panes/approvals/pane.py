"""Approvals: the queue of pending incoming requests with their policy verdicts, the highlighted
request in full, and (below) the outgoing requests, each with its live status (pending, approved,
completed with the item it created, rejected with the reason, not delivered), the remote it went
to and its age; or (``h``) the decided incoming ones. The ``/`` filter narrows every table.

``a`` approves and ``r`` rejects the highlighted pending request after a confirm modal that lists
workspace, request, requester, item, actor and the intended change; the decision is one call to
``core.sync.decisions.decide`` made through ``tui.acting`` (the one flow every action key takes:
actor check, confirm, a thread worker, the outcome notified, the data re-read from disk). ``A``
approves every auto-approvable request after one confirm modal listing them all
(``tui.panes.approvals.auto``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import DescendantFocus
from textual.widgets import Static

from core.actor import Actor, acting_actor
from core.analysis.approvals import IncomingRequest, OutgoingRequest, Verdict
from core.model import Request, to_raw
from tui.acting import actor_or_refuse, busy, confirm_then_run, say
from tui.panes.approvals import rows as fmt
from tui.panes.approvals.decision import (
    Decision,
    confirm_rows,
    confirm_title,
    done_title,
    queue_note,
    success_text,
)
from tui.panes.approvals.detail import RequestDetail, incoming_lines, outgoing_lines
from tui.panes.base import Pane
from tui.safe import literal
from tui.widgets.table import FastTable

if TYPE_CHECKING:
    from core.dashboard import DashboardData
    from core.sync.decisions import DecisionResult

Lower = Literal["outgoing", "decided"]
_LOWER_TITLE = {"outgoing": "Outgoing requests (o hides · h shows decided)",
                "decided": "Decided incoming requests (h hides · o shows outgoing)"}


class ApprovalsPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("A", "approve_auto", "Approve every auto-approvable request", show=False),
        Binding("v", "view_raw", "View raw"),
        Binding("o", "lower('outgoing')", "Outgoing requests"),
        Binding("h", "lower('decided')", "History (decided requests)", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: DashboardData | None = None
        self.lower: Lower | None = "outgoing"
        self._active = "approvals-pending"  # the table whose row the detail shows
        self._keys: dict[str, list[str]] = {}
        self._rows: dict[str, dict[str, IncomingRequest | OutgoingRequest]] = {}
        self._requests: dict[tuple[str, str, str], Request] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="approvals-headline", classes="pane-headline")
        yield FastTable(fmt.PENDING_COLUMNS, empty="no pending incoming requests", id="approvals-pending")
        yield RequestDetail("", id="approvals-detail")
        yield Static("", id="approvals-lower-title", classes="pane-subhead")
        yield FastTable(fmt.OUTGOING_COLUMNS, empty="no outgoing requests", id="approvals-outgoing")
        yield FastTable(fmt.DECIDED_COLUMNS, empty="no decided incoming requests", id="approvals-decided")

    def on_mount(self) -> None:
        self._show_lower()

    # -- data ------------------------------------------------------------------------------
    def show(self, data: DashboardData) -> None:
        self.data = data
        self._requests = None
        report, at = data.approvals, data.loaded_at
        for table_id, rows in (("approvals-pending", report.pending), ("approvals-outgoing", report.outgoing),
                               ("approvals-decided", report.decided)):
            self._rows[table_id] = {fmt.ref(row): row for row in rows}
        self._fill("approvals-pending", *fmt.pending_rows(report, at))
        self._fill("approvals-outgoing", *fmt.outgoing_rows(report, at))
        self._fill("approvals-decided", *fmt.decided_rows(report, at))
        self._show_headline()
        self._show_detail()

    def _fill(self, table_id: str, rows: list[list[str]], keys: list[str]) -> None:
        """New rows; the cursor stays on its request, or lands on the next one when it left."""
        table = self.query_one(f"#{table_id}", FastTable)
        current, old_keys = table.current_key, self._keys.get(table_id, [])
        table.set_rows(rows, keys)
        self._keys[table_id] = keys
        if current is not None and table.current_key != current:
            target = fmt.neighbour(old_keys, current, set(keys))
            if target is not None:
                table.move_to(target)

    def _show_headline(self) -> None:
        if self.data is None:
            return
        actor = self._actor()
        who = f"acting as {actor.name} ({actor.source})" if actor else "no actor set: a and r are refused"
        note = queue_note(self.data.federation.workspaces, self.data.approvals.pending, actor)
        self.query_one("#approvals-headline", Static).update(
            literal(f"{fmt.headline(self.data.approvals)}  ·  {who}" + (f"  ·  {note}" if note else "")))

    def apply_filter(self, text: str) -> None:
        for table in self.query(FastTable):
            table.filter(text)

    # -- the detail ----------------------------------------------------------------------------
    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == self._active:
            self._show_detail()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, FastTable) and event.widget.id and event.widget.id != self._active:
            self._active = event.widget.id
            self._show_detail()

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        event.stop()
        self.action_view_raw()

    def _selected(self) -> IncomingRequest | OutgoingRequest | None:
        """The request the detail shows: the highlighted row of the table last focused."""
        key = self.query_one(f"#{self._active}", FastTable).current_key
        return self._rows.get(self._active, {}).get(key) if key is not None else None

    def _request(self, row: IncomingRequest | OutgoingRequest) -> Request | None:
        """The request record behind a report row (its payload, its unknown fields)."""
        if self.data is None:
            return None
        if self._requests is None:
            self._requests = {(ws.name, r.request_id, r.direction): r
                              for ws in self.data.federation.workspaces if not ws.remote_cache for r in ws.requests}
        direction = "outgoing" if isinstance(row, OutgoingRequest) else "incoming"
        return self._requests.get((row.workspace, row.request_id, direction))

    def _show_detail(self) -> None:
        detail = self.query_one("#approvals-detail", RequestDetail)
        row = self._selected()
        if row is None or self.data is None:
            detail.show_nothing("no request highlighted" if self.data else "reading workspaces…")
        elif isinstance(row, OutgoingRequest):
            detail.show_lines(outgoing_lines(row, self._request(row), self.data.loaded_at))
        else:
            detail.show_lines(incoming_lines(row, self._request(row), self.data.loaded_at))

    # -- the lower table -----------------------------------------------------------------------
    def action_lower(self, which: Lower) -> None:
        self.lower = None if self.lower == which else which
        self._show_lower()
        if self.lower is not None:
            self.query_one(f"#approvals-{self.lower}", FastTable).focus()
        else:
            self.focus_main()

    def _show_lower(self) -> None:
        title = self.query_one("#approvals-lower-title", Static)
        title.update(_LOWER_TITLE[self.lower] if self.lower else "o shows outgoing requests · h shows decided ones")
        for which in ("outgoing", "decided"):
            self.query_one(f"#approvals-{which}", FastTable).display = self.lower == which

    # -- actions -------------------------------------------------------------------------------
    def action_view_raw(self) -> None:
        from tui.screens.raw import RawScreen

        row = self._selected()
        request = self._request(row) if row is not None else None
        if row is None or request is None:
            self.notify("no request highlighted", severity="warning")
            return
        where = f"{request.source}:{request.line}" if request.line else request.source
        self.app.push_screen(RawScreen(f"{fmt.ref(row)} ({request.direction})", to_raw(request), where=where))

    def action_approve(self) -> None:
        self._begin("approve")

    def action_reject(self) -> None:
        self._begin("reject")

    def action_approve_auto(self) -> None:
        from tui.panes.approvals.auto import begin

        begin(self, self.data)

    def _actor(self) -> Actor | None:
        settings = getattr(self.app, "settings", None)
        return acting_actor(getattr(settings, "actor", None))

    def _begin(self, decision: Decision) -> None:
        """Check what can be checked before asking, then ask (a reason first when rejecting)."""
        row = self._selected()
        if row is None:
            say(self, "no request highlighted", "warning")
            return
        if isinstance(row, OutgoingRequest):
            say(self, f"{row.request_id} is an outgoing request: the workspace it was sent to decides it", "warning")
            return
        if row.verdict is None:
            say(self, f"{row.request_id} is already {row.status.value}: only a pending request can be "
                      f"{'approved' if decision == 'approve' else 'rejected'}", "warning")
            return
        if decision == "approve" and row.verdict is Verdict.DENIED:
            say(self, f"{row.request_id} cannot be approved: the policy denies it: {row.reason}", "warning")
            return
        actor = actor_or_refuse(self, decision)
        if actor is None or busy(self):
            return
        if decision == "approve":
            self._confirm(row, decision, actor, None)
            return
        from tui.screens.reason import ReasonScreen

        def reason_given(reason: str | None) -> None:
            if reason:
                self._confirm(row, decision, actor, reason)

        self.app.push_screen(ReasonScreen(f"Reject {row.request_id}?",
                                          f"{row.title or '(no title)'} — from {row.requester}. "
                                          "Why is it rejected? The requester sees the reason."), reason_given)

    def _confirm(self, row: IncomingRequest, decision: Decision, actor: Actor, reason: str | None) -> None:
        """The confirm modal, then one ``core.sync.decisions.decide`` call in the action worker."""
        if self.data is None:
            return
        fed, ref, clock = self.data.federation, fmt.ref(row), self.app.clock  # type: ignore[attr-defined]

        def call() -> DecisionResult:
            from core.sync.decisions import decide

            return decide(fed, ref, decision, actor.name, reason, clock())  # the app's clock, frozen in tests

        ws = next((w for w in fed.workspaces if w.name == row.workspace and not w.remote_cache), None)
        confirm_then_run(self, confirm_title(decision), confirm_rows(row, decision, actor, reason, ws),
                         "Approve" if decision == "approve" else "Reject", call,
                         lambda result: [success_text(result)], done=done_title(decision), not_done=f"{ref} not decided")
