"""The statements crossdeck sends a Dolt server, held to their text: Dolt cannot run here, so its
path is driven through a recording connection that answers as Dolt documents its results (a
``dolt_version()`` row, ``dolt_log`` newest first, ``DOLT_COMMIT`` returning the new hash)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.diagnostics import Diagnostics
from core.dolt import dolt_sql
from core.dolt.session import ServerSession
from core.dolt.target import DoltTarget
from core.model import Workspace, WorkspaceKind
from core.sources.beads import BeadsLoad
from core.sources.beads_server import read_from_server
from core.sources.files import ReadLimits
from core.sources.keys import FolderKeys

TARGET = DoltTarget(host="127.0.0.1", port=3307, user="root", database="gastown")
HEAD = "suujqp1hnebrn8nt87imojpp7m2mda00"
ISSUE_COLUMNS = [("issues", c, t, n, d, "") for c, t, n, d in (
    ("id", "varchar", "NO", None), ("title", "varchar", "NO", None), ("description", "longtext", "NO", None),
    ("status", "varchar", "NO", "'open'"), ("priority", "int", "NO", "2"), ("created_at", "datetime", "NO", "now()"),
    ("updated_at", "datetime", "NO", "now()"), ("created_by", "varchar", "YES", "''"),
    ("metadata", "json", "YES", "json_object()"))]
DEP_COLUMNS = [("issue_issue_dependencies", c, t, "NO", None, "") for c, t in (
    ("source_id", "varchar"), ("depends_on_issue_id", "varchar"), ("type", "varchar"), ("created_at", "datetime"),
    ("created_by", "varchar"))]


class Cursor:
    def __init__(self, conn: Conn):
        self.conn = conn
        self.rows: list[tuple[Any, ...]] = []
        self.connection = conn

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, sql: str, args: Any = None) -> int:
        self.conn.sent.append((sql, args))
        for prefix, answer in self.conn.answers:
            if sql.startswith(prefix):
                if isinstance(answer, Exception):
                    raise answer
                self.rows = list(answer)
                return len(self.rows)
        self.rows = []
        return 0

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def __iter__(self) -> Any:
        return iter(self.rows)

    def close(self) -> None:
        pass


class Conn:
    """A MySQL-protocol connection to a pretend Dolt server, recording every statement."""

    open = True

    def __init__(self, answers: list[tuple[str, Any]]):
        self.answers = answers
        self.sent: list[tuple[str, Any]] = []

    def cursor(self, *kind: object) -> Cursor:
        return Cursor(self)

    def select_db(self, name: str) -> None:
        self.sent.append((f"USE {name}", None))

    def begin(self) -> None:
        self.sent.append(("BEGIN", None))

    def commit(self) -> None:
        self.sent.append(("COMMIT", None))

    def rollback(self) -> None:
        self.sent.append(("ROLLBACK", None))

    def close(self) -> None:
        self.open = False


def _dolt(answers: list[tuple[str, Any]]) -> Conn:
    return Conn([("SELECT dolt_version()", [("1.50.3",)]), ("SELECT commit_hash FROM dolt_log", [(HEAD,)]),
                 *answers])


def test_is_dolt_asks_dolt_version() -> None:
    import pymysql

    conn = _dolt([])
    assert dolt_sql.is_dolt(conn) is True
    assert conn.sent == [("SELECT dolt_version()", None)]
    refusing = Conn([("SELECT dolt_version()", pymysql.err.OperationalError(1305, "FUNCTION dolt_version does "
                                                                                  "not exist"))])
    assert dolt_sql.is_dolt(refusing) is False


def test_commit_sends_dolt_commit_with_the_actor_as_author() -> None:
    conn = _dolt([("CALL DOLT_COMMIT", [("a1b2c3",)])])
    dolt_sql.commit(conn, "web-abc: created for request req-1", "web/crew/bob", "steve@example.com")
    assert conn.sent == [("CALL DOLT_COMMIT('-Am', %s, '--author', %s)",
                          ("web-abc: created for request req-1", "web/crew/bob <steve@example.com>"))]


def test_nothing_to_commit_is_not_an_error() -> None:
    import pymysql

    conn = _dolt([("CALL DOLT_COMMIT", pymysql.err.OperationalError(1105, "nothing to commit"))])
    dolt_sql.commit(conn, "m", "mayor", "steve@example.com")
    failing = _dolt([("CALL DOLT_COMMIT", pymysql.err.OperationalError(1105, "merge conflict in issues"))])
    with pytest.raises(pymysql.err.OperationalError):
        dolt_sql.commit(failing, "m", "mayor", "steve@example.com")


def test_reading_from_dolt_keys_the_token_on_the_head_commit() -> None:
    rows = [(json.dumps({"id": "gt-1", "title": "one", "status": "open", "priority": 1,
                         "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z",
                         "metadata": {}}),)]
    conn = _dolt([("SELECT TABLE_NAME", ISSUE_COLUMNS), ("SELECT JSON_OBJECT", rows)])
    session = ServerSession()
    session._open[(TARGET.host, TARGET.port, TARGET.user)] = conn  # the pretend server's connection
    ws = Workspace(kind=WorkspaceKind.BEADS, name="beads://local/gastown", root="/tmp/gastown")
    read = read_from_server(BeadsLoad(ws, FolderKeys("gastown"), Diagnostics(), ReadLimits()), TARGET, session)
    assert (read.dolt, read.token, read.reused) == (True, f"dolt:{HEAD}", False)
    assert [u.id for u in ws.work_units] == ["gt-1"]
    sent = [sql for sql, _ in conn.sent]
    assert sent[:4] == ["SELECT dolt_version()", "USE gastown", sent[2], "BEGIN"]
    assert sent[2].startswith("SELECT TABLE_NAME, COLUMN_NAME")
    assert sent[4] == "SELECT commit_hash FROM dolt_log LIMIT 1"
    assert sent[5] == ("SELECT JSON_OBJECT('id', `id`, 'title', `title`, 'description', `description`, "
                       "'status', `status`, 'priority', `priority`, "
                       "'created_at', DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%sZ'), "
                       "'updated_at', DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%sZ'), "
                       "'created_by', `created_by`, 'metadata', `metadata`) FROM `issues`")
    assert sent[-1] == "ROLLBACK"  # a read changes nothing


def test_writing_a_bead_on_dolt_is_one_transaction_then_a_dolt_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.sync import bead_rows

    conn = _dolt([("SELECT TABLE_NAME", ISSUE_COLUMNS + DEP_COLUMNS), ("SELECT 1 FROM issues", [(1,)]),
                  ("CALL DOLT_COMMIT", [("newhash",)])])
    monkeypatch.setattr(bead_rows, "connect", lambda target: conn)
    record = {"id": "web-x1", "title": "new", "status": "open", "priority": 1, "issue_type": "task",
              "created_at": "2026-11-20T10:00:00Z", "created_by": "web/crew/bob", "updated_at": "2026-11-20T10:00:00Z",
              "dependencies": [{"issue_id": "web-x1", "depends_on_id": "web-p", "type": "blocks",
                                "created_at": "2026-11-20T10:00:00Z", "created_by": "web/crew/bob"}],
              "metadata": {"created_from_request": {"request_id": "req-1"}}}
    with bead_rows.BeadRows(TARGET) as rows:
        assert rows.dolt
        assert rows.insert(record, "web/crew/bob")
        rows.commit("web-x1: new (created by crossdeck for request req-1)", "web/crew/bob", "steve@example.com")
    writes = [(sql, args) for sql, args in conn.sent if not sql.startswith("SELECT")]
    assert writes == [
        ("USE gastown", None),
        ("BEGIN", None),
        ("INSERT INTO `issues` (`id`, `title`, `status`, `priority`, `created_at`, `created_by`, `updated_at`, "
         "`metadata`, `description`) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
         ("web-x1", "new", "open", 1, "2026-11-20 10:00:00", "web/crew/bob", "2026-11-20 10:00:00",
          '{"created_from_request":{"request_id":"req-1"}}', "")),
        ("INSERT INTO `issue_issue_dependencies` (`source_id`, `depends_on_issue_id`, `type`, `created_at`, "
         "`created_by`) VALUES (%s, %s, %s, %s, %s)",
         ("web-x1", "web-p", "blocks", "2026-11-20 10:00:00", "web/crew/bob")),
        ("COMMIT", None),
        ("CALL DOLT_COMMIT('-Am', %s, '--author', %s)",
         ("web-x1: new (created by crossdeck for request req-1)", "web/crew/bob <steve@example.com>")),
    ]


def test_on_mariadb_no_dolt_statement_is_sent(mariadb: Any, tmp_path: Path) -> None:
    """The same write against the real MariaDB: no DOLT_COMMIT (it would fail there)."""
    from core.sync.bead_rows import BeadRows

    database = mariadb.fresh_database("split")
    target = DoltTarget(host="127.0.0.1", port=mariadb.port, user="root", database=database)
    with BeadRows(target) as rows:
        assert not rows.dolt
        assert rows.insert({"id": "bd-1", "title": "t", "status": "open", "metadata": {}}, "mayor")
        rows.commit("m", "mayor", "steve@example.com")  # a no-op off Dolt
        assert not rows.insert({"id": "bd-1", "title": "again", "status": "open", "metadata": {}}, "mayor")
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id, title FROM issues")
        assert cursor.fetchall() == (("bd-1", "t"),)
