"""Which Dolt SQL server and database hold a ``.beads`` folder's beads.

A folder is Dolt-backed when its ``metadata.json`` names the Dolt backend in server mode
(``{"backend": "dolt", "dolt_mode": "server", "dolt_database": "hq"}``; formats README). Its
server, each value taken from the first place that sets it:

1. config.toml: the town's own ``[dolt.towns."hop://OWNER/TOWN"]``, then ``[dolt]``;
2. the environment variables ``bd`` itself reads: ``BEADS_DOLT_SERVER_HOST``,
   ``BEADS_DOLT_SERVER_PORT`` (then ``BEADS_DOLT_PORT``, which the Gas Town orchestrator sets),
   ``BEADS_DOLT_SERVER_USER``;
3. ``metadata.json``: ``dolt_server_host``, ``dolt_server_port``, ``dolt_server_user``;
4. Gas Town's defaults: ``127.0.0.1:3307``, user ``root``.

The database is ``metadata.json``'s ``dolt_database``, else ``hq`` for a town's own beads, the
rig's name for a rig's, ``beads`` for a standalone folder (``BEADS_DOLT_SERVER_DATABASE`` names it
for a standalone folder only: one variable cannot name every rig of a town). The password is only
ever read from an environment variable: the one ``password_env`` names, else
``BEADS_DOLT_PASSWORD``; none on localhost by default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from core.dolt.config import DEFAULT_CONNECT_TIMEOUT, DoltSettings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3307
DEFAULT_USER = "root"
PASSWORD_ENV = "BEADS_DOLT_PASSWORD"


class DoltTarget(msgspec.Struct, frozen=True, kw_only=True):
    """Where one Dolt-backed folder's beads are: a server and a database on it."""

    host: str
    port: int
    user: str
    database: str
    password_env: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = 30.0

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def address(self) -> str:
        """The database as a URI, for messages and as the ``source`` of records read from it."""
        return f"dolt://{self.server}/{self.database}"

    def password(self) -> str:
        name = self.password_env or PASSWORD_ENV
        return os.environ.get(name, "")


def is_server_mode(metadata: dict[str, Any] | None) -> bool:
    """Whether a ``metadata.json`` says the beads live in a Dolt SQL server."""
    if not metadata:
        return False
    backend = metadata.get("backend") or metadata.get("database")
    return backend == "dolt" and metadata.get("dolt_mode") == "server"


def dolt_target(metadata: dict[str, Any], settings: DoltSettings, *, town: str | None, rig: str | None,
                standalone: bool = False) -> DoltTarget:
    """The server and database of a Dolt-backed folder (``is_server_mode(metadata)``): ``town``
    is the town's workspace name (``hop://OWNER/TOWN``), ``rig`` the rig (None: the town's own
    beads, or a standalone folder)."""
    config = settings.for_town(town)
    env_port = _env_int("BEADS_DOLT_SERVER_PORT") or _env_int("BEADS_DOLT_PORT")
    host = config.host or os.environ.get("BEADS_DOLT_SERVER_HOST") or _text(metadata, "dolt_server_host") or DEFAULT_HOST
    port = config.port or env_port or _port(metadata.get("dolt_server_port")) or DEFAULT_PORT
    user = config.user or os.environ.get("BEADS_DOLT_SERVER_USER") or _text(metadata, "dolt_server_user") or DEFAULT_USER
    database = (os.environ.get("BEADS_DOLT_SERVER_DATABASE") if standalone else None) \
        or _text(metadata, "dolt_database") or (rig if rig else "beads" if standalone else "hq")
    return DoltTarget(host=host, port=port, user=user, database=database, password_env=config.password_env,
                      connect_timeout=config.timeout or DEFAULT_CONNECT_TIMEOUT, read_timeout=settings.read_timeout)


def _text(metadata: dict[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _port(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536 else None


def _env_int(name: str) -> int | None:
    return _port(os.environ.get(name))


def metadata_path(beads_dir: Path) -> Path:
    return beads_dir / "metadata.json"
