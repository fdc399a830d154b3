"""Cross-repo requests as workspace records: sending one, and delivering one to its receiver.
(What an approved incoming request creates is ``core.sync.incoming``.)

**Outgoing** (``send_request``; ``crossdeck request create``): a ``pending`` request appended to
the sending workspace's ``requests.jsonl`` with an audit entry, committed there. When the
receiving workspace is loaded here too (the same federation on one disk, as in the demo), its
``incoming`` copy is appended to the receiver's log as well, so the receiver can approve it;
otherwise the remote's transport delivers it: an HTTP remote gets ``POST mutate`` (or ``POST
delegate``) at once (``core.sync.outgoing_http``), a git remote reads it from its fetched copy of
the sender when it syncs (``core.sync.git_delivery``, which first checks, in the sender's copy of
the receiver, that the receiver has the sender among its remotes). ``deliver`` writes an
incoming request into a receiver (here, or in the federation server, core/server/mutate.py), never
twice for the same id and requester. ``queue_update`` sends an
``update_issue`` request the same way, once (a pending one for the same item and change is not
sent twice).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core import uri
from core.analysis.approvals import WorkspacePolicy, judge
from core.federation import Ambiguous, Federation
from core.model import Request, RequestStatus, Workspace, WorkspaceKind, WorkUnit
from core.sources.federation_records import remote_name
from core.sync import SyncError
from core.sync.create import HEX, fresh_id
from core.sync.gitcommit import CommitOutcome, workspace_owner
from core.sync.incoming import CREATES
from core.sync.journal import Plan, Written, carry_out, recover, write_ahead
from core.sync.lock import DEFAULT_TIMEOUT, workspace_lock
from core.sync.records import audit_record, record_logs, reread_requests, timestamp
from core.timeutil import parse_date

if TYPE_CHECKING:
    from core.sync.group_commit import GroupCommitter

SENDABLE = tuple(CREATES)  # what an outgoing request may ask for: what an approval can create


class RequestError(SyncError):
    """A request could not be sent; the message says why."""


def address(ws: Workspace) -> str:
    """How other workspaces name ``ws`` in ``from_repo`` / ``to_repo``: a sudocode repo by its
    identity URL, anything else by its workspace name."""
    if ws.kind is WorkspaceKind.SUDOCODE and ws.info is not None and getattr(ws.info, "identity_url", None):
        return ws.info.identity_url  # type: ignore[union-attr,return-value]
    return ws.name


def names_of(ws: Workspace) -> set[str]:
    return {ws.name, address(ws), remote_name(address(ws))}


# -- outgoing: sending a request ----------------------------------------------------------------

class SentRequest(msgspec.Struct, kw_only=True, frozen=True):
    """What sending a request wrote (``queued`` false: the same request was pending already)."""

    request_id: str
    request_type: str
    sender: str  # the sending workspace
    from_repo: str
    to_repo: str
    receiver: str | None  # the receiving workspace, when it is loaded here (its incoming copy was written)
    status: str
    payload: dict[str, Any]
    verdict: str | None  # the receiver's policy verdict on it, when the receiver is loaded here
    verdict_reason: str | None
    queued: bool
    actor: str
    files: list[str]
    commits: list[CommitOutcome]
    transport: str | None = None  # http: sent to an HTTP remote (core.sync.outgoing_http); git: to a git remote
    remote: str | None = None  # the sender's remote it went to, when it names one
    known_there_as: str | None = None  # git: the name the receiver's remotes give the sender
    delivered: bool = False  # http: the remote answered
    remote_status: str | None = None  # http: its answer: pending_approval, completed, rejected
    result: Any = None  # http: what a completed request created there
    delivery_error: str | None = None  # http: why it was not delivered (the next sync delivers it)


def compose(fed: Federation, graph: Any, *, to: str, request_type: str, title: str, actor: str, today: dt.date,
            description: str | None = None, priority: int | None = None, labels: Sequence[str] = (),
            blocks: Sequence[str] = (), from_item: str | None = None, sender: str | None = None,
            rig: str | None = None, portion: str | None = None,
            deadline: str | None = None, kind: str | None = None) -> tuple[Workspace, dict[str, Any]]:
    """The sending workspace and the payload of a request as ``crossdeck request create`` gives
    it: references (``--from-item``, ``--blocks``) resolved to keys in ``graph``."""
    if request_type not in SENDABLE:
        raise RequestError(f"unknown request type {request_type!r}: " + ", ".join(SENDABLE))
    if not title.strip():
        raise RequestError("a request needs a --title")
    if deadline is not None and parse_date(deadline) is None:
        raise RequestError(f"--deadline {deadline!r} is not a date (YYYY-MM-DD)")
    item = _key(graph, from_item) if from_item else None
    home = fed.workspace(uri.workspace_of(item) or "") if item else None
    try:
        home = fed.local(home.name) if home is not None and not home.remote_cache else home
    except Ambiguous as exc:
        raise RequestError(str(exc)) from None
    ws = next((w for w in fed.workspaces if not w.remote_cache and sender in names_of(w)), None) if sender else home
    if sender and ws is None:
        raise RequestError(f"--from {sender}: no such local workspace is loaded")
    if ws is not None and home is not None and ws is not home:
        raise RequestError(f"--from-item {item} is in {home.name}, not in {ws.name}")
    ws = ws or _only_sender(fed, to, today)
    payload: dict[str, Any] = {"title": title.strip()}
    if description:
        payload["description"] = description
    payload.update(priority=2 if priority is None else priority, labels=list(labels))
    if request_type == "delegate":
        if item is None:
            raise RequestError("a delegate request needs --from-item: the parent item it delegates from")
        payload["parent"] = item
        payload["terms"] = {k: v for k, v in (("portion", portion), ("deadline", deadline)) if v}
        if kind is not None:
            if kind not in ("issue", "spec"):
                raise RequestError(f"--kind {kind!r}: a delegation asks for an issue or a spec")
            payload["kind"] = kind  # a sudocode receiver creates that; a town, a bead
    else:
        if item is not None:
            payload["relationships"] = [{"type": "discovered-from", "remote_ref": item}]
        if blocks:
            payload["blocks"] = [_key(graph, ref) for ref in blocks]
    if rig:
        payload["rig"] = rig
    payload["requester"] = actor
    return ws, payload


def _key(graph: Any, ref: str) -> str:
    from core.analysis.lookup import RefLookupError, find_node

    try:
        key = find_node(graph, ref)
    except RefLookupError as exc:
        raise RequestError(str(exc)) from None
    if not isinstance(graph._node[key].get("record"), WorkUnit):
        raise RequestError(f"{key} is not a loaded work unit")
    return key


def _only_sender(fed: Federation, to: str, today: dt.date) -> Workspace:
    """The one local workspace that knows ``to`` as a remote, else the only local workspace."""
    local = [ws for ws in fed.workspaces if not ws.remote_cache and to not in names_of(ws)]
    knowing = [ws for ws in local if WorkspacePolicy(ws, today).remote_index(to) is not None]
    for candidates in (knowing, local):
        if len(candidates) == 1:
            return candidates[0]
    raise RequestError("say which workspace sends it: --from WORKSPACE or --from-item REF "
                       f"({len(knowing) or len(local)} workspaces could)")


def resolve_target(fed: Federation, sender: Workspace, to: str, today: dt.date) -> tuple[str, Workspace | None]:
    """(``to_repo``, the receiving workspace when it is loaded here) for ``--to TO``: a loaded
    workspace (by name or address), or one of the sender's remotes (by any of its names)."""
    receiver = _local(fed, to, sender)
    if receiver is not None:
        return address(receiver), receiver
    index = WorkspacePolicy(sender, today).remote_index(to)
    if index is None:
        known = ", ".join(sorted(r.name for r in sender.remotes)) or "none"
        raise RequestError(f"{to} is neither a loaded workspace nor a remote of {sender.name} (its remotes: {known})")
    remote = sender.remotes[index]
    named = remote.extra.get("workspace")
    if isinstance(named, str) and named:
        to_repo = named
    elif "://" in remote.url or remote.url.startswith((".", "/", "~")):
        to_repo = remote.name  # a fetch location, not a name: the remote's name stands for it
    else:
        to_repo = remote.url  # sudocode names a remote by its identity URL
    return to_repo, _local(fed, to_repo, sender)


def _local(fed: Federation, name: str, sender: Workspace) -> Workspace | None:
    return next((ws for ws in fed.workspaces if not ws.remote_cache and ws is not sender and name in names_of(ws)),
                None)


def send_request(fed: Federation, sender: Workspace, to: str, request_type: str, payload: dict[str, Any],
                 actor: str, now: dt.datetime) -> SentRequest:
    """Append a pending ``request_type`` request from ``sender`` to ``to`` (and its incoming copy
    to the receiver when it is loaded here); commit each workspace's files."""
    if request_type not in SENDABLE and request_type != "update_issue":
        raise RequestError(f"unknown request type {request_type!r}: " + ", ".join(SENDABLE))
    if sender.remote_cache:
        raise RequestError(f"{sender.name} is a cached copy of a remote workspace: send from a local one")
    to_repo, receiver = resolve_target(fed, sender, to, now.date())
    index = WorkspacePolicy(sender, now.date()).remote_index(to) if receiver is None else None
    remote = sender.remotes[index] if index is not None else None
    known_as = None
    if remote is not None and remote.transport == "git":
        from core.sync.git_delivery import NotReachableOverGit, check_receiver

        try:
            known_as = check_receiver(fed, sender, remote, to_repo)  # before anything is written
        except NotReachableOverGit as exc:
            raise RequestError(str(exc)) from None
    sent = _send(sender, to_repo, receiver, request_type, payload, actor, now)
    if remote is not None and remote.transport == "http" and sent.queued:
        from core.sync.outgoing_http import send_over_http

        return send_over_http(sender, sent, remote, actor, now)
    if remote is not None and remote.transport == "git":
        return msgspec.structs.replace(sent, transport="git", remote=remote.name, known_there_as=known_as)
    return sent


def queue_update(fed: Federation, sender: Workspace, target: str, changes: dict[str, Any], reason: str,
                 actor: str, now: dt.datetime) -> SentRequest:
    """An ``update_issue`` request asking ``target``'s workspace to apply ``changes`` to it; not
    sent again while the same one is pending."""
    workspace = uri.workspace_of(target) or target
    try:
        to_repo, receiver = resolve_target(fed, sender, workspace, now.date())
    except RequestError:
        to_repo, receiver = workspace, None  # not a configured remote: addressed by its workspace name
    ident = target.rpartition("#")[2] if "#" in target else target.rpartition("/")[2]
    payload = {"title": update_title(ident, changes),
               "description": reason, "priority": 2, "issue_id": ident, "ref": target, "changes": changes,
               "requester": actor}
    sent = _send(sender, to_repo, receiver, "update_issue", payload, actor, now,
                 same_as=lambda r: r.payload.get("ref") == target and r.payload.get("changes") == changes)
    index = WorkspacePolicy(sender, now.date()).remote_index(workspace) if receiver is None else None
    remote = sender.remotes[index] if index is not None else None
    if remote is not None and remote.transport == "http" and sent.queued:
        from core.sync.outgoing_http import send_over_http

        return send_over_http(sender, sent, remote, actor, now)
    if remote is not None and remote.transport == "git":
        return msgspec.structs.replace(sent, transport="git", remote=remote.name)
    return sent


def update_title(ident: str, changes: dict[str, Any]) -> str:
    """The title of an ``update_issue`` request: what it changes on which item."""
    return f"Update {ident}: " + ", ".join(f"{k} {v}" for k, v in changes.items())


def _send(sender: Workspace, to_repo: str, receiver: Workspace | None, request_type: str, payload: dict[str, Any],
          actor: str, now: dt.datetime, same_as: Callable[[Request], bool] | None = None) -> SentRequest:
    started = time.monotonic()
    stamp = timestamp(now)
    from_repo = address(sender)
    logs = record_logs(sender)
    with workspace_lock(Path(sender.root)):
        recover(Path(sender.root))
        fresh = reread_requests(sender, logs.requests)
        pending = next((r for r in fresh.requests if r.direction == "outgoing" and r.status is RequestStatus.PENDING
                        and r.request_type == request_type and r.to_repo == to_repo and same_as is not None
                        and same_as(r)), None)
        if pending is not None:
            return _sent(sender, pending.request_id, from_repo, to_repo, receiver, request_type, pending.payload,
                         actor, queued=False, files=[], commits=[])
        taken = {r.request_id for r in fresh.requests}
        if receiver is not None:
            taken |= {r.request_id for r in reread_requests(receiver, record_logs(receiver).requests).requests}
        seed = f"{from_repo}|{to_repo}|{request_type}|{msgspec.json.encode(payload).decode()}|{stamp}"
        request_id = fresh_id("req-", seed, taken, HEX, 6)
        record = incoming_record(request_id, from_repo, to_repo, request_type, payload, stamp, "outgoing")
        writes = Plan("send", actor, workspace_owner(sender), f"request {request_id}: {request_type} to {to_repo}")
        _record(sender, record, "outgoing", actor, stamp, started, writes)
        commits = [_carry_out(Path(sender.root), writes, now)]
        files = [str(f) for f in writes.files]
    verdict = None
    if receiver is not None:
        delivered = deliver(receiver, {**record, "direction": "incoming"}, actor, now, started)
        files += delivered.files
        commits += [delivered.commit] if delivered.commit is not None else []
        verdict = delivered.judgement
    return _sent(sender, request_id, from_repo, to_repo, receiver, request_type, payload, actor, queued=True,
                 files=files, commits=commits, verdict=verdict)


class Delivered(msgspec.Struct, kw_only=True, frozen=True):
    """An incoming request as the receiver now holds it: written by this delivery (``written``) or
    found there already, and the receiver's policy verdict on it while it is pending."""

    request: Request
    workspace: Workspace  # the receiver, its requests re-read after the delivery
    written: bool
    files: list[str]
    commit: CommitOutcome | None
    judgement: Any = None  # core.analysis.approvals.Judgement, None once the request is decided


def incoming_record(request_id: str, from_repo: str, to_repo: str, request_type: str, payload: dict[str, Any],
                    stamp: str, direction: str = "incoming") -> dict[str, Any]:
    """A new pending request line as ``requests.jsonl`` holds it."""
    return {"request_id": request_id, "direction": direction, "from_repo": from_repo, "to_repo": to_repo,
            "request_type": request_type, "payload": payload, "status": RequestStatus.PENDING.value,
            "approved_by": None, "approved_at": None, "rejection_reason": None, "result": None,
            "created_at": stamp, "updated_at": stamp}


def deliver(receiver: Workspace, record: dict[str, Any], actor: str, now: dt.datetime,
            started: float | None = None, lock_timeout: float = DEFAULT_TIMEOUT,
            group: GroupCommitter | None = None) -> Delivered:
    """Append the incoming request ``record`` to ``receiver``'s logs (with its audit entry) and
    commit them, under the receiver's lock; a request with the same id from the same requester
    already there is not written again (a delivery can be retried). Raises ``RequestError`` when
    the id is taken by another requester's request."""
    with group.writing() if group is not None else contextlib.nullcontext():  # its burst waits for it
        return _deliver(receiver, record, actor, now, started, lock_timeout, group)


def _deliver(receiver: Workspace, record: dict[str, Any], actor: str, now: dt.datetime, started: float | None,
             lock_timeout: float, group: GroupCommitter | None) -> Delivered:
    started = time.monotonic() if started is None else started
    request_id, from_repo = record["request_id"], record["from_repo"]
    logs = record_logs(receiver)
    written, files, commit = False, [], None
    pending: Written | None = None
    with workspace_lock(Path(receiver.root), lock_timeout):
        recover(Path(receiver.root))
        there = next((r for r in reread_requests(receiver, logs.requests).requests if r.request_id == request_id),
                     None)
        if there is not None and there.from_repo != from_repo:
            raise RequestError(f"{receiver.name} holds a request {request_id} from {there.from_repo} already")
        if there is None:
            writes = Plan("deliver", actor, workspace_owner(receiver),
                          f"request {request_id}: {record['request_type']} from {from_repo}")
            _record(receiver, record, "incoming", actor, timestamp(now), started, writes)
            written = True
            if group is None:
                commit = _carry_out(Path(receiver.root), writes, now)
            else:  # committed with the other requests of this burst, once the lock is let go
                pending = write_ahead(Path(receiver.root), writes, now, grouped=True)
            files = [str(f) for f in writes.files]
        fresh = reread_requests(receiver, logs.requests)
    if pending is not None:
        assert group is not None
        commit = group.commit(pending, now)
    arrived = next(r for r in fresh.requests if r.request_id == request_id)
    judgement = judge(fresh, arrived, now.date()) if arrived.status is RequestStatus.PENDING else None
    return Delivered(request=arrived, workspace=fresh, written=written, files=files, commit=commit,
                     judgement=judgement)


def _carry_out(root: Path, writes: Plan, now: dt.datetime) -> CommitOutcome:
    try:
        return carry_out(root, writes, now)  # type: ignore[no-any-return]
    except (SyncError, OSError) as exc:
        raise RequestError(f"{exc}; nothing sent") from None


def _record(ws: Workspace, record: dict[str, Any], direction: str, actor: str, stamp: str,
            started: float, writes: Plan) -> None:
    """Add the request line and its audit entry to ``writes``, the plan of ``ws``'s change."""
    logs = record_logs(ws)
    local, remote = (record["from_repo"], record["to_repo"]) if direction == "outgoing" else (
        record["to_repo"], record["from_repo"])
    operation = "delegate" if record["request_type"] == "delegate" else "mutate"
    entry = audit_record(operation, actor, stamp, started, direction=direction, local_repo=local,
                         remote_repo=remote, request_id=record["request_id"],
                         payload={"operation": record["request_type"], "title": record["payload"].get("title")},
                         result={"status": "pending_approval"}, status="pending")
    writes.append(logs.requests, record)
    writes.append(logs.audit, entry)


def _sent(sender: Workspace, request_id: str, from_repo: str, to_repo: str, receiver: Workspace | None,
          request_type: str, payload: dict[str, Any], actor: str, *, queued: bool, files: list[str],
          commits: list[CommitOutcome], verdict: Any = None) -> SentRequest:
    return SentRequest(
        request_id=request_id, request_type=request_type, sender=sender.name, from_repo=from_repo, to_repo=to_repo,
        receiver=receiver.name if receiver is not None else None, status=RequestStatus.PENDING.value,
        payload=payload, verdict=verdict.verdict.value if verdict is not None else None,
        verdict_reason=verdict.reason if verdict is not None else None, queued=queued, actor=actor, files=files,
        commits=commits)
