"""Deciding a request from the keyboard: what the confirm modal lists and what the user is told
afterwards. The decision itself is one call into ``core.sync.decisions`` (see the pane)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from core.actor import Actor
from core.analysis.approvals import IncomingRequest
from core.text import one_line
from tui.panes.approvals.rows import verdict_text

if TYPE_CHECKING:
    from core.sync.decisions import DecisionResult

Decision = Literal["approve", "reject"]
_PAST = {"approve": "approved", "reject": "rejected"}


_CREATES = {"create_issue": "an issue", "create_spec": "a spec", "delegate": "the delegated work unit"}


def intended_change(decision: Decision, reason: str | None, request_type: str = "") -> str:
    """``status pending -> approved``, ``... -> completed, creating an issue here`` for a request
    that creates something, or ``status pending -> rejected: <reason>``."""
    if decision == "reject":
        return f"status pending -> rejected: {reason}"
    creates = _CREATES.get(request_type)
    return f"status pending -> completed, creating {creates} here" if creates else "status pending -> approved"


def confirm_title(decision: Decision) -> str:
    """The confirm modal's question."""
    return "Approve this request?" if decision == "approve" else "Reject this request?"


def done_title(decision: Decision) -> str:
    """The title of the notice once it is done: what was done, not the question."""
    return f"Request {_PAST[decision]}"


def confirm_rows(row: IncomingRequest, decision: Decision, actor: Actor, reason: str | None) -> list[tuple[str, str]]:
    """Workspace, request, requester, item, verdict, actor and the intended change."""
    verdict = verdict_text(row.verdict)
    return [
        ("workspace", row.workspace),
        ("request", f"{row.request_id} ({row.request_type})"),
        ("requester", f"{row.requester} ({row.trust_level.value})"),
        ("item", row.title or "(no title)"),
        ("verdict", f"{verdict}: {row.reason}" if verdict else row.reason),
        ("actor", f"{actor.name} (from {actor.source})"),
        ("change", intended_change(decision, reason, row.request_type)),
    ]


def success_text(result: DecisionResult) -> str:
    """``approved req-7c2e41 as web/crew/bob``; or why nothing changed."""
    if not result.changed:
        by = f" by {result.decided_by}" if result.decided_by else ""
        return one_line(f"{result.request_id} was already {result.after.value}{by}: nothing changed")
    text = f"{_PAST[result.decision]} {result.request_id} as {result.actor}"
    if result.decision == "reject" and result.reason:
        text += f": {result.reason}"
    if result.created is not None:
        text += f"; created {result.created.key}"
    return one_line(text)

