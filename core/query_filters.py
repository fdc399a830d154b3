"""The filters of the A2A ``query`` (docs/http-api.md, ``POST query``) and what they keep.

One home for their meaning, whoever applies them: the federation server answering a query
(``core.server.query``) and ``crossdeck query`` reading a remote's synced cache
(``core.sync.remote_query``). Every filter given must hold (they are ANDed):

- ``status``: one status or a list of them; an item with no status (a sudocode spec, status
  ``None``) matches none;
- ``labels``: each must be among the item's labels;
- ``priority``: an integer, a list of them (any of, as the sudocode design writes it:
  ``[0, 1]``), or a range ``{"lt" | "lte" | "gt" | "gte": n}``; an item with no priority matches
  none;
- ``ids``: ids or keys;
- ``updated_since``: the item's ``updated_at`` (else ``created_at``) is that time or later (the
  caller parses it: a bad time is its usage error).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from msgspec import Struct

from core.model import Request, WorkUnit
from core.timeutil import parse_ts

WORK_UNIT_KINDS = ("issue", "spec", "bead")  # the query entities that are work units of one kind

class PriorityRange(Struct, forbid_unknown_fields=True, kw_only=True):
    lt: int | None = None
    lte: int | None = None
    gt: int | None = None
    gte: int | None = None


class QueryFilters(Struct, forbid_unknown_fields=True, kw_only=True):
    """A query message's ``filters`` (unknown fields refused: a typo must not pass silently)."""

    status: str | list[str] | None = None
    labels: list[str] | None = None
    priority: int | list[int] | PriorityRange | None = None
    ids: list[str] | None = None
    updated_since: str | None = None

    def used(self) -> list[str]:
        """The filters given (not None)."""
        return [name for name in self.__struct_fields__ if getattr(self, name) is not None]


def matches(record: WorkUnit | Request, filters: QueryFilters, since: dt.datetime | None = None) -> bool:
    """Whether ``record`` passes every filter given; ``since`` is ``filters.updated_since`` parsed."""
    status: str | None  # None: a work unit with no status (a sudocode spec), which no status filter names
    if isinstance(record, Request):
        status, labels, priority = record.status.value, record.payload.get("labels"), record.payload.get("priority")
        ids = {record.request_id}
    else:
        status, labels, priority, ids = record.status, record.labels, record.priority, {record.id, record.key}
    if not fields_hold(status, labels, priority, filters):
        return False
    if filters.ids is not None and not ids & set(filters.ids):
        return False
    if since is not None:
        updated = parse_ts(record.updated_at or record.created_at)
        if updated is None or updated < since:
            return False
    return True


def fields_hold(status: Any, labels: Any, priority: Any, filters: QueryFilters) -> bool:
    """Whether an item's (or a request's) status, labels and priority pass ``filters``."""
    if filters.status is not None:
        wanted = [filters.status] if isinstance(filters.status, str) else filters.status
        if status not in wanted:
            return False
    if filters.labels is not None:
        have = labels if isinstance(labels, list) else []
        if any(label not in have for label in filters.labels):
            return False
    return filters.priority is None or priority_holds(priority, filters.priority)


def priority_holds(value: Any, wanted: int | list[int] | PriorityRange) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    if isinstance(wanted, int):
        return value == wanted
    if isinstance(wanted, list):
        return value in wanted
    checks = ((wanted.lt, value.__lt__), (wanted.lte, value.__le__), (wanted.gt, value.__gt__),
              (wanted.gte, value.__ge__))
    return all(bound is None or test(bound) for bound, test in checks)
