"""The federation graph after one workspace was read again, updated in place instead of built
anew (the dashboard's reload of what changed on disk: ``core.dashboard.reread``).

What a workspace puts in the graph is what ``core.graph``'s builder makes of it alone (``part``):
its own nodes (itself, its rigs, domains, exports, imports, work units) and the edges its records
state. The update takes out the old part's edges and the nodes the new part no longer has (an
edge another workspace states into such a node stays, to a stub, as a full build makes it), puts
in the new part, gives every new edge end that is no node a stub, and drops the stubs no edge
reaches any more. Delegation edges, merged across workspaces, are made again from every
workspace's delegations when the workspace's own changed.

What the update does not do (``can_update`` says no, and the caller builds the graph anew): a
workspace whose shared nodes changed (employments, entities, its remotes, a town's owner: nodes
other workspaces state too, first or last writer wins) or whose beads could not be read (their
keys are not-loaded stubs everywhere), or one whose name or kind changed.

The result has the nodes and edges, with their attributes, of ``build_graph`` on the new
federation (tests/test_dashboard_reread.py compares them); only their order differs, which no
analysis reads (each sorts what it reports).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.federation import Federation
from core.graph import Edge, _Builder
from core.graph_kinds import EdgeKind, NodeKind
from core.model import Delegation, Town, Workspace
from core.not_loaded import NotLoaded
from core.sources.federation_records import remote_name

_SHARED = (NodeKind.ENTITY, NodeKind.REMOTE)  # nodes several workspaces state (core.graph._Builder._entity)
_DELEGATION = EdgeKind.DELEGATION.value


def can_update(old: Workspace, new: Workspace) -> bool:
    """Whether the graph can follow ``old`` becoming ``new`` by ``update``."""
    owner = getattr(old.info, "owner", None) if isinstance(old.info, Town) else None
    new_owner = getattr(new.info, "owner", None) if isinstance(new.info, Town) else None
    return (old.name == new.name and old.kind is new.kind and owner == new_owner
            and old.employments == new.employments and old.entities == new.entities and old.remotes == new.remotes
            and not NotLoaded([old]) and not NotLoaded([new]))


def part(ws: Workspace, remote_status: Mapping[str, str]) -> _Builder:
    """What ``ws`` alone puts in the graph: its nodes and the edges its records state."""
    builder = _Builder(remote_status)
    builder.workspace(ws)
    return builder


def update(graph: Any, old: Workspace, new: Workspace, fed: Federation, remote_status: Mapping[str, str]) -> None:
    """Make ``graph`` (built from a federation holding ``old``) the graph of ``fed``, which holds
    ``new`` in its place, when ``can_update(old, new)``."""
    before, after = part(old, remote_status), part(new, remote_status)
    owned = {key: attrs for key, attrs in after.nodes.items() if attrs["kind"] not in _SHARED}
    loose: set[str] = set()  # ends of edges taken out: stubs there may be reached by nothing now
    for source, target, kind, _ in _own_edges(before.edges, before.nodes):
        if graph.has_edge(source, target, kind):
            graph.remove_edge(source, target, kind)
            loose.update((source, target))
    adding: list[Edge] = list(_own_edges(after.edges, after.nodes))
    if old.delegations != new.delegations:  # merged across workspaces: all of them made again
        for source, target, kind, _ in _delegation_edges(_delegations(graph.graph["federation"].workspaces)):
            if graph.has_edge(source, target, kind):
                graph.remove_edge(source, target, kind)
                loose.update((source, target))
        adding.extend(_delegation_edges(_delegations(fed.workspaces)))
    for key, attrs in before.nodes.items():
        if attrs["kind"] in _SHARED or key in owned or key not in graph:
            continue
        adding.extend(graph.in_edges(key, keys=True, data=True))  # another workspace's edge: to a stub now
        adding.extend(graph.out_edges(key, keys=True, data=True))
        graph.remove_node(key)
    nodes = graph._node
    for key, attrs in owned.items():
        if key in nodes:
            nodes[key] = attrs  # a stub that is real now, or the node as read again
        else:
            graph.add_node(key)
            nodes[key] = attrs
    stubs = _stubs(adding, nodes, fed.workspaces, remote_status)
    graph.add_nodes_from(stubs.items())
    graph.add_edges_from(adding)
    for key in loose:
        if key in nodes and nodes[key]["kind"] is NodeKind.STUB and not graph.degree(key):
            graph.remove_node(key)
    for name in [name for name in graph.graph if name != "federation"]:
        del graph.graph[name]  # what analyses kept on the graph (indexes, timelines) is of the old one
    graph.graph["federation"] = fed


def _own_edges(edges: Iterable[Edge], nodes: Mapping[str, dict[str, Any]]) -> Iterable[Edge]:
    """The edges of a workspace's part but those between shared nodes (an employment: unchanged
    when the update is allowed, and maybe stated by another workspace too)."""
    for edge in edges:
        ends = (nodes.get(edge[0]), nodes.get(edge[1]))
        if not all(end is not None and end["kind"] in _SHARED for end in ends):
            yield edge


def _delegations(workspaces: Sequence[Workspace]) -> list[Delegation]:
    return [d for ws in workspaces for d in ws.delegations]


def _delegation_edges(delegations: list[Delegation]) -> list[Edge]:
    builder = _Builder({})
    builder.delegations(delegations)
    return builder.edges


def _stubs(edges: list[Edge], nodes: dict[str, dict[str, Any]], workspaces: Sequence[Workspace],
           remote_status: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The stub nodes a full build gives the ends of ``edges`` that are no node in ``nodes``."""
    builder = _Builder(remote_status)
    made: dict[str, dict[str, Any]] = {}
    builder.nodes = ChainMap(made, nodes)  # type: ignore[assignment]  # looked up in both, made into the first
    builder.edges = edges
    builder.known_remote_workspaces = _known_remote_workspaces(workspaces)
    builder.unread = NotLoaded(workspaces)
    builder.stubs()
    return made


def _known_remote_workspaces(workspaces: Sequence[Workspace]) -> set[str]:
    """The names a remote is known by, as ``_Builder.workspace`` gathers them."""
    known: set[str] = set()
    for remote in (remote for ws in workspaces for remote in ws.remotes):
        known.update({remote.name, remote_name(remote.url)})
        if isinstance(remote.extra.get("workspace"), str):
            known.add(remote.extra["workspace"])
    return known
