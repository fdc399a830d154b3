"""What became of each outgoing request: its live status, the remote it went to, and its outcome.

A request a workspace sent lives in two logs: the sender's ``outgoing`` line, written when it was
sent, and the receiver's ``incoming`` copy, which the receiver's decisions update. The receiver's
copy is read wherever this federation holds it: a workspace loaded here too (the demo), or the
fetched cache of a remote (``remote_cache``), matched by request id and requester. The status
shown is the furthest along of the two (pending, then approved, then completed / rejected /
failed; a tie goes to the receiver, whose log decides), so a request approved over there shows
as approved here as soon as the receiver's log is seen, before the sender's line is updated.

**Not delivered**: a request to an HTTP remote is handed over by ``POST mutate``
(``core.sync.outgoing_http``), and the answer is noted on the sender's line (``delivered_at``,
``remote_status``); when the remote cannot be reached nothing more is written, and the next
successful sync of the remote delivers it (a sync asks the remote about every open request of
ours and delivers the ones it lacks). So a pending request to a remote whose transport is
``http`` is ``not-delivered`` (yet) when its line holds neither note, no copy of it is seen at
the receiver, and the remote has not been synced since the request was made (``synced``: the
store's ``last_sync_at`` per workspace and remote). A git remote's receiver fetches the sender's
log: its requests are never "not delivered".

Both ``crossdeck approvals --all`` and the dashboard's Approvals pane show these rows
(``core.analysis.approvals.approvals_of`` makes them); ``outcome`` is their one-line status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from core import uri
from core.model import Remote, Request, RequestStatus, Workspace
from core.timeutil import parse_date, parse_ts

NOT_DELIVERED = "not-delivered"
_RANK = {RequestStatus.PENDING: 0, RequestStatus.APPROVED: 1, RequestStatus.COMPLETED: 2,
         RequestStatus.REJECTED: 2, RequestStatus.FAILED: 2}


class OutgoingRequest(msgspec.Struct, kw_only=True, frozen=True):
    request_id: str
    workspace: str  # the workspace that sent it
    to_repo: str
    request_type: str
    title: str | None
    status: RequestStatus  # the furthest along of the sender's line and the receiver's copy
    created_at: str | None
    age_days: int | None
    approved_by: str | None = None
    approved_at: str | None = None
    rejection_reason: str | None = None
    source: str = ""
    line: int | None = None
    state: str = "pending"  # status.value, or not-delivered
    remote: str | None = None  # the sender's remote record it was sent to, when it names one
    seen_in: str | None = None  # the workspace whose log gives the status (the sender's, or the receiver's)
    from_cache: bool = False  # seen_in is a fetched cache of a remote, not a local folder
    decided_by: str | None = None  # who approved or rejected it, when a log says
    created: str | None = None  # the key of the item approving it created
    updated_at: str | None = None


Copies = dict[tuple[str, str], tuple[Request, Workspace]]  # (request id, requester) -> the receiver's copy
Synced = Mapping[tuple[str, str], "str | None"]  # (workspace, remote name) -> its last successful sync


def receiver_copies(workspaces: Iterable[Workspace]) -> Copies:
    """Every incoming request of every loaded workspace, local or cached, by (id, requester)."""
    copies: Copies = {}
    for ws in workspaces:
        for req in ws.requests:
            if req.direction == "incoming":
                key = (req.request_id, req.from_repo)
                if key not in copies or not ws.remote_cache:  # a local copy wins over a cached one
                    copies[key] = (req, ws)
    return copies


def outgoing_row(req: Request, ws: Workspace, today: dt.date, remote: Remote | None, copies: Copies,
                 synced: Synced | None = None) -> OutgoingRequest:
    """The row of ``ws``'s outgoing request ``req``, its status the furthest along of its two logs."""
    copy = copies.get((req.request_id, req.from_repo))
    best, where = req, ws
    if copy is not None and _RANK[copy[0].status] >= _RANK[req.status]:
        best, where = copy
    synced_at = (synced or {}).get((ws.name, remote.name)) if remote is not None else None
    undelivered = copy is None and best.status is RequestStatus.PENDING and _undelivered(req, remote, synced_at)
    day = parse_date(req.created_at)
    title = req.payload.get("title")
    return OutgoingRequest(
        request_id=req.request_id, workspace=ws.name, to_repo=req.to_repo, request_type=req.request_type,
        title=title if isinstance(title, str) else None if title is None else str(title), status=best.status,
        created_at=req.created_at, age_days=(today - day).days if day else None,
        approved_by=best.approved_by, approved_at=best.approved_at, rejection_reason=best.rejection_reason,
        source=req.source, line=req.line, state=NOT_DELIVERED if undelivered else best.status.value,
        remote=remote.name if remote is not None else None, seen_in=where.name, from_cache=where.remote_cache,
        decided_by=best.approved_by or _text(best.extra.get("rejected_by")), created=created_key(best.result),
        updated_at=best.updated_at)


def outcome(row: OutgoingRequest, item_id_only: bool = False) -> str:
    """The status in one line: ``pending``, ``approved by bob``, ``completed: created KEY``,
    ``rejected: REASON``, ``not delivered``. ``item_id_only``: the created item by its id, where
    the remote it lives in is shown beside it (a narrow table column)."""
    if row.state == NOT_DELIVERED:
        return "not delivered"
    if row.status is RequestStatus.REJECTED:
        return "rejected" + (f": {row.rejection_reason}" if row.rejection_reason else "")
    if row.status is RequestStatus.COMPLETED and row.created:
        ref = uri.try_parse(row.created) if item_id_only else None
        return f"completed: created {ref.id if ref is not None and ref.id else row.created}"
    if row.status is RequestStatus.APPROVED and row.decided_by:
        return f"approved by {row.decided_by}"
    return row.status.value


def receiving_remote(row: OutgoingRequest) -> str:
    """The remote it went to, as the sender names it (else the address it was sent to)."""
    return row.remote or row.to_repo


def _undelivered(req: Request, remote: Remote | None, synced_at: str | None) -> bool:
    """Sent to an HTTP remote, no answer from it noted on the sender's line, and no sync of it since."""
    if remote is None or remote.transport != "http":
        return False
    if req.extra.get("delivered_at") is not None or req.extra.get("remote_status") is not None:
        return False
    synced, made = parse_ts(synced_at), parse_ts(req.created_at)
    return synced is None or made is None or synced < made  # parse_ts gives aware datetimes


def created_key(result: Any) -> str | None:
    """The key of the item a completed request created, from its ``result`` (``{"created": KEY}``
    as the server answers a mutate, or ``{"created": {"id", "canonical_ref"}}`` as an approval
    records it)."""
    created = result.get("created") if isinstance(result, dict) else None
    if isinstance(created, dict):
        return _text(created.get("canonical_ref")) or _text(created.get("key")) or _text(created.get("id"))
    return _text(created)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
