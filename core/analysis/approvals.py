"""Pending approvals: each incoming cross-repo request with its requester's trust, the policy rule
that matched, and the verdict, oldest first; and the outgoing requests with their status.

The verdict of a pending incoming request follows docs/formats.md ("sudocode repos"), first
match wins:

1. **denied**: the requester is not among the workspace's remotes (matched by the remote's name,
   the name its URL gives, its display name or its URL); or its ``permissions.mutate`` is not
   ``true`` / ``{"allowed": true}``; or the request type is not in its ``operations`` (when it
   lists some); or, for a ``create_*`` request, its ``max_creates_per_day`` is reached (counting its
   ``create_*`` requests to this workspace created on ``today`` and approved or completed); or the
   workspace's ``policies.incoming_requests.mutate`` is ``false`` or has ``allowed: false``.
2. **needs a human**: a ``require_approval`` condition holds, or the requester is untrusted.
3. **auto-approvable**: every one of the remote's ``auto_approve_conditions`` holds (when it has
   some), or an ``auto_approve`` rule of the workspace's policy holds.
4. otherwise **needs a human**.

The outgoing requests' status is the furthest along of the sender's line and the receiver's copy
(``core.analysis.outgoing``).

Only sudocode repos have a workspace policy (``federation.config.json`` ``policies``); for towns
and realms only the remote's own conditions apply. A condition that cannot be parsed or evaluated
makes the request need a human, with the error naming the rule as the reason: a broken policy
never auto-approves, and the analysis never raises. Cached copies of remote workspaces are left
out: their queue is not ours to decide.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from core.analysis.outgoing import OutgoingRequest, Synced, outgoing_row, receiver_copies
from core.model import Request, RequestStatus, SudocodeRepo, TrustLevel, Workspace, WorkspaceKind
from core.policy import PolicyError, holds, rule_conditions, rule_notify
from core.sources.federation_records import remote_name
from core.timeutil import parse_date, parse_ts

POLICY = "policies.incoming_requests.mutate"
_SPENT = frozenset({RequestStatus.APPROVED, RequestStatus.COMPLETED})  # count against max_creates_per_day
_ENTITY_BY_SUFFIX = (("_issue", "issue"), ("_spec", "spec"))


class Verdict(str, enum.Enum):
    AUTO_APPROVABLE = "auto-approvable"
    NEEDS_HUMAN = "needs-human"
    DENIED = "denied"


class Judgement(msgspec.Struct, kw_only=True, frozen=True):
    verdict: Verdict
    reason: str
    rule: str | None = None  # the config path of the rule that decided, e.g. policies...auto_approve[1]
    notify: list[str] = []  # that rule's ``notify`` targets (``["@team-leads"]``), who is to hear of it


class IncomingRequest(msgspec.Struct, kw_only=True, frozen=True):
    """An incoming request as the approvals pane and ``crossdeck approvals`` show it."""

    request_id: str
    workspace: str  # the workspace whose queue holds it
    requester: str  # from_repo
    to_repo: str
    request_type: str
    title: str | None
    priority: Any
    labels: list[Any]
    status: RequestStatus
    created_at: str | None
    age_days: int | None  # whole days from created_at to today
    trust_level: TrustLevel  # untrusted when the requester is not a configured remote
    remote: str | None  # the name of the requester's remote record in this workspace
    verdict: Verdict | None  # None once decided
    rule: str | None
    reason: str
    notify: list[str] = []  # the deciding rule's notify targets (pending only)
    approved_by: str | None = None
    approved_at: str | None = None
    rejection_reason: str | None = None
    source: str = ""
    line: int | None = None


class ApprovalsReport(msgspec.Struct, kw_only=True):
    pending: list[IncomingRequest] = []  # oldest first
    decided: list[IncomingRequest] = []  # incoming, no longer pending; oldest first
    outgoing: list[OutgoingRequest] = []  # oldest first


def approvals(graph: Any, today: dt.date, synced: Synced | None = None) -> ApprovalsReport:
    """The approvals of the federation the graph was built from (``graph.graph["federation"]``)."""
    return approvals_of(graph.graph["federation"].workspaces, today, synced)


def approvals_of(workspaces: Iterable[Workspace], today: dt.date, synced: Synced | None = None) -> ApprovalsReport:
    """The queue, the history and the outgoing requests (with their live status: see
    ``core.analysis.outgoing``; ``synced``: each remote's last successful sync, from the store)
    of the local workspaces among ``workspaces``."""
    report = ApprovalsReport()
    workspaces = list(workspaces)
    copies = None
    for ws in workspaces:
        if ws.remote_cache or not ws.requests:
            continue
        policy = WorkspacePolicy(ws, today)
        for req in ws.requests:
            if req.direction == "outgoing":
                copies = receiver_copies(workspaces) if copies is None else copies
                index = policy.remote_index(req.to_repo)
                report.outgoing.append(outgoing_row(req, ws, today, ws.remotes[index] if index is not None else None,
                                                    copies, synced))
            elif req.status is RequestStatus.PENDING:
                report.pending.append(_incoming(req, ws, today, policy, policy.judge(req)))
            else:
                report.decided.append(_incoming(req, ws, today, policy, None))
    for rows in (report.pending, report.decided, report.outgoing):
        rows.sort(key=_oldest_first)
    return report


def judge(ws: Workspace, request: Request, today: dt.date) -> Judgement:
    """The verdict on one incoming request of ``ws`` (e.g. before an approve action)."""
    return WorkspacePolicy(ws, today).judge(request)


def request_context(request: Request, trust: TrustLevel) -> dict[str, Any]:
    """The names a condition can use, for ``request`` from a requester of trust ``trust``."""
    payload = request.payload
    labels = payload["labels"] if "labels" in payload else payload.get("tags", [])
    kind = payload.get("type")
    entity = payload.get("entity_type")
    if entity is None:
        entity = next((e for suffix, e in _ENTITY_BY_SUFFIX if request.request_type.endswith(suffix)), None)
    return {
        "priority": payload.get("priority"),
        "labels": labels,
        "title": payload.get("title"),
        "type": kind if kind is not None else payload.get("issue_type"),
        "operation": request.request_type,
        "entity_type": entity,
        "trust_level": trust.value,
        "from_repo": request.from_repo,
        "requester": payload.get("requester") or request.from_repo,
    }


class _Rule(msgspec.Struct, frozen=True):
    path: str  # where it is configured, e.g. policies.incoming_requests.mutate.auto_approve[0]
    condition: Any  # the text, or whatever malformed value stood there
    notify: list[str] = []  # its notify targets

    def holds(self, context: Mapping[str, Any]) -> bool:
        return holds(self.condition, context, self.path)


def _rules(entries: Any, path: str) -> list[_Rule]:
    """``[{"condition": ...}, ...]`` or ``["...", ...]``; a malformed entry becomes a rule that fails."""
    return [_Rule(rule, condition, rule_notify(entries, i))
            for i, (rule, _, condition) in enumerate(rule_conditions(entries, path, []))]


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None where a level is missing or not a mapping (config files)."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


_dig = dig


class WorkspacePolicy:
    """What one workspace's remotes and policy say, indexed once for all its requests."""

    def __init__(self, ws: Workspace, today: dt.date):
        self.ws = ws
        self.remotes_key = "remote_repos" if ws.kind is WorkspaceKind.SUDOCODE else "remotes"
        self.by_name: dict[str, int] = {}
        for index, remote in enumerate(ws.remotes):
            workspace = remote.extra.get("workspace")  # towns and realms name the workspace it leads to
            for name in (remote.name, remote_name(remote.url), remote.display_name, remote.url, workspace):
                if isinstance(name, str) and name:
                    self.by_name.setdefault(name, index)
        mutate = _dig(ws.info.federation, "policies", "incoming_requests", "mutate") \
            if isinstance(ws.info, SudocodeRepo) else None
        self.mutate_disallowed = mutate is False or _dig(mutate, "allowed") is False
        self.require = _rules(_dig(mutate, "require_approval"), f"{POLICY}.require_approval")
        self.auto = _rules(_dig(mutate, "auto_approve"), f"{POLICY}.auto_approve")
        self.creates_today: Counter[int] = Counter()
        for req in ws.requests:
            if (req.direction == "incoming" and req.status in _SPENT and _is_create(req.request_type)
                    and parse_date(req.created_at) == today):
                index = self.remote_index(req.from_repo)
                if index is not None:
                    self.creates_today[index] += 1

    def remote_index(self, requester: str) -> int | None:
        found = self.by_name.get(requester)
        return found if found is not None else self.by_name.get(remote_name(requester))

    def judge(self, req: Request) -> Judgement:
        index = self.remote_index(req.from_repo)
        if index is None:
            return _denied(f"{req.from_repo} is not among the remotes of {self.ws.name}", self.remotes_key)
        remote = self.ws.remotes[index]
        at = f"{self.remotes_key}[{index}]"
        denial = self._denial(req, index, at)
        if denial is not None:
            return denial
        context = request_context(req, remote.trust_level)
        own_path = f"{at}.permissions.mutate.auto_approve_conditions"
        own = _rules(_dig(remote.permissions, "mutate", "auto_approve_conditions"), own_path)
        try:
            for rule in self.require:
                if rule.holds(context):
                    return _human(f"approval required when {rule.condition}", rule.path, rule.notify)
            if remote.trust_level is TrustLevel.UNTRUSTED:
                return _human(f"{remote.name} is untrusted", f"{at}.trust_level")
            own_held = [rule.holds(context) for rule in own]  # every rule evaluated: errors surface
            held = [rule for rule in self.auto if rule.holds(context)]
        except PolicyError as exc:
            return _human(str(exc), exc.rule)
        if own and all(own_held):
            return Judgement(verdict=Verdict.AUTO_APPROVABLE, rule=own_path,
                             reason=f"every auto-approve condition of {remote.name} holds: "
                                    + "; ".join(str(rule.condition) for rule in own))
        if held:
            return Judgement(verdict=Verdict.AUTO_APPROVABLE, rule=held[0].path, notify=held[0].notify,
                             reason=f"auto-approve rule holds: {held[0].condition}")
        if not own and not self.auto:
            return _human("no auto-approve rule is configured", None)
        failing = next((rule for rule, ok in zip(own, own_held) if not ok), None)
        if failing is None:
            return _human("no auto-approve rule holds", f"{POLICY}.auto_approve")
        return _human(f"no auto-approve rule holds ({failing.condition} does not)", failing.path)

    def _denial(self, req: Request, index: int, at: str) -> Judgement | None:
        remote = self.ws.remotes[index]
        mutate = _dig(remote.permissions, "mutate")
        if not (mutate is True or _dig(mutate, "allowed") is True):
            if isinstance(mutate, dict):
                return _denied(f"{remote.name} may not mutate: its mutate.allowed is {_json(mutate.get('allowed'))}",
                               f"{at}.permissions.mutate.allowed")
            return _denied(f"{remote.name} may not mutate: its permissions.mutate is {_json(mutate)}",
                           f"{at}.permissions.mutate")
        operations = _dig(mutate, "operations")
        if operations is not None:
            if not isinstance(operations, list):
                return _denied("operations should be a list of request types", f"{at}.permissions.mutate.operations")
            if req.request_type not in operations:
                allowed = ", ".join(str(op) for op in operations) or "none"
                return _denied(f"{req.request_type} is not among the operations {remote.name} may request ({allowed})",
                               f"{at}.permissions.mutate.operations")
        limit = _dig(mutate, "max_creates_per_day")
        if limit is not None and _is_create(req.request_type):
            path = f"{at}.permissions.mutate.max_creates_per_day"
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                return _denied(f"max_creates_per_day should be a whole number, not {limit!r}", path)
            used = self.creates_today[index]
            if used >= limit:
                return _denied(f"{remote.name} reached its max_creates_per_day: {used} of {limit} approved today", path)
        if self.mutate_disallowed:
            return _denied(f"the policy of {self.ws.name} disallows mutate", f"{POLICY}.allowed")
        return None


def _json(value: Any) -> str:
    """A config value as the file writes it: ``false``, ``null``, ``"yes"``."""
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(value)


def _is_create(request_type: str) -> bool:
    return request_type.startswith("create_")


def _denied(reason: str, rule: str | None) -> Judgement:
    return Judgement(verdict=Verdict.DENIED, reason=reason, rule=rule)


def _human(reason: str, rule: str | None, notify: list[str] | None = None) -> Judgement:
    return Judgement(verdict=Verdict.NEEDS_HUMAN, reason=reason, rule=rule, notify=notify or [])


def _age(created_at: str | None, today: dt.date) -> int | None:
    day = parse_date(created_at)
    return (today - day).days if day else None


def _incoming(req: Request, ws: Workspace, today: dt.date, policy: WorkspacePolicy,
              judgement: Judgement | None) -> IncomingRequest:
    index = policy.remote_index(req.from_repo)
    remote = ws.remotes[index] if index is not None else None
    return IncomingRequest(
        request_id=req.request_id, workspace=ws.name, requester=req.from_repo, to_repo=req.to_repo,
        request_type=req.request_type, title=_text(req.payload.get("title")), priority=req.payload.get("priority"),
        labels=_list(req.payload.get("labels")), status=req.status, created_at=req.created_at,
        age_days=_age(req.created_at, today), trust_level=remote.trust_level if remote else TrustLevel.UNTRUSTED,
        remote=remote.name if remote else None, verdict=judgement.verdict if judgement else None,
        rule=judgement.rule if judgement else None, reason=judgement.reason if judgement else "",
        notify=judgement.notify if judgement else [],
        approved_by=req.approved_by, approved_at=req.approved_at, rejection_reason=req.rejection_reason,
        source=req.source, line=req.line)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None if value is None else str(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_LAST = dt.datetime.max.replace(tzinfo=dt.UTC)


def _oldest_first(row: IncomingRequest | OutgoingRequest) -> tuple[dt.datetime, str, str]:
    return (parse_ts(row.created_at) or _LAST, row.workspace, row.request_id)

