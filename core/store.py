"""crossdeck's local state: one SQLite file (WAL) in the state dir, ``state.db``.

What lives here is derived and rebuildable (DESIGN "Where state lives"): each remote's cache
metadata (last check, last sync, status, latency, last error, circuit state, fetched ref) and
the history of reachability checks. Nothing here is the only copy of anything, so a read never
fails because of the store: a missing file reads as empty, and an unreadable one (corrupt, or
written by a newer crossdeck) reads as empty with a warning. Reads never create the file.

The file's plumbing (WAL, busy timeout, migrations, one transaction a write) is
``core/sqlite_file.py``; ``StoreError`` and ``iso`` come from there too.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import msgspec

from core import timeutil
from core.sqlite_file import StoreError, connect, iso, schema_version, writing  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from core.diagnostics import Diagnostics
    from core.model import Remote

SCHEMA_VERSION = 3
HISTORY_KEPT = 500  # reachability checks kept per remote

SYNCED, STALE, UNREACHABLE, NEVER_CHECKED = "synced", "stale", "unreachable", "never-checked"

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE remote_cache (
            workspace TEXT NOT NULL,          -- the local workspace whose config names the remote
            remote TEXT NOT NULL,             -- the remote's name in that config
            remote_workspace TEXT NOT NULL,   -- the workspace the remote serves, as keys name it
            url TEXT NOT NULL,
            transport TEXT NOT NULL,
            last_sync_at TEXT,
            last_check_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('synced', 'stale', 'unreachable')),
            latency_ms REAL,
            last_error TEXT,
            circuit_state TEXT,
            fetched_ref TEXT,
            failing_since TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (workspace, remote)
        )""",
        """CREATE TABLE reachability (
            id INTEGER PRIMARY KEY,
            workspace TEXT NOT NULL,
            remote TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            ok INTEGER NOT NULL,
            latency_ms REAL,
            error TEXT
        )""",
        "CREATE INDEX reachability_by_remote ON reachability (workspace, remote, id)",
    ),
    # 2: the time of the last successful contact (check or sync), for `remote check`
    2: (
        "ALTER TABLE remote_cache ADD COLUMN last_ok_at TEXT",
        """UPDATE remote_cache SET last_ok_at = (
            SELECT MAX(checked_at) FROM reachability r
            WHERE r.workspace = remote_cache.workspace AND r.remote = remote_cache.remote AND r.ok = 1)""",
    ),
    # 3: what the last sync of each HTTP remote fetched (core.sync.http_sync); its TTL is the
    # remote's (effective_status of its remote_cache row)
    3: (
        """CREATE TABLE http_snapshot (
            workspace TEXT NOT NULL,          -- the local workspace whose config names the remote
            remote TEXT NOT NULL,             -- the remote's name in that config
            remote_workspace TEXT NOT NULL,   -- the workspace the server serves
            fetched_at TEXT NOT NULL,
            digest TEXT NOT NULL,             -- SHA-256 of the items: the remote's fetched_ref
            body BLOB NOT NULL,               -- JSON: {"info", "items"}
            PRIMARY KEY (workspace, remote)
        )""",
    ),
}

log = logging.getLogger("crossdeck.store")
T = TypeVar("T")


class RemoteState(msgspec.Struct, kw_only=True, frozen=True):
    """What the store knows of one remote of one workspace. ``status`` is the outcome of the last
    contact (synced, stale: reachable but not synced, unreachable); ``effective_status`` ages it."""

    workspace: str
    remote: str
    remote_workspace: str
    url: str
    transport: str
    status: str
    last_sync_at: str | None = None
    last_check_at: str | None = None
    latency_ms: float | None = None
    last_error: str | None = None
    circuit_state: str | None = None
    fetched_ref: str | None = None
    failing_since: str | None = None
    failures: int = 0
    last_ok_at: str | None = None  # the last successful contact (schema 2)


class Snapshot(msgspec.Struct, kw_only=True, frozen=True):
    """What one sync of an HTTP remote fetched (``body``: JSON, ``core.sync.http_sync`` reads it)."""

    workspace: str
    remote: str
    remote_workspace: str
    fetched_at: str
    digest: str
    body: bytes


class Check(msgspec.Struct, kw_only=True, frozen=True):
    """One reachability check of a remote."""

    checked_at: str
    ok: bool
    latency_ms: float | None = None
    error: str | None = None


def db_path() -> Path:
    from core.settings import dirs

    return dirs().state / "state.db"


def effective_status(state: RemoteState | None, now: dt.datetime, ttl_seconds: int) -> str:
    """never-checked, unreachable (last contact failed), synced (last sync within the TTL), or
    stale (reachable, but the cache is older than the TTL or was never filled)."""
    if state is None:
        return NEVER_CHECKED
    if state.status == UNREACHABLE:
        return UNREACHABLE
    synced = timeutil.parse_ts(state.last_sync_at)
    if synced is not None and (now - synced).total_seconds() <= ttl_seconds:
        return SYNCED
    return STALE


# -- reading ------------------------------------------------------------------------------------
def remote_states(path: Path | None = None, diags: Diagnostics | None = None) -> dict[tuple[str, str], RemoteState]:
    """Every remote's stored state, keyed by (workspace, remote name); empty when unreadable."""
    rows = _read(path, diags, lambda conn: conn.execute(f"SELECT {_state_columns(conn)} FROM remote_cache").fetchall())
    states = (RemoteState(**dict(zip(_STATE_FIELDS, row))) for row in rows or ())
    return {(s.workspace, s.remote): s for s in states}


def remote_status_by_workspace(now: dt.datetime | None = None, ttl_seconds: int | None = None,
                               path: Path | None = None, diags: Diagnostics | None = None) -> dict[str, str]:
    """The cached status of each remote workspace (synced, stale or unreachable), as stubs show it.
    When several local workspaces name the same remote, the freshest word wins."""
    now = now or timeutil.now()
    ttl = ttl_seconds if ttl_seconds is not None else _default_ttl()
    out: dict[str, str] = {}
    for state in remote_states(path, diags).values():
        status = effective_status(state, now, ttl)
        current = out.get(state.remote_workspace)
        if current is None or _RANK[status] < _RANK[current]:
            out[state.remote_workspace] = status
    return out


def reachability_history(workspace: str, remote: str, limit: int = 50, path: Path | None = None,
                         diags: Diagnostics | None = None) -> list[Check]:
    """The latest checks of one remote, newest first."""
    rows = _read(path, diags, lambda conn: conn.execute(
        "SELECT checked_at, ok, latency_ms, error FROM reachability WHERE workspace = ? AND remote = ?"
        " ORDER BY id DESC LIMIT ?", (workspace, remote, limit)).fetchall())
    return [Check(checked_at=r[0], ok=bool(r[1]), latency_ms=r[2], error=r[3]) for r in rows or ()]


def http_snapshots(path: Path | None = None, diags: Diagnostics | None = None) -> dict[tuple[str, str], Snapshot]:
    """Every HTTP remote's last fetched snapshot, keyed by (workspace, remote name)."""
    def query(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
        if (schema_version(conn) or 0) < 3:
            return []
        return conn.execute(f"SELECT {', '.join(_SNAPSHOT_FIELDS)} FROM http_snapshot").fetchall()

    snapshots = (Snapshot(**dict(zip(_SNAPSHOT_FIELDS, row))) for row in _read(path, diags, query) or ())
    return {(s.workspace, s.remote): s for s in snapshots}


def save_snapshot(snapshot: Snapshot, path: Path | None = None) -> None:
    with _writing(path) as conn:
        conn.execute(f"INSERT OR REPLACE INTO http_snapshot ({', '.join(_SNAPSHOT_FIELDS)}) VALUES "
                     f"({', '.join('?' for _ in _SNAPSHOT_FIELDS)})", [getattr(snapshot, f) for f in _SNAPSHOT_FIELDS])


def change_snapshot(workspace: str, remote: str, change: Callable[[Snapshot], Snapshot | None],
                    path: Path | None = None) -> Snapshot | None:
    """Replace one remote's snapshot by ``change(snapshot)`` in one transaction (nothing when there
    is none, or ``change`` returns None); the snapshot now stored."""
    with _writing(path) as conn:
        row = conn.execute(f"SELECT {', '.join(_SNAPSHOT_FIELDS)} FROM http_snapshot WHERE workspace = ? AND remote = ?",
                           (workspace, remote)).fetchone()
        if row is None:
            return None
        changed = change(Snapshot(**dict(zip(_SNAPSHOT_FIELDS, row))))
        if changed is not None:
            conn.execute("UPDATE http_snapshot SET fetched_at = ?, digest = ?, body = ? WHERE workspace = ? AND remote = ?",
                         (changed.fetched_at, changed.digest, changed.body, workspace, remote))
        return changed


_SNAPSHOT_FIELDS = tuple(Snapshot.__struct_fields__)
_RANK = {SYNCED: 0, STALE: 1, UNREACHABLE: 2}
_STATE_FIELDS = tuple(RemoteState.__struct_fields__)
_ADDED_IN = {"last_ok_at": 2}  # columns a store of an older schema (read, never migrated by a read) lacks


def _state_columns(conn: sqlite3.Connection) -> str:
    version = schema_version(conn) or 0
    return ", ".join(f if _ADDED_IN.get(f, 1) <= version else f"NULL AS {f}" for f in _STATE_FIELDS)


def _default_ttl() -> int:
    from core.settings import load_settings

    return load_settings().remote_ttl_seconds


def _read(path: Path | None, diags: Diagnostics | None, query: Callable[[sqlite3.Connection], T]) -> T | None:
    path = path or db_path()
    if not path.is_file():
        return None
    try:
        with closing(connect(path)) as conn:
            version = schema_version(conn)
            if version is None:
                return None  # created but not yet initialised by its writer
            if version > SCHEMA_VERSION:
                _warn(diags, path, f"state store is from a newer crossdeck (schema {version}); its cached state is ignored")
                return None
            return query(conn)
    except sqlite3.Error as exc:
        _warn(diags, path, f"state store cannot be read ({exc}); cached remote state is ignored. "
                           "It only holds derived data: delete the file to start afresh")
        return None


def _warn(diags: Diagnostics | None, path: Path, message: str) -> None:
    if diags is not None:
        diags.warning(path, message)
    else:
        log.warning("warning: %s: %s", path, message)


# -- writing ------------------------------------------------------------------------------------
def record_check(remote: Remote, *, ok: bool, latency_ms: float | None = None, error: str | None = None,
                 at: dt.datetime | None = None, circuit_state: str | None = None, path: Path | None = None) -> None:
    """A reachability check of ``remote`` (ls-remote, GET info): its history row and its state."""
    _record(remote, ok=ok, synced=False, latency_ms=latency_ms, error=error, at=at, circuit_state=circuit_state,
            fetched_ref=None, path=path)


def record_sync(remote: Remote, *, ok: bool, fetched_ref: str | None = None, latency_ms: float | None = None,
                error: str | None = None, at: dt.datetime | None = None, circuit_state: str | None = None,
                path: Path | None = None) -> None:
    """A sync of ``remote`` (fetch into the cache). A failed sync is a failed check too."""
    _record(remote, ok=ok, synced=ok, latency_ms=latency_ms, error=error, at=at, circuit_state=circuit_state,
            fetched_ref=fetched_ref, path=path)


def served_workspace(remote: Remote) -> str:
    """The workspace a remote serves, as keys name it: its config's ``workspace`` when given,
    else its name (``org/repo`` for a sudocode URL)."""
    named = remote.extra.get("workspace")
    return named if isinstance(named, str) and named else remote.name


def _record(remote: Remote, *, ok: bool, synced: bool, latency_ms: float | None, error: str | None,
            at: dt.datetime | None, circuit_state: str | None, fetched_ref: str | None, path: Path | None) -> None:
    stamp = iso(at or timeutil.now())
    with _writing(path) as conn:
        conn.execute(
            "INSERT INTO reachability (workspace, remote, checked_at, ok, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)",
            (remote.workspace, remote.name, stamp, int(ok), latency_ms, None if ok else error))
        conn.execute(_UPSERT, {
            "workspace": remote.workspace, "remote": remote.name, "remote_workspace": served_workspace(remote),
            "url": remote.url, "transport": remote.transport, "at": stamp, "ok": int(ok), "synced": int(synced),
            "status": SYNCED if synced else (STALE if ok else UNREACHABLE), "latency_ms": latency_ms,
            "error": None if ok else error, "circuit_state": circuit_state, "fetched_ref": fetched_ref,
        })
        conn.execute(
            "DELETE FROM reachability WHERE workspace = ? AND remote = ? AND id <= ("
            " SELECT id FROM reachability WHERE workspace = ? AND remote = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (remote.workspace, remote.name, remote.workspace, remote.name, HISTORY_KEPT))


# A successful check keeps a remote "synced" (its cache did not change); a failed one makes it
# unreachable and starts (or continues) its run of failures.
_UPSERT = """
INSERT INTO remote_cache (workspace, remote, remote_workspace, url, transport, last_sync_at, last_check_at, status,
                          latency_ms, last_error, circuit_state, fetched_ref, failing_since, failures, last_ok_at)
VALUES (:workspace, :remote, :remote_workspace, :url, :transport, CASE WHEN :synced THEN :at END, :at, :status,
        :latency_ms, :error, :circuit_state, :fetched_ref, CASE WHEN :ok THEN NULL ELSE :at END,
        CASE WHEN :ok THEN 0 ELSE 1 END, CASE WHEN :ok THEN :at END)
ON CONFLICT (workspace, remote) DO UPDATE SET
    remote_workspace = excluded.remote_workspace,
    url = excluded.url,
    transport = excluded.transport,
    last_sync_at = COALESCE(excluded.last_sync_at, remote_cache.last_sync_at),
    last_check_at = excluded.last_check_at,
    status = CASE WHEN :ok AND NOT :synced AND remote_cache.status = 'synced' THEN 'synced' ELSE excluded.status END,
    latency_ms = COALESCE(excluded.latency_ms, remote_cache.latency_ms),
    last_error = CASE WHEN :ok THEN remote_cache.last_error ELSE excluded.last_error END,
    circuit_state = COALESCE(excluded.circuit_state, remote_cache.circuit_state),
    fetched_ref = COALESCE(excluded.fetched_ref, remote_cache.fetched_ref),
    failing_since = CASE WHEN :ok THEN NULL ELSE COALESCE(remote_cache.failing_since, :at) END,
    failures = CASE WHEN :ok THEN 0 ELSE remote_cache.failures + 1 END,
    last_ok_at = CASE WHEN :ok THEN :at ELSE remote_cache.last_ok_at END
"""


@contextmanager
def _writing(path: Path | None) -> Iterator[sqlite3.Connection]:
    """A connection inside one write transaction, on ``state.db`` created and migrated if need be."""
    with writing(path or db_path(), _MIGRATIONS, "state store") as conn:
        yield conn
