"""The ``[dolt]`` table of config.toml: how to reach towns' Dolt servers (docs/config.md).

```toml
[dolt]
server_reads = true          # false: never contact a server, show the exports and backups
host = "127.0.0.1"
port = 3307
user = "root"
password_env = "GT_DOLT_PASSWORD"   # the password is only ever read from the environment
timeout = 2                  # seconds to connect
read_timeout = 30            # seconds a read may wait on the server

[dolt.towns."hop://steve@example.com/main-town"]
port = 3310                  # this town's server, over the values above
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from core.diagnostics import Diagnostics

DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_READ_TIMEOUT = 30.0


class ServerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Connection values set in config.toml (None: not set there)."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    password_env: str | None = None
    timeout: float | None = None

    def over(self, base: ServerSettings) -> ServerSettings:
        """These values, with ``base``'s where these are not set."""
        return ServerSettings(**{f: getattr(self, f) if getattr(self, f) is not None else getattr(base, f)
                                 for f in self.__struct_fields__})


class DoltSettings(msgspec.Struct, frozen=True, kw_only=True):
    server_reads: bool = True
    read_timeout: float = DEFAULT_READ_TIMEOUT
    server: ServerSettings = ServerSettings()
    towns: tuple[tuple[str, ServerSettings], ...] = ()  # (hop://OWNER/TOWN, overrides)

    def for_town(self, town: str | None) -> ServerSettings:
        """The settings of ``town``'s server: its own table over ``[dolt]``."""
        own = next((s for name, s in self.towns if name == town), None) if town else None
        return own.over(self.server) if own is not None else self.server


_SERVER_KEYS: dict[str, tuple[type, ...]] = {
    "host": (str,), "port": (int,), "user": (str,), "password_env": (str,), "timeout": (int, float)}
_TOP_KEYS: dict[str, tuple[type, ...]] = {"server_reads": (bool,), "read_timeout": (int, float), "towns": (dict,)}


def parse_dolt(raw: Any, path: Path, diags: Diagnostics) -> DoltSettings:
    """``[dolt]`` as read by tomllib; a wrong key or type is reported and skipped."""
    if not isinstance(raw, dict):
        diags.error(path, "setting 'dolt' should be a table ([dolt]); defaults used")
        return DoltSettings()
    server = _server(raw, path, diags, "dolt", extra=_TOP_KEYS)
    values: dict[str, Any] = {}
    for key in ("server_reads", "read_timeout"):
        if key in raw:
            value = raw[key]
            if not _typed(value, _TOP_KEYS[key]) or (key == "read_timeout" and value <= 0):
                diags.error(path, f"setting 'dolt.{key}' has the wrong type or value ({value!r}); default used")
            else:
                values[key] = value
    towns: list[tuple[str, ServerSettings]] = []
    table = raw.get("towns", {})
    if not isinstance(table, dict):
        diags.error(path, "setting 'dolt.towns' should be a table of town names ([dolt.towns.\"hop://OWNER/TOWN\"])")
        table = {}
    for name, own in table.items():
        if not name.startswith("hop://") or not isinstance(own, dict):
            diags.error(path, f"setting 'dolt.towns.{name}' should be a table named hop://OWNER/TOWN; skipped")
            continue
        towns.append((name.rstrip("/"), _server(own, path, diags, f"dolt.towns.{name}")))
    return DoltSettings(server=server, towns=tuple(towns), **values)


def _server(raw: dict[str, Any], path: Path, diags: Diagnostics, where: str,
            extra: dict[str, tuple[type, ...]] | None = None) -> ServerSettings:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        types = _SERVER_KEYS.get(key)
        if types is None:
            if extra is None or key not in extra:
                diags.warning(path, f"unknown setting '{where}.{key}' ignored")
            continue
        if not _typed(value, types) or (key in ("port", "timeout") and value <= 0) or (key == "port" and value > 65535):
            diags.error(path, f"setting '{where}.{key}' has the wrong type or value ({value!r}); default used")
            continue
        values[key] = float(value) if key == "timeout" else value
    return ServerSettings(**values)


def _typed(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and (bool in types or not isinstance(value, bool))
