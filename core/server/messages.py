"""The bodies the API accepts, as msgspec Structs (docs/http-api.md, "Messages" and "Endpoints").

Every struct refuses unknown fields: a typo in a field name is a 422, never silently ignored.
Every string a caller may send and every list is bounded (``core.server.bounds``): a reference
over 512 characters, a description over 64 KiB, too many labels or relationships are a 422 naming
the field and the bound, before any work.
``decode`` turns a body into one of them, or raises the API's 400 (not a JSON object) or 422 (a
schema violation, with the JSON path of the offending value in ``details``).

Each message takes crossdeck's own shape and the shape the sudocode federation design writes
(its "A2A Message Types" and "REST API Endpoints"): a query's ``query: {entity, filters,
include}``, ``metadata: {request_id, requester, auto_approve}``, a subscription's ``watch`` and
``callback`` (or ``callback_url`` / ``callback_auth``). ``read`` converts a body and ``settle``s
it into the one shape the handlers use: the design's fields moved where crossdeck's own are (a
field given both ways is a 422), and a ``request_id`` made up when the body has none (the design's
REST bodies carry none: such a call is not idempotent).
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

from core.query_filters import PriorityRange, QueryFilters  # the query's filters (re-exported)
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
Watched = Literal["issue", "spec", "bead", "request"]
Include = Literal["relationships", "spec_refs"]
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
    priority: int | Annotated[list[int], Meta(max_length=5)] | PriorityRange | None = None
    ids: Ids | None = None
    updated_since: Annotated[str, Meta(max_length=64)] | None = None


class Metadata(_Strict, kw_only=True):
    """The design's ``metadata`` of a message: its ``request_id``, who asks, and whether they ask
    for auto-approval (``false``: the request waits for a human whatever the policy says)."""

    request_id: RequestId | None = None
    requester: Name | None = None
    auto_approve: bool | None = None


class Settled(Envelope, kw_only=True):
    """A message that may carry the design's ``metadata``; ``settle`` moves it into place."""

    metadata: Metadata | None = None
    request_id: RequestId | None = None

    def settle(self, raw: dict[str, Any]) -> None:
        given = self.metadata.request_id if self.metadata is not None else None
        request_id = self.request_id
        if given is not None and request_id is not None and given != request_id:
            raise invalid("$.metadata.request_id", "differs from request_id: give it once")
        if request_id is None and given is not None:
            self.request_id = given
        elif request_id is None and self.MADE_UP is not None:
            self.request_id = f"{self.MADE_UP}-{secrets.token_hex(8)}"

    MADE_UP: ClassVar[str | None] = None  # the prefix of a request_id made up for a body without one


class QueryBody(_Strict, kw_only=True):
    """The design's ``query`` object: what to ask, as crossdeck's top-level fields say it."""

    entity: Entity
    filters: BoundedFilters = msgspec.field(default_factory=BoundedFilters)
    include: Annotated[list[Include], Meta(max_length=2)] = []
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    cursor: Ref | None = None


class QueryMessage(Settled, kw_only=True):
    type: Literal["query"] = "query"
    request_id: RequestId | None = None
    query: QueryBody | None = None
    entity: Entity = "work_unit"
    filters: BoundedFilters = msgspec.field(default_factory=BoundedFilters)
    include: Annotated[list[Include], Meta(max_length=2)] = []
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    cursor: Ref | None = None

    def settle(self, raw: dict[str, Any]) -> None:
        super().settle(raw)
        if self.query is None:
            if "entity" not in raw:
                raise invalid("$.entity", "Object missing required field `entity` (or give the design's "
                                          "`query: {entity, filters, include}`)")
            return
        twice = [name for name in QueryBody.__struct_fields__ if name in raw]
        if twice:
            raise invalid(f"$.{twice[0]}", "given both here and in `query`: give it once")
        for name in QueryBody.__struct_fields__:
            setattr(self, name, getattr(self.query, name))


class MutateMessage(Settled, kw_only=True):
    type: Literal["mutate"] = "mutate"
    request_id: RequestId | None = None
    operation: Operation
    data: dict[str, Any]
    auto_approve: bool | None = None  # the design's REST body; false: a human decides
    MADE_UP = "req"

    def settle(self, raw: dict[str, Any]) -> None:
        super().settle(raw)
        meta = self.metadata
        if meta is not None and meta.auto_approve is not None:
            if self.auto_approve is not None and self.auto_approve != meta.auto_approve:
                raise invalid("$.metadata.auto_approve", "differs from auto_approve: give it once")
            self.auto_approve = meta.auto_approve
        if meta is not None and meta.requester is not None and "requester" not in self.data:
            self.data = {**self.data, "requester": meta.requester}

    @property
    def rid(self) -> str:
        assert self.request_id is not None  # settled
        return self.request_id


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


class DelegateMessage(Settled, kw_only=True):
    type: Literal["delegate"] = "delegate"
    request_id: RequestId | None = None
    task: DelegateTask
    MADE_UP = "req"

    @property
    def rid(self) -> str:
        assert self.request_id is not None  # settled
        return self.request_id

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
    entity: list[Watched] | None = None
    status: Name | Annotated[list[Name], Meta(max_length=MAX_IDS)] | None = None
    labels: Labels | None = None
    priority: int | Annotated[list[int], Meta(max_length=5)] | PriorityRange | None = None


class WatchFilters(_Strict, kw_only=True):
    """The design's ``watch.filters``: a query's filters, for the events of the items they keep."""

    ids: Ids | None = None
    status: Name | Annotated[list[Name], Meta(max_length=MAX_IDS)] | None = None
    labels: Labels | None = None
    priority: int | Annotated[list[int], Meta(max_length=5)] | PriorityRange | None = None


class Watch(_Strict, kw_only=True):
    """The design's ``watch``: ``{entity_type, filters}`` (its WebSocket example: ``{entity, uuid}``)."""

    entity_type: Watched | None = None
    entity: Watched | None = None
    uuid: Ref | None = None
    filters: WatchFilters = msgspec.field(default_factory=WatchFilters)


class Callback(_Strict, kw_only=True):
    """The design's ``callback``: accepted and kept with the subscription, never called (events go
    only on the subscription's own stream). Its ``auth`` secret is not kept."""

    url: Annotated[str, Meta(max_length=2048)]
    auth: dict[str, Any] | None = None

    def kept(self) -> dict[str, Any]:
        kind = (self.auth or {}).get("type")
        return {"url": self.url, "auth_type": kind if isinstance(kind, str) else None}


class SubscribeMessage(Settled, kw_only=True):
    type: Literal["subscribe"] = "subscribe"
    request_id: RequestId | None = None
    event_types: Annotated[list[EventType], Meta(max_length=len(EVENT_TYPES))] = msgspec.field(
        default_factory=lambda: list(EVENT_TYPES))
    filters: SubscribeFilters = msgspec.field(default_factory=SubscribeFilters)
    watch: Watch | None = None
    callback: Callback | None = None
    callback_url: Annotated[str, Meta(max_length=2048)] | None = None
    callback_auth: dict[str, Any] | None = None
    MADE_UP = "sub"

    def settle(self, raw: dict[str, Any]) -> None:
        super().settle(raw)
        if self.callback_url is not None:
            if self.callback is not None:
                raise invalid("$.callback_url", "given with `callback`: give it once")
            self.callback = Callback(url=self.callback_url, auth=self.callback_auth)
        watch = self.watch
        if watch is None:
            return
        if "filters" in raw:
            raise invalid("$.filters", "given with `watch`: give it once")
        if watch.entity_type is not None and watch.entity is not None and watch.entity_type != watch.entity:
            raise invalid("$.watch.entity", "differs from watch.entity_type: give it once")
        kind = watch.entity_type or watch.entity
        ids = [*(watch.filters.ids or []), *([watch.uuid] if watch.uuid is not None else [])]
        self.filters = SubscribeFilters(ids=ids or None, entity=[kind] if kind is not None else None,
                                        status=watch.filters.status, labels=watch.filters.labels,
                                        priority=watch.filters.priority)

    @property
    def rid(self) -> str:
        assert self.request_id is not None  # settled
        return self.request_id


class DiscoverMessage(Envelope, kw_only=True):
    """The design's ``discover``: who asks whom; answered as ``GET info`` is."""

    type: Literal["discover"] = "discover"


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


def read(value: Any, kind: type[M]) -> M:
    """``value`` as a ``kind`` message, settled (the design's shape moved into crossdeck's)."""
    message = convert(value, kind)
    settle = getattr(message, "settle", None)
    if settle is not None:
        settle(value)
    return message


def operation_data(message: MutateMessage) -> CreateData | UpdateData:
    data = convert(message.data, DATA[message.operation], "$.data")
    if isinstance(data, UpdateData) and not given(data.changes):
        raise invalid("$.data.changes", "no change given")
    return data
