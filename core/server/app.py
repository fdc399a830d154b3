"""The federation API of one workspace as an ASGI app (starlette): the routes of
docs/http-api.md under ``/api/v1/federation/``, each a small function over the core.

``create_app`` wires the served workspace, the server's state (``server.db``), the event hub and
its watcher (started and stopped with the app, restarted after a failure: ``tasks``), the rate
limiter, idempotency, the open streams' caps, and the door (``door.Door``: the Host check) in
front of it all. Work that reads files or SQLite runs in the thread pool, never on the event loop;
calls that write the workspace (mutate, delegate, approve, reject) take turns for a few writer
slots on the loop first (``WRITERS``), so a crowd of writers waits there, not in the threads; a
mutate or delegate whose ``request_id`` has its answer kept already (a replay) is answered
without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.analysis.reach import allowed
from core.server import bounds, discover
from core.server import mutate as mutating
from core.server import query as querying
from core.server import remotes as managing
from core.server.auth import Caller, check_from
from core.server.calls import Call, Turned, endpoint, log_line
from core.server.db import ServerDB
from core.server.door import Door, Scope, allowed_hosts
from core.server.errors import ApiError
from core.server.events import EventHub, Watcher
from core.server.idempotency import Idempotency, fingerprint
from core.server.memory import tend
from core.server.messages import (
    DecisionBody,
    DelegateMessage,
    DiscoverMessage,
    MutateMessage,
    QueryMessage,
    SubscribeMessage,
    convert,
    parse_json,
    read,
)
from core.server.ratelimit import RateLimiter
from core.server.served import Served
from core.server.stream import EventStream, Streams
from core.server.tasks import supervised
from core.server.visibility import may_subscribe
from core.server.wire import request_json
from core.store import iso
from core.text import one_line
from core.timeutil import now

BASE = "/api/v1/federation"
MAX_SUBSCRIPTIONS = 10  # per remote, when its permissions.subscribe names no max_subscriptions
WRITERS = 4  # calls writing the workspace at once; the others wait for a slot on the event loop
log = logging.getLogger("crossdeck.server")


class Options(msgspec.Struct, kw_only=True, frozen=True):
    max_body: int = bounds.MAX_BODY
    keepalive_seconds: float = 15.0
    poll_seconds: float = 0.5
    allow_hosts: tuple[str, ...] = ()  # Host names answered beside loopback and the bound address
    anonymous_per_minute: int = bounds.ANONYMOUS_PER_MINUTE
    call_log_rows: int = bounds.CALL_LOG_ROWS
    max_streams_per_caller: int = bounds.MAX_STREAMS_PER_CALLER
    max_streams_per_subscription: int = bounds.MAX_STREAMS_PER_SUBSCRIPTION
    stream_buffer: int = bounds.STREAM_BUFFER


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
    streams: Streams = field(default_factory=lambda: Streams(bounds.MAX_STREAMS_PER_CALLER,
                                                             bounds.MAX_STREAMS_PER_SUBSCRIPTION))
    turned: Turned = field(default_factory=Turned)
    writers: asyncio.Semaphore | None = None  # made on the server's loop
    public: dict[str, tuple[Any, frozenset[str]]] = field(default_factory=dict)  # verified remotes' public items
    routes: list[dict[str, str]] = field(default_factory=list)  # every endpoint: method, path, token (discover)

    def today(self) -> dt.date:
        return now().date()

    def rescan(self) -> None:
        """Re-read the workspace now (after the server's own write); a failure is reported, never
        raised: the call that wrote has its answer whatever the re-read does."""
        try:
            self.watcher.rescan()
        except Exception as exc:  # noqa: BLE001 - reported; the last good copy goes on answering
            self.report("watcher", exc)

    def settled(self, outcome: mutating.Outcome | None) -> None:
        """After a call that may have written: a request it left pending goes into the workspace
        held in memory as written (no re-read: ``Watcher.took``); anything else re-reads it."""
        if outcome is None or outcome.pending is None:
            self.rescan()
            return
        try:
            self.watcher.took(outcome.pending)
        except Exception as exc:  # noqa: BLE001 - as rescan: reported, the answer stands
            self.report("watcher", exc)

    def report(self, task: str, exc: BaseException) -> None:
        """A background task failed: a line on stderr, a ``server.error`` event on every stream."""
        what = one_line(f"{type(exc).__name__}: {exc}")[:300]
        if task == "watcher":
            effect = f"{self.served.name} is served from the last good copy of its files"
            message = (f"the server could not re-read {self.served.name} ({type(exc).__name__}); it answers from the "
                       "last good copy until its files can be read again")
        else:
            effect = "the server goes on"
            message = f"the server's {task} task failed ({type(exc).__name__}); it starts again"
        sys.stderr.write(f"crossdeck serve: the {task} failed ({what}); {effect}, and the task starts again\n")
        sys.stderr.flush()
        log.debug("the %s failed", task, exc_info=exc)
        try:
            self.hub.publish([{"type": "server.error", "workspace": self.served.name, "entity": None, "task": task,
                               "message": message, "at": iso(now())}])
        except Exception:
            log.debug("could not publish server.error", exc_info=True)


def create_app(served: Served, options: Options | None = None, host: str = "127.0.0.1") -> Door:
    """The app (starlette), behind its door; ``host`` is the address the server binds (a
    non-loopback one is an allowed Host name)."""
    options = options or Options()
    # Event ids go on growing across restarts (the clock in milliseconds at start): a subscriber
    # that reconnects with the Last-Event-ID of the server's previous run must not have the new
    # run's events taken for ones it has seen.
    hub = EventHub(first=time.time_ns() // 1_000_000)
    db = ServerDB(served.name, rows=options.call_log_rows)
    state = ServerState(served=served, options=options, db=db, hub=hub,
                        watcher=Watcher(served, hub, options.poll_seconds), idempotency=Idempotency(db),
                        streams=Streams(options.max_streams_per_caller, options.max_streams_per_subscription))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.writers = asyncio.Semaphore(WRITERS)
        tasks = [asyncio.create_task(supervised("watcher", state.watcher.run, state.report)),
                 asyncio.create_task(supervised("memory", tend, state.report))]
        try:
            yield
        finally:
            hub.close()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    table = [  # path, methods, handler, the token it needs (none, remote or maintainer, maintainer)
        ("/info", ["GET"], info, "none"),
        ("/discover", ["GET", "POST"], discovery, "none"),
        ("/query", ["POST"], query, "remote or maintainer"),
        ("/mutate", ["POST"], mutate, "remote"),
        ("/delegate", ["POST"], delegate, "remote"),
        ("/requests/{request_id}", ["GET"], get_request, "remote or maintainer"),
        ("/requests/{request_id}/approve", ["POST"], decide, "maintainer"),
        ("/requests/{request_id}/reject", ["POST"], decide, "maintainer"),
        ("/subscribe", ["POST"], subscribe, "remote or maintainer"),
        ("/subscribe/{subscription_id}", ["DELETE"], unsubscribe, "remote or maintainer"),
        ("/events", ["GET"], stream, "remote or maintainer"),
        ("/remotes", ["GET", "POST"], remotes, "maintainer"),
        ("/remotes/{name:path}", ["PUT", "DELETE"], remote, "maintainer"),
    ]
    routes = [Route(BASE + path, endpoint(handler, token="optional" if needs == "none" else "required"),
                    methods=methods) for path, methods, handler, needs in table]
    state.routes = [{"method": method, "path": BASE + path.replace(":path", ""), "token": needs}
                    for path, methods, _, needs in table for method in methods]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.server = state

    def refused(scope: Scope, status: int) -> None:
        peer = (scope.get("client") or ("unknown",))[0]
        if state.turned.refused(peer, status):
            log_line(scope.get("method", ""), scope.get("path", ""), peer, status, 0.0)

    return Door(app, allowed_hosts(host, options.allow_hosts), refused)


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(ApiError(404, f"no such path: {request.scope['path']}").body(), 404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(ApiError(405, f"{request.method} is not allowed on {request.scope['path']}").body(), 405)


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
    sha = fingerprint(call.request.method, call.request.scope["path"], message)
    status, body, replayed = await run_in_threadpool(state.idempotency.run, _caller(call).key, request_id, sha, work)
    return _json(status, body, {"Idempotent-Replay": "true"} if replayed else None)


async def info(call: Call) -> Response:
    return _json(200, discover.answer(call, BASE, call.state.routes))


async def discovery(call: Call) -> Response:
    """The design's ``discover`` message (POST), or a GET: answered as ``info``."""
    if call.request.method == "POST":
        convert(parse_json(call.body), DiscoverMessage)
    return _json(200, discover.answer(call, BASE, call.state.routes))


async def remotes(call: Call) -> Response:
    if call.request.method == "GET":
        return _json(200, await managing.listing(call))
    return await _manage(call, "add")


async def remote(call: Call) -> Response:
    return await _manage(call, "update" if call.request.method == "PUT" else "remove")


async def _manage(call: Call, action: str) -> Response:
    """Change the workspace's remotes as ``crossdeck remote add / remove`` does (a commit)."""
    managing.maintainer(call)
    state = call.state

    def work() -> tuple[int, Any]:
        try:
            status, change = managing.change(call, action)
            call.audited = change.commit is not None
            return status, change
        finally:
            state.rescan()

    async with _writer_slot(state):
        status, change = await run_in_threadpool(work)
    return _json(status, {"change": change})


async def query(call: Call) -> Response:
    raw = parse_json(call.body)
    message = read(raw, QueryMessage)
    served = call.state.served
    check_from(_caller(call), message.from_, served, call.today)
    # Answer from the files as they are now: a change made on disk since the watcher's last look
    # (a `crossdeck close` just before a `sync`) is read first. The look is a walk of stamps.
    await run_in_threadpool(call.state.rescan)
    return await _once(call, raw, message.request_id,
                       lambda: (200, querying.run(_caller(call), served, message, call.today)))


async def mutate(call: Call) -> Response:
    return await _receive(call, MutateMessage, mutating.mutate)


async def delegate(call: Call) -> Response:
    return await _receive(call, DelegateMessage, mutating.delegate)


async def _receive(call: Call, kind: Any, handle: Any) -> Response:
    """A message that becomes an incoming request (mutate, delegate), under its idempotency."""
    raw = parse_json(call.body)
    message = read(raw, kind)
    if isinstance(message, DelegateMessage):
        message.parent()  # a 422 before any work
    state = call.state
    check_from(_caller(call), message.from_, state.served, call.today)

    def work(waited: float) -> tuple[int, dict[str, Any]]:
        outcome = None
        try:
            outcome = handle(state.served, _caller(call), message, now(), call.started,
                             on_written=lambda: setattr(call, "audited", True),
                             lock_timeout=max(1.0, mutating.LOCK_TIMEOUT - waited))
        finally:
            state.settled(outcome)
        return outcome.status, outcome

    assert state.idempotency is not None
    if message.request_id is not None and await run_in_threadpool(state.idempotency.answered, _caller(call).key,
                                                                  message.request_id):
        return await _once(call, raw, message.request_id, lambda: work(0.0))  # a replay: no writer slot
    async with _writer_slot(state) as waited:
        return await _once(call, raw, message.request_id, lambda: work(waited))


@contextlib.asynccontextmanager
async def _writer_slot(state: ServerState) -> AsyncIterator[float]:
    """One of the ``WRITERS`` slots, waited for on the loop up to ``LOCK_TIMEOUT`` seconds (then
    503: nothing written); yields the seconds waited."""
    assert state.writers is not None
    started = time.monotonic()
    try:
        await asyncio.wait_for(state.writers.acquire(), mutating.LOCK_TIMEOUT)
    except TimeoutError:
        raise ApiError(503, f"{state.served.name} is busy with other writes (waited {mutating.LOCK_TIMEOUT:g} s); "
                            "nothing was written: try again", headers={"Retry-After": "2"}) from None
    try:
        yield time.monotonic() - started
    finally:
        state.writers.release()


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
    choice = "approve" if call.request.scope["path"].endswith("/approve") else "reject"
    body = convert(parse_json(call.body), DecisionBody)
    ident = call.request.path_params["request_id"]
    call.request_id = ident
    state = call.state

    def work() -> mutating.Outcome:
        try:
            return mutating.decision(state.served, _caller(call), ident, choice, body.reason, now(),
                                     on_written=lambda: setattr(call, "audited", True))
        finally:
            state.rescan()

    async with _writer_slot(state):
        outcome = await run_in_threadpool(work)
    return _json(outcome.status, outcome)


async def subscribe(call: Call) -> Response:
    raw = parse_json(call.body)
    message = read(raw, SubscribeMessage)
    caller = _caller(call)
    state = call.state
    check_from(caller, message.from_, state.served, call.today)
    most: int | None = None
    if caller.remote is not None:
        may_subscribe(caller.remote)
        watched = message.filters
        querying.filters_allowed(caller.remote, state.served.workspace,
                                 [f for f in ("status", "labels", "priority") if getattr(watched, f) is not None])
        permission = caller.remote.permissions.get("subscribe")
        if not allowed(permission):
            raise ApiError(403, f"{caller.remote.name} may not subscribe: its permissions.subscribe.allowed is not "
                                "true")
        limit = permission.get("max_subscriptions") if isinstance(permission, dict) else None
        most = limit if isinstance(limit, int) and not isinstance(limit, bool) else MAX_SUBSCRIPTIONS

    def work() -> tuple[int, dict[str, Any]]:
        filters = msgspec.to_builtins(message.filters)
        callback = message.callback.kept() if message.callback is not None else None
        sub = state.db.add_subscription(caller.key, list(message.event_types),
                                        {k: v for k, v in filters.items() if v is not None}, most, callback)
        if sub is None:
            raise ApiError(403, f"{caller.label} has {most} live subscriptions already (max_subscriptions)")
        events_url = f"{BASE}/events?subscription={sub.id}"
        body: dict[str, Any] = {"subscription_id": sub.id, "events_url": events_url}
        if callback is not None:
            body["callback"] = {**callback, "called": False,
                                "note": f"kept with the subscription; events go only to its stream, {events_url}"}
        return 201, body

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
    state.streams.enter(caller, sub)  # 429 at a cap; left when the stream ends
    return EventStream(state, caller, sub, last_id)
