"""Approving or rejecting an incoming cross-repo request: the decision, recorded git-natively.

``decide`` validates its input, finds the request in the loaded federation (``REQUEST_ID``, or
``WORKSPACE:REQUEST_ID`` where two workspaces hold the id), takes the workspace's lock, re-reads
the request from disk (another process may have decided it since the federation was loaded),
checks the rules on that fresh state, appends a new full snapshot of the request to the
workspace's ``requests.jsonl`` and an audit entry to its ``audit.jsonl``, commits the files it
wrote (``gitcommit``: the actor is the author), and returns what changed. The rules:

- only an **incoming** request of a local workspace can be decided (an outgoing one is decided by
  its receiver; a cached copy of a remote workspace is decided there);
- it must be **pending**; deciding it the way it was already decided changes nothing (approving
  an approved or completed request, rejecting a rejected one); deciding it the other way is an
  error naming its status;
- an actor is required; rejecting needs a reason (an approval may give one too: it goes into the
  audit entry);
- a request the policy **denies** (``core.analysis.approvals.judge``) cannot be approved; it can
  be rejected;
- where the workspace names its **maintainers** (``core.maintainers``), only they may decide,
  matched by name or by the email config.toml gives the actor; anyone else is refused naming the
  list and where it is (cause ``forbidden``). The serving workspace's own automatic decisions
  (``automatic``: ``crossdeck-server`` carrying out the policy) are not a person's: the policy
  decides them, as it says.

The snapshot keeps every field of the latest line as it was (unknown fields included) and sets
``status`` with ``approved_by`` / ``approved_at``, or ``rejected_by`` / ``rejection_reason``, and
``updated_at``; and ``notify``, the targets of the policy rule that judged it (the design's
``notify``), where that rule names some, so that they ride along wherever the request goes (the
server's ``request.updated`` event carries the request). Every refusal is a ``DecisionError`` with a plain message.

Approving a request that asks for a new item (``create_issue``, ``create_spec``, ``delegate``)
also creates it in this workspace's own format (``core.sync.incoming.plan_creation``), and
approving an ``update_issue`` applies its changes to the item (``core.sync.updates``), in three
steps, each durable before the next: the ``approved`` snapshot (the decision), the item (which
names the request) or the change, then a ``completed`` snapshot whose ``result`` names the item
(``created``, or ``updated`` with the changes). What to create or change is planned and checked
before anything is written. A process killed between the steps leaves the request ``approved``
without a ``result``: approving it again finishes the job, and finds the item if it was written
already (never a second one; a change is the same when written again); it can no longer be
rejected.

Beside the decision itself, this module holds the actor check every action shares; the rest of
what they share (logs, timestamps, audit entries) is ``core.sync.records``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any, Literal, NoReturn

import msgspec

from core.analysis.approvals import Judgement, Verdict, judge
from core.federation import Federation
from core.maintainers import maintainers, standing
from core.model import Request, RequestStatus, Workspace
from core.sync import SyncError
from core.sync.create import Created
from core.sync.gitcommit import CommitOutcome, workspace_owner
from core.sync.incoming import creates_item, journal_creation, plan_creation
from core.sync.journal import Plan, carry_out, recover
from core.sync.lock import DEFAULT_TIMEOUT, WorkspaceLocked, workspace_lock
from core.sync.records import (
    RecordError,
    audit_record,
    raw_line,
    record_logs,
    reread_requests,
    timestamp,
    utc,
)
from core.sync.updates import Updated, applies_change, journal_change, plan_update
from core.text import one_line

Decision = Literal["approve", "reject"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject")
_OUTCOME = {"approve": RequestStatus.APPROVED, "reject": RequestStatus.REJECTED}
_PAST = {"approve": "approved", "reject": "rejected"}
# Statuses in which the decision is already the one asked for: nothing to do.
_ALREADY = {"approve": frozenset({RequestStatus.APPROVED, RequestStatus.COMPLETED}),
            "reject": frozenset({RequestStatus.REJECTED})}
# An actor is recorded in files and, later, as a git author name: one printable word.
_ACTOR = re.compile(r"[^\s<>\x00-\x1f\x7f-\x9f]{1,200}")


class DecisionError(SyncError):
    """The decision was refused; the message says why, in words a person can act on. ``cause``
    says what kind of refusal it is, for callers that answer each kind differently (the server):
    ``locked`` (try again later), ``denied`` (the policy denies it), ``forbidden`` (the actor is not
    among the workspace's maintainers), else ``refused``."""

    def __init__(self, message: str, cause: Literal["locked", "denied", "forbidden", "refused"] = "refused"):
        super().__init__(message)
        self.cause = cause


class DecisionResult(msgspec.Struct, kw_only=True, frozen=True):
    """What a decision changed (or, with ``changed`` false, why nothing needed to)."""

    workspace: str
    request_id: str
    ref: str  # WORKSPACE:REQUEST_ID, which names the request unambiguously
    decision: Decision
    changed: bool
    before: RequestStatus
    after: RequestStatus
    actor: str  # who asked for this decision
    decided_by: str | None  # whose decision is now in effect (the actor, when changed)
    decided_at: str | None
    reason: str | None  # the reason given (a rejection's reason, an approval's note); when unchanged, the
    # rejection reason on record
    verdict: Verdict | None  # the policy's verdict when it was decided; None when unchanged
    notify: list[str] = []  # the notify targets of the rule behind that verdict (written with the decision)
    requester: str
    request_type: str
    title: str | None
    files: list[str] = []  # the files written, in order
    created: Created | None = None  # the item an approval created (or found, created by an interrupted one)
    updated: Updated | None = None  # the item an approved update_issue changed, and how
    commit: CommitOutcome | None = None  # None when nothing was written


def check_actor(actor: str | None) -> str:
    """The actor, stripped; a ``DecisionError`` when it is missing or not one printable word."""
    text = (actor or "").strip()
    if not text:
        raise DecisionError("an actor is required: who decides, as a BD_ACTOR name (web/crew/bob) "
                            "or an entity id (bob@acme.dev)")
    if not _ACTOR.fullmatch(text) or not text.isprintable():  # isprintable: no bidi or zero-width either
        raise DecisionError(f"{text!r} is not an actor name: use a BD_ACTOR name (web/crew/bob) or an "
                            "entity id (bob@acme.dev), without spaces, angle brackets, control or invisible "
                            "characters, at most 200 characters")
    return text


def may_decide(ws: Workspace, actor: str, doing: str) -> None:
    """Refuse (``forbidden``) an actor the workspace's maintainers list leaves out."""
    allowed, why = standing(maintainers(ws), actor, doing)
    if not allowed:
        raise DecisionError(why, "forbidden")


def find_request(fed: Federation, request_ref: str) -> tuple[Workspace, Request]:
    """The incoming request ``request_ref`` names in the loaded federation.

    ``WORKSPACE:REQUEST_ID`` picks the workspace, by name or by folder (where two loaded
    workspaces share a name). A bare id picks the one incoming request of a local workspace with
    that id (the sender's outgoing copy of the same request does not count); when several
    workspaces hold one, the error lists the ``WORKSPACE:ID`` of each, each naming one workspace."""
    ref = request_ref.strip()
    if not ref:
        raise DecisionError("no request given: name it as REQUEST_ID or WORKSPACE:REQUEST_ID")
    scoped = _scoped(fed, ref)
    if scoped:
        where, ident = scoped
        held = [ws for ws in where if any(r.request_id == ident for r in ws.requests)]
        if len(held) > 1:
            return _one_of(fed, held, ident)
        ws = (held or where)[0]
        found = next((r for r in ws.requests if r.request_id == ident), None)
        if found is None:
            raise DecisionError(f"{fed.label(ws)} holds no request {ident}"
                                + (f" (it holds {_some_ids(ws)})" if ws.requests else " (it has no requests)"))
        return _decidable(ws, found)
    matches = [(ws, r) for ws in fed.workspaces for r in ws.requests if r.request_id == ref]
    if not matches:
        hint = " (WORKSPACE:REQUEST_ID needs the workspace's name as `crossdeck summary` shows it)" if ":" in ref else ""
        raise DecisionError(f"no request {ref} in the {len(fed.workspaces)} loaded workspaces{hint}; "
                            "`crossdeck approvals --all` lists them")
    incoming = [(ws, r) for ws, r in matches if r.direction == "incoming" and not ws.remote_cache]
    if len(incoming) > 1:
        return _one_of(fed, [ws for ws, _ in incoming], ref)
    return _decidable(*(incoming or matches)[0])


def _scoped(fed: Federation, ref: str) -> tuple[list[Workspace], str] | None:
    """``WORKSPACE:REQUEST_ID``: the workspaces WORKSPACE names (a name, the longest that fits,
    else a folder) and the id; None for a bare id."""
    names = sorted({ws.name for ws in fed.workspaces if ref.startswith(ws.name + ":")}, key=len)
    if names:
        return fed.named(names[-1]), ref[len(names[-1]) + 1:]
    where, colon, ident = ref.rpartition(":")
    found = fed.named(where) if colon else []
    return (found, ident) if found else None


def _one_of(fed: Federation, holders: list[Workspace], ident: str) -> NoReturn:
    """Refuse a reference several workspaces answer to, naming each so that it names one."""
    names = ", ".join(f"{fed.label(ws)}:{ident}" for ws in holders)
    shared = " (loaded twice under the same name: a folder names one)" if len({ws.name for ws in holders}) == 1 else ""
    raise DecisionError(f"{len(holders)} workspaces hold an incoming request {ident}{shared}: name one of {names}")


def decide(fed: Federation, request_ref: str, decision: Decision, actor: str, reason: str | None,
           now: dt.datetime, *, lock_timeout: float = DEFAULT_TIMEOUT, automatic: bool = False) -> DecisionResult:
    """Approve or reject the incoming request ``request_ref`` as ``actor`` at ``now``; waits up to
    ``lock_timeout`` seconds for the workspace's lock. ``automatic``: the serving workspace carries
    out its own policy (no person decides: its maintainers do not apply)."""
    if decision not in DECISIONS:
        raise DecisionError(f"unknown decision {decision!r}: approve or reject")
    actor = check_actor(actor)
    reason = (reason or "").strip() or None
    if decision == "reject" and reason is None:
        raise DecisionError("rejecting needs a reason: the requester sees it")
    ws, loaded = find_request(fed, request_ref)
    if not automatic:
        may_decide(ws, actor, f"{decision} {ws.name}:{loaded.request_id}")
    try:
        if loaded.fetched_from is not None:  # read from the sender's fetched copy: into our log first
            _receive(ws, loaded, actor, utc(now), lock_timeout)
        with workspace_lock(Path(ws.root), lock_timeout):
            return _decide_locked(ws, loaded.request_id, decision, actor, reason, utc(now))
    except DecisionError:
        raise
    except SyncError as exc:  # the lock timed out or could not be taken
        raise DecisionError(str(exc), "locked" if isinstance(exc, WorkspaceLocked) else "refused") from None


def _decide_locked(ws: Workspace, request_id: str, decision: Decision, actor: str, reason: str | None,
                   now: dt.datetime) -> DecisionResult:

    started = time.monotonic()
    logs = record_logs(ws)
    ref = f"{ws.name}:{request_id}"
    recover(Path(ws.root))  # what a killed process left half done here is finished first
    fresh = reread_requests(ws, logs.requests)
    current = next((r for r in fresh.requests if r.request_id == request_id), None)
    if current is None or current.line is None:
        raise DecisionError(f"{ref} is no longer in {logs.requests}")
    before = current.status
    creating = decision == "approve" and creates_item(current.request_type)
    updating = decision == "approve" and applies_change(current.request_type)
    # approved, asking for an item or a change and without a result: an approval that was cut short
    finishing = (creating or updating) and before is RequestStatus.APPROVED and current.result is None
    if before in _ALREADY[decision] and not finishing:
        return _result(ws, current, decision, actor, changed=False, after=before, decided_by=_decided_by(current),
                       decided_at=current.approved_at if decision == "approve" else current.updated_at,
                       reason=current.rejection_reason, verdict=None, files=[])
    if before is not RequestStatus.PENDING and not finishing:
        raise DecisionError(f"{ref} is already {before.value}{_how(current)}: it cannot be {_PAST[decision]}")
    judgement = None if finishing else judge(fresh, current, now.date())
    if decision == "approve" and judgement is not None and judgement.verdict is Verdict.DENIED:
        raise DecisionError(f"{ref} cannot be approved: the policy denies it: {judgement.reason}"
                            + (f" ({judgement.rule})" if judgement.rule else ""), "denied")
    try:
        creation = plan_creation(ws, current, actor, now) if creating else None
        update = plan_update(ws, current, actor, now) if updating else None
    except SyncError as exc:
        raise DecisionError(f"{ref} cannot be approved: {exc}") from None
    stamp = timestamp(now)
    after = RequestStatus.COMPLETED if creation is not None or update is not None else _OUTCOME[decision]
    try:
        snapshot = raw_line(logs.requests, current.line)
    except RecordError as exc:
        raise DecisionError(str(exc)) from None
    # Every write, worked out first, journaled, then made and committed (core.sync.journal)
    writes = Plan(decision, actor, workspace_owner(ws), "")
    notify = judgement.notify if judgement is not None else []
    if not finishing:
        snapshot = _snapshot(snapshot, decision, actor, reason, stamp, notify)
        writes.append(logs.requests, snapshot)
    created = updated = None
    try:
        if creation is not None:
            created = journal_creation(creation, writes)
            writes.append(logs.requests, _completed(snapshot, _created_result(created), stamp))
        if update is not None:
            updated = journal_change(ws, update, actor, writes)
            writes.append(logs.requests, _completed(snapshot, _updated_result(updated), stamp))
    except SyncError as exc:
        raise DecisionError(f"{ref} cannot be approved: {exc}") from None
    writes.append(logs.audit, _audit_entry(current, decision, actor, reason, judgement, after, created, stamp,
                                           started, updated))
    writes.message = _message(current, decision, after, created, actor, reason, updated)
    # an approval cut short before journals existed may have left its item written, uncommitted
    earlier = [f for f in (creation.plan.files if creation is not None and finishing else []) if f.is_file()]
    try:
        commit = carry_out(Path(ws.root), writes, now, earlier)
    except SyncError as exc:
        raise DecisionError(f"{ref}: {exc}") from None
    written = list(dict.fromkeys([*writes.files, *earlier]))
    return _result(ws, current, decision, actor, changed=True, after=after, decided_by=actor,
                   decided_at=stamp if not finishing else current.approved_at, reason=reason,
                   verdict=judgement.verdict if judgement is not None else None, notify=notify,
                   files=[str(f) for f in written], created=created, updated=updated, commit=commit)


def _receive(ws: Workspace, request: Request, actor: str, now: dt.datetime, lock_timeout: float) -> None:
    """Write a request read from its sender's fetched copy (git) into ``ws``'s own log, committed,
    as the receiver of a request that arrived over HTTP or on the same disk holds it."""
    from core.sync.requests import RequestError, deliver, incoming_record

    record = incoming_record(request.request_id, request.from_repo, request.to_repo, request.request_type,
                             request.payload, request.created_at or timestamp(now))
    record["received_from"] = request.fetched_from
    try:
        deliver(ws, record, actor, now, lock_timeout=lock_timeout)
    except RequestError as exc:
        raise DecisionError(str(exc)) from None


def _completed(snapshot: dict[str, Any], result: dict[str, Any], stamp: str) -> dict[str, Any]:
    """The approved snapshot once it is carried out: ``completed``, with what was done as ``result``."""
    line = dict(snapshot)
    line["status"] = RequestStatus.COMPLETED.value
    line["result"] = result
    line["completed_at"] = stamp
    line["updated_at"] = stamp
    return line


def _created_result(created: Created) -> dict[str, Any]:
    return {"created": {"id": created.id, "canonical_ref": created.key}}


def _updated_result(updated: Updated) -> dict[str, Any]:
    return {"updated": {"id": updated.id, "canonical_ref": updated.key, "changes": updated.changes}}


def carried_out(request_type: str) -> bool:
    """Whether approving a request of this type does something beyond recording the decision."""
    return creates_item(request_type) or applies_change(request_type)


def _message(request: Request, decision: Decision, after: RequestStatus, created: Created | None, actor: str,
             reason: str | None, updated: Updated | None = None) -> str:
    subject = f"{decision} {request.request_id} from {request.from_repo}"
    if created is not None:
        subject += f": created {created.key}"
    if updated is not None:
        subject += f": changed {updated.key} (" + ", ".join(f"{k} {v}" for k, v in updated.changes.items()) + ")"
    body = [f"{request.request_type} {after.value} by {actor} with crossdeck."]
    if reason:
        body.append(f"Reason: {reason}")
    return one_line(subject) + "\n\n" + "\n".join(one_line(line) for line in body) + "\n"


def _snapshot(raw: dict[str, Any], decision: Decision, actor: str, reason: str | None, stamp: str,
              notify: list[str]) -> dict[str, Any]:
    """The latest line with the decision applied (and the judging rule's notify targets); every
    other field, known or not, unchanged."""
    line = dict(raw)
    if notify:
        line["notify"] = list(notify)
    line["status"] = _OUTCOME[decision].value
    if decision == "approve":
        line["approved_by"] = actor
        line["approved_at"] = stamp
    else:
        line["rejected_by"] = actor
        line["rejection_reason"] = reason
    line["updated_at"] = stamp
    return line


def _audit_entry(request: Request, decision: Decision, actor: str, reason: str | None, judgement: Judgement | None,
                 after: RequestStatus, created: Created | None, stamp: str, started: float,
                 updated: Updated | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"decision": _OUTCOME[decision].value}
    if judgement is not None:
        payload["verdict"] = judgement.verdict.value
        if judgement.notify:
            payload["notify"] = list(judgement.notify)
    if reason is not None:
        payload["reason"] = reason
    result: dict[str, Any] = {"status": after.value}
    if created is not None:
        result.update(_created_result(created))
    if updated is not None:
        result.update(_updated_result(updated))
    return audit_record(decision, actor, stamp, started, direction="incoming", local_repo=request.to_repo,
                        remote_repo=request.from_repo, request_id=request.request_id, payload=payload, result=result)


def _decidable(ws: Workspace, request: Request) -> tuple[Workspace, Request]:
    ref = f"{ws.name}:{request.request_id}"
    if ws.remote_cache:
        raise DecisionError(f"{ref} is in a cached copy of the remote workspace {ws.name}: it is decided there")
    if request.direction != "incoming":
        raise DecisionError(f"{ref} is an outgoing request (sent to {request.to_repo}): "
                            "only the workspace that receives it can approve or reject it")
    return ws, request


def _decided_by(request: Request) -> str | None:
    if request.status is RequestStatus.REJECTED:
        by = request.extra.get("rejected_by")
        return by if isinstance(by, str) else None
    return request.approved_by


def _how(request: Request) -> str:
    """`` (by bob@acme.dev: reason)`` for the message saying how a request was decided."""
    by = _decided_by(request)
    parts = [f"by {by}"] if by else []
    if request.rejection_reason:
        parts.append(request.rejection_reason)
    return f" ({': '.join(parts)})" if parts else ""


def _some_ids(ws: Workspace, shown: int = 5) -> str:
    ids = sorted({r.request_id for r in ws.requests})
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _result(ws: Workspace, request: Request, decision: Decision, actor: str, *, changed: bool,
            after: RequestStatus, decided_by: str | None, decided_at: str | None, reason: str | None,
            verdict: Verdict | None, files: list[str], created: Created | None = None,
            updated: Updated | None = None, commit: CommitOutcome | None = None,
            notify: list[str] | None = None) -> DecisionResult:
    title = request.payload.get("title")
    return DecisionResult(
        workspace=ws.name, request_id=request.request_id, ref=f"{ws.name}:{request.request_id}",
        decision=decision, changed=changed, before=request.status, after=after, actor=actor,
        decided_by=decided_by, decided_at=decided_at, reason=reason, verdict=verdict, notify=notify or [],
        requester=request.from_repo, request_type=request.request_type,
        title=title if isinstance(title, str) else None if title is None else str(title), files=files,
        created=created, updated=updated, commit=commit)
