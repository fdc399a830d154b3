"""Which item an audit event is about, when it names one: to open it from the audit trail.

Beads events carry the item's key (``AuditEntry.subject``). Other events name it in their
payload: a town event's ``bead`` (an id in that town), a federation audit entry's
``payload.issue_id`` / ``payload.parent`` (the request's target) or ``result.issue_id`` (what
it created). An id is looked up in the event's own workspace first, then in the whole federation
(where exactly one item has it); a reference that resolves to nothing gives None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from core import uri
from core.analysis.audit import AuditEntry
from core.analysis.lookup import lookup_index

if TYPE_CHECKING:
    import networkx as nx

_PAYLOAD_KEYS = ("bead", "issue_id", "issue", "item")
_NESTED = (("payload", "issue_id"), ("payload", "parent"), ("payload", "item"), ("result", "issue_id"))


def event_subject(graph: nx.MultiDiGraph, entry: AuditEntry) -> str | None:
    """The key of the graph node ``entry`` is about, or None when it names none."""
    for ref in _references(entry):
        key = _resolve(graph, ref, entry.workspace)
        if key is not None:
            return key
    return None


def _references(entry: AuditEntry) -> Iterator[str]:
    if entry.subject:
        yield entry.subject
    payload: dict[str, Any] = entry.payload
    for name in _PAYLOAD_KEYS:
        value = payload.get(name)
        if isinstance(value, str) and value:
            yield value
    for outer, inner in _NESTED:
        holder = payload.get(outer)
        value = holder.get(inner) if isinstance(holder, dict) else None
        if isinstance(value, str) and value:
            yield value


def _resolve(graph: nx.MultiDiGraph, ref: str, workspace: str) -> str | None:
    if ref in graph:
        return ref
    parsed = uri.try_parse(ref)
    key = uri.canonical(parsed) if parsed is not None else None
    if key is not None and key in graph:
        return key
    ident = parsed.id if parsed is not None else ref
    candidates = lookup_index(graph).keys_for(ident)
    here = [k for k in candidates if graph._node[k].get("workspace") == workspace]
    if len(here) == 1:
        return here[0]
    return candidates[0] if len(candidates) == 1 else None
