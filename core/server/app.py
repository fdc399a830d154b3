"""The federation API of one workspace as an ASGI app (starlette): the routes of
docs/http-api.md under ``/api/v1/federation/``, each a small function over the core.

``create_app`` wires the served workspace, the server's state (``server.db``), the event hub and
its watcher (started and stopped with the app), the rate limiter and idempotency. Work that
reads files or SQLite runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from core import __version__
from core.analysis.reach import allowed
from core.server import mutate as mutating
from core.server import query as querying
from core.server.auth import Caller, check_from
from core.server.calls import Call, endpoint
from core.server.db import ServerDB
from core.server.errors import ApiError
from core.server.events import EventHub, Watcher
from core.server.idempotency import Idempotency, fingerprint
from core.server.messages import (
    OPERATIONS,
    DecisionBody,
    DelegateMessage,
    MutateMessage,
    QueryMessage,
    SubscribeMessage,
    convert,
    parse_json,
)
from core.server.ratelimit import RateLimiter
from core.server.served import Served, entities_of
from core.server.stream import events
from core.server.wire import request_json
from core.timeutil import now

BASE = "/api/v1/federation"
SCHEMA_VERSION = 1
MAX_SUBSCRIPTIONS = 10  # per remote, when its permissions.subscribe names no max_subscriptions


class Options(msgspec.Struct, kw_only=True, frozen=True):
    max_body: int = 1024 * 1024
    keepalive_seconds: float = 15.0
    poll_seconds: float = 0.5


@dataclass
class ServerState:
    served: Served
    options: Options
    db: ServerDB
    hub: EventHub
    watcher: Watcher
    limiter: RateLimiter = field(default_factory=RateLimiter)
    idempotency: Idempotency | None = None
    ended: set[str] = field(default_factory=set)  # subscriptions deleted while this server ran

    def today(self) -> dt.date:
        return now().date()


def create_app(served: Served, options: Options | None = None) -> Starlette:
    options = options or Options()
    # Event ids go on growing across restarts (the clock in milliseconds at start): a subscriber
    # that reconnects with the Last-Event-ID of the server's previous run must not have the new
    # run's events taken for ones it has seen.
    hub = EventHub(first=time.time_ns() // 1_000_000)
    db = ServerDB(served.name)
    state = ServerState(served=served, options=options, db=db, hub=hub,
                        watcher=Watcher(served, hub, options.poll_seconds), idempotency=Idempotency(db))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(state.watcher.run())
        try:
            yield
        finally:
            hub.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    routes = [
        Route(f"{BASE}/info", endpoint(info, token="optional"), methods=["GET"]),
        Route(f"{BASE}/query", endpoint(query), methods=["POST"]),
        Route(f"{BASE}/mutate", endpoint(mutate), methods=["POST"]),
        Route(f"{BASE}/delegate", endpoint(delegate), methods=["POST"]),
        Route(f"{BASE}/requests/{{request_id}}", endpoint(get_request), methods=["GET"]),
        Route(f"{BASE}/requests/{{request_id}}/approve", endpoint(decide), methods=["POST"]),
        Route(f"{BASE}/requests/{{request_id}}/reject", endpoint(decide), methods=["POST"]),
        Route(f"{BASE}/subscribe", endpoint(subscribe), methods=["POST"]),
        Route(f"{BASE}/subscribe/{{subscription_id}}", endpoint(unsubscribe), methods=["DELETE"]),
        Route(f"{BASE}/events", endpoint(stream), methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.server = state
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(ApiError(404, f"no such path: {request.url.path}").body(), 404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(ApiError(405, f"{request.method} is not allowed on {request.url.path}").body(), 405)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(body if isinstance(body, bytes) else msgspec.json.encode(body), status,
                    headers=headers, media_type="application/json")


def _caller(call: Call) -> Caller:
    assert call.caller is not None  # every route but info requires a token
    return call.caller


async def _once(call: Call, message: dict[str, Any], request_id: str | None,
                work: Any) -> Response:
    """``work`` (in the thread pool) under the caller's ``request_id`` idempotency."""
    call.request_id = request_id
    state = call.state
    assert state.idempotency is not None
    sha = fingerprint(call.request.method, call.request.url.path, message)
    status, body, replayed = await run_in_threadpool(state.idempotency.run, _caller(call).key, request_id, sha, work)
    return _json(status, body, {"Idempotent-Replay": "true"} if replayed else None)


async def info(call: Call) -> Response:
    served = call.state.served
    ws = served.workspace
    return _json(200, {
        "schema_version": SCHEMA_VERSION, "server": {"name": "crossdeck", "version": __version__},
        "workspace": served.name, "kind": ws.kind.value, "identity": served.identity(),
        "capabilities": {"query": entities_of(ws), "mutate": list(OPERATIONS), "delegate": True, "subscribe": True,
                         "events": "sse"},
        "caller": call.caller.describe() if call.caller is not None else None})


async def query(call: Call) -> Response:
    raw = parse_json(call.body)
    message = convert(raw, QueryMessage)
    served = call.state.served
    check_from(_caller(call), message.from_, served, call.today)
    return await _once(call, raw, message.request_id,
                       lambda: (200, querying.run(_caller(call), served, message, call.today)))


async def mutate(call: Call) -> Response:
    return await _receive(call, MutateMessage, mutating.mutate)


async def delegate(call: Call) -> Response:
    return await _receive(call, DelegateMessage, mutating.delegate)


async def _receive(call: Call, kind: Any, handle: Any) -> Response:
    """A message that becomes an incoming request (mutate, delegate), under its idempotency."""
    raw = parse_json(call.body)
    message = convert(raw, kind)
    if isinstance(message, DelegateMessage):
        message.parent()  # a 422 before any work
    state = call.state
    check_from(_caller(call), message.from_, state.served, call.today)

    def work() -> tuple[int, dict[str, Any]]:
        try:
            outcome = handle(state.served, _caller(call), message, now(), call.started,
                             on_written=lambda: setattr(call, "audited", True))
        finally:
            state.watcher.rescan()
        return outcome.status, outcome

    return await _once(call, raw, message.request_id, work)


async def get_request(call: Call) -> Response:
    caller = _caller(call)
    ident = call.request.path_params["request_id"]
    call.request_id = ident
    ws = call.state.served.workspace
    found = next((r for r in ws.requests if r.request_id == ident), None)
    if found is not None and caller.remote is not None and not call.state.served.is_between(
            found.from_repo, found.to_repo, caller.remote.name, call.today):
        found = None
    if found is None:
        raise ApiError(404, f"no request {ident} of yours in {ws.name}")
    return _json(200, {"request": request_json(found)})


async def decide(call: Call) -> Response:
    choice = "approve" if call.request.url.path.endswith("/approve") else "reject"
    body = convert(parse_json(call.body), DecisionBody)
    ident = call.request.path_params["request_id"]
    call.request_id = ident
    state = call.state

    def work() -> mutating.Outcome:
        try:
            return mutating.decision(state.served, _caller(call), ident, choice, body.reason, now(),
                                     on_written=lambda: setattr(call, "audited", True))
        finally:
            state.watcher.rescan()

    outcome = await run_in_threadpool(work)
    return _json(outcome.status, outcome)


async def subscribe(call: Call) -> Response:
    raw = parse_json(call.body)
    message = convert(raw, SubscribeMessage)
    caller = _caller(call)
    state = call.state
    check_from(caller, message.from_, state.served, call.today)
    most: int | None = None
    if caller.remote is not None:
        permission = caller.remote.permissions.get("subscribe")
        if not allowed(permission):
            raise ApiError(403, f"{caller.remote.name} may not subscribe: its permissions.subscribe.allowed is not "
                                "true")
        limit = permission.get("max_subscriptions") if isinstance(permission, dict) else None
        most = limit if isinstance(limit, int) and not isinstance(limit, bool) else MAX_SUBSCRIPTIONS

    def work() -> tuple[int, dict[str, Any]]:
        filters = msgspec.to_builtins(message.filters)
        sub = state.db.add_subscription(caller.key, list(message.event_types),
                                        {k: v for k, v in filters.items() if v is not None}, most)
        if sub is None:
            raise ApiError(403, f"{caller.label} has {most} live subscriptions already (max_subscriptions)")
        return 201, {"subscription_id": sub.id, "events_url": f"{BASE}/events?subscription={sub.id}"}

    return await _once(call, raw, message.request_id, work)


async def unsubscribe(call: Call) -> Response:
    state = call.state
    ident = call.request.path_params["subscription_id"]
    sub = await run_in_threadpool(state.db.subscription, ident)
    if sub is None or sub.caller != _caller(call).key or sub.ended_at is not None:
        raise ApiError(404, f"no live subscription {ident} of yours")
    await run_in_threadpool(state.db.end_subscription, ident)
    state.ended.add(ident)
    state.hub.nudge()
    return Response(status_code=204)


async def stream(call: Call) -> Response:
    state = call.state
    ident = call.request.query_params.get("subscription") or ""
    sub = await run_in_threadpool(state.db.subscription, ident)
    caller = _caller(call)
    if sub is None or sub.caller != caller.key or sub.ended_at is not None:
        raise ApiError(404, f"no live subscription {ident} of yours")
    last = call.request.headers.get("last-event-id") or call.request.query_params.get("last_event_id") or "0"
    try:
        last_id = int(last)
    except ValueError:
        raise ApiError(422, f"Last-Event-ID {last!r} is not an event id",
                       [{"path": "Last-Event-ID", "message": "an integer"}]) from None
    return StreamingResponse(events(state, caller, sub, last_id, state.options.keepalive_seconds),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
