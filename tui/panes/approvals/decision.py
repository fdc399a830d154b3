"""Deciding a request from the keyboard: what the confirm modal lists and what the user is told
afterwards. The decision itself is one call into ``core.sync.decisions`` (see the pane)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from core.actor import Actor
from core.analysis.approvals import IncomingRequest
from core.maintainers import allows, emails_of, maintainers, standing
from core.model import Workspace
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


def who_may(ws: Workspace | None, row: IncomingRequest, decision: Decision, actor: Actor) -> str:
    """What the workspace's maintainers list says of ``actor`` deciding ``row``, said before y is
    pressed: ``refused: ...`` when the decision would be refused (``core.maintainers``, with the
    emails of config.toml, as the decision itself reads them)."""
    if ws is None:
        return "-"
    allowed, why = standing(maintainers(ws), actor.name, f"{decision} {ws.name}:{row.request_id}")
    return why if allowed else f"refused: {why}"


def queue_note(workspaces: list[Workspace], pending: list[IncomingRequest], actor: Actor | None) -> str:
    """For the headline: ``no maintainers configured`` where the queue's workspaces name none;
    else the ones where the actor is not a maintainer (a and r are refused there)."""
    names = {row.workspace for row in pending}
    held = [ws for ws in workspaces if not ws.remote_cache and ws.name in names]
    open_ = sorted(ws.name for ws in held if ws.maintainers is None)
    if held and len(open_) == len(held):
        return "no maintainers configured"
    if open_:
        return f"no maintainers configured in {', '.join(open_)}"
    if actor is None:
        return ""
    emails = emails_of(actor.name)
    barred = sorted(ws.name for ws in held if (rule := maintainers(ws)) is not None and allows(rule, actor.name, emails) is None)
    return f"not a maintainer of {', '.join(barred)}" if barred else ""


def confirm_rows(row: IncomingRequest, decision: Decision, actor: Actor, reason: str | None,
                 ws: Workspace | None = None) -> list[tuple[str, str]]:
    """Workspace, request, requester, item, verdict, actor, who may decide and the intended change."""
    verdict = verdict_text(row.verdict)
    return [
        ("workspace", row.workspace),
        ("request", f"{row.request_id} ({row.request_type})"),
        ("requester", f"{row.requester} ({row.trust_level.value})"),
        ("item", row.title or "(no title)"),
        ("verdict", f"{verdict}: {row.reason}" if verdict else row.reason),
        *([("notify", ", ".join(row.notify))] if row.notify else []),
        ("actor", f"{actor.name} (from {actor.source})"),
        ("may decide", who_may(ws, row, decision, actor)),
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

