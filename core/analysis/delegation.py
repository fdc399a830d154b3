"""Delegation chains: trees from every root delegation down, with computed completion, overdue
terms and cycles.

A delegation edge runs parent -> child (key ``delegation``; terms, forms, delegated_by/to on
the edge). A root is a parent that is not itself a delegated child; a cycle with no root above
it is shown from its smallest key. Completion is computed, never stored (formats README): an
item is complete when it is done itself, or when it has delegated children and all of them are
complete, cascading up. An item with no status (a sudocode spec) is done when its work is: issues
implement it and every one of them is closed (``implemented``). A complete item that is not done
and has an open blocker (``core.analysis.blocking``; an unresolved stub is not one) says which
(``blocked_by``, the nearest: ``core.analysis.nearest``, at most ``LIMIT`` of them): "children
complete, blocked by X", and the close cascade leaves it open (``core.sync.delegate``). A
delegation is overdue when its deadline is before ``today`` and the child is not complete. Cycles
are the strongly connected components of the delegation edges alone; every walk here is
iterative and never follows an edge back into its own path.

The trees are nested ``ChainNode``s in memory (the dashboard and the text read them); as JSON they
are flat (``flat_chains``): each chain the list of its nodes in depth-first order, each with the
key of the node it is under and its depth, since a JSON encoder recurses once per level of nesting
and a chain can be 100,000 delegations deep.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from core.analysis.blocking import cycles
from core.analysis.nearest import NearestBlockers
from core.analysis.neighbourhood import NodeInfo, info_fields
from core.graph_kinds import EdgeKind
from core.model import Workspace, WorkUnit
from core.text import one_line
from core.timeutil import parse_date

if TYPE_CHECKING:
    import networkx as nx

_KEY = EdgeKind.DELEGATION.value
_INDEX = "_delegation_children"


class ChainItem(NodeInfo, kw_only=True):
    """One item in the delegations (``status`` None and ``stub`` set when it is not loaded;
    ``status`` None alone for a work unit with no status, a sudocode spec, which is never done
    itself), with the terms of the delegation to it."""

    done: bool
    complete: bool
    overdue: bool  # the delegation to this node is past its deadline and the node is not complete
    # of the delegation to this node: portion, deadline, acceptance_criteria, credit_share
    terms: dict[str, Any] = {}
    delegated_by: str | None = None
    delegated_to: str | None = None
    forms: list[str] = []  # where the delegation to this node is stated
    cycle: bool = False  # delegated back to a node above it in this chain: not expanded again
    repeated: bool = False  # its subtree is shown in full earlier (under another parent)
    # complete (its delegated children all are) but not done, and these open items block it (the
    # nearest: closing them unblocks it): the close cascade leaves it open until they close
    blocked_by: list[str] = []


class ChainNode(ChainItem, kw_only=True):
    """An item of a chain's tree, with its delegated children below it."""

    children: list[ChainNode] = []


class FlatChainNode(ChainItem, kw_only=True):
    """An item of a chain as JSON has it: the node it is under instead of the nodes under it."""

    parent: str | None  # the key of the node it is under; None for the chain's root
    depth: int  # 0 for the root


class FlatChains(msgspec.Struct, kw_only=True):
    """``DelegationChains`` as ``chains --json`` prints it: each chain a list of its nodes, the
    root first, then depth first (a node's children right after it, in order)."""

    today: str
    chains: list[list[FlatChainNode]]
    cycles: list[list[str]]
    totals: ChainTotals


class ChainTotals(msgspec.Struct, kw_only=True):
    chains: int
    delegations: int
    complete: int  # chains whose root is complete
    delegations_complete: int  # delegations whose child is complete
    overdue: int  # delegations past their deadline with the child not complete
    cycles: int

    def summary(self) -> list[str]:
        """What is counted, in words: ``0 of 1 chain complete``, ``2 of 4 delegations complete``,
        ``1 overdue``, ``0 cycles`` (the text and the dashboard join them their own way)."""
        return [f"{self.complete} of {_count(self.chains, 'chain')} complete",
                f"{self.delegations_complete} of {_count(self.delegations, 'delegation')} complete",
                f"{self.overdue} overdue", _count(self.cycles, "cycle")]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class DelegationChains(msgspec.Struct, kw_only=True):
    today: str
    chains: list[ChainNode]
    cycles: list[list[str]]  # each in cycle order: a -> b -> ... -> back to a
    totals: ChainTotals


class DelegationPosition(msgspec.Struct, kw_only=True):
    """Where one item stands in the delegations: who delegated it, what it delegated."""

    complete: bool
    blocked_by: list[str]  # as ChainNode.blocked_by: complete, not done, and these open items block it
    overdue: bool
    in_cycle: bool
    delegated_from: list[ChainItem]  # its parents (terms: of the delegation to this item)
    delegates_to: list[ChainItem]  # its children (terms: of the delegation to each), not expanded


def delegation_children(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Delegated children by parent, in key order; found once per graph and kept on it."""
    index = graph.graph.get(_INDEX)
    if isinstance(index, dict):
        return index
    found: dict[str, set[str]] = {}
    for parent, child in _delegation_pairs(graph):
        found.setdefault(parent, set()).add(child)
    index = {parent: sorted(children) for parent, children in found.items()}
    graph.graph[_INDEX] = index
    return index


def _delegation_pairs(graph: nx.MultiDiGraph) -> Iterator[tuple[str, str]]:
    """Every delegation edge: from the federation's delegation records when the graph has them
    (a few hundred, not every node's adjacency), each checked against the graph."""
    succ = graph._succ
    fed = graph.graph.get("federation")
    if fed is None:
        for parent, targets in succ.items():
            yield from ((parent, child) for child, edges in targets.items() if _KEY in edges)
        return
    for ws in fed.workspaces:
        for parent, child in delegation_ends(ws):
            if _KEY in succ.get(parent, {}).get(child, {}):
                yield parent, child


def delegation_ends(ws: Workspace) -> Iterator[tuple[str, str]]:
    """(parent, child) of each of ``ws``'s delegation records, as keys where they resolved."""
    for record in ws.delegations:
        yield record.parent_key or record.parent, record.child_key or record.child


def delegated_keys(ws: Workspace) -> Iterator[str]:
    """Every key ``ws``'s delegation records name, parents and children: where the chains'
    walk starts (``core.working_set``'s seeds)."""
    for ends in delegation_ends(ws):
        yield from ends


class _Completion:
    """Completion by key, memoised; an edge back into the walk's own path counts as incomplete."""

    def __init__(self, graph: nx.MultiDiGraph, children: Mapping[str, list[str]]):
        self.nodes = graph._node
        self.children = children
        self.memo: dict[str, bool] = {}
        self.graph = graph
        self.held: dict[str, list[str]] = {}
        self.nearest = NearestBlockers(graph)  # shared: a chain's items ask about the same parents

    def __call__(self, key: str) -> bool:
        if key in self.memo:
            return self.memo[key]
        on_path = {key}
        stack = [(key, iter(self.children.get(key, ())))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if child not in self.memo and child not in on_path:
                    on_path.add(child)
                    stack.append((child, iter(self.children.get(child, ()))))
                    break
            else:
                stack.pop()
                on_path.discard(node)
                kids = self.children.get(node, ())
                self.memo[node] = _done(self.nodes[node]) or implemented(self.graph, node) or (
                    bool(kids) and all(self.memo.get(child, False) for child in kids))
        return self.memo[key]

    def blocked_by(self, key: str) -> list[str]:
        """The open blockers holding ``key`` open though it is complete; [] unless it is a work
        unit, complete and not done (only those are walked: a handful, not every node)."""
        if key not in self.held:
            record = self.nodes[key].get("record")
            waits = isinstance(record, WorkUnit) and not record.is_done and self(key)
            self.held[key] = self.nearest(key) if waits else []
        return self.held[key]


def _done(attrs: Mapping[str, Any]) -> bool:
    record = attrs.get("record")
    return isinstance(record, WorkUnit) and record.is_done


_IMPLEMENTS = EdgeKind.IMPLEMENTS.value


def implemented(graph: nx.MultiDiGraph, key: str) -> bool:
    """A work unit with no status (a sudocode spec) whose work is done: issues implement it and
    every one of them is done. A spec that nothing implements yet is not."""
    record = graph._node[key].get("record")
    if not isinstance(record, WorkUnit) or record.status is not None:
        return False
    implementers = [src for src, edges in graph._pred.get(key, {}).items() if _IMPLEMENTS in edges]
    return bool(implementers) and all(_done(graph._node[src]) for src in implementers)


def implemented_by(graph: nx.MultiDiGraph, key: str) -> list[str]:
    """The items with no status (specs) that ``key`` implements."""
    out = []
    for target, edges in graph._succ.get(key, {}).items():
        record = graph._node[target].get("record")
        if _IMPLEMENTS in edges and isinstance(record, WorkUnit) and record.status is None:
            out.append(target)
    return sorted(out)


def delegation_chains(graph: nx.MultiDiGraph, today: dt.date) -> DelegationChains:
    children = delegation_children(graph)
    complete = _Completion(graph, children)
    found_cycles = cycles(children)
    delegated = {child for kids in children.values() for child in kids}
    roots = sorted(set(children) - delegated)
    shown: set[str] = set()
    chains = [_tree(graph, root, children, complete, today, shown) for root in roots]
    for cycle in found_cycles:
        if not shown.intersection(cycle):
            chains.append(_tree(graph, cycle[0], children, complete, today, shown))
    # Each parent is expanded once, so each delegation is one node below a root in the trees.
    below = [node for chain in chains for node in _descendants(chain)]
    totals = ChainTotals(chains=len(chains), delegations=len(below), complete=sum(c.complete for c in chains),
                         delegations_complete=sum(node.complete for node in below),
                         overdue=sum(node.overdue for node in below), cycles=len(found_cycles))
    return DelegationChains(today=today.isoformat(), chains=chains, cycles=found_cycles, totals=totals)


def _tree(graph: nx.MultiDiGraph, root: str, children: Mapping[str, list[str]], complete: _Completion,
          today: dt.date, shown: set[str]) -> ChainNode:
    """The chain below ``root``, depth-first without recursion; a node already shown elsewhere
    is marked ``repeated``, one already on its own path ``cycle``, and neither is expanded. The
    path is one set, grown and shrunk as the walk goes down and back up: linear in the nodes."""
    top = _chain_node(graph, root, None, complete, today)
    shown.add(root)
    on_path: set[str] = set()
    stack: list[tuple[ChainNode, Iterator[ChainNode]]] = []

    def enter(node: ChainNode) -> None:
        on_path.add(node.key)
        below = []
        for child in children.get(node.key, ()):
            item = _chain_node(graph, child, _edge(graph, node.key, child), complete, today)
            if child in on_path:
                item.cycle = True
            elif child in shown:
                item.repeated = True
            else:
                shown.add(child)
                below.append(item)
            node.children.append(item)
        stack.append((node, iter(below)))

    enter(top)
    while stack:
        node, pending = stack[-1]
        following = next(pending, None)
        if following is None:
            stack.pop()
            on_path.discard(node.key)
        else:
            enter(following)
    return top


def flat_chains(result: DelegationChains) -> FlatChains:
    """``result`` with each tree flattened (``FlatChains``), without recursion."""
    return FlatChains(today=result.today, chains=[list(flat_chain(chain)) for chain in result.chains],
                      cycles=result.cycles, totals=result.totals)


_ITEM_FIELDS = tuple(field.name for field in msgspec.structs.fields(ChainItem))


def flat_chain(root: ChainNode) -> Iterator[FlatChainNode]:
    """The nodes of one tree, the root first, then depth first, each with its parent and depth."""
    stack: list[tuple[ChainNode, str | None, int]] = [(root, None, 0)]
    while stack:
        node, parent, depth = stack.pop()
        yield FlatChainNode(**{name: getattr(node, name) for name in _ITEM_FIELDS}, parent=parent, depth=depth)
        stack.extend((child, node.key, depth + 1) for child in reversed(node.children))


def _descendants(root: ChainNode) -> Iterator[ChainNode]:
    stack = list(root.children)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def _edge(graph: nx.MultiDiGraph, parent: str, child: str) -> Mapping[str, Any]:
    return graph._succ[parent][child][_KEY]  # type: ignore[no-any-return]


def _overdue(edge: Mapping[str, Any] | None, complete: bool, today: dt.date) -> bool:
    if edge is None or complete:
        return False
    deadline = (edge.get("terms") or {}).get("deadline")
    due = _due(deadline) if isinstance(deadline, str) else None
    return due is not None and due < today


@functools.lru_cache(maxsize=1024)
def _due(deadline: str) -> dt.date | None:
    return parse_date(deadline)


def _chain_node(graph: nx.MultiDiGraph, key: str, edge: Mapping[str, Any] | None, complete: _Completion,
                today: dt.date) -> ChainNode:
    return ChainNode(**_item_fields(graph, key, edge, complete, today), children=[])


def _item_fields(graph: nx.MultiDiGraph, key: str, edge: Mapping[str, Any] | None, complete: _Completion,
                 today: dt.date) -> dict[str, Any]:
    is_complete = complete(key)
    edge = edge or {}
    return dict(
        **info_fields(graph, key), done=_done(graph._node[key]), complete=is_complete,
        overdue=_overdue(edge, is_complete, today),
        terms=dict(edge.get("terms") or {}), delegated_by=edge.get("delegated_by"),
        delegated_to=edge.get("delegated_to"), forms=list(edge.get("forms") or []),
        blocked_by=list(complete.blocked_by(key)))


def delegation_counts(graph: nx.MultiDiGraph, key: str) -> tuple[int, int]:
    """How many items delegated ``key`` (its parents), and how many it delegated to."""
    parents = sum(1 for edges in graph._pred[key].values() if _KEY in edges)
    return parents, len(delegation_children(graph).get(key, ()))


def delegation_position(graph: nx.MultiDiGraph, key: str, today: dt.date,
                        limit: int | None = None) -> DelegationPosition | None:
    """``key``'s delegations in and out (the first ``limit`` parents and children, when given);
    None when it takes part in none."""
    children = delegation_children(graph)
    parents = sorted(p for p, edges in graph._pred[key].items() if _KEY in edges)[:limit]
    kids = children.get(key, [])[:limit]
    if not parents and not kids:
        return None
    complete = _Completion(graph, children)
    ups = []
    for parent in parents:
        up = ChainItem(**_item_fields(graph, parent, None, complete, today))
        edge = _edge(graph, parent, key)  # the terms that matter are those of the delegation to ``key``
        up.terms, up.forms = dict(edge.get("terms") or {}), list(edge.get("forms") or [])
        up.delegated_by, up.delegated_to = edge.get("delegated_by"), edge.get("delegated_to")
        ups.append(up)
    downs = [ChainItem(**_item_fields(graph, child, _edge(graph, key, child), complete, today)) for child in kids]
    is_complete = complete(key)
    in_cycle = any(key in cycle for cycle in cycles(_reachable(children, key)))
    return DelegationPosition(
        complete=is_complete, blocked_by=list(complete.blocked_by(key)), in_cycle=in_cycle,
        delegated_from=ups, delegates_to=downs,
        overdue=any(_overdue(_edge(graph, p, key), is_complete, today) for p in parents))


def blocked_text(keys: list[str]) -> str:
    """``children complete, blocked by X, Y``: what a complete item the close cascade leaves open
    waits for (``blocked_by``), on one line."""
    return one_line("children complete, blocked by " + ", ".join(keys))


def _reachable(children: Mapping[str, list[str]], key: str) -> dict[str, list[str]]:
    """The delegation edges below ``key`` (a cycle through ``key`` lies within them)."""
    seen = {key}
    stack = [key]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return {node: children.get(node, []) for node in seen}
