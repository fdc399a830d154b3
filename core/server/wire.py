"""How the API writes records on the wire (docs/http-api.md): a work unit or request as its
``core.model`` record without where it was read from, and a work unit's relationships beside it.

Query pages and events use the same functions, so an ``item.updated`` event carries exactly what
a query with ``include: ["relationships"]`` would answer: a subscriber applies it without asking
again, and a change to an item's relationships alone is a change of the item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from core.model import Relationship, Request, Workspace, WorkUnit, to_raw

RelationshipIndex = dict[str, list[dict[str, Any]]]


def request_json(request: Request) -> dict[str, Any]:
    raw = to_raw(request)
    raw.pop("workspace", None)
    raw.pop("fetched_from", None)  # where this process read it: not part of the request
    return raw


def relationship_index(relationships: Iterable[Relationship]) -> RelationshipIndex:
    """Each item's relationships (as JSON), by the key of either end, in the workspace's order."""
    index: RelationshipIndex = defaultdict(list)
    for rel in relationships:
        raw = to_raw(rel)
        ends = {rel.from_key, rel.to_key} - {None}
        for key in ends:
            index[key].append(raw)  # type: ignore[index]
    return index


def item_json(unit: WorkUnit, relationships: RelationshipIndex | None = None) -> dict[str, Any]:
    """The work unit; with ``relationships`` (an index), its relationships too."""
    item = to_raw(unit)
    if relationships is not None:
        item["relationships"] = list(relationships.get(unit.key, ()))
    return item


def items_json(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Every work unit of ``ws`` with its relationships, by key."""
    index = relationship_index(ws.relationships)
    return {unit.key: item_json(unit, index) for unit in ws.work_units}


def spec_refs(ws: Workspace, unit: WorkUnit, relationships: RelationshipIndex | None) -> list[str]:
    """The ids of the specs of ``ws`` that ``unit`` is related to (the design's ``spec_refs``: an
    issue implementing a spec names it), in the order its relationships give them."""
    specs = {u.key: u.id for u in ws.work_units if u.kind == "spec" and u.key != unit.key}
    found: list[str] = []
    for rel in (relationships or {}).get(unit.key, ()):
        for end in (rel.get("from_key"), rel.get("to_key")):
            ident = specs.get(end) if isinstance(end, str) else None
            if ident is not None and ident not in found:
                found.append(ident)
    return found
