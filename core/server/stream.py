"""``GET events``: a subscription's events as server-sent events (docs/http-api.md).

The stream first replays the events still held after ``Last-Event-ID`` (header, or the
``last_event_id`` query parameter), then follows the hub; a comment line goes out at once (the
stream is open) and ``: keepalive`` every ``keepalive`` seconds of quiet. A caller sees only what
it may query: items of the entities its permissions allow, requests between it and this
workspace; then the subscription's ``event_types`` and ``filters`` (``ids``, ``entity``) apply.
The stream ends when the subscription is deleted or the server shuts down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import msgspec

from core.server.auth import Caller
from core.server.db import Subscription
from core.server.errors import ApiError
from core.server.events import Event
from core.server.messages import QueryMessage
from core.server.query import allowed

if TYPE_CHECKING:
    from core.server.app import ServerState


def visible(event: Event, caller: Caller, state: ServerState, sub: Subscription) -> bool:
    if event["type"] not in sub.event_types:
        return False
    entity = event.get("entity")
    wanted = sub.filters.get("entity")
    if wanted and entity not in wanted:
        return False
    ids = sub.filters.get("ids")
    if ids and not {event.get("id"), event.get("key"), event.get("request_id")} & set(ids):
        return False
    ws = state.served.workspace
    if event["type"].startswith("request."):
        if caller.remote is None:
            return True
        return state.served.is_between(str(event.get("from_repo") or ""), str(event.get("to_repo") or ""),
                                       caller.remote.name, state.today())
    try:
        allowed(caller, ws, QueryMessage(entity=entity if entity in ("issue", "spec", "bead") else "work_unit"))
    except ApiError:
        return False
    return True


def frame(event: Event) -> bytes:
    data = {k: v for k, v in event.items() if k != "event_id"}
    return (f"id: {event['event_id']}\nevent: {event['type']}\n".encode()
            + b"data: " + msgspec.json.encode(data) + b"\n\n")


async def events(state: ServerState, caller: Caller, sub: Subscription, last_id: int,
                 keepalive: float) -> AsyncIterator[bytes]:
    queue, stop = state.hub.listen()  # listening before the replay: nothing falls in between
    try:
        yield b": subscribed\n\n"
        for event in state.hub.since(last_id):
            last_id = event["event_id"]
            if visible(event, caller, state, sub):
                yield frame(event)
        while sub.id not in state.ended:
            try:
                event: Any = await asyncio.wait_for(queue.get(), keepalive)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if event is None:
                return
            if event.get("event_id", 0) <= last_id:
                continue
            last_id = event["event_id"]
            if visible(event, caller, state, sub):
                yield frame(event)
    finally:
        stop()
