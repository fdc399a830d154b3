"""Delegating work, and closing work units with the cascade delegation completion implies.

**delegate** ``PARENT`` to a workspace (a town, ``hop://OWNER/TOWN[/RIG]``, a beads folder or a
sudocode repo): the child is created there in the real stored form (formats README): a bead with
``metadata.delegated_from`` (``parent``, ``terms`` with ``portion`` and ``deadline``,
``delegated_by`` the actor, ``delegated_to`` the entity named, else the workspace's owner), plus
the town's ``.beads/federation.jsonl`` record when the parent is in another workspace; a sudocode
issue, which has no field for a delegation, with an ``implements`` relationship to the parent and
the record in ``.sudocode/federation/delegations.jsonl``. Delegating into another workspace than the parent's is
what a ``delegate`` request from the parent's workspace would do, so it is refused when that
workspace's remotes and policy deny such a request (``core.analysis.approvals.judge``). Delegating
the same title from the same parent to the same workspace again changes nothing.

**close** ``ITEM``: its status becomes ``closed`` (with ``closed_at``, ``close_reason``). Completion
is computed, never stored (``core.analysis.delegation``): when that makes a delegated parent
complete (done itself, or every delegated child complete), a parent in the same workspace is
closed too, its ``close_reason`` naming the child and the actor (and so on up the chain); a parent
in another workspace gets an ``update_issue`` request (``status: closed``) queued in this
workspace's ``requests.jsonl`` instead (``core.sync.requests.queue_update``), sent once. Only the
automatic close waits for blockers: a parent whose delegated work is complete but which an open item
still blocks (``DelegationPosition.blocked_by``; an unresolved stub is not an open blocker) is left
open, and no request is queued for it elsewhere; the step says so (``blocked``, naming the blockers).
Closing that blocker later does not close the parent (a blocker's close unblocks what it blocked, it
does not finish it): the parent is closed by hand, or by the cascade of a later close of one of its
delegated children.

Both take the workspace's lock, re-read the workspace from disk under it, append an audit entry
and commit what they wrote with the actor as author.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import msgspec

from core import uri
from core.analysis.approvals import Verdict, judge
from core.analysis.delegation import delegation_position, implemented, implemented_by
from core.analysis.lookup import RefLookupError, find_node
from core.federation import Ambiguous, Federation, load_workspace
from core.graph import build_graph
from core.graph_kinds import EdgeKind
from core.model import Request, Workspace, WorkspaceKind, WorkUnit
from core.sync import SyncError
from core.sync.create import (
    Created,
    NewItem,
    close_changes,
    delegation_fields,
    delegation_links,
    federation_file,
    federation_record,
    journal_item,
    journal_update,
    plan_item,
)
from core.sync.decisions import check_actor
from core.sync.gitcommit import CommitOutcome, workspace_owner
from core.sync.journal import Plan, carry_out, recover
from core.sync.lock import workspace_lock
from core.sync.records import audit_record, record_logs, timestamp, utc
from core.sync.requests import SentRequest, address, names_of, queue_update
from core.timeutil import parse_date

_DELEGATION = EdgeKind.DELEGATION.value


class DelegateError(SyncError):
    """A delegation or a close was refused; the message says why."""


class DelegateResult(msgspec.Struct, kw_only=True, frozen=True):
    parent: str
    changed: bool  # false: the same delegation was there already
    child: Created
    actor: str
    files: list[str] = []
    commit: CommitOutcome | None = None


class CascadeStep(msgspec.Struct, kw_only=True, frozen=True):
    """What closing a child did to one of its delegated parents."""

    parent: str
    child: str
    # closed | update requested | waiting (other delegated work is open) | blocked (its delegated work is
    # complete but open items block it: left open, nothing queued) | done already
    outcome: str
    request_id: str | None = None  # the update_issue request, for a parent elsewhere
    blocked_by: list[str] = []  # blocked: the open items that block the parent (the nearest)


class CloseResult(msgspec.Struct, kw_only=True, frozen=True):
    key: str
    workspace: str
    changed: bool  # false: it was closed already
    closed: list[str]  # the item, then each parent the cascade closed
    reason: str
    cascade: list[CascadeStep]
    requests: list[SentRequest]
    actor: str
    files: list[str] = []
    commit: CommitOutcome | None = None


def delegate(fed: Federation, parent_ref: str, to: str, title: str, actor: str, now: dt.datetime, *,
             portion: str | None = None, deadline: str | None = None, to_entity: str | None = None,
             priority: int | None = None, description: str | None = None) -> DelegateResult:
    actor, now, started = check_actor(actor), utc(now), time.monotonic()
    if not title.strip():
        raise DelegateError("the delegated work needs a --title")
    if deadline is not None and parse_date(deadline) is None:
        raise DelegateError(f"--deadline {deadline!r} is not a date (YYYY-MM-DD)")
    parent, parent_unit = _work_unit(fed, parent_ref)
    if parent_unit.is_done:
        raise DelegateError(f"{parent} is {parent_unit.status}: there is nothing left to delegate")
    ws, rig = _target(fed, to)
    terms = {"portion": portion, "deadline": deadline}
    fields = delegation_fields(parent, terms, actor, to_entity or workspace_owner(ws))
    root = Path(ws.root)
    with workspace_lock(root):
        recover(root)  # what a killed process left half done here is finished first
        fresh = _reload(ws)
        titles = {u.key: u.title for u in fresh.work_units}
        same = next((d for d in fresh.delegations if (d.parent_key or d.parent) == parent and d.child_key in titles
                     and titles[d.child_key] == title.strip()), None)
        if same is not None and same.child_key is not None:
            child = Created(id=same.child, key=same.child_key, kind="bead", workspace=ws.name, file=same.source,
                            delegated_from=fields, existed=True)
            return DelegateResult(parent=parent, changed=False, child=child, actor=actor)
        _check_accepted(fed, fresh, parent, title.strip(), priority, now)
        item = NewItem(title=title.strip(), seed=f"{parent}|{ws.name}|{rig}|{title}|{timestamp(now)}", rig=rig,
                       priority=priority, description=description, metadata={"delegated_from": fields},
                       links=delegation_links(fresh, parent))
        plan = plan_item(fresh, item, actor, now)
        writes = Plan("delegate", actor, workspace_owner(fresh),
                      f"delegate {parent} -> {plan.key}: {title.strip()}")
        journal_item(plan, writes)
        record_file = federation_file(fresh, parent)
        if record_file is not None:
            writes.append(record_file, federation_record(plan.key, fields))
        direction = "local" if uri.workspace_of(parent) == ws.name else "incoming"
        created = {"id": plan.id, "canonical_ref": plan.key}
        _audit(writes, fresh, "delegate", actor, now, started, direction, uri.workspace_of(parent),
               {"parent": parent, "child": plan.key, "terms": fields["terms"]}, {"created": created})
        commit = _carry_out(root, writes, now)
    files = writes.files
    child = Created(id=plan.id, key=plan.key, kind=plan.kind, workspace=ws.name, file=plan.where,
                    delegated_from=fields, files=[str(f) for f in files[:-1]])
    return DelegateResult(parent=parent, changed=True, child=child, actor=actor, files=[str(f) for f in files],
                          commit=commit)


def close(fed: Federation, ref: str, reason: str | None, actor: str, now: dt.datetime, *,
          cascade: bool = True) -> CloseResult:
    actor, now, started = check_actor(actor), utc(now), time.monotonic()
    key, unit = _work_unit(fed, ref)
    ws = _local(fed, unit.workspace)
    reason = (reason or "").strip() or f"closed by {actor}"
    steps: list[CascadeStep] = []
    elsewhere: list[tuple[str, str]] = []  # (parent, child) pairs to ask the parent's workspace about
    root = Path(ws.root)
    with workspace_lock(root):
        recover(root)  # what a killed process left half done here is finished first
        fresh = _reload(ws)
        current = next((u for u in fresh.work_units if u.key == key), None)
        if current is None:
            raise DelegateError(f"{key} is no longer in {ws.name}")
        if current.is_done:
            return CloseResult(key=key, workspace=ws.name, changed=False, closed=[], reason=current.close_reason or "",
                               cascade=[], requests=[], actor=actor)
        # Every write is worked out first, on the workspace as it will be (in memory), journaled,
        # then made and committed at once (core.sync.journal).
        writes = Plan("close", actor, workspace_owner(fresh), "")
        pending: dict[Path, bytes] = {}
        state = _closing(fresh, writes, pending, current, reason, actor, now)
        _audit(writes, fresh, "close", actor, now, started, "local", None, {"item": key, "reason": reason},
               {"status": "closed"})
        closed = [key]
        frontier = [key] if cascade else []
        while frontier:
            graph = build_graph(msgspec.structs.replace(
                fed, workspaces=[state if w.name == ws.name else w for w in fed.workspaces]))
            frontier, state = _cascade(graph, state, frontier, actor, now, started, steps, elsewhere, writes,
                                       pending, closed)
        message = f"close {key}" + (f" (and {', '.join(closed[1:])} by cascade)" if len(closed) > 1 else "")
        writes.message = f"{message}: {reason}"
        commit = _carry_out(root, writes, now)
        files = writes.files
    requests = []
    for parent, child in elsewhere:  # after the lock: queueing takes this workspace's lock itself
        why = f"all delegated work of {parent} is complete: {child} was closed by {actor}"
        sent = queue_update(fed, ws, parent, {"status": "closed"}, why, actor, now)
        requests.append(sent)
        steps.append(CascadeStep(parent=parent, child=child, outcome="update requested", request_id=sent.request_id))
    return CloseResult(key=key, workspace=ws.name, changed=True, closed=closed, reason=reason, cascade=steps,
                       requests=requests, actor=actor, files=[str(f) for f in dict.fromkeys(files)], commit=commit)


def _cascade(graph: Any, ws: Workspace, frontier: list[str], actor: str, now: dt.datetime, started: float,
             steps: list[CascadeStep], elsewhere: list[tuple[str, str]], writes: Plan,
             pending: dict[Path, bytes], closed: list[str]) -> tuple[list[str], Workspace]:
    """Close (or queue for) the delegated parents of the items just closed: the parents closed,
    and the workspace as it is with them closed."""
    units = {u.key: u for u in ws.work_units}
    next_frontier = []
    # a spec has no status to close: one whose implementing issues are all closed now is complete,
    # and its own delegated parents are looked at as a closed child's are
    specs = [spec for key in frontier for spec in implemented_by(graph, key) if implemented(graph, spec)]
    for child in dict.fromkeys([*frontier, *specs]):
        for parent in sorted(p for p, edges in graph._pred.get(child, {}).items() if _DELEGATION in edges):
            record = graph._node[parent].get("record")
            if not isinstance(record, WorkUnit):
                continue  # not loaded: nothing known of it
            if record.is_done:
                steps.append(CascadeStep(parent=parent, child=child, outcome="done already"))
                continue
            position = delegation_position(graph, parent, now.date())
            if position is None or not position.complete:
                steps.append(CascadeStep(parent=parent, child=child, outcome="waiting"))
                continue
            if position.blocked_by:  # complete, but not closed while open items block it
                steps.append(CascadeStep(parent=parent, child=child, outcome="blocked",
                                         blocked_by=list(position.blocked_by)))
                continue
            if parent not in units:
                elsewhere.append((parent, child))
                continue
            why = f"all delegated work complete: {child} closed by {actor} (crossdeck close cascade)"
            ws = _closing(ws, writes, pending, units[parent], why, actor, now)
            _audit(writes, ws, "close", actor, now, started, "local", None,
                   {"item": parent, "reason": why, "cascade_from": child}, {"status": "closed"})
            steps.append(CascadeStep(parent=parent, child=child, outcome="closed"))
            closed.append(parent)
            next_frontier.append(parent)
            units = {u.key: u for u in ws.work_units}
    return next_frontier, ws


def _closing(ws: Workspace, writes: Plan, pending: dict[Path, bytes], unit: WorkUnit, reason: str, actor: str,
             now: dt.datetime) -> Workspace:
    """Add closing ``unit`` to the plan; the workspace as it will be once it is closed."""
    changes = close_changes(unit, reason, now)
    journal_update(ws, unit, changes, actor, writes, pending)
    done = msgspec.structs.replace(unit, **{k: v for k, v in changes.items() if k in unit.__struct_fields__})
    return msgspec.structs.replace(ws, work_units=[done if u.key == unit.key else u for u in ws.work_units])


def _check_accepted(fed: Federation, ws: Workspace, parent: str, title: str, priority: int | None,
                    now: dt.datetime) -> None:
    """Delegating into another workspace is what a ``delegate`` request from the parent's
    workspace would do: refused when ``ws``'s remotes and policy deny such a request."""
    home = uri.workspace_of(parent)
    if home is None or home == ws.name:
        return
    loaded = fed.workspace(home)
    asked = Request(request_id="(delegate)", direction="incoming", from_repo=address(loaded) if loaded else home,
                    to_repo=address(ws), request_type="delegate",
                    payload={"title": title, "priority": 2 if priority is None else priority, "labels": []})
    judgement = judge(ws, asked, now.date())
    if judgement.verdict is Verdict.DENIED:
        raise DelegateError(f"{ws.name} does not take delegations from {home}: {judgement.reason}"
                            + (f" ({judgement.rule})" if judgement.rule else "")
                            + "; send it a request instead: crossdeck request create --type delegate")


def _work_unit(fed: Federation, ref: str) -> tuple[str, WorkUnit]:
    graph = build_graph(fed)
    try:
        key = find_node(graph, ref)
    except RefLookupError as exc:
        raise DelegateError(str(exc)) from None
    record = graph._node[key].get("record")
    if not isinstance(record, WorkUnit):
        raise DelegateError(f"{key} is not a loaded work unit")
    return key, record


def _local(fed: Federation, name: str) -> Workspace:
    try:
        ws = fed.local(name)
    except Ambiguous as exc:
        raise DelegateError(str(exc)) from None
    if ws is None:
        raise DelegateError(f"{name} is not a local workspace here: change it there")
    return ws


def _target(fed: Federation, to: str) -> tuple[Workspace, str | None]:
    """The workspace (and rig) ``--to`` names: ``WORKSPACE`` or ``WORKSPACE/RIG``."""
    text = to.strip().rstrip("/")
    for ws in sorted(fed.workspaces, key=lambda w: -len(w.name)):
        if ws.remote_cache:
            continue
        if text in names_of(ws):
            rig = None
        elif text.startswith(ws.name + "/"):
            rig = text[len(ws.name) + 1:]
        else:
            continue
        if ws.kind is WorkspaceKind.SUDOCODE and rig is not None:
            raise DelegateError(f"{ws.name} is a sudocode repo: it has no rigs ({rig!r})")
        if ws.kind is WorkspaceKind.REALM:
            raise DelegateError(f"{ws.name} is a realm: it holds contracts, not work")
        return ws, rig
    towns = ", ".join(sorted(w.name for w in fed.workspaces if w.kind in (WorkspaceKind.TOWN, WorkspaceKind.BEADS)))
    raise DelegateError(f"no local town or beads folder {to} is loaded (loaded: {towns or 'none'}); a workspace "
                        "that is not loaded here gets a request: crossdeck request create --type delegate")


def _reload(ws: Workspace) -> Workspace:
    fresh, diags = load_workspace(Path(ws.root), ws.kind)
    if fresh is None:
        raise DelegateError(f"{ws.root} can no longer be read: " + "; ".join(str(d) for d in diags.items))
    return fresh


def _carry_out(root: Path, writes: Plan, now: dt.datetime) -> CommitOutcome:
    try:
        return carry_out(root, writes, now)  # type: ignore[no-any-return]
    except (SyncError, OSError) as exc:
        raise DelegateError(str(exc)) from None


def _audit(writes: Plan, ws: Workspace, operation: str, actor: str, now: dt.datetime, started: float,
           direction: str, remote: str | None, payload: dict[str, Any], result: dict[str, Any]) -> None:
    writes.append(record_logs(ws).audit, audit_record(operation, actor, timestamp(now), started, direction=direction,
                                                      local_repo=address(ws), remote_repo=remote, payload=payload,
                                                      result=result))
