"""Why is this blocked? The transitive open blockers of a work unit, across workspaces, with the
path to each.

The walk follows the blocking edges out of the item (blocks, conditional-blocks, waits-for,
depends-on: edge attr ``blocking``) and its parent-child edges (child -> parent): as in beads, a
child is not ready while its parent is blocked, so the parent's blockers count, reached through a
step marked ``parent`` (the open parent itself is not a blocker). An item blocks while it has a
status that is not done; a done item is not a blocker and the walk stops there. A stub (not
loaded) with a known cache status is an open blocker shown with that status; one with no known
status is listed as unresolved, never counted (DESIGN "Edges, direction and blocking"). An item
with no status at all (a sudocode spec: its format has none) is never a blocker: it is listed
with its path as a step that does not block (``not_blocking``), never counted, and the walk does
not go past it (``A depends-on SPEC depends-on B``: B does not hold A up through the spec). A
spec whose line states a status is judged by that status, like any item. Cycles are reported,
never looped on.

The walk is breadth-first over ``graph._succ`` filtered by edge key (no networkx helpers:
PERF-NOTES.md), so each blocker's path is a shortest one and the order is deterministic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from core.graph_kinds import BLOCKING, EdgeKind, NodeKind
from core.model import DONE_STATUSES, WorkUnit, status_text
from core.text import one_line

if TYPE_CHECKING:
    import networkx as nx

PARENT = "parent"  # the edge of a step from a child to its parent
# When one pair has several blocking edges, the step names "blocks" if it is one of them.
_BLOCKING_KEYS = (EdgeKind.BLOCKS.value,) + tuple(sorted(k.value for k in BLOCKING - {EdgeKind.BLOCKS}))
_PARENT_KEY = EdgeKind.PARENT_CHILD.value
_WALKED = (*_BLOCKING_KEYS, _PARENT_KEY)


class Step(msgspec.Struct, kw_only=True, frozen=True):
    """One node on a blocker path, and the edge that led to it from the step before."""

    key: str
    label: str
    workspace: str | None
    status: str | None  # the item's status; None for a stub, or an item with no status (a spec)
    edge: str  # blocks, depends-on, waits-for, conditional-blocks, or "parent"
    cross: bool  # that edge crosses workspaces
    stub: str | None = None  # remote | missing, for a node that is not loaded
    cache_status: str | None = None  # a stub's cached remote status, where one is known
    unresolved: bool = False  # a stub with no known status: listed, never counted as a blocker

    @property
    def no_status(self) -> bool:
        """A loaded item with no status (a sudocode spec): listed, never a blocker."""
        return self.status is None and self.stub is None


class BlockerReport(msgspec.Struct, kw_only=True):
    key: str
    label: str
    workspace: str | None
    kind: str | None  # the item's kind (bead, issue, spec); None for a node that is not a work unit
    status: str | None  # None for a work unit with no status (a spec) and for anything else
    is_done: bool
    is_blocked: bool
    direct: list[Step]  # open blockers one blocking edge away
    blockers: list[str]  # every open blocker, nearest first
    # one shortest path to each open blocker, then to each unresolved stub, then to each item with
    # no status (``path_groups`` splits them)
    paths: list[list[Step]]
    unresolved: list[Step]
    not_blocking: list[Step]  # items with no status (specs) the walk met: listed, never counted
    cycles: list[list[str]]  # each in cycle order: a -> b -> ... -> back to a

    def path_groups(self) -> tuple[list[list[Step]], list[list[Step]], list[list[Step]]]:
        """``paths`` as (to open blockers, to unresolved stubs, to items with no status)."""
        found, stuck = len(self.blockers), len(self.blockers) + len(self.unresolved)
        return self.paths[:found], self.paths[found:stuck], self.paths[stuck:]


def blockers(graph: nx.MultiDiGraph, key: str) -> BlockerReport:
    """The open blockers of ``key`` (a node of ``graph``), with paths, unresolved stubs, cycles."""
    attrs = graph._node[key]
    unit = attrs.get("record")
    is_unit = isinstance(unit, WorkUnit)
    done = is_unit and unit.is_done
    report = BlockerReport(key=key, label=attrs.get("label", key), workspace=attrs.get("workspace"),
                           kind=unit.kind if is_unit else None, status=unit.status if is_unit else None,
                           is_done=done, is_blocked=False, direct=[], blockers=[], paths=[], unresolved=[],
                           not_blocking=[], cycles=[])
    if done:
        return report
    walk = _Walk(graph, key)
    found = [k for k, s in walk.steps.items() if s.edge != PARENT and not s.unresolved and not s.no_status]
    stuck = [k for k, s in walk.steps.items() if s.unresolved]
    listed = [k for k, s in walk.steps.items() if s.no_status]
    report.blockers = found
    report.direct = [walk.steps[k] for k in found if walk.came_from[k] == key]
    report.paths = [walk.path(k) for k in found + stuck + listed]
    report.unresolved = [walk.steps[k] for k in stuck]
    report.not_blocking = [walk.steps[k] for k in listed]
    report.cycles = cycles(walk.walked)
    report.is_blocked = bool(found)
    return report


class _Walk:
    """Breadth-first from ``start``: the step that first reached each node and the node it came
    from, and the edges walked between live nodes (for the cycles)."""

    def __init__(self, graph: nx.MultiDiGraph, start: str):
        self.start = start
        self.steps: dict[str, Step] = {}
        self.came_from: dict[str, str] = {}
        self.walked: dict[str, list[str]] = {start: []}
        succ, nodes = graph._succ, graph._node
        steps, came_from, walked = self.steps, self.came_from, self.walked
        queue = deque([start])
        while queue:
            node = queue.popleft()
            out, mine = succ[node], walked[node]
            for target in sorted(out) if len(out) > 1 else out:
                edges = out[target]
                for stored_key in _WALKED:  # the first blocking kind the pair has, else parent-child
                    if stored_key in edges:
                        break
                else:
                    continue
                attrs = nodes[target]
                record = attrs.get("record")
                unit = isinstance(record, WorkUnit)
                if (unit and record.status in DONE_STATUSES) or not (unit or attrs.get("kind") is NodeKind.STUB):
                    continue  # done: not a blocker, and nothing beyond it holds this item up
                # An item with no status (a spec) is listed like a stub: never walked past.
                live = unit and record.status is not None
                if live:
                    mine.append(target)
                edge = PARENT if stored_key == _PARENT_KEY else stored_key
                if (target == start or target in steps) and self._keeps(target, node, edge):
                    continue
                steps[target] = _step(target, attrs, edge, _crosses(edges[stored_key], nodes[node], attrs))
                came_from[target] = node
                if live and target not in walked:
                    walked[target] = []
                    queue.append(target)

    def _keeps(self, target: str, node: str, edge: str) -> bool:
        """Whether ``target``, reached before, keeps the step it has: the start and blockers do;
        a parent reached first as a pass-through becomes a blocker when a blocking edge reaches
        it too (unless that edge comes from beyond it, which is a cycle)."""
        if target == self.start:
            return True
        seen = self.steps[target]
        return seen.edge != PARENT or edge == PARENT or target in self._chain(node)

    def _chain(self, key: str) -> list[str]:
        """``key`` and the nodes it was reached through, back to (not including) the start."""
        chain = []
        while key != self.start:
            chain.append(key)
            key = self.came_from[key]
        return chain

    def path(self, key: str) -> list[Step]:
        return [self.steps[k] for k in reversed(self._chain(key))]


def nearest_blockers(report: BlockerReport) -> list[str]:
    """The open blockers of ``report`` that no other open blocker stands in front of (reached by
    blocking edges, or through parents, only): closing all of them unblocks the item, since the walk
    never goes past a done item. Nearest first."""
    found, _, _ = report.path_groups()
    return [path[-1].key for path in found if all(step.edge == PARENT for step in path[:-1])]


def _step(key: str, attrs: Mapping[str, Any], edge: str, cross: bool) -> Step:
    record = attrs.get("record")
    common: dict[str, Any] = {"key": key, "label": attrs.get("label", key), "workspace": attrs.get("workspace"),
                              "edge": edge, "cross": cross}
    if isinstance(record, WorkUnit):
        return Step(status=record.status, **common)
    stub = attrs.get("stub")
    cache_status = attrs.get("cache_status")
    # A stub counts as an open blocker only when its remote's cache is known to be readable
    # (synced or stale). With no known status, or an unreachable remote, nothing is known of the
    # item: it is unresolved. A parent that is not loaded is unresolved too: its blockers are unseen.
    known = cache_status in READABLE_CACHE
    return Step(status=None, stub=getattr(stub, "value", stub), cache_status=cache_status,
                unresolved=not known or edge == PARENT, **common)


READABLE_CACHE = frozenset({"synced", "stale"})


def _crosses(edge: Mapping[str, Any], source: Mapping[str, Any], target: Mapping[str, Any]) -> bool:
    cross = edge.get("cross")
    if isinstance(cross, bool):
        return cross
    return source.get("workspace") != target.get("workspace")


def cycles(adjacency: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The cycles of a directed graph given as adjacency lists: each strongly connected component
    of more than one node (or with a self-loop), as one cycle through its smallest key, in
    order. Iterative Tarjan: linear, no recursion limit, never loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in adjacency:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(adjacency.get(root, ())))]
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(adjacency.get(target, ()))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = _pop_component(stack, on_stack, node)
                    if len(component) > 1 or node in adjacency.get(node, ()):
                        found.append(_cycle_order(adjacency, set(component)))
    return sorted(found)


def _pop_component(stack: list[str], on_stack: set[str], node: str) -> list[str]:
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == node:
            return component


def _cycle_order(adjacency: Mapping[str, Sequence[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the smallest member of a strongly connected component."""
    first = min(component)
    came_from: dict[str, str] = {}
    queue = deque([first])
    while queue:
        node = queue.popleft()
        for target in adjacency.get(node, ()):
            if target == first:
                cycle = [node]
                while cycle[-1] != first:
                    cycle.append(came_from[cycle[-1]])
                return cycle[::-1]
            if target in component and target not in came_from:
                came_from[target] = node
                queue.append(target)
    return [first]  # unreachable for a real component


# -- plain English ----------------------------------------------------------------------------

def why_blocked(graph: nx.MultiDiGraph, key: str) -> str:
    """One paragraph saying whether ``key`` is blocked, by what, and through which path."""
    return explain(blockers(graph, key))


def explain(report: BlockerReport) -> str:
    """The plain-English form of a report (one line; untrusted text made safe to print)."""
    who = report.key
    if report.is_done:
        return one_line(f"{who} is done ({report.status}); nothing blocks it.")
    parts = []
    found, stuck, listed = report.path_groups()
    if report.is_blocked:
        parts.append(f"{who} is blocked by {_count(len(report.blockers), 'open item')}: "
                     + "; ".join(_path_text(p) for p in longest_paths(found)) + ".")
    else:
        parts.append(f"{who} is not blocked by any open item" + (" it can see." if report.unresolved else "."))
    if stuck:
        parts.append(f"{_count(len(stuck), 'blocker')} could not be resolved (status unknown): "
                     + "; ".join(_path_text(p) for p in stuck) + ".")
    if listed:
        parts.append("Listed, not counted (no status): " + "; ".join(_path_text(p) for p in listed) + ".")
    for cycle in report.cycles:
        parts.append("Cycle: " + " -> ".join(cycle + cycle[:1]) + ".")
    return one_line(" ".join(parts))


def longest_paths(paths: Sequence[Sequence[Step]]) -> list[Sequence[Step]]:
    """The paths that are not the start of another: together they name every item of ``paths``
    once per chain (A -> B -> C, not also A and A -> B)."""
    inner = {step.key for path in paths for step in path[:-1]}
    return [path for path in paths if path[-1].key not in inner]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _path_text(path: Iterable[Step]) -> str:
    return " -> ".join(_step_text(step) for step in path)


def _step_text(step: Step) -> str:
    text = f"{'parent ' if step.edge == PARENT else ''}{step.key}"
    if step.cross and step.workspace:
        text += f" (in {step.workspace})"
    return text + f" [{step_state(step)}]"


def step_state(step: Step) -> str:
    """What is known of a step's item: its status (``-, not a blocker`` when it has none), or for
    a stub its kind and cached status."""
    if step.status is not None:
        return step.status
    if step.no_status:
        return f"{status_text(None)}, not a blocker"
    if step.unresolved:
        return f"{step.stub}, unresolved"
    return f"{step.stub}, cached: {step.cache_status}"
