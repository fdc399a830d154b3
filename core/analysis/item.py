"""One item of the graph, described: its node, its record, its relationships out and in (cross-repo
ones resolved, stubs marked), why it is blocked, and where it stands in the delegations.

The same description serves ``crossdeck show`` and the dashboard's Explorer: ``describe`` returns
the mapping ``show --json`` prints; ``item_fields`` gives the record's fields in the order people
read them, for any kind of node (work unit, rig, domain, contract, import, workspace).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import msgspec

from core.analysis.blocking import BlockerReport, StepTree, blockers, explain
from core.analysis.delegation import delegation_counts, delegation_position
from core.analysis.neighbourhood import NodeInfo, node_info
from core.graph_kinds import NodeKind
from core.model import status_text
from core.timeutil import today as _today

if TYPE_CHECKING:
    import networkx as nx

SKIPPED = frozenset({"membership"})  # the item's workspace and rig are among its fields

# Work-unit fields first, in the order ``crossdeck show`` prints them; other records follow with
# their own fields in declaration order.
WORK_UNIT_FIELDS = ("title", "kind", "workspace", "rig", "status", "priority", "type", "assignee", "owner",
                    "created_by", "labels", "created_at", "updated_at", "closed_at", "close_reason")
_NOT_FIELDS = frozenset({"source", "line", "extra", "description", "comments", "key", "schema", "value",
                         "history", "rigs", "routes", "domains", "repos", "governance", "config", "federation",
                         "compatibility", "permissions", "sync"})


class Relation(msgspec.Struct, kw_only=True):
    kind: str
    raw_type: str
    blocking: bool
    cross: bool  # the other end is in another workspace
    peer: NodeInfo  # the node at the other end (a stub when it is not loaded)
    terms: dict[str, Any] | None = None  # delegation edges only

    @property
    def label(self) -> str:
        """The relationship's name as people know it: the stored type of an unknown kind."""
        return self.raw_type if self.kind == "other" else self.kind


def relations(graph: nx.MultiDiGraph, key: str, outgoing: bool, limit: int | None = None) -> list[Relation]:
    """The edges out of ``key`` (``outgoing``) or into it, by the other end's key then kind; the
    first ``limit`` of them when given (``relation_count`` says how many there are)."""
    adjacency = graph._succ[key] if outgoing else graph._pred[key]
    home = graph._node[key].get("workspace")
    out: list[Relation] = []
    for other in sorted(adjacency):
        if limit is not None and len(out) >= limit:
            break
        peer = node_info(graph, other)
        for kind, attrs in sorted(adjacency[other].items()):
            if kind in SKIPPED:
                continue
            cross = attrs.get("cross")
            out.append(Relation(kind=kind, raw_type=str(attrs.get("raw_type", kind)),
                                blocking=bool(attrs.get("blocking")),
                                cross=cross if isinstance(cross, bool) else peer.workspace != home, peer=peer,
                                terms=dict(attrs["terms"]) if "terms" in attrs else None))
    return out[:limit] if limit is not None else out


def relation_count(graph: nx.MultiDiGraph, key: str, outgoing: bool) -> int:
    """How many relations ``relations`` lists for ``key`` without a limit."""
    adjacency = graph._succ[key] if outgoing else graph._pred[key]
    return sum(1 for edges in adjacency.values() for kind in edges if kind not in SKIPPED)


def describe(graph: nx.MultiDiGraph, key: str, today: dt.date | None = None,
             limit: int | None = None) -> dict[str, Any]:
    """Everything known of node ``key``: ``node``, ``record`` (builtins), ``out``, ``in``,
    ``blockers`` (a ``BlockerReport``), ``why_blocked`` (one line), ``delegation`` (or None).
    ``today`` decides what is overdue (default: the clock's today). With ``limit`` (a screen's
    worth), ``out``, ``in`` and the delegation's parents and children hold at most that many, and
    ``totals`` says how many there are of each."""
    record = graph._node[key].get("record")
    report = blockers(graph, key)
    described = {
        "node": node_info(graph, key),
        "record": msgspec.to_builtins(record) if isinstance(record, msgspec.Struct) else None,
        "out": relations(graph, key, outgoing=True, limit=limit),
        "in": relations(graph, key, outgoing=False, limit=limit),
        "blockers": report,
        "why_blocked": explain(report),
        "delegation": delegation_position(graph, key, today or _today(), limit=limit),
    }
    if limit is not None:
        parents, children = delegation_counts(graph, key)
        described["totals"] = {"out": relation_count(graph, key, outgoing=True),
                               "in": relation_count(graph, key, outgoing=False),
                               "delegated_from": parents, "delegates_to": children}
    return described


def item_fields(node: NodeInfo, record: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(name, value) pairs of the fields worth showing, as text: the work-unit fields in their
    order, then any other scalar (or list of scalars) the record holds; empty values left out,
    except a work unit's status, shown as ``-`` when it has none (a sudocode spec)."""
    values: dict[str, Any] = {"kind": node.kind, "workspace": node.workspace}
    record = record or {}
    if node.kind == NodeKind.WORK_UNIT.value and "status" in record:
        record = {**record, "status": status_text(record["status"])}
    names = list(WORK_UNIT_FIELDS)
    names += [name for name in record if name not in WORK_UNIT_FIELDS and name not in _NOT_FIELDS]
    out = []
    for name in names:
        value = record.get(name, values.get(name))
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            if not all(isinstance(v, (str, int, float, bool)) for v in value):
                continue
            shown = ", ".join(map(str, value))
        elif isinstance(value, (str, int, float, bool)):
            shown = str(value)
        else:
            continue
        out.append((name, shown))
    return out


def source_of(record: dict[str, Any] | None) -> tuple[str, int | None] | None:
    """The file (and line) a record was read from, where it says."""
    if not record or not record.get("source"):
        return None
    line = record.get("line")
    return str(record["source"]), line if isinstance(line, int) else None


def blocked_across(report: BlockerReport) -> list[str]:
    """The workspaces an item's blocking reaches: its own, then each open blocker's, in the order
    the paths meet them (``web-7tq`` is blocked across three towns). Each step is looked at once:
    a path is followed back only as far as the first step an earlier path already met."""
    if not report.is_blocked:
        return []
    seen = [report.workspace] if report.workspace else []
    tree = StepTree(report)
    met: set[str] = set()
    for key in report.blockers:
        new = []
        while key != report.key and key not in met:
            met.add(key)
            new.append(tree.by_key[key])
            key = tree.by_key[key].reached_from
        for step in reversed(new):
            if step.workspace and step.workspace not in seen:
                seen.append(step.workspace)
    return seen
