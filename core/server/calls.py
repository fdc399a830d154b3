"""What every call goes through, around its endpoint's own work: the token (``auth``), the
caller's rate (``ratelimit``), the body (at most ``max_body`` bytes, checked against
``Content-Length`` and again while it streams in), errors as JSON, one log line on stderr
(method, path, caller, status, duration; never a token), and the call's audit row in
``server.db`` unless the call changed the workspace (then its own ``audit.jsonl`` holds it).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.model import SudocodeRepo
from core.server.auth import Caller, authenticate, bearer
from core.server.errors import ApiError
from core.server.ratelimit import per_minute
from core.text import one_line
from core.timeutil import now

if TYPE_CHECKING:
    from core.server.app import ServerState

log = logging.getLogger("crossdeck.server")


@dataclass
class Call:
    """One call as its endpoint sees it."""

    request: Request
    state: ServerState
    caller: Caller | None
    body: bytes
    started: float
    today: dt.date
    request_id: str | None = None
    audited: bool = False  # set when the workspace's audit.jsonl recorded it


Work = Callable[[Call], Awaitable[Response]]


def endpoint(work: Work, *, token: str = "required") -> Callable[[Request], Awaitable[Response]]:
    """A starlette endpoint doing ``work`` after the checks every call shares; ``token`` is
    ``required`` or ``optional`` (``info``: a bad token is just no caller)."""

    async def handler(request: Request) -> Response:
        state: ServerState = request.app.state.server
        started = time.monotonic()
        call: Call | None = None
        caller: Caller | None = None
        try:
            today = now().date()
            caller = await run_in_threadpool(_caller, request, state, today, token)
            _limit(state, caller, request)
            body = await read_body(request, state.options.max_body) if request.method in ("POST", "PUT") else b""
            call = Call(request=request, state=state, caller=caller, body=body, started=started, today=today)
            response = await work(call)
        except ApiError as exc:
            response = JSONResponse(exc.body(), exc.status, headers=exc.headers)
        except Exception:  # a bug: the caller gets a 500, the log the traceback
            log.exception("%s %s failed", request.method, request.url.path)
            response = JSONResponse(ApiError(500, "internal error: see the server's log").body(), 500)
        duration = (time.monotonic() - started) * 1000
        who = caller.label if caller is not None else _peer(request)
        _log_line(request, who, response.status_code, duration)
        if call is None or not call.audited:
            await run_in_threadpool(state.db.record_call, who, request.method, request.url.path,
                                    response.status_code, duration, call.request_id if call else None)
        return response

    return handler


def _caller(request: Request, state: ServerState, today: dt.date, token: str) -> Caller | None:
    header = request.headers.get("authorization")
    if token == "optional":
        if bearer(header) is None:
            return None
        try:
            return authenticate(header, state.served, today)
        except ApiError:
            return None
    return authenticate(header, state.served, today)


def _limit(state: ServerState, caller: Caller | None, request: Request) -> None:
    info = state.served.workspace.info
    rate = per_minute(info.federation if isinstance(info, SudocodeRepo) else None)
    wait = state.limiter.take(caller.key if caller is not None else f"peer:{_peer(request)}", rate)
    if wait is not None:
        raise ApiError(429, f"over the rate of {rate} calls a minute: try again in {wait} s",
                       headers={"Retry-After": str(wait)})


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) once it is over ``limit`` bytes: by its Content-Length before any
    of it is read, else as soon as the bytes streamed in pass the limit."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, f"Content-Length {declared!r} is not a number") from None
        if size > limit:
            raise ApiError(413, f"the body is {size} bytes: the limit is {limit}")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise ApiError(413, f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _peer(request: Request) -> str:
    client = request.client
    return f"{client.host}:{client.port}" if client else "unknown"


def _log_line(request: Request, who: str, status: int, duration_ms: float) -> None:
    path = request.url.path  # never the query string's values beyond the path: no token travels there
    sys.stderr.write(f"{request.method} {one_line(path)} {one_line(who)} {status} {duration_ms:.1f}ms\n")
    sys.stderr.flush()

