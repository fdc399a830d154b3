"""The nearest open blockers of items: what holds each one open, for many items of one graph at once.

An item's nearest blockers are the open items one blocking edge away from it, or from a parent it
reaches through open parents only (as in ``core.analysis.blocking``: a child is not ready while its
parent is blocked, and the open parent itself is not a blocker). Closing all of them unblocks the
item, since nothing beyond an open blocker or a done item is walked. A stub counts when its cached
status is known (``READABLE_CACHE``); an unresolved stub, an item with no status (a spec) and a
done item do not, and nothing past them is followed.

Asking for every item of a chain 100,000 deep must not walk the chain once per item: the answer of
an item is its own direct blockers plus its parents' answers, so each is found once (the parents'
first) and shared. The pass-through edges (to open parents) are walked with an iterative Tarjan
(``core.analysis.components``): the parents of a cycle of parents (bad data, but loadable) share
one answer. Each answer names at most ``LIMIT`` blockers, nearest first: a chain of parents each
with its own blocker would otherwise make answers as long as the chain, and their total grow with
its square.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.analysis.blocking import PARENT_KEY, READABLE_CACHE, WALKED
from core.analysis.components import strong_components
from core.graph_kinds import NodeKind
from core.model import DONE_STATUSES, WorkUnit

if TYPE_CHECKING:
    import networkx as nx

LIMIT = 50  # blockers named per item, at most


class NearestBlockers:
    """``nearest(key)``: the nearest open blockers of ``key`` (a node of ``graph``), nearest
    first, at most ``LIMIT``; answers are kept and shared between the items asked about."""

    def __init__(self, graph: nx.MultiDiGraph):
        self._succ, self._nodes = graph._succ, graph._node
        self._answer: dict[str, list[str]] = {}
        self._index: dict[str, int] = {}
        self._edges: dict[str, tuple[list[str], list[str]]] = {}  # (direct blockers, open parents)

    def __call__(self, key: str) -> list[str]:
        if key not in self._answer:
            self._solve(key)
        return [blocker for blocker in self._answer[key] if blocker != key][:LIMIT]

    def _solve(self, root: str) -> None:
        """The components of the edges to open parents, from ``root``, each answered once every
        component its members pass through is (``strong_components`` gives them in that order)."""
        for component in strong_components((root,), self._through, self._index):
            self._answer_component(component)

    def _answer_component(self, component: list[str]) -> None:
        members = set(component)
        found: dict[str, None] = {}  # ordered, without repeats
        for member in component:
            found.update(dict.fromkeys(self._edges[member][0]))
        for member in component:
            for parent in self._edges[member][1]:
                if parent not in members and len(found) <= LIMIT:
                    found.update(dict.fromkeys(self._answer[parent]))
        answer = list(found)[:LIMIT + 1]  # one spare: an item is never its own blocker
        for member in component:
            self._answer[member] = answer
            del self._edges[member]

    def _through(self, key: str) -> list[str]:
        """The open parents ``key`` passes through (its direct blockers kept for later)."""
        direct: list[str] = []
        parents: list[str] = []
        out, nodes = self._succ[key], self._nodes
        for target in sorted(out) if len(out) > 1 else out:
            edges = out[target]
            stored_key = next((k for k in WALKED if k in edges), None)
            if stored_key is None:
                continue
            attrs = nodes[target]
            record = attrs.get("record")
            if isinstance(record, WorkUnit):
                if record.status is None or record.status in DONE_STATUSES:
                    continue  # no status (a spec) or done: not a blocker, not walked past
                (parents if stored_key == PARENT_KEY else direct).append(target)
            elif (attrs.get("kind") is NodeKind.STUB and stored_key != PARENT_KEY
                  and attrs.get("cache_status") in READABLE_CACHE):
                direct.append(target)  # a stub whose remote's status is known; a stub parent is unresolved
        self._edges[key] = (direct, parents)
        return parents
