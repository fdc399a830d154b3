"""``POST query``: who may ask for what, and one page of the answer (docs/http-api.md).

Permissions, checked before anything is read: a maintainer may query everything; a remote needs
``permissions.query.allowed`` (and the workspace's ``policies.incoming_requests.query`` not closed),
may query only the ``entities`` and use only the ``filters`` it lists (when it lists them), and an
``untrusted`` remote only the public entities whatever its permissions say. ``request`` is open
to every caller, for the requests between it and this workspace only.

Pages are in key order (a request's key is its id); the cursor is the last key of the previous
page, so a page never repeats or skips an item that stays while others change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.analysis.approvals import dig as _dig
from core.analysis.reach import allowed as permitted
from core.model import Request, SudocodeRepo, TrustLevel, Workspace
from core.query_filters import QueryFilters, matches
from core.server.auth import Caller
from core.server.errors import ApiError, invalid
from core.server.messages import QueryMessage
from core.server.served import Served
from core.server.wire import item_json, relationship_index, request_json
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
    query = _dig(remote.permissions, "query")
    if not permitted(query):
        raise ApiError(403, f"{remote.name} may not query: its permissions.query.allowed is not true")
    if remote.trust_level is TrustLevel.UNTRUSTED and message.entity not in PUBLIC:
        raise ApiError(403, f"{remote.name} is untrusted: it may query only {', '.join(PUBLIC)}")
    entities = _dig(query, "entities")
    if isinstance(entities, list) and message.entity not in entities:
        raise ApiError(403, f"{remote.name} may not query {message.entity}: its permissions.query.entities are "
                            + (", ".join(map(str, entities)) or "none"))
    filters = _dig(query, "filters")
    if isinstance(filters, list):
        refused = [name for name in message.filters.used() if name not in filters]
        if refused:
            raise ApiError(403, f"{remote.name} may not filter by {', '.join(refused)}: its permissions.query."
                                "filters are " + (", ".join(map(str, filters)) or "none"))


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
    index = relationship_index(ws.relationships) if "relationships" in message.include else None
    items = [request_json(record) if isinstance(record, Request) else item_json(record, index) for _, record in page]
    more = len(after) > len(page)
    return {"entity": message.entity, "items": items, "next_cursor": page[-1][0] if more and page else None,
            "total": len(matching), "as_of": iso(now())}


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
