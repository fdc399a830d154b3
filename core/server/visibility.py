"""What a remote may see over HTTP (docs/http-api.md, "What a remote sees"), beside what it may ask
(``core.server.query.allowed``):

- **exclude_fields**: the fields its ``permissions.query.exclude_fields`` names are left out of
  every work unit sent to it: a query's items, so the snapshot ``crossdeck sync`` keeps of it,
  and the items (and ``previous`` values) of the events on its streams. The fields that say which
  item it is (``key``, ``id``, ``kind``, ``workspace``) are always sent.
- **Subscriptions by trust** (the sudocode design's trust table): an ``untrusted`` remote cannot
  subscribe; a ``verified`` one gets only public events, meaning events about its own requests
  and about the items those requests created or reference; a ``trusted`` one (and a maintainer)
  gets every event it may query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.model import Remote, Request, TrustLevel, Workspace
from core.server.errors import ApiError

IDENTITY = frozenset({"key", "id", "kind", "workspace"})  # never excluded: they say which item it is
# The payload fields of a request that name items (core/sync/requests.py; a delegate's parent)
REFERENCE_FIELDS = ("blocks", "from_item", "discovered_from", "issue_id", "ref", "parent")


def excluded(remote: Remote | None) -> frozenset[str]:
    """The fields ``remote`` must not see (none for a maintainer)."""
    if remote is None:
        return frozenset()
    query = remote.permissions.get("query") if isinstance(remote.permissions, dict) else None
    fields = query.get("exclude_fields") if isinstance(query, dict) else None
    if not isinstance(fields, list):
        return frozenset()
    return frozenset(f for f in fields if isinstance(f, str)) - IDENTITY


def redact(item: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """``item`` without ``fields`` (the same dict when there is nothing to leave out)."""
    if not fields or not fields & item.keys():
        return item
    return {k: v for k, v in item.items() if k not in fields}


def redact_event(event: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """An item event as a remote that must not see ``fields`` receives it: left out of its item,
    its ``previous`` values and the item fields the event repeats (``status``)."""
    if not fields or not str(event.get("type", "")).startswith("item."):
        return event
    out = redact(event, fields & {"status"})
    if isinstance(out.get("item"), dict):
        out = {**out, "item": redact(out["item"], fields)}
    if isinstance(out.get("previous"), dict):
        out = {**out, "previous": redact(out["previous"], fields)}
    return out


def may_subscribe(remote: Remote) -> None:
    """Raise the 403 of the trust table for an ``untrusted`` remote."""
    if remote.trust_level is TrustLevel.UNTRUSTED:
        raise ApiError(403, f"{remote.name} is untrusted: an untrusted remote cannot subscribe to changes "
                            "(the trust table of the sudocode federation design; trust it as verified or "
                            "trusted first)", [{"path": "trust_level", "message": "untrusted remotes cannot subscribe"}])


def public_keys(ws: Workspace, requests: Iterable[Request]) -> frozenset[str]:
    """The keys and ids of the items ``requests`` created or reference (a verified remote's
    public items, with ``requests`` the ones between it and ``ws``)."""
    seen: set[str] = set()
    for request in requests:
        created = request.result.get("created") if isinstance(request.result, dict) else None
        if isinstance(created, dict):
            seen.update(str(created[f]) for f in ("canonical_ref", "id") if isinstance(created.get(f), str))
        elif isinstance(created, str):
            seen.add(created)
        payload = request.payload if isinstance(request.payload, dict) else {}
        for name in REFERENCE_FIELDS:
            value = payload.get(name)
            seen.update(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
        rels = payload.get("relationships")
        for rel in rels if isinstance(rels, list) else ():
            if isinstance(rel, dict) and isinstance(rel.get("remote_ref"), str):
                seen.add(rel["remote_ref"])
    # a reference may name an item by its id or its key: both name it
    keys = {unit.key for unit in ws.work_units if unit.key in seen or unit.id in seen}
    return frozenset(seen | keys)
