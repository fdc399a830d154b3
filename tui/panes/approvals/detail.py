"""The highlighted request in full: who asks, how far they are trusted, what the policy says and
why, and what they ask for. Every value from a workspace is shown literally."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.content import Content
from textual.widgets import Static

from core.analysis.approvals import IncomingRequest, Verdict
from core.analysis.outgoing import NOT_DELIVERED, OutgoingRequest, outcome, receiving_remote
from core.model import Request
from core.text import one_line, printable
from core.timeutil import ago
from tui.panes.approvals.rows import by_or_reason, ref, verdict_text

DESCRIPTION_LINES = 3
LABEL_WIDTH = 12
_VERDICT_STYLE = {Verdict.AUTO_APPROVABLE: "bold $success", Verdict.NEEDS_HUMAN: "bold $warning",
                  Verdict.DENIED: "bold $error"}

Part = tuple[str, str]  # (untrusted text, style)


def _line(label: str, *parts: Part | str) -> Content:
    pieces: list[str | tuple[str, str]] = [(f"{label:<{LABEL_WIDTH}}", "bold")]
    pieces += [part if isinstance(part, tuple) else (part, "") for part in parts]
    return Content.assemble(*[(one_line(text), style) for text, style in pieces])  # type: ignore[misc]


def _ago(created_at: str | None, loaded_at: dt.datetime) -> str:
    when = ago(created_at, loaded_at)
    return "" if when in ("?", "never") else f"  ({when})"


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _description(text: str | None) -> list[Content]:
    if not text:
        return [_line("description", ("none", "italic $foreground-muted"))]
    lines = printable(text).splitlines() or [""]
    shown = lines[:DESCRIPTION_LINES]
    if len(lines) > DESCRIPTION_LINES:
        shown[-1] += f" … ({len(lines) - DESCRIPTION_LINES} more lines: v shows all)"
    return [_line("description" if i == 0 else "", line) for i, line in enumerate(shown)]


def _payload(request: Request | None, title: str | None) -> list[Content]:
    payload = request.payload if request is not None else {}
    description = payload.get("description")
    labels = payload["labels"] if "labels" in payload else payload.get("tags")
    return [
        _line("title", (title or "(no title)", "bold")),
        *_description(description if isinstance(description, str) else None if description is None
                      else str(description)),
        _line("priority", _value(payload.get("priority")), "   labels  ", _value(labels)),
    ]


def incoming_lines(row: IncomingRequest, request: Request | None, loaded_at: dt.datetime) -> list[Content]:
    """A pending or decided incoming request."""
    head = _line(ref(row), (f"  {row.request_type}", "bold"), f"  {row.status.value}")
    remote = f" (remote {row.remote})" if row.remote else " (not a configured remote)"
    lines = [head, _line("requester", (row.requester, "bold"), remote),
             _line("trust", (row.trust_level.value, "bold"))]
    if row.verdict is not None:
        lines.append(_line("verdict", (verdict_text(row.verdict), _VERDICT_STYLE[row.verdict]), f": {row.reason}"))
        lines.append(_line("rule", row.rule or "-"))
        if row.notify:
            lines.append(_line("notify", ", ".join(row.notify)))
    else:
        decided_by = row.approved_by or (request.extra.get("rejected_by") if request is not None else None)
        lines.append(_line("decided", (row.status.value, "bold"), f" by {decided_by}" if decided_by else "",
                           f"  {by_or_reason(row)}" if row.rejection_reason else ""))
    lines += _payload(request, row.title)
    lines.append(_line("created", row.created_at or "?", _ago(row.created_at, loaded_at)))
    return lines


_STATE_STYLE = {"completed": "bold $success", "approved": "bold $success", "rejected": "bold $error",
                "failed": "bold $error", NOT_DELIVERED: "bold $warning"}


def outgoing_lines(row: OutgoingRequest, request: Request | None, loaded_at: dt.datetime) -> list[Content]:
    """A request this workspace sent: to which remote, and what became of it (the furthest along
    of our line and the receiver's copy: ``core.analysis.outgoing``)."""
    head = _line(ref(row), (f"  {row.request_type}", "bold"), "  outgoing")
    to = f" ({row.to_repo})" if row.remote and row.remote != row.to_repo else ""
    lines = [head, _line("to", (receiving_remote(row), "bold"), to),
             _line("status", (outcome(row), _STATE_STYLE.get(row.state, "bold")))]
    if row.state == NOT_DELIVERED:
        lines.append(_line("", ("the remote has not answered: the next sync of it delivers the request",
                                "italic $foreground-muted")))
    elif row.seen_in is not None:
        where = "our own log" if row.seen_in == row.workspace else \
            f"{row.seen_in}'s log" + (" (its fetched cache)" if row.from_cache else "")
        lines.append(_line("as of", where, f", {row.updated_at}" if row.updated_at else ""))
    lines += _payload(request, row.title)
    lines.append(_line("created", row.created_at or "?", _ago(row.created_at, loaded_at)))
    return lines


class RequestDetail(Static):
    """The detail area below the queue."""

    def show_lines(self, lines: list[Content]) -> None:
        self.update(Content("\n").join(lines))

    def show_nothing(self, why: str) -> None:
        self.update(Content.styled(one_line(why), "italic $foreground-muted"))
