"""The server's own state: ``STATE/server/server.db`` (SQLite, WAL), beside the token file.

Three tables: ``calls`` (the audit of read-only and refused calls, with their duration; calls
that change the workspace are audited in its own ``audit.jsonl``), ``answers`` (the first answer
to each caller's ``request_id``, for idempotent replays) and ``subscriptions`` (with the callback
a body gave, its secret left out: kept, never called). Every write is one transaction through ``core.sqlite_file.writing`` (busy timeout, migrations); like the rest of the
state dir it holds nothing the workspace needs: losing it loses replays and subscriptions only.

The call log is bounded: at most ``rows`` rows (``CALL_LOG_ROWS`` unless the server says
otherwise), the oldest dropped. The file is private: 0600 (its WAL and shared-memory files
too) in a 0700 folder, and an existing looser one is tightened when the server opens it.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from contextlib import closing
from pathlib import Path
from typing import Any

import msgspec

from core.server.bounds import CALL_LOG_ROWS
from core.settings import dirs
from core.sqlite_file import connect, iso, writing
from core.timeutil import now

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            workspace TEXT NOT NULL,
            remote TEXT,                -- the caller (a remote's name, maintainer:ACTOR), or the peer address
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            status INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            request_id TEXT
        )""",
        """CREATE TABLE answers (
            workspace TEXT NOT NULL,
            caller TEXT NOT NULL,
            request_id TEXT NOT NULL,
            body_sha256 TEXT NOT NULL,  -- of the method, path and body it answered
            status INTEGER NOT NULL,
            answer BLOB NOT NULL,       -- the JSON body sent
            at TEXT NOT NULL,
            PRIMARY KEY (workspace, caller, request_id)
        )""",
        """CREATE TABLE subscriptions (
            id TEXT PRIMARY KEY,
            workspace TEXT NOT NULL,
            caller TEXT NOT NULL,
            event_types TEXT NOT NULL,  -- JSON list
            filters TEXT NOT NULL,      -- JSON object
            created_at TEXT NOT NULL,
            ended_at TEXT
        )""",
        "CREATE INDEX subscriptions_by_caller ON subscriptions (workspace, caller, ended_at)",
    ),
    2: ("ALTER TABLE subscriptions ADD COLUMN callback TEXT",),  # the design's callback: kept, never called
}


class Answer(msgspec.Struct, kw_only=True, frozen=True):
    body_sha256: str
    status: int
    answer: bytes


class Subscription(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    caller: str
    event_types: list[str]
    filters: dict[str, Any]
    created_at: str
    ended_at: str | None = None
    callback: dict[str, Any] | None = None  # {"url", "auth_type"}: the body's callback, never called


def db_path() -> Path:
    return dirs().state / "server" / "server.db"


def make_private(path: Path) -> None:
    """``path``'s folder 0700, and ``path`` (created if missing) and its SQLite companions 0600."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(folder.stat().st_mode) != 0o700:
        os.chmod(folder, 0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # SQLite gives its -wal and -shm the same mode
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if stat.S_IMODE(name.stat().st_mode) != 0o600:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            pass


class ServerDB:
    def __init__(self, workspace: str, path: Path | None = None, rows: int = CALL_LOG_ROWS):
        self.workspace = workspace
        self.path = path or db_path()
        self.rows = max(1, rows)
        make_private(self.path)
        with self._conn():  # created and migrated once here, so a read needs no write transaction
            pass

    def _conn(self) -> Any:
        return writing(self.path, MIGRATIONS, "server state")

    def _reading(self) -> Any:
        return closing(connect(self.path))

    def record_call(self, remote: str | None, method: str, path: str, status: int, duration_ms: float,
                    request_id: str | None) -> None:
        with self._conn() as conn:
            row = conn.execute("INSERT INTO calls (at, workspace, remote, method, path, status, duration_ms, request_id) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (iso(now()), self.workspace, remote, method, path, status, round(duration_ms, 3),
                                request_id)).lastrowid
            if row is not None:  # the oldest go (by the primary key: a seek, not a scan)
                conn.execute("DELETE FROM calls WHERE id <= ?", (row - self.rows,))

    def calls(self, limit: int = 1000) -> list[dict[str, Any]]:
        with self._reading() as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM calls WHERE workspace = ? ORDER BY id DESC LIMIT ?",
                                (self.workspace, limit)).fetchall()
        return [dict(row) for row in rows]

    def answer(self, caller: str, request_id: str) -> Answer | None:
        with self._reading() as conn:
            row = conn.execute("SELECT body_sha256, status, answer FROM answers WHERE workspace = ? AND caller = ? "
                               "AND request_id = ?", (self.workspace, caller, request_id)).fetchone()
        return Answer(body_sha256=row[0], status=row[1], answer=bytes(row[2])) if row else None

    def remember_answer(self, caller: str, request_id: str, answer: Answer) -> None:
        with self._conn() as conn:
            conn.execute("INSERT OR IGNORE INTO answers (workspace, caller, request_id, body_sha256, status, answer, at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", (self.workspace, caller, request_id, answer.body_sha256,
                                                           answer.status, answer.answer, iso(now())))

    def add_subscription(self, caller: str, event_types: list[str], filters: dict[str, Any], most: int | None,
                         callback: dict[str, Any] | None = None) -> Subscription | None:
        """A new live subscription of ``caller``; None when it has ``most`` live ones already."""
        sub = Subscription(id=f"sub-{secrets.token_hex(8)}", caller=caller, event_types=event_types,
                           filters=filters, created_at=iso(now()), callback=callback)
        with self._conn() as conn:
            live = conn.execute("SELECT COUNT(*) FROM subscriptions WHERE workspace = ? AND caller = ? "
                                "AND ended_at IS NULL", (self.workspace, caller)).fetchone()[0]
            if most is not None and live >= most:
                return None
            conn.execute("INSERT INTO subscriptions (id, workspace, caller, event_types, filters, created_at, "
                         "callback) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (sub.id, self.workspace, caller, msgspec.json.encode(event_types).decode(),
                          msgspec.json.encode(filters).decode(), sub.created_at,
                          msgspec.json.encode(callback).decode() if callback is not None else None))
        return sub

    def subscription(self, ident: str) -> Subscription | None:
        with self._reading() as conn:
            row = conn.execute("SELECT id, caller, event_types, filters, created_at, ended_at, callback FROM subscriptions "
                               "WHERE workspace = ? AND id = ?", (self.workspace, ident)).fetchone()
        if row is None:
            return None
        return Subscription(id=row[0], caller=row[1], event_types=msgspec.json.decode(row[2]),
                            filters=msgspec.json.decode(row[3]), created_at=row[4], ended_at=row[5],
                            callback=msgspec.json.decode(row[6]) if row[6] else None)

    def end_subscription(self, ident: str) -> None:
        with self._conn() as conn:
            conn.execute("UPDATE subscriptions SET ended_at = ? WHERE workspace = ? AND id = ? AND ended_at IS NULL",
                         (iso(now()), self.workspace, ident))
