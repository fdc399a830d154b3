"""The approvals report as table rows: one function per table, keyed ``WORKSPACE:REQUEST_ID``.

Presentation only: the verdicts, trust levels and statuses come from
``core.analysis.approvals``; ages (``core.timeutil.age``, as ``crossdeck approvals`` prints them)
are measured from the moment the data was loaded, never the wall clock, so a picture of the pane
is the same on every machine.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from core.analysis.approvals import (
    ApprovalsReport,
    IncomingRequest,
    OutgoingRequest,
    Verdict,
)
from core.analysis.outgoing import outcome, receiving_remote
from core.timeutil import age
from tui.widgets.table import Column

VERDICT_TEXT = {Verdict.AUTO_APPROVABLE: "auto-approvable", Verdict.NEEDS_HUMAN: "needs a human",
                Verdict.DENIED: "denied"}
_VERDICT_PLURAL = {Verdict.NEEDS_HUMAN: "need a human"}

# Widths follow the window (tui.widgets.table); an age, a request id, a trust level, a verdict
# or a status is never cut.
PENDING_COLUMNS = [Column("AGE", whole=True), Column("WORKSPACE"), Column("REQUEST", whole=True), Column("REQUESTER"),
                   Column("TRUST", whole=True), Column("TYPE"), Column("VERDICT", whole=True), Column("TITLE")]
OUTGOING_COLUMNS = [Column("AGE", whole=True), Column("WORKSPACE"), Column("REQUEST", whole=True), Column("TO REMOTE"),
                    Column("STATUS", 9), Column("TITLE")]
DECIDED_COLUMNS = [Column("AGE", whole=True), Column("WORKSPACE"), Column("REQUEST", whole=True), Column("REQUESTER"),
                   Column("STATUS", whole=True), Column("BY / REASON"), Column("TITLE")]

Rows = tuple[list[list[str]], list[str]]  # (rows, keys)


def ref(row: IncomingRequest | OutgoingRequest) -> str:
    """``WORKSPACE:REQUEST_ID``: names a request unambiguously (the form ``decide`` takes)."""
    return f"{row.workspace}:{row.request_id}"


def verdict_text(verdict: Verdict | None) -> str:
    return VERDICT_TEXT[verdict] if verdict else ""


def pending_rows(report: ApprovalsReport, loaded_at: dt.datetime) -> Rows:
    rows = [[age(r.created_at, loaded_at), r.workspace, r.request_id, r.requester, r.trust_level.value,
             r.request_type, verdict_text(r.verdict), r.title or ""] for r in report.pending]
    return rows, [ref(r) for r in report.pending]


def outgoing_rows(report: ApprovalsReport, loaded_at: dt.datetime) -> Rows:
    """Each with its live status (``core.analysis.outgoing.outcome``, as ``approvals --all`` prints it)."""
    rows = [[age(r.created_at, loaded_at), r.workspace, r.request_id, receiving_remote(r), outcome(r, item_id_only=True),
             r.title or ""] for r in report.outgoing]
    return rows, [ref(r) for r in report.outgoing]


def decided_rows(report: ApprovalsReport, loaded_at: dt.datetime) -> Rows:
    rows = [[age(r.created_at, loaded_at), r.workspace, r.request_id, r.requester, r.status.value,
             by_or_reason(r), r.title or ""] for r in report.decided]
    return rows, [ref(r) for r in report.decided]


def by_or_reason(row: IncomingRequest) -> str:
    if row.rejection_reason:
        return row.rejection_reason
    return f"by {row.approved_by}" if row.approved_by else ""


def headline(report: ApprovalsReport) -> str:
    """``5 pending incoming requests: 2 auto-approvable · 2 need a human · 1 denied``."""
    pending = report.pending
    if not pending:
        return "no pending incoming requests"
    counts = Counter(row.verdict for row in pending)
    parts = [f"{counts[v]} {VERDICT_TEXT[v] if counts[v] == 1 else _VERDICT_PLURAL.get(v, VERDICT_TEXT[v])}"
             for v in Verdict if counts[v]]
    noun = "request" if len(pending) == 1 else "requests"
    return f"{len(pending)} pending incoming {noun}: " + " · ".join(parts)


def neighbour(old_keys: Sequence[str], gone: str, present: set[str]) -> str | None:
    """The row to land on when ``gone`` left the table: the next one still there, else the one
    before it."""
    try:
        at = list(old_keys).index(gone)
    except ValueError:
        return None
    after = next((k for k in old_keys[at + 1:] if k in present), None)
    if after is not None:
        return after
    return next((k for k in reversed(old_keys[:at]) if k in present), None)
