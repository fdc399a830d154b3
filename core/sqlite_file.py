"""A SQLite file of derived state in crossdeck's state dir: opened in WAL mode with a busy
timeout, brought up to its newest schema by numbered migrations, and changed in one transaction.

``core/store.py`` (``state.db``: remote caches, reachability, HTTP snapshots) and
``core/server/db.py`` (``server.db``: the server's calls, answers and subscriptions) are built on
it. Writers open one connection per call and wait on the busy timeout rather than fail when
another process or thread holds the lock. A file from a newer crossdeck (a higher schema) is
never written; its ``StoreError`` says so, and that the file only holds derived data.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from core import timeutil

BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """A state file cannot be written (it is corrupt, or from a newer crossdeck)."""


def iso(value: dt.datetime) -> str:
    """UTC ISO 8601 to the second, with ``Z``, as the state files write times."""
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@contextmanager
def writing(path: Path, migrations: dict[int, tuple[str, ...]], what: str) -> Iterator[sqlite3.Connection]:
    """A connection inside one write transaction on the SQLite file ``path`` (WAL, busy timeout),
    created and brought up to the newest of ``migrations`` if need be; ``what`` names the file in
    errors."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(connect(path)) as conn:
            _wal(conn)
            # WAL with synchronous NORMAL never corrupts the file; a power cut may lose the last
            # contacts recorded, which is fine for derived data, and writers (a parallel sync's
            # threads) no longer queue behind an fsync each.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrate(conn, path, migrations, what)
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: {what} cannot be written ({exc}); "
                         "it only holds derived data: delete it to start afresh") from exc


def _wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode (once: it stays so). Switching the mode does not wait on the busy
    timeout: when several threads or processes create the file at once, the losers are told
    "database is locked" at once, so they wait here instead, up to the same timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode that waits on a busy timeout rather than fail."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The newest migration applied; None for a file its writer has not initialised yet."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not exists:
        return None
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def migrate(conn: sqlite3.Connection, path: Path, migrations: dict[int, tuple[str, ...]], what: str) -> None:
    """Bring the schema up to the newest of ``migrations`` (inside the caller's write transaction)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
    version = schema_version(conn) or 0
    newest = max(migrations)
    if version > newest:
        raise StoreError(f"{path}: {what} is from a newer crossdeck (schema {version}); not written")
    for target in range(version + 1, newest + 1):
        for statement in migrations[target]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (target, iso(timeutil.now())))
