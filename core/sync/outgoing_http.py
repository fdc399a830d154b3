"""Outgoing requests to HTTP remotes: delivering them (``POST mutate``) and following their status
(``GET requests/{id}``), each answer kept as a new snapshot of the outgoing record.

``crossdeck request create --to REMOTE`` records the request locally first (``core.sync.requests``)
and then ``deliver``s it with the same ``request_id``: ``POST mutate`` with the payload as
``data``, or, for a delegation, ``POST delegate`` with the payload as the ``task``. The server's
answer becomes a new line of the sender's ``requests.jsonl`` (every field of the latest line kept):
``pending_approval`` (202: still ``pending``, now ``delivered_at``), ``completed`` with its
``result`` (200: auto-approved there), or ``rejected`` with the policy's rule as
``rejection_reason`` (403). ``remote_status`` holds the server's word. When the remote cannot be
reached, nothing more is written: the request stays pending and the next ``crossdeck sync`` of
the remote delivers it (``mutate`` is idempotent by ``request_id``, so sending again is safe).

``follow_outgoing`` (every HTTP sync) asks the remote about each of our requests to it that is
not final yet (pending or approved): a 404 means it never arrived, and it is delivered now; a
status, result or reason that changed there is a new snapshot here. Each snapshot is appended
under the workspace's lock with an audit entry and committed, as every action of ``core.sync``.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core import timeutil
from core.model import Remote, Request, RequestStatus, Workspace
from core.store import served_workspace
from core.sync.appendlog import append_jsonl
from core.sync.gitcommit import CommitOutcome, commit_workspace
from core.sync.http_remote import HttpFailure, HttpRemote, connect, token_for
from core.sync.lock import workspace_lock
from core.sync.records import audit_record, raw_line, record_logs, reread_requests, timestamp
from core.sync.retry import RetryPolicy
from core.text import one_line

if TYPE_CHECKING:
    from core.sync.fetch_pool import Target
    from core.sync.requests import SentRequest

FINAL = frozenset({RequestStatus.REJECTED, RequestStatus.COMPLETED, RequestStatus.FAILED})
SYNC_ACTOR = "crossdeck-sync"  # who records a status the remote reported, when no actor is set
_VERDICTS = {"pending_approval": "needs-human", "completed": "auto-approvable", "rejected": "denied"}
_FOLLOWED = ("status", "result", "approved_by", "approved_at", "rejection_reason")


class Followed(msgspec.Struct, kw_only=True):
    """One outgoing request after a delivery or a status check."""

    request_id: str
    before: str  # its local status before
    after: str  # and after
    remote_status: str | None = None  # the server's word: pending_approval, completed, rejected, approved, ...
    result: Any = None
    reason: str | None = None  # why the remote's policy decided so (a rejection's rule, a pending one's condition)
    delivered: bool = False  # a mutate was sent this time
    changed: bool = False  # a new snapshot was written
    error: str | None = None  # the remote could not be asked (the request stays as it was)
    commit: CommitOutcome | None = None  # the commit of the new snapshot


def addressed_to(remote: Remote) -> set[str]:
    """The ``to_repo`` values our requests to ``remote`` carry (core.sync.requests.resolve_target)."""
    return {remote.name, remote.url, served_workspace(remote)}


def deliver(sender: Workspace, request: Request, client: HttpRemote, actor: str | None = None,
            now: dt.datetime | None = None) -> Followed:
    """``POST mutate`` for ``request`` and its answer as a new snapshot. A remote that cannot be
    reached (or another 4xx) leaves the request as it was: ``error`` says why."""
    followed = Followed(request_id=request.request_id, before=request.status.value, after=request.status.value)
    try:
        if request.request_type == "delegate":  # its own A2A message, not an operation of mutate
            status, answer = client.delegate(request.request_id, request.payload)
        else:
            status, answer = client.mutate(request.request_id, request.request_type, request.payload)
    except HttpFailure as exc:
        if exc.status != 403:
            followed.error = str(exc)
            return followed
        answer = {"status": "rejected", "reason": str(exc)}
    followed.delivered = True
    remote_status = answer.get("status") if isinstance(answer.get("status"), str) else str(status)
    reason = answer.get("reason") or answer.get("verdict_reason")
    followed.reason = one_line(reason) if isinstance(reason, str) else None
    changes: dict[str, Any] = {"remote_status": remote_status}
    if remote_status == "completed":
        changes.update(status=RequestStatus.COMPLETED.value, result=answer.get("result"))
    elif remote_status == "rejected":
        changes.update(status=RequestStatus.REJECTED.value, rejection_reason=answer.get("reason"))
    return _note(sender, followed, changes, actor, now, delivered=True)


def follow(sender: Workspace, request: Request, client: HttpRemote, actor: str | None = None,
           now: dt.datetime | None = None) -> Followed:
    """Ask the remote about ``request``: deliver it if it never arrived, else note what changed."""
    try:
        there = client.request_status(request.request_id)
    except HttpFailure as exc:
        if exc.status == 404:
            return deliver(sender, request, client, actor, now)
        return Followed(request_id=request.request_id, before=request.status.value, after=request.status.value,
                        error=str(exc))
    return record_remote(sender, request, there, actor, now)


def record_remote(sender: Workspace, request: Request, there: dict[str, Any], actor: str | None = None,
                  now: dt.datetime | None = None) -> Followed:
    """Note the remote's record of ``request`` (``GET requests/{id}``, a ``request.updated``
    event) as a new snapshot when it changed."""
    followed = Followed(request_id=request.request_id, before=request.status.value, after=request.status.value)
    status = there.get("status")
    if status not in RequestStatus._value2member_map_:
        followed.error = f"the remote reports an unknown status {one_line(str(status))!r}"
        return followed
    changes = {field: there.get(field) for field in _FOLLOWED}
    changes["remote_status"] = status
    return _note(sender, followed, changes, actor, now)


def follow_outgoing(target: Target, where: str, actor: str | None = None) -> list[Followed]:
    """Follow every outgoing request of the target's workspace to its remote that is not final."""
    ws = target.ws
    if ws is None:
        return []
    names = addressed_to(target.remote)
    fresh = reread_requests(ws, record_logs(ws).requests)
    open_ones = [r for r in fresh.requests
                 if r.direction == "outgoing" and r.to_repo in names and r.status not in FINAL]
    if not open_ones:
        return []
    with HttpRemote(where, token_for(target.remote)) as client:
        return [follow(fresh, request, client, actor) for request in open_ones]


def send_over_http(sender: Workspace, sent: SentRequest, remote: Remote, actor: str,
                   now: dt.datetime) -> SentRequest:
    """Deliver a request just recorded (``core.sync.requests.send_request``) to its HTTP remote,
    retrying transient failures (``RetryPolicy``); ``sent`` with the remote's answer."""

    fresh = reread_requests(sender, record_logs(sender).requests)
    request = next(r for r in fresh.requests if r.request_id == sent.request_id)
    with connect(remote, retry=RetryPolicy()) as client:
        followed = deliver(fresh, request, client, actor, now)
    commits = [*sent.commits, *([followed.commit] if followed.commit is not None else [])]
    verdict = _VERDICTS.get(followed.remote_status or "")
    return msgspec.structs.replace(sent, transport="http", remote=remote.name, delivered=followed.delivered,
                                   status=followed.after,
                                   remote_status=followed.remote_status, result=followed.result,
                                   verdict=verdict, verdict_reason=followed.reason if verdict else None,
                                   delivery_error=followed.error, commits=commits)


def _note(ws: Workspace, followed: Followed, changes: dict[str, Any], actor: str | None, now: dt.datetime | None,
          delivered: bool = False) -> Followed:
    """Append a snapshot of the request with ``changes`` when they change it (a delivery always
    notes ``delivered_at``); audit it and commit."""
    started = time.monotonic()
    moment = now or timeutil.now()
    stamp = timestamp(moment)
    who = actor or _actor()
    logs = record_logs(ws)
    followed.remote_status = changes.get("remote_status")
    followed.result = changes.get("result")
    with workspace_lock(Path(ws.root)):
        current = next((r for r in reread_requests(ws, logs.requests).requests
                        if r.request_id == followed.request_id), None)
        if current is None or current.line is None:
            followed.error = f"{followed.request_id} is no longer in {logs.requests}"
            return followed
        line = raw_line(logs.requests, current.line)
        wanted = {k: v for k, v in changes.items() if v is not None or k in line}
        if not delivered and all(line.get(k) == v for k, v in wanted.items() if k != "remote_status"):
            followed.after = current.status.value
            return followed
        snapshot = {**line, **wanted, "updated_at": stamp}
        if delivered:
            snapshot["delivered_at"] = stamp
        entry = audit_record("mutate" if delivered else "request_status", who, stamp, started, direction="outgoing",
                             local_repo=current.from_repo, remote_repo=current.to_repo,
                             request_id=current.request_id, payload={"operation": current.request_type},
                             result={"status": snapshot.get("status"), "remote_status": followed.remote_status},
                             status="success")
        try:
            append_jsonl(logs.requests, snapshot)
            append_jsonl(logs.audit, entry)
        except OSError as exc:
            followed.error = f"cannot write {logs.requests}: {exc.strerror or exc}"
            return followed
        what = "delivered" if delivered else "now"
        followed.commit = commit_workspace(ws, [logs.requests, logs.audit], who,
                         f"request {current.request_id}: {what} {followed.remote_status} at {current.to_repo}", moment)
    followed.after = str(snapshot.get("status"))
    followed.changed = True
    return followed


def _actor() -> str:
    from core.actor import acting_actor
    from core.settings import load_settings

    acting = acting_actor(load_settings().actor)
    return acting.name if acting is not None else SYNC_ACTOR
