"""The graph a walk out of one item needs: the workspaces it reaches, not the whole federation.

A federation loaded through the parsed cache with its bulky records held back
(``load_federation``'s ``later``) gives a workspace's records back one at a time
(``core.federation.Held``). A walk along the edges going out of items (``blockers``) needs, for
each item it reaches, the item's workspace and every workspace that stores an edge going out of
it (an entry's ``edges_from``: a sudocode ``blocks`` into it). ``walk_near`` builds the graph of
the start's workspace and those, runs the walk, and when the walk reached a stub of a workspace
that is loaded but was left out, adds that one and walks again (``ROUNDS`` walks at most, the
last with every workspace: a walk across workspace after workspace is not rebuilt once for
each; a round that would read most of the federation's records reads all of it at once). So the
answer is the one the whole graph gives (tests/test_graph_reach.py compares them), from the
records of a few workspaces instead of all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from core.federation import Federation, Held
from core.graph import Walks, build_graph
from core.graph_kinds import NodeKind
from core.model import Workspace
from core.sources.limits import UNIT_RECORDS
from core.uri import workspace_of

T = TypeVar("T")
ROUNDS = 4  # walks over a part of the federation at most; the last over all of it


def walk_near(fed: Federation, key: str, walk: Callable[[Walks, str], T], reached: Callable[[T], Iterable[str]],
              remote_status: Mapping[str, str]) -> T | None:
    """``walk(graph, key)`` on the graph of the workspaces it reaches (``reached``: the keys of
    what it reached); None when that cannot be known here (no records held back, ``key`` not an
    item of a loaded workspace, or a workspace whose ``edges_from`` is not known): the caller
    walks the whole graph then."""
    held: Held | None = fed.held
    start = workspace_of(key)
    names = {ws.name for ws in fed.workspaces}
    if held is None or start not in names:
        return None
    storing = _storing(fed, held)
    if storing is None:
        return None
    size = {ws.name: _size(ws) for ws in fed.workspaces}
    half = sum(size.values()) / 2
    chosen: set[str] = set()
    workspaces = list(fed.workspaces)  # each chosen one with its records, read once
    more, rounds = {start}, 0
    while more:
        rounds += 1  # a walk that crosses workspace after workspace: all of them at the last round
        needed = _closure(more, storing)
        if rounds == ROUNDS or sum(size[name] for name in needed | chosen) > half:
            needed = names  # the last round, or most of the federation's records: all of it, once
        added = needed - chosen
        chosen |= added
        workspaces = [held.some(ws, UNIT_RECORDS) if ws.name in added else ws for ws in workspaces]
        part = Federation(roots=fed.roots, diagnostics=fed.diagnostics, workspaces=workspaces)
        graph = build_graph(part, remote_status, walks_only=True)
        node = graph._node.get(key)
        if node is None or node["kind"] is NodeKind.STUB:
            return None  # not an item here: the whole graph says what it is (a stub, or nothing)
        result = walk(graph, key)
        more = {name for name in map(workspace_of, reached(result)) if name in names and name not in chosen}
    return result


def _size(ws: Workspace) -> int:
    """How many of the records a walk reads ``ws`` holds (its counts: held back or not)."""
    counts = ws.counts()
    return 1 + sum(counts.get(kind, 0) for kind in UNIT_RECORDS)


def _storing(fed: Federation, held: Held) -> dict[str, set[str]] | None:
    """For each workspace name, the workspaces that store edges going out of its items."""
    storing: dict[str, set[str]] = {}
    for ws in fed.workspaces:
        sources = held.edges_from(ws)
        if sources is None:
            return None
        for name in sources:
            storing.setdefault(name, set()).add(ws.name)
    return storing


def _closure(names: set[str], storing: Mapping[str, set[str]]) -> set[str]:
    """``names`` and, again and again, the workspaces that store edges going out of theirs."""
    found, todo = set(names), list(names)
    while todo:
        for other in storing.get(todo.pop(), ()):
            if other not in found:
                found.add(other)
                todo.append(other)
    return found


def whole(fed: Federation) -> Federation:
    """``fed`` with every workspace's records (itself when none were held back)."""
    held: Held | None = fed.held
    if held is None:
        return fed
    return Federation(roots=fed.roots, diagnostics=fed.diagnostics,
                      workspaces=[held.whole(ws) for ws in fed.workspaces])
