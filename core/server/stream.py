"""``GET events``: a subscription's events as server-sent events (docs/http-api.md).

The stream first replays the events still held after ``Last-Event-ID`` (header, or the
``last_event_id`` query parameter), then follows the hub; a comment line goes out at once (the
stream is open) and ``: keepalive`` every ``keepalive`` seconds of quiet. A caller sees only what
it may query: items of the entities its permissions allow, requests between it and this
workspace; a ``verified`` remote only its public events (its requests', and the items they
created or reference: ``core.server.visibility``), an ``untrusted`` one none; then the
subscription's ``event_types`` and ``filters`` (``ids``, ``entity``, and the design's ``watch``
filters: ``status``, ``labels``, ``priority``) apply. The fields the remote's ``exclude_fields``
hide are left out of each item event it is sent.
``server.error`` events (the server could not re-read its workspace) go to every stream.
The stream ends when the subscription is deleted or the server shuts down.

Streams are bounded (``Streams``): at most ``max_streams_per_caller`` open per caller and
``max_streams_per_subscription`` per subscription (429 beyond). Each holds at most
``stream_buffer`` bytes of events its client has not taken yet: a client that stops reading
is cut off (its connection aborted, so nothing more is held for it) and resumes with
``Last-Event-ID``. Frames go out in pieces of ``STREAM_CHUNK`` bytes, each after the connection
has drained, so a stalled connection holds one piece, not a whole event.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.responses import Response

from core.model import TrustLevel
from core.query_filters import QueryFilters, fields_hold
from core.server.auth import Caller
from core.server.bounds import STREAM_CHUNK
from core.server.db import Subscription
from core.server.door import TRANSPORT, Receive, Scope, Send
from core.server.errors import ApiError
from core.server.events import Event, Listener, frame  # noqa: F401 (frame: re-exported)
from core.server.memory import after_streams
from core.server.messages import QueryMessage
from core.server.query import allowed
from core.server.visibility import excluded, public_keys, redact_event

if TYPE_CHECKING:
    from core.server.app import ServerState

ALWAYS = ("server.error",)  # event types every stream gets, whatever its subscription names
CLOSE_WAIT = 5.0  # seconds to wait for the end of a stream to go out before the connection is cut


def visible(event: Event, caller: Caller, state: ServerState, sub: Subscription) -> bool:
    if event["type"] in ALWAYS:
        return True
    if event["type"] not in sub.event_types:
        return False
    entity = event.get("entity")
    wanted = sub.filters.get("entity")
    if wanted and entity not in wanted:
        return False
    ids = sub.filters.get("ids")
    if ids and not {event.get("id"), event.get("key"), event.get("request_id"), event.get("uuid")} & set(ids):
        return False
    watch = _watch(sub)
    if watch is not None and not fields_hold(event.get("status"), event.get("labels"), event.get("priority"), watch):
        return False
    ws = state.served.workspace
    remote = caller.remote
    if remote is not None and remote.trust_level is TrustLevel.UNTRUSTED:
        return False  # the trust table: an untrusted remote gets no events (it cannot subscribe either)
    if event["type"].startswith("request."):
        if remote is None:
            return True
        return state.served.is_between(str(event.get("from_repo") or ""), str(event.get("to_repo") or ""),
                                       remote.name, state.today())
    try:
        allowed(caller, ws, QueryMessage(entity=entity if entity in ("issue", "spec", "bead") else "work_unit"))
    except ApiError:
        return False
    if remote is not None and remote.trust_level is TrustLevel.VERIFIED:
        public = _public(state, remote.name)
        return bool({event.get("key"), event.get("id")} & public)
    return True


def _watch(sub: Subscription) -> QueryFilters | None:
    """The subscription's ``status`` / ``labels`` / ``priority`` filters (the design's ``watch``)."""
    given = {k: sub.filters[k] for k in ("status", "labels", "priority") if sub.filters.get(k) is not None}
    return msgspec.convert(given, QueryFilters) if given else None


def _public(state: ServerState, remote: str) -> frozenset[str]:
    """A verified remote's public items: what its requests created or reference (once per re-read)."""
    ws = state.served.workspace
    cached = state.public.get(remote)
    if cached is None or cached[0] is not ws:
        today = state.today()
        own = [r for r in ws.requests if state.served.is_between(r.from_repo, r.to_repo, remote, today)]
        cached = (ws, public_keys(ws, own))
        state.public[remote] = cached
    return cached[1]


def sent(data: bytes, event: Event, hidden: frozenset[str]) -> bytes:
    """The frame as a caller that must not see ``hidden`` fields receives it."""
    if not hidden or not str(event.get("type", "")).startswith("item."):
        return data
    head, _, body = data.partition(b"data: ")
    full = msgspec.json.decode(body.rstrip(b"\n"))
    return head + b"data: " + msgspec.json.encode(redact_event(full, hidden)) + b"\n\n"


class Streams:
    """The open event streams, counted per caller and per subscription (on the event loop)."""

    def __init__(self, per_caller: int, per_subscription: int):
        self.per_caller = per_caller
        self.per_subscription = per_subscription
        self._callers: collections.Counter[str] = collections.Counter()
        self._subscriptions: collections.Counter[str] = collections.Counter()

    @property
    def open(self) -> int:
        return sum(self._callers.values())

    def enter(self, caller: Caller, sub: Subscription) -> None:
        """Count one more stream of ``caller`` on ``sub``; a 429 when either is at its cap."""
        if self._subscriptions[sub.id] >= self.per_subscription:
            raise ApiError(429, f"subscription {sub.id} has {self.per_subscription} open streams already: close one "
                                "first", headers={"Retry-After": "5"})
        if self._callers[caller.key] >= self.per_caller:
            raise ApiError(429, f"{caller.label} has {self.per_caller} open streams already: close one first",
                           headers={"Retry-After": "5"})
        self._callers[caller.key] += 1
        self._subscriptions[sub.id] += 1

    def leave(self, caller: Caller, sub: Subscription) -> None:
        for counter, key in ((self._callers, caller.key), (self._subscriptions, sub.id)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]
        after_streams()  # what the streams took goes back to the system, once the run of them closing is over


class EventStream(Response):
    """The response of ``GET events`` (its place in ``Streams`` taken already): sends the
    replay, then what the hub hands its listener, until the subscription ends, the server
    shuts down, the client goes, or the client falls ``stream_buffer`` bytes behind."""

    media_type = "text/event-stream"
    charset = "utf-8"

    def __init__(self, state: ServerState, caller: Caller, sub: Subscription, last_id: int):
        # As starlette's StreamingResponse: no body, so no Content-Length; the body streams.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.state, self.caller, self.sub, self.last_id = state, caller, sub, last_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        state = self.state
        listener, stop = state.hub.listen(lambda event: visible(event, self.caller, state, self.sub),
                                          state.options.stream_buffer)  # before the replay: nothing falls between
        gone = asyncio.create_task(_disconnected(receive))
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            pump = asyncio.create_task(self._pump(send, listener))
            over = asyncio.create_task(listener.overflowed.wait())
            done, _ = await asyncio.wait({pump, gone, over}, return_when=asyncio.FIRST_COMPLETED)

            for task in (pump, over):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            if gone in done:
                return
            if pump in done and not pump.cancelled() and pump.exception() is None and not listener.overflowed.is_set():
                try:  # the subscription ended, or the server shuts down: end the response properly
                    await asyncio.wait_for(send({"type": "http.response.body", "body": b"", "more_body": False}),
                                           CLOSE_WAIT)
                    return
                except TimeoutError:
                    pass
            _cut(scope)  # over its buffer (or not taking the end): cut off; its client resumes
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(gone), CLOSE_WAIT)
        finally:
            gone.cancel()
            stop()
            state.streams.leave(self.caller, self.sub)

    async def _pump(self, send: Send, listener: Listener) -> None:
        """Write the stream until it should end (returns) or is cancelled."""
        state, sub, last_id = self.state, self.sub, self.last_id
        hidden = excluded(self.caller.remote)
        await _write(send, [b": subscribed\n\n"])
        for event, data in state.hub.since(last_id):
            last_id = event["event_id"]
            if visible(event, self.caller, state, sub):
                await _write(send, [sent(data, event, hidden)])
        keepalive = state.options.keepalive_seconds
        while sub.id not in state.ended:
            item = await listener.get(keepalive)
            if item is False:
                await _write(send, [b": keepalive\n\n"])
                continue
            if item is None:
                return
            event, data = item  # type: ignore[misc]
            if event.get("event_id", 0) <= last_id:
                continue
            last_id = event["event_id"]
            await _write(send, [sent(data, event, hidden)])


async def _write(send: Send, frames: Iterable[bytes]) -> None:
    for data in frames:
        view = memoryview(data)
        for start in range(0, len(view), STREAM_CHUNK):
            await send({"type": "http.response.body", "body": bytes(view[start:start + STREAM_CHUNK]),
                        "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _cut(scope: Scope) -> None:
    """Abort the connection at once (what it had not sent is dropped): its client stopped
    reading, and a close would wait for it to read first."""
    transport: Any = scope.get(TRANSPORT)
    if transport is not None:
        transport.abort()
