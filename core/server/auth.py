"""Who is calling: the bearer token names a remote of the served workspace or a maintainer
(docs/http-api.md, "Tokens"). The remote's trust level and permissions are the workspace files'
current ones, looked up on every call; a token whose remote is no longer configured is refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from core import tokens
from core.model import Remote
from core.server.errors import ApiError, unauthorized
from core.server.served import Served


class Caller(msgspec.Struct, kw_only=True, frozen=True):
    token_id: str
    remote: Remote | None = None
    maintainer: str | None = None

    @property
    def key(self) -> str:
        """One name per caller (rate limits, idempotency, subscriptions)."""
        return f"remote:{self.remote.name}" if self.remote is not None else f"maintainer:{self.maintainer}"

    @property
    def label(self) -> str:
        """How the log line names the caller."""
        return self.remote.name if self.remote is not None else f"maintainer:{self.maintainer}"

    def describe(self) -> dict[str, Any]:
        if self.remote is None:
            return {"maintainer": self.maintainer}
        return {"remote": self.remote.name, "identity": self.remote.url, "trust_level": self.remote.trust_level.value,
                "permissions": self.remote.permissions}


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(header: str | None, served: Served, today: dt.date) -> Caller:
    token = bearer(header)
    if token is None:
        raise unauthorized("a token is needed: Authorization: Bearer TOKEN (crossdeck token issue)")
    try:
        record = tokens.verify(served.name, token)
    except tokens.TokenError as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "5"}) from None
    if record is None:
        raise unauthorized("unknown or revoked token")
    if record.maintainer is not None:
        return Caller(token_id=record.id, maintainer=record.maintainer)
    remote = served.remote(record.remote or "", today)
    if remote is None:
        raise unauthorized(f"the token names {record.remote}, which is no longer a remote of {served.name}")
    return Caller(token_id=record.id, remote=remote)


def check_from(caller: Caller, sender: str | None, served: Served, today: dt.date) -> None:
    """``from``, when given, must name the caller's own remote."""
    if sender is None:
        return
    if caller.remote is None:
        raise ApiError(403, f"`from` is {sender}, but the caller is a maintainer, not a remote")
    named = served.remote(sender, today)
    if named is None or named.name != caller.remote.name:
        raise ApiError(403, f"`from` is {sender}, but the token is {caller.remote.name}'s")
