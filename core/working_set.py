"""The records a walk over the whole federation graph read, kept to walk again.

``chains`` walks from every delegation: a few thousand items of 100,000, but which ones only the
walk finds (the delegations' ends, what blocks them, what implements them, in any workspace). A
run with no kept working set grows one from the walk's seeds (``_grown``) and walks it with its
reads recorded (``core.graph_recording``: every node whose attributes or edges it looked up),
then keeps those items' work units and every relationship into or out of them, with all the
delegations, as a federation-wide part of the parsed cache. Its key names exactly the entries
the federation was read from (and the content of any workspace not read through one: a
remote's copy, a town whose beads are on a Dolt server), the remote statuses the graph's stubs
show, and the code of the graph and the analyses (``core.cache.code.walks_identity``). A later
run under the same key builds its graph of that part alone and walks it again: the answer is
computed anew (today's date, overdue terms) from the same inputs, so it is the whole graph's
(tests/test_working_set.py compares them). A change to any workspace makes a new key: that run
grows a working set again and keeps a new part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import msgspec

from core.federation import Federation, Held
from core.graph import Walks, build_graph
from core.graph_kinds import relationship_ends, unit_edges
from core.graph_reach import whole
from core.graph_recording import recorded
from core.model import Delegation, Relationship, Workspace, WorkspaceKind, WorkUnit
from core.uri import workspace_of

T = TypeVar("T")
_PREFIX = "walked-"  # a working set's file in the cache folder starts so
Kept = list[tuple[int, list[WorkUnit], list[Relationship], list[Delegation]]]  # (workspace's index, its records)
_decode = msgspec.msgpack.Decoder(tuple[str, tuple[list[str], Kept]]).decode  # (key, (nodes looked up, records))
_encode = msgspec.msgpack.Encoder().encode


def walk_kept(fed: Federation, name: str, walk: Callable[[Walks], T], remote_status: Mapping[str, str],
              seeds: Callable[[Workspace], Iterable[str]]) -> T:
    """``walk(graph)`` on the graph of the working set kept for ``name`` when there is one for
    ``fed`` as it is; else on a working set grown from ``seeds`` (the keys a workspace's records
    say the walk starts from: ``_grown``), or on the whole graph, keeping what it read. A walk of
    a kept or grown working set is recorded too: should it look up a node the working set does
    not hold whole, its answer is dropped (the whole graph is walked, or the set grown)."""
    key = _key(fed, name, remote_status)
    held: Held | None = fed.held
    if held is None:
        return _walk_whole(fed, walk, remote_status)
    if key is None or held.cache is None:  # nothing to keep it under (no cache): grown, kept nowhere
        grown = _grown(fed, held, walk, remote_status, seeds)
        return grown[0] if grown is not None else _walk_whole(fed, walk, remote_status)
    kept = held.cache.part(_PREFIX, key, _decode)
    if kept is not None and all(0 <= index < len(fed.workspaces) for index, *_ in kept[1]):
        result, seen = recorded(build_graph(_with(fed, kept[1]), remote_status, walks_only=True), walk)
        if seen <= set(kept[0]):
            return result
    grown = _grown(fed, held, walk, remote_status, seeds)
    if grown is not None:
        result, seen, records = grown
    else:
        complete = whole(fed)
        result, seen = recorded(build_graph(complete, remote_status, walks_only=True), walk)
        records = working_set(complete, seen)
    held.cache.keep_part(_PREFIX, key, (sorted(seen), records))
    return result


def _walk_whole(fed: Federation, walk: Callable[[Walks], T], remote_status: Mapping[str, str]) -> T:
    return walk(build_graph(whole(fed), remote_status, walks_only=True))


def walk_from(fed: Federation, start: Iterable[str], walk: Callable[[Walks], T], remote_status: Mapping[str, str],
              rounds: int) -> T | None:
    """``walk(graph)`` over a working set grown from the keys ``start`` (``_grown``, at most
    ``rounds`` walks), kept nowhere: what one item's walk reads (``show``); None when the
    federation was not loaded with its records held (``load_federation``'s ``later``), when no
    key of ``start`` is of a loaded workspace (a short id, a title: nothing is read for it), or
    when the set did not stop growing (the caller walks the whole graph)."""
    held: Held | None = fed.held
    start = list(start)
    names = {ws.name for ws in fed.workspaces}
    if held is None or not any(workspace_of(key) in names for key in start):
        return None
    grown = _grown(fed, held, walk, remote_status, lambda ws: (), start=start, rounds=rounds)
    return None if grown is None else grown[0]


def _grown(fed: Federation, held: Held, walk: Callable[[Walks], T], remote_status: Mapping[str, str],
           seeds: Callable[[Workspace], Iterable[str]], *, start: Iterable[str] = (),
           rounds: int | None = None) -> tuple[T, set[str], Kept] | None:
    """The walk over a working set grown from ``start`` and ``seeds``, reading each workspace's
    records one at a time (so the whole federation's are never held at once): every relationship
    and delegation is kept, and the work units of the keys wanted, starting from the seeds. When
    the walk looks up a node not wanted, those are wanted too and it walks again; after
    ``rounds`` (default ``ROUNDS``) walks, None (the caller walks the whole graph). Each node it
    looked up has its unit and every edge in or out, as in the whole graph, so its answer is the
    whole graph's."""
    from core.graph_reach import ROUNDS

    relationships: list[list[tuple[str, str, Relationship]]] = []  # by workspace: each edge's ends, its record
    delegations: list[list[Delegation]] = []
    carried: list[tuple[str, str]] = []  # edges a unit's own fields stand for (child, parent): core.graph_kinds
    want: set[str] = set(start)
    for ws in fed.workspaces:
        sudocode = ws.kind is WorkspaceKind.SUDOCODE
        kinds = ("relationships", "delegations", "work_units") if sudocode else ("relationships", "delegations")
        some = held.some(ws, kinds)  # a sudocode repo's units: their parent_id is an edge (unit_edges)
        relationships.append([(ends[0], ends[1], rel) for rel in some.relationships
                              if (ends := relationship_ends(rel, sudocode)) is not None])
        delegations.append(some.delegations)
        carried.extend(unit_edges(some))
        want.update(seeds(some))
    into = _carriers(carried)
    index_of = {ws.name: index for index, ws in enumerate(fed.workspaces)}
    units: dict[int, list[WorkUnit]] = {}
    fetched: set[str] = set()
    for _ in range(ROUNDS if rounds is None else rounds):
        _carrying(want - fetched, want, into)
        owners = {index for key in want - fetched if (index := index_of.get(workspace_of(key) or "")) is not None}
        for index in sorted(owners):
            units[index] = held.units(fed.workspaces[index], want)
        fetched |= want
        records: Kept = []
        for index in range(len(fed.workspaces)):
            touching = [rel for source, target, rel in relationships[index] if source in want or target in want]
            if units.get(index) or touching or delegations[index]:
                records.append((index, units.get(index, []), touching, delegations[index]))
        result, seen = recorded(build_graph(_with(fed, records), remote_status, walks_only=True), walk)
        if seen <= want:
            return result, seen, records
        want |= seen
    return None


def _carriers(carried: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Each item, and the units whose own fields make an edge into it (``unit_edges``)."""
    into: dict[str, list[str]] = {}
    for child, parent in carried:
        into.setdefault(parent, []).append(child)
    return into


def _carrying(new: Iterable[str], want: set[str], into: Mapping[str, list[str]]) -> None:
    """Add to ``want`` the units that carry an edge into one of ``new`` (of ``want``), and theirs
    in turn: a wanted item's every edge is then in the working set."""
    todo = [key for key in new if key in into]
    while todo:
        for child in into.get(todo.pop(), ()):
            if child not in want:
                want.add(child)
                todo.append(child)


def working_set(fed: Federation, seen: set[str]) -> Kept:
    """The records of the items in ``seen``: their work units and every relationship into or out
    of them, by workspace, with every delegation (the chains start from all of them); the units
    that carry an edge into one of them (``unit_edges``) are kept too."""
    seen = set(seen)
    _carrying(list(seen), seen, _carriers(edge for ws in fed.workspaces for edge in unit_edges(ws)))
    kept: Kept = []
    for index, ws in enumerate(fed.workspaces):
        sudocode = ws.kind is WorkspaceKind.SUDOCODE
        units = [unit for unit in ws.work_units if unit.key in seen]
        relationships = [rel for rel in ws.relationships if (ends := relationship_ends(rel, sudocode)) is not None
                         and (ends[0] in seen or ends[1] in seen)]
        if units or relationships or ws.delegations:
            kept.append((index, units, relationships, ws.delegations))
    return kept


def _with(fed: Federation, kept: Kept) -> Federation:
    workspaces = list(fed.workspaces)
    for index, units, relationships, delegations in kept:
        workspaces[index] = msgspec.structs.replace(workspaces[index], work_units=units, relationships=relationships,
                                                    delegations=delegations)
    return Federation(roots=fed.roots, diagnostics=fed.diagnostics, workspaces=workspaces)


def _key(fed: Federation, name: str, remote_status: Mapping[str, str]) -> str | None:
    """What names the working set of ``name`` for ``fed``: the entries its workspaces were read
    from, and the content of those that were not (a remote's copy, a town on a Dolt server: all
    their records are here); None without the cache."""
    from core.cache.code import walks_identity

    held: Held | None = fed.held
    if held is None or held.cache is None:
        return None
    identities: list[str] = []
    contents: list[str] = []
    for index, ws in enumerate(fed.workspaces):
        identity = held.entry_identity(ws)
        if identity is not None:
            identities.append(identity)
        else:
            try:
                contents.append(f"{index}:{_digest(_encode(ws))}")
            except (msgspec.EncodeError, OverflowError, TypeError, ValueError):
                return None  # a value msgpack does not carry: nothing to key it on
    statuses = _digest(repr(sorted(remote_status.items())).encode())
    return held.cache.federation_key(identities, name, walks_identity(), statuses, *contents)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
