"""What every call goes through, around its endpoint's own work, in this order: the Host
(``door.Door``, before routing: 421); a call without a valid token is charged to its client
address's bucket first (``anonymous_per_minute``: 429 with Retry-After, before authentication
when it carries no token at all); the token (``auth``); the caller's rate (``ratelimit``); the
Content-Type (415); the body (at most ``max_body`` bytes, checked against ``Content-Length``
and again while it streams in); errors as JSON; one log line on stderr (method, path, caller,
status, duration; never a token), and the call's audit row in ``server.db`` unless the call
changed the workspace (then its own ``audit.jsonl`` holds it).

Calls turned away at the door (a wrong Host, a client address over its rate without a valid
token) cost no row in the call log, and only the first of a run of them from one address is
logged on stderr: a flood writes neither the disk nor the terminal full. The next call let in
from that address logs how many were turned away in between.
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
from core.server.door import check_content_type
from core.server.errors import ApiError, unauthorized
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
MAX_TURNED = 10_000  # client addresses whose turned-away calls are being counted


class TurnedAway(ApiError):
    """A call refused at the door (no call-log row; its log line only when a run of them starts)."""


class Turned:
    """Counts the calls turned away per client address and status, so that one line on stderr
    stands for a run of them."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, int], int] = {}

    def refused(self, peer: str, status: int) -> bool:
        """Count one; whether it starts a run (then it is logged)."""
        key = (peer, status)
        if key in self._runs:
            self._runs[key] += 1
            return False
        if len(self._runs) >= MAX_TURNED:
            self._runs.clear()
        self._runs[key] = 0
        return True

    def let_in(self, peer: str) -> list[str]:
        """The end of ``peer``'s runs: a line for each run that turned more calls away than it logged."""
        lines = []
        for status in (421, 429):
            more = self._runs.pop((peer, status), None)
            if more:
                lines.append(f"{peer}: {more} more calls turned away ({status}) before this one")
        return lines


def endpoint(work: Work, *, token: str = "required") -> Callable[[Request], Awaitable[Response]]:
    """A starlette endpoint doing ``work`` after the checks every call shares; ``token`` is
    ``required`` or ``optional`` (``info``: a bad token is just no caller)."""

    async def handler(request: Request) -> Response:
        state: ServerState = request.app.state.server
        started = time.monotonic()
        call: Call | None = None
        caller: Caller | None = None
        peer = address(request)
        try:
            today = now().date()
            header = request.headers.get("authorization") or ""
            if bearer(header) is None:  # no token at all: the address's bucket, before anything else
                _anonymous(state, peer)
                if token == "required":
                    raise unauthorized("a token is needed: Authorization: Bearer TOKEN (crossdeck token issue)")
            else:
                caller = await run_in_threadpool(_caller, header, state, today, token, peer)
            if caller is not None:
                _limit(state, caller)
            check_content_type(request.method, request.headers, _length(request))
            body = await read_body(request, state.options.max_body) if request.method in ("POST", "PUT") else b""
            call = Call(request=request, state=state, caller=caller, body=body, started=started, today=today)
            response = await work(call)
        except TurnedAway as exc:
            response = JSONResponse(exc.body(), exc.status, headers=exc.headers)
            if state.turned.refused(peer, exc.status):
                _log_line(request, peer, exc.status, (time.monotonic() - started) * 1000)
            return response
        except ApiError as exc:
            response = JSONResponse(exc.body(), exc.status, headers=exc.headers)
        except Exception:  # a bug: the caller gets a 500, the log the traceback
            log.exception("%s %s failed", request.method, request.scope["path"])
            response = JSONResponse(ApiError(500, "internal error: see the server's log").body(), 500)
        duration = (time.monotonic() - started) * 1000
        who = caller.label if caller is not None else peer
        for line in state.turned.let_in(peer):
            sys.stderr.write(one_line(line) + "\n")
        _log_line(request, who, response.status_code, duration)
        if call is None or not call.audited:
            await run_in_threadpool(state.db.record_call, who, request.method, request.scope["path"],
                                    response.status_code, duration, call.request_id if call else None)
        return response

    return handler


def _caller(header: str, state: ServerState, today: dt.date, token: str, peer: str) -> Caller | None:
    """The caller the bearer token names; a token that names none is charged to the client
    address's bucket (429 over it), then refused (401), or for ``info`` is no caller."""
    try:
        return authenticate(header, state.served, today)
    except ApiError as exc:
        if exc.status != 401:
            raise
        _anonymous(state, peer)
        if token == "optional":
            return None
        raise


def _anonymous(state: ServerState, peer: str) -> None:
    """Spend one call of the client address's bucket (calls without a valid token)."""
    rate = state.options.anonymous_per_minute
    wait = state.limiter.take(f"peer:{peer}", rate)
    if wait is not None:
        raise TurnedAway(429, f"over the rate of {rate} calls a minute from {peer} without a valid token: try again "
                              f"in {wait} s", headers={"Retry-After": str(wait)})


def _limit(state: ServerState, caller: Caller) -> None:
    info = state.served.workspace.info
    rate = per_minute(info.federation if isinstance(info, SudocodeRepo) else None)
    wait = state.limiter.take(caller.key, rate)
    if wait is not None:
        raise ApiError(429, f"over the rate of {rate} calls a minute: try again in {wait} s",
                       headers={"Retry-After": str(wait)})


def _length(request: Request) -> int | None:
    """The body's declared length: 0 when the request says it has none, None when it streams."""
    declared = request.headers.get("content-length")
    if declared is not None:
        return int(declared) if declared.strip().isdigit() else None
    return None if "transfer-encoding" in request.headers else 0


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


def address(request: Request) -> str:
    """The client's address, without its port (a new connection is the same client)."""
    client = request.client
    return client.host if client else "unknown"


def _log_line(request: Request, who: str, status: int, duration_ms: float) -> None:
    log_line(request.method, request.scope["path"], who, status, duration_ms)


def log_line(method: str, path: str, who: str, status: int, duration_ms: float) -> None:
    # never the query string: only the path (no token travels there)
    sys.stderr.write(f"{method} {one_line(path)} {one_line(who)} {status} {duration_ms:.1f}ms\n")
    sys.stderr.flush()

