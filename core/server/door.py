"""What is checked before a call reaches the app (docs/http-api.md, "Limits"): the ``Host``
header names this server (else 421), and a POST's body is JSON (else 415).

A web page can make a browser send requests to ``127.0.0.1``: through DNS rebinding its own
name resolves to this machine, and the browser sends that name as ``Host``. Refusing every name
but the server's own closes that door. Allowed: the loopback names (``127.0.0.1``, ``localhost``,
``[::1]``), the address the server is bound to when it is not a loopback or wildcard one, and
every ``--allow-host`` name; with any port, or none.

``Door`` is the outermost ASGI layer: it refuses a wrong Host before routing, and hands the
app the connection's transport (``TRANSPORT``: uvicorn's, when it runs there) so that an event
stream whose client stopped reading can be closed at once (core/server/stream.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import msgspec

from core.server.errors import ApiError

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = ("0.0.0.0", "::", "")
TRANSPORT = "crossdeck.transport"  # the scope key of the connection's transport, when known

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def host_name(value: str) -> str:
    """A host as the ``Host`` header writes it, without its port: ``[::1]``, ``example.com``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[:value.find("]") + 1] if "]" in value else value
    if value.count(":") > 1:  # a bare IPv6 address, as --host or --allow-host may give it
        return f"[{value}]"
    return value.partition(":")[0].rstrip(".")


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names the server answers: loopback, ``bound`` (unless it is a wildcard or
    loopback address), and ``extra``."""
    names = set(LOOPBACK) | {host_name(name) for name in extra if name.strip()}
    if bound.strip() not in WILDCARDS and not is_loopback(bound):
        names.add(host_name(bound))
    return frozenset(names)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, bracketed or not) is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_content_type(method: str, headers: Any, length: int | None) -> None:
    """A POST's body must be ``application/json`` (a ``charset`` other than UTF-8 is refused);
    a POST with no body may say nothing."""
    if method not in ("POST", "PUT"):
        return
    declared = headers.get("content-type")
    if declared is None and length == 0:
        return
    kind, _, params = (declared or "").partition(";")
    charset = next((value.strip().strip('"').lower() for name, _, value in
                    (part.partition("=") for part in params.split(";")) if name.strip().lower() == "charset"), None)
    if kind.strip().lower() != "application/json" or charset not in (None, "utf-8", "utf8"):
        raise ApiError(415, f"the body must be JSON: Content-Type: application/json, not {declared or 'none'}",
                       headers={"Accept-Post": "application/json"})


class Door:
    """ASGI middleware: a request whose Host is not allowed gets a 421 before anything else;
    ``on_refused(scope, status)`` is told (the log line). Others go on, with the transport."""

    def __init__(self, app: Any, hosts: frozenset[str], on_refused: Callable[[Scope, int], None]):
        self.app = app
        self.hosts = hosts
        self.on_refused = on_refused

    @property
    def state(self) -> Any:
        """The app's state (``state.server``: the ``ServerState``)."""
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"host"), None)
        if host is None or host_name(host) not in self.hosts:
            self.on_refused(scope, 421)
            error = ApiError(421, "this server does not answer to that Host: call it by its own address "
                                  "(crossdeck serve --allow-host NAME adds a name)")
            body = msgspec.json.encode(error.body())
            await send({"type": "http.response.start", "status": 421,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                    (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        transport = getattr(getattr(send, "__self__", None), "transport", None)  # uvicorn's cycle holds it
        if transport is not None and hasattr(transport, "abort"):
            scope[TRANSPORT] = transport
        await self.app(scope, receive, send)
