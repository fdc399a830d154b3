"""Connections to Dolt SQL servers, with timeouts, one attempt per server per load.

A load reads every Dolt-backed folder of a federation; a town's rigs share one server. Within a
``server_session()`` each server (host, port, user) is contacted once: the connection is reused
for every database on it, and a server that could not be reached is not tried again, so a town
whose server is down costs one connection attempt (a refused connection costs nothing, a silent
host at most the connect timeout) however many rigs it has. Outside a session each call connects
afresh. PyMySQL is imported here only, when a Dolt-backed folder is first met.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core.dolt.target import DoltTarget

if TYPE_CHECKING:
    import pymysql


class DoltUnavailable(Exception):
    """The server (or the database on it) could not be reached or read; the message says why in
    words a person can act on."""


class ServerSession:
    """The connections of one load, by server; closed when the session ends."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, int, str], pymysql.Connection[Any]] = {}
        self._failed: dict[tuple[str, int, str], str] = {}
        self._dolt: dict[tuple[str, int, str], bool] = {}

    def connection(self, target: DoltTarget) -> pymysql.Connection[Any]:
        key = (target.host, target.port, target.user)
        if key in self._failed:
            raise DoltUnavailable(self._failed[key])
        conn = self._open.get(key)
        if conn is not None and conn.open:
            return conn
        try:
            conn = connect(target)
        except DoltUnavailable as exc:
            self._failed[key] = str(exc)
            raise
        self._open[key] = conn
        return conn

    def is_dolt(self, target: DoltTarget, conn: pymysql.Connection[Any]) -> bool:
        """Whether ``target``'s server is Dolt (asked once per server)."""
        key = (target.host, target.port, target.user)
        if key not in self._dolt:
            from core.dolt.dolt_sql import is_dolt

            self._dolt[key] = is_dolt(conn)
        return self._dolt[key]

    def forget(self, target: DoltTarget, why: str) -> None:
        """Drop a connection that broke mid-read: the server is not tried again in this session."""
        key = (target.host, target.port, target.user)
        conn = self._open.pop(key, None)
        if conn is not None:
            _close(conn)
        self._failed[key] = why

    def close(self) -> None:
        for conn in self._open.values():
            _close(conn)
        self._open.clear()


_SESSION: contextvars.ContextVar[ServerSession | None] = contextvars.ContextVar("crossdeck_dolt_session", default=None)


@contextmanager
def server_session() -> Iterator[ServerSession]:
    """The session of the load in progress, or a new one for the duration of the block."""
    current = _SESSION.get()
    if current is not None:
        yield current
        return
    with new_session() as session:
        yield session


@contextmanager
def new_session() -> Iterator[ServerSession]:
    """A session of its own for the duration of the block, whatever session is in progress (a
    forked helper's: its parent's connections are not its to use or close)."""
    session = ServerSession()
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)
        session.close()


def connect(target: DoltTarget, *, database: str | None = None) -> pymysql.Connection[Any]:
    """A new connection to ``target``'s server (autocommit on, utf8mb4, the target's timeouts);
    raises ``DoltUnavailable``."""
    import pymysql

    try:
        # The whole handshake within the connect timeout: a host that accepts the connection and
        # then says nothing (a hung server) costs that, not the read timeout.
        conn = pymysql.connect(host=target.host, port=target.port, user=target.user, password=target.password(),
                               database=database, connect_timeout=target.connect_timeout,
                               read_timeout=target.connect_timeout, write_timeout=target.read_timeout,
                               charset="utf8mb4", autocommit=True, init_command="SET time_zone = '+00:00'")
    except (pymysql.err.MySQLError, OSError) as exc:
        raise DoltUnavailable(f"Dolt server {target.server} unreachable ({_reason(exc, target)})") from None
    _set_read_timeout(conn, target.read_timeout)
    return conn


def _set_read_timeout(conn: pymysql.Connection[Any], seconds: float) -> None:
    """Reads after the handshake may wait up to ``seconds``: PyMySQL applies ``_read_timeout`` to
    its socket before each read (pymysql 1.1 to 2.x, as pyproject.toml pins it)."""
    conn._read_timeout = seconds  # noqa: SLF001


def describe(exc: BaseException) -> str:
    """A driver error in words: PyMySQL's ``(2003, "Can't connect ...")`` without the tuple."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return f"{args[1]} (error {args[0]})"
    return str(exc) or type(exc).__name__


def _reason(exc: BaseException, target: DoltTarget) -> str:
    """Why a connection could not be made, in a few words."""
    text = describe(exc)
    low = text.lower()
    if "refused" in low:
        return "connection refused"
    if "timed out" in low or "timeout" in low:
        return f"no answer within {target.connect_timeout:g} s"
    if "access denied" in low:
        return f"access denied for user {target.user}" + ("" if target.password() else " (no password set: "
                                                           f"{target.password_env or 'BEADS_DOLT_PASSWORD'})")
    if "name or service not known" in low or "nodename" in low or "getaddrinfo" in low:
        return f"unknown host {target.host}"
    return text


def _close(conn: pymysql.Connection[Any]) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a broken connection: nothing to do about it
        pass
