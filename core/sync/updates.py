"""What an approved ``update_issue`` request changes: its target item, in the item's own stored
form, so the change shows wherever the item does (a cross-workspace parent's completion, above
all: the close cascade sends one when a delegated parent's last child closes).

The payload names the item (``ref``, its key, else ``issue_id``) and the ``changes`` asked for:
``status``, ``title``, ``priority``, ``labels``, ``assignee``, ``description``. Each is written
as the item's format writes it (``core.sync.create.journal_update``: a bead's line or its Dolt row, a
sudocode issue's line): a sudocode item keeps its labels in ``tags`` and its description in
``content``; closing sets ``closed_at`` (and, for a bead, ``close_reason`` naming the request and
who approved it); every change sets ``updated_at``. A sudocode spec has no status, so a status
change to one is refused. What to change is checked before anything is written; applying it again
(a retry after a crash) writes the same values.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import msgspec

from core.model import Request, Workspace, WorkUnit
from core.sync import SyncError
from core.sync.create import close_changes, journal_update
from core.timeutil import UTC

if TYPE_CHECKING:
    from core.sync.journal import Plan

FIELDS = ("status", "title", "priority", "labels", "assignee", "description")
STATUSES = frozenset({"open", "in_progress", "blocked", "closed"})


class UpdateError(SyncError):
    """The update cannot be carried out; the message says why."""


class Update(msgspec.Struct, kw_only=True):
    """A planned change: the item and the fields to write, as its format writes them."""

    request_id: str
    unit: WorkUnit
    asked: dict[str, Any]  # the request's changes, as asked
    stored: dict[str, Any]  # the same, in the item's stored form


class Updated(msgspec.Struct, kw_only=True, frozen=True):
    """What an approved update changed (the ``result`` of its completed request)."""

    key: str
    id: str
    changes: dict[str, Any]
    files: list[str] = []  # the files written (none for a bead in a Dolt server)
    where: str = ""  # the file, or the database, that holds the item


def applies_change(request_type: str) -> bool:
    return request_type == "update_issue"


def plan_update(ws: Workspace, request: Request, actor: str, now: dt.datetime) -> Update:
    """The change ``request`` asks ``ws`` for; raises ``UpdateError`` (nothing written)."""
    payload = request.payload
    changes = payload.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise UpdateError("it asks for an update but names no changes (payload.changes)")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise UpdateError(f"it asks to change {', '.join(unknown)}: crossdeck changes only {', '.join(FIELDS)}")
    unit = _target(ws, payload)
    asked = {k: v for k, v in changes.items() if v is not None}
    _check(unit, asked)
    return Update(request_id=request.request_id, unit=unit, asked=asked,
                  stored=_stored(unit, asked, request, actor, now))


def journal_change(ws: Workspace, update: Update, actor: str, writes: Plan) -> Updated:
    """Add the planned change to an action's journal plan (the caller holds the workspace's lock);
    what it changes once carried out."""
    written = journal_update(ws, update.unit, update.stored, actor, writes, {})
    return Updated(key=update.unit.key, id=update.unit.id, changes=update.asked,
                   files=[str(written)] if written is not None else [],
                   where=str(written) if written is not None else update.unit.source)


def _target(ws: Workspace, payload: dict[str, Any]) -> WorkUnit:
    ref, ident = payload.get("ref"), payload.get("issue_id")
    units = ws.work_units
    found = next((u for u in units if isinstance(ref, str) and u.key == ref), None)
    if found is None and isinstance(ident, str):
        found = next((u for u in units if u.id == ident), None)
    if found is None:
        named = ref if isinstance(ref, str) else ident
        raise UpdateError(f"it asks to change {named!r}, which {ws.name} does not hold")
    return found


def _check(unit: WorkUnit, asked: dict[str, Any]) -> None:
    status = asked.get("status")
    if status is not None:
        if unit.kind == "spec":
            raise UpdateError(f"{unit.key} is a sudocode spec, which has no status to change")
        if status not in STATUSES:
            raise UpdateError(f"status {status!r} is not one crossdeck sets ({', '.join(sorted(STATUSES))})")
    priority = asked.get("priority")
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 4):
        raise UpdateError(f"priority {priority!r} is not 0-4")
    labels = asked.get("labels")
    if labels is not None and (not isinstance(labels, list) or not all(isinstance(x, str) for x in labels)):
        raise UpdateError("labels should be a list of strings")
    for field in ("title", "assignee", "description"):
        if field in asked and not isinstance(asked[field], str):
            raise UpdateError(f"{field} should be a string")
    if "title" in asked and not asked["title"].strip():
        raise UpdateError("a title cannot be empty")


def _stored(unit: WorkUnit, asked: dict[str, Any], request: Request, actor: str, now: dt.datetime) -> dict[str, Any]:
    sudocode = unit.kind in ("issue", "spec")
    names = {"labels": "tags", "description": "content"} if sudocode else {}
    stored = {names.get(k, k): v for k, v in asked.items() if k != "status"}
    status = asked.get("status")
    if status == "closed" and not unit.is_done:
        why = f"closed by request {request.request_id} from {request.from_repo}, approved by {actor}"
        stored.update(close_changes(unit, why, now))
    elif status is not None:
        stored["status"] = status
        if unit.is_done:  # reopened
            stored["closed_at"] = None
    if "updated_at" not in stored:
        stamp = now.astimezone(UTC)
        stored["updated_at"] = stamp.strftime("%Y-%m-%d %H:%M:%S" if sudocode else "%Y-%m-%dT%H:%M:%SZ")
    return stored
