"""``POST mutate``, ``POST delegate`` and the decisions (``approve`` / ``reject``): the only calls
that change the served workspace, each through the same core code as the command line.

First the workspace's policy judges the request as its body describes it
(``core.analysis.approvals``): one its permissions or policy deny (``mutate.allowed`` false, an
operation not listed, the day's creates used up, mutates closed) is answered 403 and nothing is
written: a refusal costs the workspace no line and no commit (the server's own call log keeps
the call). Otherwise it is written as an incoming request of the workspace with
``core.sync.requests.deliver`` (what ``crossdeck request create`` writes for a receiver loaded
beside it: the request line and its audit entry, with ``duration_ms``), never twice for one id and
requester, and committed with the other requests that arrive with it (``served.committer``: one
commit per burst, the answer waiting for the commit that holds its request), waiting up to ``LOCK_TIMEOUT`` seconds for the workspace's lock (then 503,
nothing written). Judged again as written:

- **denied** (the workspace changed in between, e.g. another request took the day's last
  create): rejected at once by ``core.sync.decisions.decide`` as ``crossdeck-server`` with the
  rule as reason, answered 403;
- **auto-approvable** from a caller that is not ``untrusted``, and not sent with the design's
  ``auto_approve: false`` (nor a ``delegate`` while ``a2a_policies.delegate.auto_accept`` is
  false): approved by ``decide`` as ``crossdeck-server`` (creating the item, or for an
  ``update_issue`` changing it), answered 200 ``completed``;
- otherwise answered 202 ``pending_approval``.

These decisions are the policy's own (``automatic``): the workspace's maintainers list does not
apply to them. A maintainer token's ``approve`` / ``reject`` is a person's decision: where the
workspace names maintainers and the token's actor is not among them (by name, or by the email
the server's config.toml gives it), it is refused 403 naming the list (``core.maintainers``).

Once the request is written its caller gets its answer, never a 503: the decision waits up to
``WRITTEN_TIMEOUT`` seconds for the lock, and if it still cannot be made (or fails), the answer
is the request as it stands in the workspace (202 while it is pending). A request that is
already there (a retried delivery) is answered from its status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import to_builtins

from core.analysis.approvals import Judgement, Verdict
from core.analysis.approvals import dig as _dig
from core.federation import Federation
from core.model import Request, RequestStatus, TrustLevel
from core.server.auth import Caller
from core.server.bounds import LOCK_WAIT, LOCK_WAIT_WRITTEN
from core.server.errors import ApiError
from core.server.messages import CreateData, DelegateMessage, MutateMessage, UpdateData, operation_data
from core.server.served import Served
from core.sync import SyncError
from core.sync.decisions import Decision, DecisionError, DecisionResult, decide
from core.sync.lock import WorkspaceLocked
from core.sync.records import record_logs, reread_requests, timestamp
from core.sync.requests import RequestError, deliver, incoming_record, update_title

SERVER_ACTOR = "crossdeck-server"
LOCK_TIMEOUT = LOCK_WAIT  # seconds a request waits for the workspace's lock before it is written (then 503)
WRITTEN_TIMEOUT = LOCK_WAIT_WRITTEN  # seconds the decision on a written request waits for it


class Outcome(dict[str, Any]):
    """An answer's body; ``status`` is its HTTP status; ``pending`` the request as its log holds it
    when the answer is that it waits for a human and nothing else was written (the server puts it
    into the workspace it holds: ``Served.took``; after any other answer it reads its files again)."""

    status: int = 200
    pending: Request | None = None


def answer(status: int, body: dict[str, Any]) -> Outcome:
    out = Outcome(body)
    out.status = status
    return out


def mutate(served: Served, caller: Caller, message: MutateMessage, now: dt.datetime, started: float,
           on_written: Callable[[], None] = lambda: None, lock_timeout: float | None = None) -> Outcome:
    """Deliver, judge and answer one mutate; ``on_written`` is called once the workspace's audit
    log holds the call."""
    if caller.remote is None:
        raise ApiError(403, "a maintainer token cannot send requests: mutate is for remotes")
    data = operation_data(message)
    return receive(served, caller, message.rid, message.operation, _payload(message.data, data), now,
                   started, on_written, lock_timeout, auto=message.auto_approve is not False)


def delegate(served: Served, caller: Caller, message: DelegateMessage, now: dt.datetime, started: float,
             on_written: Callable[[], None] = lambda: None, lock_timeout: float | None = None) -> Outcome:
    """The A2A ``delegate`` message: a ``delegate`` request, delivered, judged and answered as a
    mutate is (approving it creates the child with its delegation, core.sync.incoming)."""
    if caller.remote is None:
        raise ApiError(403, "a maintainer token cannot send requests: delegate is for remotes")
    outcome = receive(served, caller, message.rid, "delegate", message.payload(), now, started, on_written,
                      lock_timeout, auto=_dig(getattr(served.workspace.info, "federation", None), "a2a_policies",
                                              "delegate", "auto_accept") is not False)
    outcome["type"] = "delegate_response"
    return outcome


def receive(served: Served, caller: Caller, request_id: str, operation: str, payload: dict[str, Any],
            now: dt.datetime, started: float, on_written: Callable[[], None],
            lock_timeout: float | None = None, auto: bool = True) -> Outcome:
    """An incoming request from ``caller``: judged from its body (a denial writes nothing),
    delivered, judged again, decided at once when the policy allows (and ``auto``), answered."""
    assert caller.remote is not None
    ws = served.workspace
    record = incoming_record(request_id, caller.remote.url, served.address, operation, payload, timestamp(now))
    if not any(r.request_id == request_id and r.from_repo == caller.remote.url for r in ws.requests):
        asked = msgspec.convert({**record, "workspace": ws.name}, Request)
        verdict = served.policy(now.date()).judge(asked)
        if verdict.verdict is Verdict.DENIED:  # decided from the body: nothing written, not kept for replays
            raise ApiError(403, _reason(verdict), [{"path": verdict.rule or "", "message": verdict.reason}])
    try:
        delivered = deliver(ws, record, caller.remote.name, now, started,
                            LOCK_TIMEOUT if lock_timeout is None else lock_timeout, group=served.committer)
    except WorkspaceLocked as exc:  # waited for the lock: nothing written
        raise ApiError(503, str(exc), headers={"Retry-After": "2"}) from None
    except (RequestError, SyncError) as exc:
        there = _as_written(served, request_id, caller.remote.url)
        if there is None:  # nothing written: the refusal stands
            status = 409 if isinstance(exc, RequestError) else 503
            raise ApiError(status, str(exc), headers={"Retry-After": "2"} if status == 503 else None) from None
        on_written()  # written before it failed (e.g. its audit line): answer from what is written
        return _answered(there.request_id, there.status, there.result, there.rejection_reason)
    if delivered.written:
        on_written()
    return _settle(served, caller, delivered.request, delivered.workspace, delivered.judgement, now, auto)


def _settle(served: Served, caller: Caller, request: Request, written: Any, judgement: Judgement | None,
            now: dt.datetime, auto: bool = True) -> Outcome:
    """Decide a request that is written, and answer: never a 503 (the caller gets its answer)."""
    assert caller.remote is not None
    fed = Federation(roots=[str(served.root)], workspaces=[written])
    try:
        if judgement is not None and judgement.verdict is Verdict.DENIED:
            decide(fed, f"{served.name}:{request.request_id}", "reject", SERVER_ACTOR, _reason(judgement), now,
                   lock_timeout=WRITTEN_TIMEOUT, automatic=True)
            raise ApiError(403, _reason(judgement), [{"path": judgement.rule or "", "message": judgement.reason}],
                           recorded=True)
        if (auto and judgement is not None and judgement.verdict is Verdict.AUTO_APPROVABLE
                and caller.remote.trust_level is not TrustLevel.UNTRUSTED):
            try:
                result = decide(fed, f"{served.name}:{request.request_id}", "approve", SERVER_ACTOR,
                                _reason(judgement), now, lock_timeout=WRITTEN_TIMEOUT, automatic=True)
            except DecisionError as exc:
                if exc.cause != "denied":  # the policy changed in between: rejected below, with its reason
                    raise
                decide(fed, f"{served.name}:{request.request_id}", "reject", SERVER_ACTOR, str(exc), now,
                       lock_timeout=WRITTEN_TIMEOUT, automatic=True)
                raise ApiError(403, str(exc), recorded=True) from None
            return _answered(request.request_id, result.after, _created(result), None)
    except DecisionError:
        there = _as_written(served, request.request_id, request.from_repo) or request
        return _answered(there.request_id, there.status, there.result,
                         judgement.reason if judgement is not None and there.status is RequestStatus.PENDING
                         else there.rejection_reason)
    reason = judgement.reason if judgement is not None else request.rejection_reason
    if not auto and judgement is not None and judgement.verdict is Verdict.AUTO_APPROVABLE:
        reason = (f"{reason}; it waits for a human all the same: "
                  + ("a2a_policies.delegate.auto_accept is false" if request.request_type == "delegate"
                     else "the request asked not to be auto-approved (auto_approve: false)"))
    out = _answered(request.request_id, request.status, request.result, reason)
    if request.status is RequestStatus.PENDING:
        out.pending = request
    return out


def _as_written(served: Served, request_id: str, from_repo: str) -> Request | None:
    """The request as the workspace's log holds it now (None: not written)."""
    ws = served.workspace
    try:
        fresh = reread_requests(ws, record_logs(ws).requests)
    except (OSError, SyncError):
        return None
    return next((r for r in fresh.requests if r.request_id == request_id and r.from_repo == from_repo), None)


def decision(served: Served, caller: Caller, request_id: str, choice: Decision, reason: str | None,
             now: dt.datetime, on_written: Callable[[], None] = lambda: None) -> Outcome:
    if caller.maintainer is None:
        raise ApiError(403, f"only a maintainer token may {choice} requests")
    if choice == "reject" and not (reason or "").strip():
        raise ApiError(422, "rejecting needs a reason: the requester sees it",
                       [{"path": "$.reason", "message": "required to reject"}])
    request = next((r for r in served.workspace.requests if r.request_id == request_id
                    and r.direction == "incoming"), None)
    if request is None:
        raise ApiError(404, f"{served.name} holds no incoming request {request_id}")
    result = _decide(served.federation(), served, request, choice, caller.maintainer, reason, now)
    if result.changed:
        on_written()
    return answer(200, {"decision": to_builtins(result)})


def _decide(fed: Federation, served: Served, request: Request, choice: Decision, actor: str, reason: str | None,
            now: dt.datetime) -> DecisionResult:
    try:
        return decide(fed, f"{served.name}:{request.request_id}", choice, actor, reason, now,
                      lock_timeout=LOCK_TIMEOUT)
    except DecisionError as exc:
        status = {"locked": 503, "denied": 403, "forbidden": 403}.get(exc.cause, 409)
        raise ApiError(status, str(exc), headers={"Retry-After": "2"} if status == 503 else None) from None


def _answered(request_id: str, status: RequestStatus, result: Any, reason: str | None) -> Outcome:
    if status is RequestStatus.PENDING:
        return answer(202, {"request_id": request_id, "status": "pending_approval", "verdict_reason": reason,
                            "status_url": f"/api/v1/federation/requests/{request_id}"})
    if status is RequestStatus.REJECTED:
        raise ApiError(403, f"{request_id} was rejected: {reason or 'no reason given'}", recorded=True)
    created = result.get("created") if isinstance(result, dict) else None
    if isinstance(created, dict):  # as requests.jsonl holds it: {"id", "canonical_ref"}
        result = {"created": created.get("canonical_ref"), "id": created.get("id")}
    return answer(200, {"request_id": request_id, "status": status.value, "result": result})


def _created(result: DecisionResult) -> dict[str, Any] | None:
    if result.created is None:
        return None
    return {"created": result.created.key, "id": result.created.id}


def _reason(judgement: Judgement) -> str:
    return judgement.reason + (f" ({judgement.rule})" if judgement.rule else "")


def _payload(raw: dict[str, Any], data: CreateData | UpdateData) -> dict[str, Any]:
    """The request's payload: the data as sent; an update without a title gets one, as
    ``core.sync.requests.queue_update`` writes it."""
    payload = dict(raw)
    if isinstance(data, UpdateData) and data.title is None:
        changes = {k: v for k, v in raw.get("changes", {}).items() if v is not None}
        payload["title"] = update_title(data.issue_id, changes)
    return payload
