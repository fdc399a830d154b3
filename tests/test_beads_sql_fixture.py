"""The MariaDB stand-in for a Dolt server (tests/dolt_server.py) and the beads tables and loaders
(tests/beads_sql.py): the server answers, every layout's DDL applies, real beads files load
completely into every layout, and the server survives a clean stop and a kill."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.beads_sql import DEPENDENCY_TABLES, LAYOUTS, insert_backup, insert_export, insert_rows, utc_seconds
from tests.conftest import bead, dep, write_jsonl
from tests.dolt_server import BeadsDB, MariaDB, _unavailable, find_binary

COMMON_TABLES = {"issues", "wisps", "labels", "comments", "events", "config"}

# gastown-backup: every table's rows as in the files (backup_state.json says the same). Every
# source issue of a dependency, label, comment and event is in issues.jsonl, so no foreign key had
# to be relaxed. 82 dependency targets are issues; the other 233 are not in issues.jsonl (164 are
# gt-wisp-* ids, wisps being left out of a backup; 69 are absent issues): with the target split
# (targeted, split) they are external, as beads' migration 0041 files any target it cannot find.
BACKUP_COUNTS = {"issues": 677, "labels": 169, "comments": 14, "events": 3667, "config": 17}
BACKUP_DEPENDENCIES = {
    "legacy": {"dependencies": 315},
    "targeted": {"dependencies": 315},
    "split": {"issue_issue_dependencies": 82, "issue_wisp_dependencies": 0, "issue_external_dependencies": 233},
}
# beads' own issues.jsonl (export form): 2640 issues (346 tombstones), no labels or comments inline,
# 1003 dependencies, every one onto an issue of the file.
EXPORT_COUNTS = {"issues": 2640, "labels": 0, "comments": 0}
EXPORT_DEPENDENCIES = {
    "legacy": {"dependencies": 1003},
    "targeted": {"dependencies": 1003},
    "split": {"issue_issue_dependencies": 1003, "issue_wisp_dependencies": 0, "issue_external_dependencies": 0},
}


def count(db: BeadsDB, sql: str) -> int:
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute(sql)
        return int(cur.fetchone()[0])


def table_counts(db: BeadsDB, tables: Any) -> dict[str, int]:
    return {table: count(db, f"SELECT COUNT(*) FROM `{table}`") for table in tables}


def test_server_answers_on_loopback(mariadb: MariaDB) -> None:
    assert mariadb.running and mariadb.host == "127.0.0.1"
    assert mariadb.startup_seconds < 30
    with mariadb.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION(), @@bind_address, @@port, @@collation_server, CURRENT_USER()")
        version, bind, port, collation, user = cur.fetchone()
    assert "MariaDB" in version
    assert (bind, port, collation) == ("127.0.0.1", mariadb.port, "utf8mb4_bin")
    assert user == "root@127.0.0.1"  # root without a password, over TCP


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_applies(mariadb: MariaDB, layout: str) -> None:
    name = mariadb.fresh_database(layout)
    try:
        with mariadb.connect(name) as conn, conn.cursor() as cur:
            cur.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
                        (name,))
            columns: dict[str, set[str]] = {}
            for table, column in cur.fetchall():
                columns.setdefault(table, set()).add(column)
    finally:
        mariadb.drop_database(name)
    assert set(columns) == COMMON_TABLES | set(DEPENDENCY_TABLES[layout])
    assert columns["wisps"] == columns["issues"]
    assert {"no_history", "started_at", "is_blocked", "wisp_type", "spec_id"} <= columns["issues"]
    assert not {"quality_score", "crystallizes"} & columns["issues"]
    if layout == "legacy":
        assert {"issue_id", "depends_on_id", "metadata", "thread_id"} <= columns["dependencies"]
    elif layout == "targeted":
        assert {"id", "depends_on_issue_id", "depends_on_wisp_id", "depends_on_external"} <= columns["dependencies"]
        assert "depends_on_id" not in columns["dependencies"]
    else:
        for kind in ("issue", "wisp", "external"):
            assert {"source_id", f"depends_on_{kind}_id", "metadata"} <= columns[f"issue_{kind}_dependencies"]


def test_beads_db_defaults_to_split(beads_db: BeadsDB) -> None:
    assert beads_db.layout == "split"
    assert count(beads_db, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
                 " AND table_name = 'dependencies'") == 0


@pytest.mark.parametrize("beads_db", LAYOUTS, indirect=True)
def test_gastown_backup_loads_completely(beads_db: BeadsDB, realdata: Path) -> None:
    with beads_db.connect() as conn:
        loaded = insert_backup(conn, realdata / "gastown-backup" / ".beads" / "backup", beads_db.layout)
        with conn.cursor() as cur:
            cur.execute("SHOW SESSION STATUS LIKE 'Com_insert'")
            inserts = int(cur.fetchone()[1])
    expected = {**BACKUP_COUNTS, **BACKUP_DEPENDENCIES[beads_db.layout]}
    assert table_counts(beads_db, expected) == expected
    assert {table: n for table, n in loaded.rows.items()} == expected
    assert loaded.dropped == {"issues": {"quality_score", "crystallizes"}}  # dropped by beads' 0038
    assert inserts < 20  # 4859 rows in batches, not a statement each
    assert count(beads_db, "SELECT COUNT(*) FROM issues WHERE ephemeral = 1") == 18
    assert count(beads_db, "SELECT COUNT(*) FROM wisps") == 0
    if beads_db.layout == "targeted":
        assert count(beads_db, "SELECT COUNT(*) FROM dependencies WHERE depends_on_issue_id IS NOT NULL") == 82
        assert count(beads_db, "SELECT COUNT(*) FROM dependencies WHERE depends_on_external IS NOT NULL") == 233


@pytest.mark.parametrize("beads_db", LAYOUTS, indirect=True)
def test_beads_export_loads_completely(beads_db: BeadsDB, realdata: Path) -> None:
    with beads_db.connect() as conn:
        loaded = insert_export(conn, realdata / "beads" / ".beads" / "issues.jsonl", beads_db.layout)
    expected = {**EXPORT_COUNTS, **EXPORT_DEPENDENCIES[beads_db.layout]}
    assert table_counts(beads_db, expected) == expected
    assert loaded.dropped == {"issues": {"deleted_at", "deleted_by", "delete_reason", "original_type"}}
    assert count(beads_db, "SELECT COUNT(*) FROM issues WHERE status = 'tombstone'") == 346
    with beads_db.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT created_at, updated_at, description, design FROM issues WHERE id = 'bd-06px'")
        # 2025-12-17T14:32:02.998106-08:00 and 2025-12-25T01:21:01.952723-08:00, in UTC, whole seconds
        assert cur.fetchone() == (datetime(2025, 12, 17, 22, 32, 2), datetime(2025, 12, 25, 9, 21, 1), "", "")


@pytest.mark.parametrize("beads_db", ["targeted", "split"], indirect=True)
def test_dependency_targets_sorted_by_kind(beads_db: BeadsDB, tmp_path: Path) -> None:
    """issue, wisp (an id in the wisps table), ``external:``, and an unknown id (external too)."""
    with beads_db.connect() as conn:
        insert_rows(conn, "wisps", [bead("gt-wisp-1")])
        backup = tmp_path / "backup"
        write_jsonl(backup / "issues.jsonl", [bead("gt-a", metadata={"k": 1}, future_field="x"), bead("gt-b")])
        write_jsonl(backup / "dependencies.jsonl", [dep("gt-a", "gt-b"), dep("gt-a", "gt-wisp-1"),
                                                    dep("gt-a", "external:other:gt-c"), dep("gt-b", "gt-gone")])
        loaded = insert_backup(conn, backup, beads_db.layout)
    assert loaded.targets == {"issue": 1, "wisp": 1, "external": 2}
    assert loaded.dropped == {"issues": {"future_field"}}
    if beads_db.layout == "split":
        assert table_counts(beads_db, DEPENDENCY_TABLES["split"]) == {
            "issue_issue_dependencies": 1, "issue_wisp_dependencies": 1, "issue_external_dependencies": 2}
    else:
        assert count(beads_db, "SELECT COUNT(*) FROM dependencies WHERE depends_on_wisp_id = 'gt-wisp-1'") == 1
    with beads_db.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT description, work_type, metadata, created_at FROM issues WHERE id = 'gt-a'")
        # NOT NULL text without a value: ''; a missing column: its default; a dict: JSON text
        assert cur.fetchone() == ("", "mutex", '{"k": 1}', datetime(2026, 11, 1, 10, 0, 0))


def test_utc_seconds() -> None:
    assert utc_seconds("2026-02-28T05:33:08Z") == datetime(2026, 2, 28, 5, 33, 8)
    assert utc_seconds("2025-11-02T21:58:07.295058-08:00") == datetime(2025, 11, 3, 5, 58, 7)
    assert utc_seconds("2025-11-03T01:00:00.123456789+05:30") == datetime(2025, 11, 2, 19, 30, 0)
    assert utc_seconds("") is None
    assert utc_seconds("yesterday") == "yesterday"  # for the server to refuse


@pytest.mark.parametrize("halt", ["stop", "kill"])
def test_server_halts_and_starts_again_with_its_data(mariadb: MariaDB, halt: str) -> None:
    import pymysql

    name = mariadb.fresh_database("split")
    with mariadb.connect(name) as conn:
        insert_rows(conn, "issues", [bead("gt-kept")])
    port = mariadb.port
    try:
        getattr(mariadb, halt)()
        assert not mariadb.running
        began = time.monotonic()
        with pytest.raises(pymysql.err.OperationalError):
            mariadb.connect(name)
        assert time.monotonic() - began < 2  # refused at once, no waiting for a timeout
    finally:
        mariadb.start()
    assert mariadb.running and mariadb.port == port
    with mariadb.connect(name) as conn, conn.cursor() as cur:
        cur.execute("SELECT title FROM issues")
        assert cur.fetchall() == (("work gt-kept",),)
    mariadb.drop_database(name)


def test_start_refuses_a_port_another_server_holds(mariadb: MariaDB, tmp_path: Path) -> None:
    """Never mistake another server (a leftover, another session's) for one's own."""
    install_db = find_binary("mariadb-install-db")
    assert install_db is not None
    other = MariaDB(root=tmp_path, mariadbd=mariadb.mariadbd, port=mariadb.port)
    other.install(install_db)
    with pytest.raises(RuntimeError, match="another server|exited"):
        other.start(timeout=10)
    assert not other.running and mariadb.running


def test_missing_server_skips_or_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _unavailable("no mariadbd")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="installed by .ci/run"):
        _unavailable("no mariadbd")
