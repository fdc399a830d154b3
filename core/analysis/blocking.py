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
PERF-NOTES.md), so each blocker's path is a shortest one and the order is deterministic. The
report names each item the walk reached once (``steps``), with the item it was reached from
(``reached_from``): the paths are a tree, and a path is read back up that tree (``StepTree``),
so a chain N deep costs N steps, not N paths of up to N steps each.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from core.analysis.components import strong_components
from core.analysis.neighbourhood import Glyphs, tree_walk
from core.graph_kinds import BLOCKING, EdgeKind, NodeKind
from core.model import DONE_STATUSES, WorkUnit, status_text
from core.text import one_line

if TYPE_CHECKING:
    import networkx as nx

PARENT = "parent"  # the edge of a step from a child to its parent
# When one pair has several blocking edges, the step names "blocks" if it is one of them.
_BLOCKING_KEYS = (EdgeKind.BLOCKS.value,) + tuple(sorted(k.value for k in BLOCKING - {EdgeKind.BLOCKS}))
PARENT_KEY = _PARENT_KEY = EdgeKind.PARENT_CHILD.value
# the edge keys the walk follows, in the order one is picked when a pair has several
WALKED = _WALKED = (*_BLOCKING_KEYS, _PARENT_KEY)


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
    reached_from: str = ""  # the step before it on its path (the report's own key for a first step)

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
    # every item on a path to an open blocker, an unresolved stub or an item with no status, once,
    # each after the step it is reached from (its ``reached_from``): together, one shortest path to each
    steps: list[Step]
    unresolved: list[Step]
    not_blocking: list[Step]  # items with no status (specs) the walk met: listed, never counted
    cycles: list[list[str]]  # each in cycle order: a -> b -> ... -> back to a

    def groups(self) -> tuple[list[str], list[str], list[str]]:
        """The keys of (open blockers, unresolved stubs, items with no status), nearest first."""
        return self.blockers, [s.key for s in self.unresolved], [s.key for s in self.not_blocking]


class StepTree:
    """A report's steps by key and under the step each is reached from: the path to any of them
    read back in the time of its length, the whole tree walked in the time of its size."""

    def __init__(self, report: BlockerReport):
        self.start = report.key
        self.by_key = {step.key: step for step in report.steps}
        self.below: dict[str, list[Step]] = {}
        for step in report.steps:
            self.below.setdefault(step.reached_from, []).append(step)

    def path(self, key: str) -> list[Step]:
        """The steps from the report's item to ``key``, its first edge first."""
        path = []
        while key != self.start:
            step = self.by_key[key]
            path.append(step)
            key = step.reached_from
        return path[::-1]

    def ends(self, keys: Sequence[str]) -> list[str]:
        """The ``keys`` whose path is not the start of another one's (``A -> B -> C``, not also
        ``A`` and ``A -> B``): together their paths name every one of ``keys``. In ``keys`` order."""
        inner: set[str] = set()
        for key in keys:
            above = self.by_key[key].reached_from
            while above != self.start and above not in inner:
                inner.add(above)
                above = self.by_key[above].reached_from
        return [key for key in keys if key not in inner]

    def drawn(self, glyphs: Glyphs) -> Iterator[tuple[str, Step]]:
        """(connectors, step) for every step, depth first, each under the step it is reached from
        (``tree_walk``: no recursion, indentation capped); the report's item, at the top, left out."""
        walk = tree_walk(self.start, lambda key: [step.key for step in self.below.get(key, ())], glyphs)
        next(walk)
        for prefix, key in walk:
            yield prefix, self.by_key[key]


def blockers(graph: nx.MultiDiGraph, key: str) -> BlockerReport:
    """The open blockers of ``key`` (a node of ``graph``), with paths, unresolved stubs, cycles."""
    return walked_blockers(graph, key)[0]


def walked_blockers(graph: nx.MultiDiGraph, key: str) -> tuple[BlockerReport, list[str]]:
    """``blockers``, and every node the walk reached (``core.graph_reach``: a stub among them
    may be an item of a workspace left out of ``graph``)."""
    attrs = graph._node[key]
    unit = attrs.get("record")
    is_unit = isinstance(unit, WorkUnit)
    done = is_unit and unit.is_done
    report = BlockerReport(key=key, label=attrs.get("label", key), workspace=attrs.get("workspace"),
                           kind=unit.kind if is_unit else None, status=unit.status if is_unit else None,
                           is_done=done, is_blocked=False, direct=[], blockers=[], steps=[], unresolved=[],
                           not_blocking=[], cycles=[])
    if done:
        return report, []
    walk = _Walk(graph, key)
    found = [k for k, s in walk.steps.items() if s.edge != PARENT and not s.unresolved and not s.no_status]
    stuck = [k for k, s in walk.steps.items() if s.unresolved]
    listed = [k for k, s in walk.steps.items() if s.no_status]
    report.blockers = found
    report.direct = [walk.steps[k] for k in found if walk.came_from[k] == key]
    report.steps = walk.tree_order(found + stuck + listed)
    report.unresolved = [walk.steps[k] for k in stuck]
    report.not_blocking = [walk.steps[k] for k in listed]
    report.cycles = cycles(walk.walked)
    report.is_blocked = bool(found)
    return report, list(walk.steps)


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
                steps[target] = _step(target, attrs, edge, _crosses(edges[stored_key], nodes[node], attrs), node)
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

    def tree_order(self, ends: list[str]) -> list[Step]:
        """The steps on a path to one of ``ends``, each once, every one after the step it is
        reached from (breadth-first down the tree of ``came_from``, in walk order)."""
        wanted: set[str] = set()
        for key in ends:
            while key != self.start and key not in wanted:
                wanted.add(key)
                key = self.came_from[key]
        below: dict[str, list[str]] = {}
        for key in self.steps:  # walk order
            if key in wanted:
                below.setdefault(self.came_from[key], []).append(key)
        order: list[Step] = []
        queue = deque(below.get(self.start, ()))
        while queue:
            key = queue.popleft()
            order.append(self.steps[key])
            queue.extend(below.get(key, ()))
        return order


def _step(key: str, attrs: Mapping[str, Any], edge: str, cross: bool, reached_from: str) -> Step:
    record = attrs.get("record")
    common: dict[str, Any] = {"key": key, "label": attrs.get("label", key), "workspace": attrs.get("workspace"),
                              "edge": edge, "cross": cross, "reached_from": reached_from}
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
    order (``strong_components``: linear, no recursion limit, never loops)."""
    found: list[list[str]] = []
    for component in strong_components(adjacency, lambda node: adjacency.get(node, ())):
        first = component[0]
        if len(component) > 1 or first in adjacency.get(first, ()):
            found.append(_cycle_order(adjacency, set(component)))
    return sorted(found)


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
    """The plain-English form of a report (one line; untrusted text made safe to print). It names
    at most ``EXPLAIN_STEPS`` steps of paths (a longer path keeps its first steps and its end),
    then says how many more paths there are: the report itself has them all."""
    who = report.key
    if report.is_done:
        return one_line(f"{who} is done ({report.status}); nothing blocks it.")
    tree = StepTree(report)
    budget = [EXPLAIN_STEPS]
    parts = []
    found, stuck, listed = report.groups()
    if report.is_blocked:
        parts.append(f"{who} is blocked by {_count(len(report.blockers), 'open item')}: "
                     + _paths_text(tree, tree.ends(found), budget) + ".")
    else:
        parts.append(f"{who} is not blocked by any open item" + (" it can see." if report.unresolved else "."))
    if stuck:
        parts.append(f"{_count(len(stuck), 'blocker')} could not be resolved (status unknown): "
                     + _paths_text(tree, stuck, budget) + ".")
    if listed:
        parts.append("Listed, not counted (no status): " + _paths_text(tree, listed, budget) + ".")
    for cycle in report.cycles[:EXPLAIN_CYCLES]:
        parts.append("Cycle: " + _cycle_text(cycle) + ".")
    if len(report.cycles) > EXPLAIN_CYCLES:
        parts.append(f"{_count(len(report.cycles) - EXPLAIN_CYCLES, 'more cycle')}.")
    return one_line(" ".join(parts))


EXPLAIN_STEPS = 60  # steps of paths one explanation names, at most
EXPLAIN_CYCLES = 10  # cycles one explanation names, at most


def _paths_text(tree: StepTree, ends: Sequence[str], budget: list[int]) -> str:
    """``A -> B; A -> C`` for the paths to ``ends``, within ``budget[0]`` steps (spent here)."""
    shown = []
    for end in ends:
        if budget[0] <= 0:
            break
        path = tree.path(end)
        if len(path) > budget[0]:
            keep = max(budget[0] - 1, 1)
            text = _path_text(path[:keep]) + f" -> ... ({len(path) - keep - 1} more) -> " + _path_text(path[-1:])
        else:
            text = _path_text(path)
        budget[0] -= len(path)
        shown.append(text)
    left = len(ends) - len(shown)
    return "; ".join(shown) + (f"; and {_count(left, 'more path')}" if left else "")


def _cycle_text(cycle: list[str]) -> str:
    if len(cycle) <= EXPLAIN_STEPS:
        return " -> ".join(cycle + cycle[:1])
    return " -> ".join(cycle[:EXPLAIN_STEPS - 1]) + f" -> ... ({len(cycle) - EXPLAIN_STEPS + 1} more) -> {cycle[0]}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _path_text(path: Iterable[Step]) -> str:
    return " -> ".join(_step_text(step) for step in path)


def _step_text(step: Step) -> str:
    text = f"{'parent ' if step.edge == PARENT else ''}{step.key}"
    if step.cross and step.workspace:
        text += f" (in {step.workspace})"
    return text + f" [{step_state(step)}]"


# How the item above a step relates to the step's item, read from the top down (the edge runs from
# the dependent item to what it depends on): ``X / blocked by Y`` where Y blocks X, never
# ``X / blocks Y``, which reads as if X blocked Y.
_READ_AS = {EdgeKind.BLOCKS.value: "blocked by", EdgeKind.CONDITIONAL_BLOCKS.value: "conditionally blocked by",
            EdgeKind.WAITS_FOR.value: "waits for", EdgeKind.DEPENDS_ON.value: "depends on", PARENT: "child of"}


def step_reading(step: Step) -> str:
    """``blocked by``, ``depends on``, ``waits for``, ``child of``: the words between the item
    above a step and the step's item, in the direction a reader reads the path."""
    return _READ_AS.get(step.edge, step.edge)


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
