"""The federation graph after one workspace was read again, updated in place instead of built
anew (the dashboard's reload of what changed on disk: ``core.dashboard.reread``).

What a workspace puts in the graph is what ``core.graph``'s builder makes of it alone (``Part``):
its own nodes (itself, its rigs, domains, exports, imports, work units) and the edges its records
state. The update takes out the old part's edges and the nodes the new part no longer has (an
edge another workspace states into such a node stays, to a stub, as a full build makes it), puts
in the new part, gives every new edge end that is no node a stub, and drops the stubs no edge
reaches any more; what the two parts share is not touched (``Change``: appending one bead to a rig
of thousands changes a node and a few edges). Delegation edges, merged across workspaces, are made again from every
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

from collections import ChainMap, Counter
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import msgspec

from core.federation import Federation
from core.graph import Edge, _Builder, known_names
from core.graph_kinds import EdgeKind, NodeKind
from core.model import Delegation, Town, Workspace
from core.not_loaded import NotLoaded

_SHARED = (NodeKind.ENTITY, NodeKind.REMOTE)  # nodes several workspaces state (core.graph._Builder._entity)
_DELEGATION = EdgeKind.DELEGATION.value


def can_update(old: Workspace, new: Workspace) -> bool:
    """Whether the graph can follow ``old`` becoming ``new`` by ``update``."""
    owner = getattr(old.info, "owner", None) if isinstance(old.info, Town) else None
    new_owner = getattr(new.info, "owner", None) if isinstance(new.info, Town) else None
    return (old.name == new.name and old.kind is new.kind and owner == new_owner
            and old.employments == new.employments and old.entities == new.entities and old.remotes == new.remotes
            and not NotLoaded([old]) and not NotLoaded([new]))


class Part(NamedTuple):
    """What one workspace alone puts in the graph (``core.graph``'s builder on it): its own nodes
    and its edges by (source, target, key) with the attributes the graph gives each (an edge
    stated twice: the later attributes update the earlier, as networkx does), how many times
    each edge is stated and each work unit key held. The edges between shared nodes (an
    employment: unchanged when ``can_update``, and maybe stated by another workspace too) are
    left out."""

    nodes: dict[str, dict[str, Any]]
    edges: dict[tuple[str, str, str], dict[str, Any]]
    stated: Counter[tuple[str, str, str]]
    units: Counter[str]

    @classmethod
    def of(cls, ws: Workspace, remote_status: Mapping[str, str]) -> Part:
        builder = _Builder(remote_status)
        builder.workspace(ws)
        shared = {key for key, attrs in builder.nodes.items() if attrs["kind"] in _SHARED}
        edges: dict[tuple[str, str, str], dict[str, Any]] = {}
        stated: Counter[tuple[str, str, str]] = Counter()
        for source, target, kind, attrs in builder.edges:
            if source in shared and target in shared:
                continue
            key = (source, target, kind)
            stated[key] += 1
            held = edges.get(key)
            edges[key] = attrs if held is None else {**held, **attrs}
        nodes = {key: attrs for key, attrs in builder.nodes.items() if key not in shared}
        return cls(nodes, edges, stated, Counter(unit.key for unit in ws.work_units))


class Change:
    """How the graph's part of a workspace changes when ``old`` is read again as ``new``
    (``can_update``): found without the graph (in a worker), applied to it by ``apply`` (where
    the graph is read). ``before``: the old part, when kept from the change before.

    When only a run of work units and relationships differs (an appended bead, one edited), only
    that run is made into graph records, on each side (``_run``); the whole new part is made
    only when the run's nodes or edges are also stated by records outside it (a bead id twice,
    a dependency stated twice), whose attributes would then have to be merged again."""

    def __init__(self, old: Workspace, new: Workspace, remote_status: Mapping[str, str],
                 before: Part | None = None) -> None:
        before = before or Part.of(old, remote_status)
        self.remote_status = remote_status
        self.delegations = old.delegations != new.delegations
        runs = _runs(old, new, before, remote_status)
        if runs is None:
            gone, came = before, Part.of(new, remote_status)
            self.after = came  # the next change's ``before``
        else:
            gone, came, self.after = runs
        self.gone_edges = [edge for edge in gone.edges if edge not in came.edges]
        self.new_edges: list[Edge] = []
        self.changed_edges: list[tuple[tuple[str, str, str], dict[str, Any]]] = []
        for edge, attrs in came.edges.items():
            held = gone.edges.get(edge)
            if held is None:
                self.new_edges.append((*edge, attrs))
            elif held != attrs:
                self.changed_edges.append((edge, attrs))
        self.gone_nodes = [key for key in gone.nodes if key not in came.nodes]
        self.set_nodes = [(key, attrs) for key, attrs in came.nodes.items() if gone.nodes.get(key) != attrs]

    def apply(self, graph: Any, fed: Federation) -> None:
        """Make ``graph`` (built from a federation holding the old workspace) the graph of
        ``fed``, which holds the new one in its place."""
        loose: set[str] = set()  # ends of edges taken out: stubs there may be reached by nothing now
        for edge in self.gone_edges:
            if graph.has_edge(*edge):
                graph.remove_edge(*edge)
                loose.update(edge[:2])
        for edge, attrs in self.changed_edges:
            if graph.has_edge(*edge):
                held = graph.edges[edge]
                held.clear()
                held.update(attrs)
        adding = list(self.new_edges)
        if self.delegations:  # merged across workspaces: all of them made again
            for source, target, kind, _ in _delegation_edges(_delegations(graph.graph["federation"].workspaces)):
                if graph.has_edge(source, target, kind):
                    graph.remove_edge(source, target, kind)
                    loose.update((source, target))
            adding.extend(_delegation_edges(_delegations(fed.workspaces)))
        for key in self.gone_nodes:
            if key in graph:
                adding.extend(graph.in_edges(key, keys=True, data=True))  # another workspace's edge: to a stub now
                adding.extend(graph.out_edges(key, keys=True, data=True))
                graph.remove_node(key)
        nodes = graph._node
        for key, attrs in self.set_nodes:
            if key not in nodes:
                graph.add_node(key)
            nodes[key] = attrs  # new, read again, or a stub that is real now
        graph.add_nodes_from(_stubs(adding, nodes, fed.workspaces, self.remote_status).items())
        graph.add_edges_from(adding)
        for key in loose:
            if key in nodes and nodes[key]["kind"] is NodeKind.STUB and not graph.degree(key):
                graph.remove_node(key)
        for name in [name for name in graph.graph if name != "federation"]:
            del graph.graph[name]  # what analyses kept on the graph (indexes, timelines) is of the old one
        graph.graph["federation"] = fed


def update(graph: Any, old: Workspace, new: Workspace, fed: Federation, remote_status: Mapping[str, str]) -> None:
    """``Change(old, new, remote_status).apply(graph, fed)``: the graph of ``fed`` (which holds
    ``new`` in the place of ``old``), when ``can_update(old, new)``."""
    Change(old, new, remote_status).apply(graph, fed)


def _runs(old: Workspace, new: Workspace, before: Part, remote_status: Mapping[str, str]) \
        -> tuple[Part, Part, Part] | None:
    """(the old run's part, the new run's part, the whole new part) when ``old`` and ``new``
    differ only in one run of work units and one of relationships (the rest of their records
    equal) and what the runs state is stated nowhere else in the workspace; else None."""
    if old.info != new.info or old.contracts != new.contracts or old.imports != new.imports:
        return None
    old_units, new_units = _middle(old.work_units, new.work_units)
    old_rels, new_rels = _middle(old.relationships, new.relationships)
    if len(new_units) + len(new_rels) > (len(new.work_units) + len(new.relationships)) // 2:
        return None  # most of it changed: the whole part is as quick
    gone, came = _run(old, old_units, old_rels, remote_status), _run(new, new_units, new_rels, remote_status)
    units, stated = before.units.copy(), before.stated.copy()
    units.subtract(gone.units)
    stated.subtract(gone.stated)
    if any(units[key] > 0 for key in (*gone.units, *came.units)) or \
            any(stated[edge] > 0 for edge in (*gone.stated, *came.stated)):
        return None  # also stated outside the runs
    units.update(came.units)
    stated.update(came.stated)
    for key in gone.units:
        if units[key] <= 0:
            del units[key]
    for edge in gone.stated:
        if stated[edge] <= 0:
            del stated[edge]
    nodes, edges = dict(before.nodes), dict(before.edges)
    for key in gone.nodes:
        del nodes[key]
    for edge in gone.edges:
        del edges[edge]
    nodes.update(came.nodes)
    edges.update(came.edges)
    return gone, came, Part(nodes, edges, stated, units)


def _middle(old: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
    """The runs of ``old`` and ``new`` between their common beginning and common end."""
    shortest = min(len(old), len(new))
    start = 0
    while start < shortest and old[start] == new[start]:
        start += 1
    end = 0
    while end < shortest - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return old[start:len(old) - end], new[start:len(new) - end]


def _run(ws: Workspace, units: list[Any], relationships: list[Any], remote_status: Mapping[str, str]) -> Part:
    """What these work units and relationships of ``ws`` put in the graph, alone."""
    alone = msgspec.structs.replace(ws, info=None, work_units=units, relationships=relationships, employments=[],
                                    entities=[], remotes=[], contracts=[], imports=[])
    part = Part.of(alone, remote_status)
    del part.nodes[ws.name]  # the workspace's own node: in the part outside the run
    return part


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
    return {name for ws in workspaces for remote in ws.remotes for name in known_names(remote)}
