"""Aggregation queries across workspaces (the federation document's ``bd list --org``,
``--project --include-delegated`` and an agent's full history).

* **org**: work units whose assignee, owner or creator acts for a member of the organisation
  (``core.analysis.audit.Affiliations``: an entity employed by it, or any actor of a town owned
  by such an entity).
* **project**: a work unit, its parent-child children, and with ``include_delegated`` every work
  unit reached through delegation edges (parent -> child), transitively, across workspaces.
  Delegated work in a workspace that is not loaded is listed as a stub (``loaded: false``).
  The walk goes through done units: a closed parent can still have open delegated work.
* **actor**: work units the actor created, is assigned or owns (the actor, or a leading part of
  it cut at ``/``), and the audit events by that actor.

Selections given together must all hold. The status filter keeps units whose status is one of
those named (``done`` and ``not-done`` stand for every done / not-done status); a stub has no
known status and a work unit with no status (a sudocode spec) has none at all: neither passes any
status filter. Events are never status-filtered.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from core import uri
from core.analysis.audit import Affiliations, AuditEntry, AuditTimeline, actor_matches
from core.dolt.servers import item_backup_note
from core.graph_kinds import EdgeKind, NodeKind
from core.model import DONE_STATUSES, WorkUnit, Workspace, status_text

if TYPE_CHECKING:
    import networkx as nx

    from core.federation import Federation

_DELEGATION = EdgeKind.DELEGATION.value
_PARENT_CHILD = EdgeKind.PARENT_CHILD.value
_ROLES = (("created_by", "created"), ("assignee", "assigned"), ("owner", "owned"))


class StatusFilter(msgspec.Struct, frozen=True):
    """Statuses to keep; ``done`` / ``not-done`` stand for every done / not-done status."""

    statuses: frozenset[str]

    @classmethod
    def parse(cls, values: Iterable[str]) -> StatusFilter | None:
        """From ``--status`` values, each possibly comma-separated; None when nothing is named."""
        names = frozenset(s.strip() for v in values for s in v.split(",") if s.strip())
        return cls(names) if names else None

    def keeps(self, status: str | None) -> bool:
        if status is None:  # a stub, or a work unit with no status (a spec): no filter names it
            return False
        done = status in DONE_STATUSES
        return status in self.statuses or ("done" in self.statuses and done) or ("not-done" in self.statuses and not done)


class MemberMatch(msgspec.Struct, kw_only=True, frozen=True):
    field: str  # assignee | owner | created_by
    actor: str
    entity: str  # the org member the actor acts for


class ProjectStep(msgspec.Struct, kw_only=True, frozen=True):
    depth: int  # 0 for the project itself
    via: str  # project | child (parent-child) | delegation
    parent: str | None  # the key it was reached from
    terms: dict[str, Any] = {}  # the delegation's terms (portion, deadline, ...)
    delegated_to: str | None = None


class WorkRow(msgspec.Struct, kw_only=True):
    key: str
    id: str
    workspace: str | None
    title: str
    status: str | None  # None for work not loaded (a stub) and for a work unit with no status (a spec)
    done: bool | None  # None for work not loaded
    loaded: bool
    cache_status: str | None = None  # a stub's remote cache status (synced, stale, unreachable)
    priority: int | None = None
    assignee: str | None = None
    owner: str | None = None
    created_by: str | None = None
    members: list[MemberMatch] = []  # --org: which fields tie it to the organisation
    roles: list[str] = []  # --actor: created, assigned, owned
    project: ProjectStep | None = None  # --project: how it was reached
    from_backup: str | None = None  # a bead shown from its export or backup because its Dolt server is down: why


class WorkQuery(msgspec.Struct, kw_only=True, frozen=True):
    org: str | None = None
    project: str | None = None  # a node key (find it with core.analysis.lookup.find_node)
    include_delegated: bool = False
    actor: str | None = None
    status: StatusFilter | None = None


class WorkSelection(msgspec.Struct, kw_only=True):
    work_units: list[WorkRow]
    events: list[AuditEntry] | None  # with an actor: the actor's audit events, newest first
    by_status: dict[str, int]  # of the work units listed ("unknown" for stubs, "-" for no status)


def affiliations(graph: nx.MultiDiGraph) -> Affiliations:
    """The federation's affiliations, built once per graph."""
    found = graph.graph.get("_affiliations")
    if not isinstance(found, Affiliations):
        found = graph.graph["_affiliations"] = Affiliations(_federation(graph).workspaces)
    return found


def timeline(graph: nx.MultiDiGraph) -> AuditTimeline:
    """The federation's audit timeline, sorted once per graph."""
    found = graph.graph.get("_audit_timeline")
    if not isinstance(found, AuditTimeline):
        found = AuditTimeline(_federation(graph).workspaces, affiliations(graph))
        graph.graph["_audit_timeline"] = found
    return found


def select_work(graph: nx.MultiDiGraph, query: WorkQuery) -> WorkSelection:
    """The work units every given selection names (all work units when none is given)."""
    workspaces = _federation(graph).workspaces
    members = _org_matches(workspaces, affiliations(graph), query.org) if query.org is not None else None
    roles = _actor_roles(workspaces, query.actor) if query.actor is not None else None
    steps = project_steps(graph, query.project, query.include_delegated) if query.project is not None else None
    if steps is not None:
        keys: Iterable[str] = steps
    elif members is not None:
        keys = members
    elif roles is not None:
        keys = roles
    else:
        keys = (unit.key for ws in workspaces for unit in ws.work_units)
    rows: list[WorkRow] = []
    nodes = graph._node
    for key in keys:
        if (members is not None and key not in members) or (roles is not None and key not in roles):
            continue
        row = _row(key, nodes.get(key, {}))
        if query.status is not None and not query.status.keeps(row.status):
            continue
        row.members = members[key] if members is not None else []
        row.roles = roles[key] if roles is not None else []
        row.project = steps[key] if steps is not None else None
        row.from_backup = item_backup_note(graph, nodes.get(key, {}).get("record"))
        rows.append(row)
    events = timeline(graph).events_by(query.actor) if query.actor is not None else None
    return WorkSelection(work_units=rows, events=events,
                         by_status=dict(Counter(map(_status_key, rows)).most_common()))


def _status_key(row: WorkRow) -> str:
    """A row's status as ``by_status`` counts it: ``unknown`` for a stub, ``-`` for a work unit
    with no status (a spec)."""
    if row.status is not None:
        return row.status
    return "unknown" if row.done is None else status_text(None)


def org_work(graph: nx.MultiDiGraph, org: str, status: StatusFilter | None = None) -> list[WorkRow]:
    return select_work(graph, WorkQuery(org=org, status=status)).work_units


def project_work(graph: nx.MultiDiGraph, key: str, include_delegated: bool = True,
                 status: StatusFilter | None = None) -> list[WorkRow]:
    return select_work(graph, WorkQuery(project=key, include_delegated=include_delegated, status=status)).work_units


def actor_history(graph: nx.MultiDiGraph, actor: str, status: StatusFilter | None = None) -> WorkSelection:
    return select_work(graph, WorkQuery(actor=actor, status=status))


def project_steps(graph: nx.MultiDiGraph, root: str, include_delegated: bool) -> dict[str, ProjectStep]:
    """``root`` and what it contains, breadth first: parent-child children (edges child -> parent)
    and, with ``include_delegated``, delegated work (edges parent -> child). Cycles end the walk."""
    steps = {root: ProjectStep(depth=0, via="project", parent=None)}
    if root not in graph._node:
        return steps
    succ, pred = graph._succ, graph._pred
    queue = deque([root])
    while queue:
        node = queue.popleft()
        depth = steps[node].depth + 1
        for child, edges in pred[node].items():
            if _PARENT_CHILD in edges and child not in steps:
                steps[child] = ProjectStep(depth=depth, via="child", parent=node)
                queue.append(child)
        if not include_delegated:
            continue
        for child, edges in succ[node].items():
            attrs = edges.get(_DELEGATION)
            if attrs is not None and child not in steps:
                steps[child] = ProjectStep(depth=depth, via="delegation", parent=node,
                                           terms=dict(attrs.get("terms") or {}), delegated_to=attrs.get("delegated_to"))
                queue.append(child)
    return steps


def _org_matches(workspaces: Sequence[Workspace], who: Affiliations, org: str) -> dict[str, list[MemberMatch]]:
    members = who.members(org)
    entity_of = who.entity_of
    found: dict[str, list[MemberMatch]] = {}
    for ws in workspaces:
        for unit in ws.work_units:
            matches = None
            for field, _ in _ROLES:
                actor = getattr(unit, field)
                if actor is None:
                    continue
                entity = entity_of(actor, ws.name)
                if entity in members:
                    matches = matches or []
                    matches.append(MemberMatch(field=field, actor=actor, entity=entity))  # type: ignore[arg-type]
            if matches:
                found[unit.key] = matches
    return found


def _actor_roles(workspaces: Sequence[Workspace], pattern: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    decided: dict[str | None, bool] = {None: False}  # few distinct actors: match each once

    def matches(actor: str | None) -> bool:
        known = decided.get(actor)
        if known is None:
            known = decided[actor] = actor_matches(actor, pattern)
        return known

    for ws in workspaces:
        for unit in ws.work_units:
            roles = [role for field, role in _ROLES if matches(getattr(unit, field))]
            if roles:
                found[unit.key] = roles
    return found


def _row(key: str, attrs: dict[str, Any]) -> WorkRow:
    unit = attrs.get("record")
    if isinstance(unit, WorkUnit):
        return WorkRow(key=key, id=unit.id, workspace=unit.workspace, title=unit.title, status=unit.status,
                       done=unit.is_done, loaded=True, priority=unit.priority, assignee=unit.assignee,
                       owner=unit.owner, created_by=unit.created_by)
    ref = uri.try_parse(key)
    loaded = attrs.get("kind") not in (NodeKind.STUB, None)
    return WorkRow(key=key, id=ref.id if ref is not None else key, workspace=attrs.get("workspace") or uri.workspace_of(key),
                   title=str(attrs.get("label") or key), status=None, done=None, loaded=loaded,
                   cache_status=attrs.get("cache_status"))


def _federation(graph: nx.MultiDiGraph) -> Federation:
    return graph.graph["federation"]  # type: ignore[no-any-return]
