"""HTTP remotes: the client of another workspace's federation API (docs/http-api.md), over httpx.

A remote's **endpoint** (transport ``http``) is its ``http_url`` when it has one, else its
``url`` when that is an ``http(s)://`` URL; the API lives under ``/api/v1/federation`` below it
(added unless the endpoint already ends with it). The bearer token is the calling side's secret
for (local workspace, remote name) (``core.tokens.secret_for``); ``GET info`` works without.

Every call has a timeout (``CONNECT_TIMEOUT`` to connect, ``READ_TIMEOUT`` for the rest). A call
that fails raises an ``HttpFailure`` (a ``core.sync.retry.ContactFailure``): a refused
connection, a timeout or a 5xx is transient; a 4xx is permanent and carries the server's code and
message (made printable: remote text never drives the terminal). A 429 or 503 asks for a wait
(``Retry-After``): up to ``RETRY_AFTER_CAP`` seconds it is honoured by the retry, beyond that the
failure is permanent. Retries (``HttpRemote.retry``, default one attempt: ``core.sync.fetch_pool``
retries whole contacts) go through ``core.sync.retry.with_retries``, as the git transport's do.

``events`` is a blocking generator for a worker thread: it reads the server-sent events of a
subscription (``id:`` / ``event:`` / ``data:`` lines, a blank line ends an event, ``:`` lines are
comments), reconnects with ``Last-Event-ID`` after a dropped stream (waiting with backoff, at
most ``RECONNECT_MAX_WAIT``), and ends when its ``threading.Event`` is set (a helper thread shuts
the stream's socket down, so a read waiting between events ends at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Self
from urllib.parse import urlsplit

import httpx
import msgspec

from core.model import Remote
from core.sync.git_remote import NotFetchable
from core.sync.retry import ONCE, ContactFailure, RetryPolicy, with_retries
from core.text import one_line

API_PATH = "/api/v1/federation"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
STREAM_READ_TIMEOUT = 40.0  # two keepalives (15 s each) missed: the stream is dead (and reconnected)
RETRY_AFTER_CAP = 10.0
RECONNECT_MAX_WAIT = 15.0
QUERY_PAGE = 500
MAX_PAGES = 10_000  # a server that never stops paging is a broken one
RECONNECT = RetryPolicy(initial=0.5, max_wait=RECONNECT_MAX_WAIT)  # waits between reconnects of a stream


class HttpFailure(ContactFailure):
    """An HTTP call failed. ``status`` is the answer's status (None: no answer), ``code`` and
    ``details`` the server's error body."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None,
                 status: int | None = None, code: str | None = None, details: list[Any] | None = None):
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.status = status
        self.code = code
        self.details = details or []


class Event(msgspec.Struct, kw_only=True, frozen=True):
    """One server-sent event: its ``id``, ``event`` type and ``data`` (the decoded JSON object)."""

    id: str | None
    event: str
    data: dict[str, Any]


def endpoint(remote: Remote) -> str:
    """Where the remote's federation API is; raises NotFetchable when it has no HTTP endpoint."""
    given = remote.extra.get("http_url")
    raw = (given if isinstance(given, str) and given.strip() else remote.url).strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ord(c) < 33 for c in raw):
        raise NotFetchable(f"not reachable over HTTP: {raw!r} is not an http(s) URL; give the remote an http_url")
    return api_base(raw)


def api_base(url: str) -> str:
    """``url`` with the API's path: ``http://HOST:PORT`` -> ``http://HOST:PORT/api/v1/federation``."""
    base = url.strip().rstrip("/")
    return base if base.endswith(API_PATH) else base + API_PATH


def token_for(remote: Remote) -> str | None:
    """The calling side's token for ``remote`` (None: none kept; ``crossdeck token add``)."""
    from core.tokens import secret_for

    return secret_for(remote.workspace, remote.name)


class HttpRemote:
    """A connection to one remote's federation API at ``base`` (the API's path is added when
    missing). Use as a context manager, or ``close()``."""

    def __init__(self, base: str, token: str | None = None, *, timeout: float = READ_TIMEOUT,
                 connect_timeout: float = CONNECT_TIMEOUT, retry: RetryPolicy = ONCE,
                 sleep: Callable[[float], None] = time.sleep):
        self.base = api_base(base)
        self.retry, self.sleep, self.connect_timeout = retry, sleep, connect_timeout
        self.attempts = 0  # calls tried, retries included (what a contact reports)
        headers = {"Accept": "application/json", "User-Agent": "crossdeck"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(base_url=self.base, headers=headers, follow_redirects=False,
                                   timeout=httpx.Timeout(timeout, connect=connect_timeout))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the endpoints ------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return self._json("GET", "/info")

    def query(self, entity: str, filters: dict[str, Any] | None = None, include: Iterable[str] = (),
              limit: int = QUERY_PAGE, cursor: str | None = None) -> dict[str, Any]:
        """One page: ``{"entity", "items", "next_cursor", "total", "as_of"}``."""
        body = {"type": "query", "entity": entity, "filters": filters or {}, "include": list(include),
                "limit": limit, "cursor": cursor}
        return self._json("POST", "/query", body)

    def query_all(self, entity: str, filters: dict[str, Any] | None = None, include: Iterable[str] = (),
                  limit: int = QUERY_PAGE) -> list[dict[str, Any]]:
        """Every item, following ``next_cursor`` page after page."""
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(MAX_PAGES):
            page = self.query(entity, filters, include, limit, cursor)
            got = page.get("items")
            if not isinstance(got, list):
                raise HttpFailure(f"POST {self.base}/query: the answer has no list of items", permanent=True)
            items.extend(item for item in got if isinstance(item, dict))
            cursor = page.get("next_cursor")
            if not isinstance(cursor, str) or not cursor or not got:
                return items
        raise HttpFailure(f"POST {self.base}/query: still paging after {MAX_PAGES} pages", permanent=True)

    def mutate(self, request_id: str, operation: str, data: dict[str, Any], sender: str | None = None,
               to: str | None = None) -> tuple[int, dict[str, Any]]:
        """(status, answer): 200 completed or 202 pending_approval; a 403 (the policy refused)
        and every other 4xx raise HttpFailure."""
        body: dict[str, Any] = {"type": "mutate", "request_id": request_id, "operation": operation, "data": data}
        if sender:
            body["from"] = sender
        if to:
            body["to"] = to
        response = self._call("POST", "/mutate", body)
        return response.status_code, _object(response, self.base)

    def delegate(self, request_id: str, payload: dict[str, Any], sender: str | None = None,
                 to: str | None = None) -> tuple[int, dict[str, Any]]:
        """The A2A ``delegate`` message for a ``delegate`` request's payload: (status, answer) as
        ``mutate``."""
        task = {k: v for k, v in payload.items() if k != "kind"}
        task["type"] = "spec" if payload.get("kind") == "spec" else "issue"
        body: dict[str, Any] = {"type": "delegate", "request_id": request_id, "task": task}
        if sender:
            body["from"] = sender
        if to:
            body["to"] = to
        response = self._call("POST", "/delegate", body)
        return response.status_code, _object(response, self.base)

    def request_status(self, request_id: str) -> dict[str, Any]:
        """The remote's record of one of our requests (raises HttpFailure 404 when it has none)."""
        answer = self._json("GET", f"/requests/{request_id}")
        record = answer.get("request")
        if not isinstance(record, dict):
            raise HttpFailure(f"GET {self.base}/requests/{request_id}: the answer has no request", permanent=True)
        return record

    def subscribe(self, request_id: str, event_types: Iterable[str] = (),
                  filters: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "subscribe", "request_id": request_id}
        if event_types:
            body["event_types"] = list(event_types)
        if filters:
            body["filters"] = filters
        return self._json("POST", "/subscribe", body)

    def unsubscribe(self, subscription_id: str) -> None:
        self._call("DELETE", f"/subscribe/{subscription_id}")

    def events(self, subscription_id: str, stop: threading.Event, last_event_id: str | None = None,
               reconnect: RetryPolicy = RECONNECT, on_open: Callable[[bool], None] | None = None,
               on_drop: Callable[[str], None] | None = None) -> Iterator[Event]:
        """The subscription's events until ``stop`` is set, reconnecting after a dropped stream;
        a 4xx (an unknown subscription, a revoked token) raises HttpFailure. ``on_drop(why)`` is
        told when the stream drops, ``on_open(again)`` when it is open (``again``: after a drop,
        when events beyond the server's replay may have been missed)."""
        timeout = httpx.Timeout(STREAM_READ_TIMEOUT, connect=self.connect_timeout)
        dropped = 0
        while not stop.is_set():
            headers = {"Accept": "text/event-stream"}
            if last_event_id is not None:
                headers["Last-Event-ID"] = last_event_id
            try:
                with self.client.stream("GET", "/events", params={"subscription": subscription_id},
                                        headers=headers, timeout=timeout) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise failure_of(response, self.base)
                    if on_open is not None:
                        on_open(dropped > 0)
                    done = _shut_when(stop, response)  # a read waiting between events ends at once
                    try:
                        for event in parse_sse(response.iter_lines()):
                            dropped = 0
                            last_event_id = event.id if event.id is not None else last_event_id
                            yield event
                    finally:
                        done.set()
                why = "the stream ended"
            except HttpFailure as exc:
                if stop.is_set():
                    return
                if exc.permanent:
                    raise
                why = str(exc)
            except (httpx.HTTPError, OSError, RuntimeError) as exc:
                if stop.is_set():
                    return
                why = str(exc) or type(exc).__name__
            if stop.is_set():
                return
            dropped += 1
            if on_drop is not None:
                on_drop(why)
            stop.wait(reconnect.wait(dropped))

    # -- one call -----------------------------------------------------------------------------
    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return _object(self._call(method, path, body), self.base)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        def attempt() -> httpx.Response:
            self.attempts += 1
            return self._once(method, path, body)

        return with_retries(attempt, self.retry, self.sleep)

    def _once(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        where = f"{method} {self.base}{path}"
        try:
            response = self.client.request(method, path, content=None if body is None else msgspec.json.encode(body),
                                           headers=None if body is None else {"Content-Type": "application/json"})
        except httpx.TimeoutException:
            raise HttpFailure(f"{where}: timed out") from None
        except (httpx.TransportError, OSError) as exc:
            raise HttpFailure(f"{where}: {one_line(str(exc)) or type(exc).__name__}") from None
        if response.status_code >= 400:
            raise failure_of(response, self.base)
        return response


def failure_of(response: httpx.Response, base: str) -> HttpFailure:
    """The HttpFailure an error answer is: the server's code, message and details, printable."""
    status = response.status_code
    code, message, details = None, response.reason_phrase or "error", []
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else message
        details = error.get("details") if isinstance(error.get("details"), list) else []
    problems = "; ".join(f"{d.get('path', '')}: {d.get('message', '')}" for d in details if isinstance(d, dict))
    text = one_line(f"{response.request.method} {response.request.url.copy_with(query=None)}: {status}"
                    + (f" {code}" if code else "") + f": {message}" + (f" ({problems})" if problems else ""))
    wait = _retry_after(response)
    transient = status >= 500 or status == 429
    if transient and wait is not None and wait > RETRY_AFTER_CAP:
        return HttpFailure(f"{text}; it asks to wait {wait:g} s, longer than {RETRY_AFTER_CAP:g} s", permanent=True,
                           status=status, code=code, details=details)
    return HttpFailure(text, permanent=not transient, retry_after=wait, status=status, code=code, details=details)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def _object(response: httpx.Response, base: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise HttpFailure(f"{response.request.method} {base}: the answer is not a JSON object", permanent=True)
    return body


def parse_sse(lines: Iterable[str]) -> Iterator[Event]:
    """Server-sent events from the stream's lines (the text/event-stream format)."""
    ident: str | None = None
    kind = "message"
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                try:
                    decoded = msgspec.json.decode("\n".join(data))
                except msgspec.DecodeError:
                    decoded = None
                if isinstance(decoded, dict):
                    yield Event(id=ident, event=kind, data=decoded)
            ident, kind, data = None, "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            ident = value
        elif field == "event":
            kind = value
        elif field == "data":
            data.append(value)


def _shut_when(stop: threading.Event, response: httpx.Response) -> threading.Event:
    """Shut the response's socket down as soon as ``stop`` is set (a read blocked on it then
    ends at once: closing alone does not wake it); setting the returned event ends the watcher."""
    import socket

    done = threading.Event()
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None

    def watch() -> None:
        while not done.is_set():
            if stop.wait(0.1):
                try:
                    if sock is not None:
                        sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed already
                return

    threading.Thread(target=watch, name="crossdeck-sse-stop", daemon=True).start()
    return done


def connect(remote: Remote, *, timeout: float = READ_TIMEOUT, retry: RetryPolicy = ONCE,
            sleep: Callable[[float], None] = time.sleep, token: str | None = None) -> HttpRemote:
    """A connection to ``remote`` with the token kept for it (``token`` overrides)."""
    return HttpRemote(endpoint(remote), token if token is not None else token_for(remote), timeout=timeout,
                      retry=retry, sleep=sleep)
