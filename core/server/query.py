"""``POST query``: who may ask for what, and one page of the answer (docs/http-api.md).

Permissions, checked before anything is read: a maintainer may query everything; a remote needs
``permissions.query.allowed`` (and the workspace's ``policies.incoming_requests.query`` not closed),
may query only the ``entities`` and use only the ``filters`` it lists (when it lists them), and an
``untrusted`` remote only the public entities whatever its permissions say. ``request`` is open
to every caller, for the requests between it and this workspace only. The workspace's
``a2a_policies.query`` (the sudocode design's agent behaviour) applies to every remote too:
``auto_respond: false`` closes queries over the API, ``allowed_filters`` lists the filters any remote
may use. A filter on a field the remote's ``exclude_fields`` hides is refused (its answer would tell
the field), and those fields are left out of every item answered (``core.server.visibility``).

Pages are in key order (a request's key is its id); the cursor is the last key of the previous
page, so a page never repeats or skips an item that stays while others change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.analysis.approvals import dig as _dig
from core.analysis.reach import allowed as permitted
from core.model import Remote, Request, SudocodeRepo, TrustLevel, Workspace
from core.query_filters import QueryFilters, matches
from core.server.auth import Caller
from core.server.errors import ApiError, invalid
from core.server.messages import QueryMessage
from core.server.served import Served
from core.server.visibility import excluded, redact
from core.server.wire import item_json, relationship_index, request_json, spec_refs
from core.store import iso
from core.timeutil import now, parse_ts

PUBLIC = ("issue", "spec", "bead")


def allowed(caller: Caller, ws: Workspace, message: QueryMessage) -> None:
    """Raise a 403 naming the rule when ``caller`` may not ask ``message``."""
    if caller.remote is None or message.entity == "request":
        return
    remote = caller.remote
    policy = _dig(ws.info.federation if isinstance(ws.info, SudocodeRepo) else {}, "policies", "incoming_requests",
                  "query")
    if policy is False or _dig(policy, "allowed") is False:
        raise ApiError(403, f"the policy of {ws.name} closes queries (policies.incoming_requests.query.allowed)")
    if _dig(_a2a_query(ws), "auto_respond") is False:
        raise ApiError(403, f"{ws.name} does not answer queries automatically (a2a_policies.query.auto_respond "
                            "is false)")
    query = _dig(remote.permissions, "query")
    if not permitted(query):
        raise ApiError(403, f"{remote.name} may not query: its permissions.query.allowed is not true")
    if remote.trust_level is TrustLevel.UNTRUSTED and message.entity not in PUBLIC:
        raise ApiError(403, f"{remote.name} is untrusted: it may query only {', '.join(PUBLIC)}")
    entities = _dig(query, "entities")
    if isinstance(entities, list) and message.entity not in entities:
        raise ApiError(403, f"{remote.name} may not query {message.entity}: its permissions.query.entities are "
                            + (", ".join(map(str, entities)) or "none"))
    filters_allowed(remote, ws, message.filters.used())


def filters_allowed(remote: Remote, ws: Workspace, used: list[str]) -> None:
    """Raise a 403 naming the rule when ``remote`` may not filter by each of ``used`` (a query's
    filters, a subscription's): the workspace's ``a2a_policies.query.allowed_filters``, the
    remote's ``permissions.query.filters``, and never a field its ``exclude_fields`` hide."""
    rules = ((_dig(_a2a_query(ws), "allowed_filters"), "the workspace's a2a_policies.query.allowed_filters"),
             (_dig(remote.permissions, "query", "filters"), "its permissions.query.filters"))
    for listed, rule in rules:
        refused = [f for f in used if f not in listed] if isinstance(listed, list) else []
        if refused:
            raise ApiError(403, f"{remote.name} may not filter by {', '.join(refused)}: {rule} are "
                                + (", ".join(map(str, listed)) or "none"))
    hidden = sorted(set(used) & excluded(remote))
    if hidden:
        raise ApiError(403, f"{remote.name} may not filter by {', '.join(hidden)}: its permissions.query."
                            "exclude_fields hide it")


def _a2a_query(ws: Workspace) -> Any:
    return _dig(ws.info.federation if isinstance(ws.info, SudocodeRepo) else {}, "a2a_policies", "query")


def run(caller: Caller, served: Served, message: QueryMessage, today: dt.date) -> dict[str, Any]:
    ws = served.workspace
    allowed(caller, ws, message)
    since = _since(message.filters)
    rows: list[tuple[str, Any]]
    if message.entity == "request":
        rows = sorted(((r.request_id, r) for r in _own_requests(caller, served, today)), key=lambda row: row[0])
    else:
        rows = sorted(((u.key, u) for u in ws.work_units if message.entity in ("work_unit", u.kind)),
                      key=lambda row: row[0])
    matching = [(key, record) for key, record in rows if matches(record, message.filters, since)]
    after = [(key, record) for key, record in matching if message.cursor is None or key > message.cursor]
    page = after[:message.limit]
    index = relationship_index(ws.relationships) if {"relationships", "spec_refs"} & set(message.include) else None
    hidden = excluded(caller.remote)
    items = [request_json(record) if isinstance(record, Request) else
             redact(_item(ws, record, index, message.include), hidden) for _, record in page]
    more = len(after) > len(page)
    return {"entity": message.entity, "items": items, "next_cursor": page[-1][0] if more and page else None,
            "total": len(matching), "as_of": iso(now())}


def _item(ws: Workspace, unit: Any, index: Any, include: Sequence[str]) -> dict[str, Any]:
    item = item_json(unit, index if "relationships" in include else None)
    if "spec_refs" in include:
        item["spec_refs"] = spec_refs(ws, unit, index)
    return item


def _own_requests(caller: Caller, served: Served, today: dt.date) -> list[Request]:
    requests = served.workspace.requests
    if caller.remote is None:
        return list(requests)
    return [r for r in requests if served.is_between(r.from_repo, r.to_repo, caller.remote.name, today)]


def _since(filters: QueryFilters) -> dt.datetime | None:
    if filters.updated_since is None:
        return None
    value = parse_ts(filters.updated_since)
    if value is None:
        raise invalid("$.filters.updated_since", f"{filters.updated_since!r} is not an ISO 8601 time")
    return value
