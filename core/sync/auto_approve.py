"""Carrying out every auto-approvable request at once (``crossdeck approve --auto-approvable``, the
Approvals pane's ``A``).

The requests are the pending incoming requests of the local workspaces whose policy verdict is
auto-approvable (``core.analysis.approvals``), oldest first. Each is approved on its own by
``core.sync.decisions.decide``, the one piece of code for a decision: its own lock, re-read, check
(a request the policy now denies, e.g. once the requester's ``max_creates_per_day`` is spent by the
ones before it, is refused), snapshot lines, audit entry and commit by the actor; the workspace
is then read again, so the next decision there sees what this one wrote, as separate ``crossdeck
approve`` runs would. A request that cannot be approved (refused, its workspace locked by another
process, written but not committed) is reported and the others still run.

``dry_run`` writes nothing: it says what would be approved, judging each request as its policy
would once the ones before it in the batch are approved (so a daily limit the batch would reach
shows as a refusal here too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import Literal

import msgspec

from core.analysis.approvals import IncomingRequest, Verdict, approvals_of, judge
from core.federation import Federation, load_workspace
from core.model import RequestStatus, Workspace
from core.sync import SyncError
from core.sync.decisions import DecisionError, DecisionResult, check_actor, decide, may_decide
from core.sync.gitcommit import CommitOutcome
from core.sync.lock import DEFAULT_TIMEOUT
from core.sync.records import utc

Outcome = Literal["approved", "would approve", "unchanged", "refused", "would be refused"]
_CREATES = {"create_issue": "an issue", "create_spec": "a spec", "delegate": "the delegated work unit"}


class AutoApproval(msgspec.Struct, kw_only=True, frozen=True):
    """One auto-approvable request and what became of it."""

    request_id: str
    workspace: str
    ref: str  # WORKSPACE:REQUEST_ID
    requester: str
    request_type: str
    title: str | None
    rule: str | None  # the policy rule that makes it auto-approvable
    verdict_reason: str
    # approved | would approve (dry run) | unchanged (decided meanwhile, the same way) | refused |
    # would be refused (dry run: the batch before it changes its verdict)
    outcome: Outcome
    intent: str  # what approving it does: creates an issue here, changes the item it names here, ...
    created: str | None = None  # the key of the item it created
    updated: str | None = None  # the key of the item an approved update changed
    error: str | None = None  # refused: why; approved but not committed: git's note
    files: list[str] = []
    commit: CommitOutcome | None = None
    failed: bool = False  # refused, or approved but not committed (dry run: would be refused)


class AutoApproveReport(msgspec.Struct, kw_only=True, frozen=True):
    dry_run: bool
    actor: str
    today: str
    requests: list[AutoApproval]  # oldest first
    approved: int  # approved now (dry run: would be)
    failed: int  # refused, or approved but not committed (dry run: would be refused)

    @property
    def changed(self) -> bool:
        return not self.dry_run and any(r.outcome == "approved" for r in self.requests)


def auto_approvable(fed: Federation, today: dt.date) -> list[IncomingRequest]:
    """The pending incoming requests whose verdict is auto-approvable, oldest first."""
    return [row for row in approvals_of(fed.workspaces, today).pending if row.verdict is Verdict.AUTO_APPROVABLE]


def approve_auto_approvable(fed: Federation, actor: str, now: dt.datetime, *, dry_run: bool = False,
                            only: Collection[str] | None = None,
                            lock_timeout: float = DEFAULT_TIMEOUT) -> AutoApproveReport:
    """Approve every auto-approvable request of ``fed`` as ``actor`` (``only``: just those of these
    refs, ``WORKSPACE:REQUEST_ID``, e.g. the ones a confirm modal listed); each decision waits up to
    ``lock_timeout`` seconds for its workspace's lock."""
    actor, now = check_actor(actor), utc(now)
    rows = [row for row in auto_approvable(fed, now.date()) if only is None or _ref(row) in only]
    done: list[AutoApproval] = []
    batch: dict[str, set[str]] = {}  # dry run: the requests the batch approves before, by workspace
    for row in rows:
        if dry_run:
            item = _foreseen(fed, row, batch.setdefault(row.workspace, set()), now.date(), actor)
        else:
            item = _approve(fed, row, actor, now, lock_timeout)
            if item.outcome == "approved":  # the next decision there sees what this one wrote
                fed = _reloaded(fed, row.workspace)
        done.append(item)
    return AutoApproveReport(dry_run=dry_run, actor=actor, today=now.date().isoformat(), requests=done,
                             approved=sum(r.outcome in ("approved", "would approve") for r in done),
                             failed=sum(r.failed for r in done))


def _approve(fed: Federation, row: IncomingRequest, actor: str, now: dt.datetime, lock_timeout: float) -> AutoApproval:
    try:
        result = decide(fed, _ref(row), "approve", actor, _note(row), now, lock_timeout=lock_timeout)
    except SyncError as exc:
        return _item(row, "refused", error=str(exc))
    return _decided(row, result)


def _reloaded(fed: Federation, name: str) -> Federation:
    """``fed`` with workspace ``name`` read again from disk (as it was, when it cannot be)."""
    ws = fed.workspace(name)
    fresh = load_workspace(Path(ws.root), ws.kind)[0] if ws is not None else None
    if fresh is None:
        return fed
    return msgspec.structs.replace(fed, workspaces=[fresh if w.name == name else w for w in fed.workspaces])


def _decided(row: IncomingRequest, result: DecisionResult) -> AutoApproval:
    commit = result.commit
    return _item(row, "approved" if result.changed else "unchanged",
                 created=result.created.key if result.created is not None else None,
                 updated=result.updated.key if result.updated is not None else None,
                 error=commit.note if commit is not None and commit.failed else None,
                 files=list(result.files), commit=commit)


def _foreseen(fed: Federation, row: IncomingRequest, before: set[str], today: dt.date, actor: str) -> AutoApproval:
    """The dry run's word on ``row``: whether ``actor`` may decide there (its maintainers), and its
    verdict once the batch's earlier ones in its workspace are approved (as ``decide`` will judge
    it then)."""
    ws = fed.workspace(row.workspace)
    request = next((r for r in ws.requests if r.request_id == row.request_id and r.direction == "incoming"),
                   None) if ws is not None else None
    if ws is None or request is None:
        return _item(row, "would approve")
    try:
        may_decide(ws, actor, f"approve {_ref(row)}")
    except DecisionError as exc:
        return _item(row, "would be refused", error=str(exc))
    judgement = judge(_with_approved(ws, before), request, today)
    if judgement.verdict is Verdict.DENIED:
        return _item(row, "would be refused", error=f"the policy would deny it: {judgement.reason}"
                     + (f" ({judgement.rule})" if judgement.rule else ""))
    before.add(row.request_id)
    return _item(row, "would approve")


def _with_approved(ws: Workspace, approved: set[str]) -> Workspace:
    if not approved:
        return ws
    requests = [msgspec.structs.replace(r, status=RequestStatus.APPROVED)
                if r.direction == "incoming" and r.request_id in approved else r for r in ws.requests]
    return msgspec.structs.replace(ws, requests=requests)


def _item(row: IncomingRequest, outcome: Outcome, *, commit: CommitOutcome | None = None,
          **fields: object) -> AutoApproval:
    failed = outcome in ("refused", "would be refused") or (commit is not None and commit.failed)
    return AutoApproval(request_id=row.request_id, workspace=row.workspace, ref=_ref(row), requester=row.requester,
                        request_type=row.request_type, title=row.title, rule=row.rule, verdict_reason=row.reason,
                        outcome=outcome, intent=intent(row.request_type), commit=commit, failed=failed,
                        **fields)  # type: ignore[arg-type]


def intent(request_type: str) -> str:
    """What approving a request of this type does, in words."""
    if request_type in _CREATES:
        return f"creates {_CREATES[request_type]} here"
    if request_type == "update_issue":
        return "changes the item it names here"
    return "records the approval"


def _note(row: IncomingRequest) -> str:
    """The approval's note in its audit entry: why it was auto-approvable."""
    return f"auto-approvable: {row.reason}" + (f" ({row.rule})" if row.rule else "")


def _ref(row: IncomingRequest) -> str:
    return f"{row.workspace}:{row.request_id}"
