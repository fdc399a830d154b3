"""The bodies the API accepts, as msgspec Structs (docs/http-api.md, "Messages" and "Endpoints").

Every struct refuses unknown fields: a typo in a field name is a 422, never silently ignored.
Every string a caller may send and every list is bounded (``core.server.bounds``): a reference
over 512 characters, a description over 64 KiB, too many labels or relationships are a 422 naming
the field and the bound, before any work.
``decode`` turns a body into one of them, or raises the API's 400 (not a JSON object) or 422 (a
schema violation, with the JSON path of the offending value in ``details``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from core.query_filters import PriorityRange, QueryFilters  # noqa: F401 (the query's filters; re-exported)
from core.server.bounds import (
    MAX_DEPTH,
    MAX_EXTRA,
    MAX_IDS,
    MAX_LINKS,
    MAX_REF,
    Description,
    Ids,
    Labels,
    Name,
    Ref,
    Refs,
    Title,
    depth,
)
from core.server.errors import ApiError, invalid

RequestId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._:-]{1,100}$")]
Priority = Annotated[int, Meta(ge=0, le=4)]
OPERATIONS = ("create_issue", "create_spec", "update_issue")
EVENT_TYPES = ("item.created", "item.updated", "item.removed", "request.created", "request.updated")
Entity = Literal["issue", "spec", "bead", "work_unit", "request"]
Operation = Literal["create_issue", "create_spec", "update_issue"]
EventType = Literal["item.created", "item.updated", "item.removed", "request.created", "request.updated"]

M = TypeVar("M")


class _Strict(Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Envelope(_Strict, kw_only=True, rename={"from_": "from"}):
    """What every A2A message may carry beside its own fields."""

    from_: Ref | None = None
    to: Ref | None = None
    timestamp: Annotated[str, Meta(max_length=64)] | None = None


def given(struct: Struct) -> list[str]:
    """The fields of ``struct`` that were given (not None)."""
    return [name for name in struct.__struct_fields__ if getattr(struct, name) is not None]


class BoundedFilters(QueryFilters, forbid_unknown_fields=True, kw_only=True):
    """A query's filters as a caller may send them: ``QueryFilters`` with every value bounded."""

    status: Name | Annotated[list[Name], Meta(max_length=MAX_IDS)] | None = None
    labels: Labels | None = None
    ids: Ids | None = None
    updated_since: Annotated[str, Meta(max_length=64)] | None = None


class QueryMessage(Envelope, kw_only=True):
    type: Literal["query"] = "query"
    request_id: RequestId | None = None
    entity: Entity
    filters: BoundedFilters = msgspec.field(default_factory=BoundedFilters)
    include: Annotated[list[Literal["relationships"]], Meta(max_length=1)] = []
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    cursor: Ref | None = None


class MutateMessage(Envelope, kw_only=True):
    type: Literal["mutate"] = "mutate"
    request_id: RequestId
    operation: Operation
    data: dict[str, Any]


class RelationshipRef(_Strict, kw_only=True):
    type: Annotated[str, Meta(max_length=64)]
    remote_ref: Ref


class CreateData(_Strict, kw_only=True):
    """``create_issue`` / ``create_spec``: what core/sync/requests.py reads from a payload."""

    title: Title
    description: Description | None = None
    priority: Priority | None = None
    labels: Labels = []
    relationships: Annotated[list[RelationshipRef], Meta(max_length=MAX_LINKS)] = []
    blocks: bool | Ref | Refs | None = None
    from_item: Ref | None = None
    discovered_from: Ref | None = None
    rig: Name | None = None
    requester: Name | None = None


class Changes(_Strict, kw_only=True):
    status: Literal["open", "in_progress", "blocked", "closed"] | None = None
    priority: Priority | None = None
    title: Title | None = None
    labels: Labels | None = None
    assignee: Name | None = None
    description: Description | None = None


class UpdateData(_Strict, kw_only=True):
    """``update_issue``: which item, and the changes asked for."""

    issue_id: Annotated[str, Meta(min_length=1, max_length=MAX_REF)]
    changes: Changes
    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    ref: Ref | None = None
    requester: Name | None = None


class Terms(_Strict, kw_only=True):
    portion: Name | None = None
    deadline: Annotated[str, Meta(max_length=64)] | None = None
    acceptance_criteria: Description | None = None
    credit_share: int | float | Name | None = None


class DelegateTask(_Strict, kw_only=True):
    """The A2A ``delegate`` message's ``task`` (the sudocode federation design, "Delegate"), plus
    crossdeck's own fields: the parent it is delegated from (``parent``, else
    ``context.triggered_by``), the delegation's ``terms``, and who it goes to."""

    type: Literal["issue", "spec"] = "issue"
    title: Title
    description: Description | None = None
    priority: Priority | None = None
    labels: Labels = []
    requirements: dict[str, Any] | None = None  # free-form: at most MAX_EXTRA bytes as JSON
    context: dict[str, Any] | None = None  # the design's: triggered_by (the parent item), urgency, ...
    parent: Ref | None = None
    terms: Terms | None = None
    delegated_to: Name | None = None
    rig: Name | None = None
    requester: Name | None = None


class DelegateMessage(Envelope, kw_only=True):
    type: Literal["delegate"] = "delegate"
    request_id: RequestId
    task: DelegateTask

    def parent(self) -> str:
        task = self.task
        for name in ("requirements", "context"):
            value = getattr(task, name)
            if value is not None and len(msgspec.json.encode(value)) > MAX_EXTRA:
                raise invalid(f"$.task.{name}", f"Expected at most {MAX_EXTRA} bytes as JSON")
        triggered = (task.context or {}).get("triggered_by")
        if isinstance(triggered, str) and len(triggered) > MAX_REF:
            raise invalid("$.task.context.triggered_by", f"Expected `str` of length <= {MAX_REF}")
        parent = task.parent or (triggered if isinstance(triggered, str) else None)
        if not parent or not parent.strip():
            raise invalid("$.task.parent", "a delegation needs the item it is delegated from "
                          "(task.parent, or task.context.triggered_by)")
        return parent.strip()

    def payload(self) -> dict[str, Any]:
        """The payload of the ``delegate`` request it becomes (core.sync.incoming reads it)."""
        task = msgspec.structs.asdict(self.task)
        payload = {k: v for k, v in task.items() if v not in (None, []) and k not in ("type", "terms")}
        payload.update(parent=self.parent(), kind=self.task.type, labels=list(self.task.labels))
        payload["terms"] = {k: v for k, v in msgspec.structs.asdict(self.task.terms).items() if v is not None} \
            if self.task.terms is not None else {}
        return payload


class SubscribeFilters(_Strict, kw_only=True):
    ids: Ids | None = None
    entity: list[Literal["issue", "spec", "bead", "request"]] | None = None


class SubscribeMessage(Envelope, kw_only=True):
    type: Literal["subscribe"] = "subscribe"
    request_id: RequestId
    event_types: Annotated[list[EventType], Meta(max_length=len(EVENT_TYPES))] = msgspec.field(
        default_factory=lambda: list(EVENT_TYPES))
    filters: SubscribeFilters = msgspec.field(default_factory=SubscribeFilters)


class DecisionBody(_Strict, kw_only=True):
    reason: Description | None = None


DATA = {"create_issue": CreateData, "create_spec": CreateData, "update_issue": UpdateData}
_UNKNOWN = re.compile(r"unknown field `([^`]*)`")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.DOTALL)


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``), else a 400: not JSON, not an
    object, or nested deeper than ``MAX_DEPTH``."""
    if not body.strip():
        return {}
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ApiError(400, f"the body is not JSON: {exc}") from None
    except RecursionError:  # far deeper than the bound: the decoder gave up first
        value = None
        nested = MAX_DEPTH + 1
    else:
        nested = depth(value)
    if nested > MAX_DEPTH:
        raise ApiError(400, f"the body nests arrays and objects more than {MAX_DEPTH} deep")
    if not isinstance(value, dict):
        raise ApiError(400, f"the body should be a JSON object, not {type(value).__name__}")
    return value


def convert(value: Any, kind: type[M], at: str = "$") -> M:
    """``value`` as a ``kind``, else a 422 naming the path of the first problem."""
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        match = _AT.match(str(exc))
        message = match.group("message") if match else str(exc)
        path = (match.group("path") if match else None) or "$"
        unknown = _UNKNOWN.search(message)
        if unknown:  # name the field itself: $.data.titel, not $.data
            path += "." + unknown.group(1)
        raise invalid(at + path[1:], message) from None


def operation_data(message: MutateMessage) -> CreateData | UpdateData:
    data = convert(message.data, DATA[message.operation], "$.data")
    if isinstance(data, UpdateData) and not given(data.changes):
        raise invalid("$.data.changes", "no change given")
    return data
