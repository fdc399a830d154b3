"""Reloading only the databases that changed: what each Dolt-backed folder last read from its
server, kept by a long-lived reader (the dashboard) between loads.

Within ``reusing(reads)``, a folder read from a server first asks its database's change token
(``core.sources.beads_server``: Dolt's head commit, elsewhere row counts and newest times); when
it equals the token of the records ``reads`` kept for the same folder, database and keys, those
records are used again and the database's rows are not read. So when the dashboard's watcher
sees one database's token change and reloads, that database alone is read again; the others cost
two small queries each. Outside ``reusing`` (every CLI verb) nothing is kept.

Records are kept as read and copied out on each reuse: a load never shares a record with the
load before it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from core.diagnostics import Diagnostic

_FIELDS = ("work_units", "relationships", "delegations", "audit")


class Kept(NamedTuple):
    token: str
    dolt: bool
    records: dict[str, list[Any]]  # by Workspace field
    diagnostics: list[Diagnostic]


class ServerReads:
    """What each Dolt-backed folder last read from its server, by (workspace, folder, database,
    keys); ``read_count`` counts the databases read whole (not reused), by database address."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, ...], Kept] = {}
        self._lock = threading.Lock()
        self.read_count: dict[str, int] = {}

    def get(self, key: tuple[str, ...], token: str) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
        return kept if kept is not None and kept.token == token else None

    def keep(self, key: tuple[str, ...], address: str, kept: Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self.read_count[address] = self.read_count.get(address, 0) + 1


_READS: contextvars.ContextVar[ServerReads | None] = contextvars.ContextVar("crossdeck_server_reads", default=None)


@contextmanager
def reusing(reads: ServerReads | None) -> Iterator[None]:
    """Loads inside the block reuse (and keep) what ``reads`` holds."""
    token = _READS.set(reads)
    try:
        yield
    finally:
        _READS.reset(token)


def current() -> ServerReads | None:
    return _READS.get()


def keys_fingerprint(keys: Any) -> str:
    """What decides the keys a folder's records get (a town's routes and prefixes, the rig): two
    loads with the same fingerprint name the same rows alike."""
    parts = [type(keys).__name__]
    for name in ("owner", "town", "rig", "rig_names", "route_rigs", "folder", "name"):
        if hasattr(keys, name):
            value = getattr(keys, name)
            parts.append(f"{name}={sorted(value) if isinstance(value, (set, frozenset)) else value!r}")
    for name in ("routes", "rig_prefixes"):
        table = getattr(keys, name, None)
        if table is not None and hasattr(table, "entries"):
            parts.append(f"{name}={list(table.entries())!r}")
    return "\x1f".join(parts)


def copied(records: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {field: [record.__copy__() for record in records.get(field, [])] for field in _FIELDS}


def fields() -> tuple[str, ...]:
    return _FIELDS
