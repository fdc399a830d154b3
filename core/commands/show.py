"""``crossdeck show REF``: one item, its relationships in and out, why it is blocked, and where
it stands in the delegations.

``open_ref`` is shared by the verbs that take a REF (show, blockers, graph): it loads the graph
and finds the node, or says why not on stderr (exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from core.analysis.delegation import ChainItem, DelegationPosition, blocked_text
from core.analysis.item import describe
from core.analysis.lookup import RefLookupError, find_node
from core.analysis.neighbourhood import node_text
from core.commands.common import add_as_of, add_common, cached_remote_status, graph_of, reads
from core.commands.output import EXIT_UNUSABLE, report_diagnostics, respond
from core.dolt.servers import item_backup_note
from core.federation import Federation
from core.graph_kinds import NodeKind
from core.model import status_text
from core.sources.limits import UNIT_RECORDS
from core.text import one_line, printable
from core.timeutil import today

if TYPE_CHECKING:
    import networkx as nx

def add_ref_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF",
                        help="a key (hop://..., org/repo#id, gt://...), a short id (gp-xyz, rig/gp-xyz), or a title")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("show", help="one item: fields, relationships, why blocked, delegation")
    add_ref_argument(parser)
    add_common(parser)
    add_as_of(parser)
    reads(parser, later=UNIT_RECORDS)  # of the items its description looks up (core.working_set.walk_from)
    parser.set_defaults(run=run)


def open_ref(args: argparse.Namespace, fed: Federation, *,
             walks_only: bool = False) -> tuple[nx.MultiDiGraph, str] | None:
    """The graph (``walks_only``: as ``graph_of`` says) and the key ``args.ref`` names; None
    (after saying why on stderr) when there is nothing loaded or the reference names no single
    node."""
    if not fed.workspaces:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write("no workspace could be loaded below: " + one_line(", ".join(fed.roots)) + "\n")
        return None
    graph = graph_of(fed, walks_only=walks_only)
    try:
        return graph, find_node(graph, args.ref)
    except RefLookupError as exc:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck {args.verb}: {one_line(str(exc))}\n")
        return None


def run(args: argparse.Namespace, fed: Federation) -> int:
    """A work unit named by its key is described from the working set its description reads
    (``core.working_set.walk_from``: the units it looks up and every edge into or out of them);
    anything else (a short id, a title, another kind of node), or a description that keeps
    reaching further (a long chain of blockers), from the whole graph."""
    from core.graph_reach import whole
    from core.working_set import walk_from

    day, key = today(), args.ref.strip()
    near = walk_from(fed, [key], lambda graph: unit_described(graph, key, day), cached_remote_status(), ROUNDS)
    if near is not None:
        return respond(args, fed, near, _text)
    opened = open_ref(args, whole(fed))
    if opened is None:
        return EXIT_UNUSABLE
    return respond(args, fed, _described(*opened, day), _text)


ROUNDS = 12  # walks over a growing working set before the whole graph is read instead


def unit_described(graph: Any, key: str, day: dt.date) -> dict[str, Any] | None:
    """``_described`` of work unit ``key``; None when ``key`` is no work unit of ``graph``."""
    node = graph._node.get(key)
    if node is None or node["kind"] is not NodeKind.WORK_UNIT:
        return None
    return _described(graph, key, day)


def _described(graph: Any, key: str, day: dt.date) -> dict[str, Any]:
    data = describe(graph, key, day)
    data["from_backup"] = item_backup_note(graph, data["record"]) if data["record"] else None
    return data


_FIELDS = ("title", "kind", "workspace", "rig", "status", "priority", "type", "assignee", "owner", "created_by",
           "labels", "created_at", "updated_at", "closed_at", "close_reason")


def _text(data: dict[str, Any]) -> list[str]:
    node, record = data["node"], data["record"] or {}
    lines = [one_line(node.key)]
    if data.get("from_backup"):
        lines.append(f"  {one_line(data['from_backup'])}")
    if node.stub:
        known = f", cached status {node.cache_status}" if node.cache_status else ", status unknown"
        lines.append(f"  not loaded: {node.stub} stub{one_line(known)}")
    fields = {"kind": node.kind, "workspace": node.workspace, **{k: record.get(k) for k in _FIELDS if k in record}}
    if node.kind == NodeKind.WORK_UNIT.value and "status" in record:
        fields["status"] = status_text(record["status"])  # "-" for a work unit with no status (a spec)
    for name in _FIELDS:
        value = fields.get(name)
        if value not in (None, "", []):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"  {name:13} {one_line(shown)}")
    if record.get("source"):
        lines.append(f"  {'source':13} {one_line(str(record['source']))}"
                     + (f":{record['line']}" if record.get("line") else ""))
    description = record.get("description")
    if description:
        lines.append("  description")
        lines += [f"    {printable(part)}" for part in str(description).splitlines()]
    for title, key in (("depends on / points to", "out"), ("depended on by / pointed to from", "in")):
        rows = data[key]
        lines.append(f"{title} ({len(rows)}):")
        for rel in rows:
            kind = rel.raw_type if rel.kind == "other" else rel.kind
            where = f"  (in {one_line(rel.peer.workspace)})" if rel.cross and rel.peer.workspace else ""
            lines.append(f"  {one_line(kind):18} {node_text(rel.peer)}{where}")
    lines.append("why blocked: " + data["why_blocked"])
    position: DelegationPosition | None = data["delegation"]
    if position is not None:
        lines += _position_lines(position)
    return lines


def _position_lines(position: DelegationPosition) -> list[str]:
    state = "complete" if position.complete else "not complete"
    state += f" ({blocked_text(position.blocked_by)})" if position.blocked_by else ""
    state += ", OVERDUE" if position.overdue else ""
    state += ", in a delegation cycle" if position.in_cycle else ""
    lines = [f"delegation: {state}"]
    lines += [f"  from  {_link(node)}" for node in position.delegated_from]
    lines += [f"  to    {_link(node)}" for node in position.delegates_to]
    return lines


def terms_text(node: ChainItem) -> str:
    """``portion: x, deadline: d, ...`` of the delegation to ``node``, plus who delegated to whom."""
    parts = [f"{k}: {v}" for k, v in node.terms.items()]
    if node.delegated_by:
        parts.append(f"by {node.delegated_by}")
    if node.delegated_to:
        parts.append(f"to {node.delegated_to}")
    return one_line(", ".join(parts))


def _link(node: ChainItem) -> str:
    state = f"{node.stub} stub" if node.stub else status_text(node.status)
    state += ", complete" if node.complete else ""
    state += f", {blocked_text(node.blocked_by)}" if node.blocked_by else ""
    state += ", OVERDUE" if node.overdue else ""
    terms = terms_text(node)
    return one_line(f"{node.key} [{state}]" + (f"  {{{terms}}}" if terms else ""))
