"""Actions whose target is a bead of a Dolt-backed rig write it through SQL, in the town's
database (a real MariaDB here), and never into a JSONL file beads would ignore; the git-side
records (the request, its audit line) are written and committed as for any workspace."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import git
import pytest

from core.federation import load_federation
from core.model import RequestStatus
from core.sync.decisions import DecisionError, decide
from core.sync.delegate import close, delegate
from core.timeutil import UTC
from tests.conftest import PROJECT, bead, real_town, write_json, write_jsonl
from tests.dolt_helpers import dolt_folder
from tests.dolt_server import MariaDB, free_port
from tests.test_approvals import remote, request

NOW = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
BOB = "web/crew/bob"


def _insert(mariadb: MariaDB, database: str, *beads: dict[str, Any]) -> None:
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        for row in beads:
            cursor.execute("INSERT INTO issues (id, title, status, description, design, acceptance_criteria, notes, "
                           "created_at, updated_at) VALUES (%s, %s, %s, '', '', '', '', %s, %s)",
                           (row["id"], row["title"], row.get("status", "open"), "2026-11-01 10:00:00",
                            "2026-11-01 10:00:00"))


def _rows(mariadb: MariaDB, database: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute(sql, args)
        return list(cursor.fetchall())


def _town(tmp_path: Path, database: str, port: int, requests: list[dict[str, Any]] | None = None) -> Path:
    """A town in a git repository whose rig ``web`` keeps its beads in ``database``; its JSONL
    export is stale (one old bead)."""
    town = real_town(tmp_path / "town", {"web": "web"})
    beads = dolt_folder(town / "web" / ".beads", database, port)
    write_jsonl(beads / "issues.jsonl", [bead("web-old", updated_at="2026-10-01T00:00:00Z")])
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [remote("github.com/acme/web")]})
    write_jsonl(town / ".crossdeck" / "requests.jsonl", requests or [])
    repo = git.Repo.init(town)
    repo.git.add("-A")
    setup = git.Actor("setup", "setup@example.com")
    repo.index.commit("setup", author=setup, committer=setup)
    repo.close()
    return town


def _jsonl_bytes(town: Path) -> dict[str, bytes]:
    return {str(p.relative_to(town)): p.read_bytes() for p in town.rglob("*.jsonl") if ".crossdeck" not in p.parts}


def test_an_approval_into_a_dolt_rig_is_a_row_and_no_jsonl_line(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("split")
    town = _town(tmp_path, database, mariadb.port, [request("req-1", "github.com/acme/web", rig="web")])
    before = _jsonl_bytes(town)
    result = decide(load_federation([town]), "req-1", "approve", BOB, None, NOW)
    assert result.after is RequestStatus.COMPLETED
    assert result.created is not None and result.created.file == f"dolt://127.0.0.1:{mariadb.port}/{database}"
    [(ident, title, created_by, metadata)] = _rows(mariadb, database,
                                                   "SELECT id, title, created_by, metadata FROM issues")
    assert ident == result.created.id and title == "work req-1" and created_by == BOB
    assert json.loads(metadata)["created_from_request"]["request_id"] == "req-1"
    assert _rows(mariadb, database, "SELECT label FROM labels WHERE issue_id = %s", ident) == [("api",)]
    assert _rows(mariadb, database, "SELECT event_type, actor FROM events WHERE issue_id = %s", ident) == [
        ("created", BOB)]
    assert _jsonl_bytes(town) == before  # no JSONL file of the town changed
    repo = git.Repo(town)
    head = repo.head.commit
    assert head.author.name == BOB
    assert sorted(head.stats.files) == [".crossdeck/audit.jsonl", ".crossdeck/requests.jsonl"]
    # read back: the bead is there (from the server), the request completed with it
    ws = load_federation([town]).workspaces[0]
    assert ident in {u.id for u in ws.work_units}
    assert ws.requests[-1].status is RequestStatus.COMPLETED


def test_an_unreachable_server_refuses_before_anything_is_written(tmp_path: Path) -> None:
    port = free_port()
    town = _town(tmp_path, "web", port, [request("req-1", "github.com/acme/web", rig="web")])
    before = {str(p): p.read_bytes() for p in town.rglob("*") if p.is_file() and ".git" not in p.parts}
    head = git.Repo(town).head.commit.hexsha
    fed = load_federation([town])
    with pytest.raises(DecisionError, match=rf"Dolt server 127.0.0.1:{port} unreachable \(connection refused\).*"
                                            "nothing was written"):
        decide(fed, "req-1", "approve", BOB, None, NOW)
    after = {str(p): p.read_bytes() for p in town.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before and git.Repo(town).head.commit.hexsha == head


def test_the_cli_reports_the_refusal_on_stderr_and_records_nothing(tmp_path: Path) -> None:
    port = free_port()
    town = _town(tmp_path, "web", port, [request("req-1", "github.com/acme/web", rig="web")])
    out = subprocess.run([sys.executable, "-m", "tui", "approve", "req-1", str(town), "--actor", BOB],
                         capture_output=True, text=True, cwd=PROJECT, check=False)
    assert out.returncode == 1
    assert out.stdout == ""
    assert f"Dolt server 127.0.0.1:{port} unreachable (connection refused)" in out.stderr
    assert not (town / ".crossdeck" / "audit.jsonl").exists()


def test_a_crash_after_the_row_and_a_retry_create_one_bead(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("targeted")
    town = _town(tmp_path, database, mariadb.port, [request("req-1", "github.com/acme/web", rig="web")])
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "BD_ACTOR": BOB,
           "CROSSDECK_CRASH_AT": "approve:2:bead:insert"}  # killed right after the bead is in the database
    crashed = subprocess.run([sys.executable, "-m", "tui", "approve", "req-1", str(town)], cwd=PROJECT, env=env,
                             check=False, capture_output=True, text=True)
    assert crashed.returncode == 137, crashed.stderr
    [(ident,)] = _rows(mariadb, database, "SELECT id FROM issues")
    result = decide(load_federation([town]), "req-1", "approve", BOB, None, NOW)
    assert not result.changed  # the next action finished the interrupted one first (core.sync.journal)
    assert _rows(mariadb, database, "SELECT COUNT(*) FROM issues") == [(1,)]
    assert result.after is RequestStatus.COMPLETED
    last = git.Repo(town).head.commit
    assert (last.author.name, last.message.splitlines()[0]) == (
        BOB, f"approve req-1 from github.com/acme/web: created hop://steve@example.com/main-town/web/{ident}")


def _approve_in_process(root: str, barrier: Any, out: Any) -> None:
    from core.federation import load_federation
    from core.sync.decisions import DecisionError, decide

    fed = load_federation([Path(root)])
    barrier.wait()
    try:
        result = decide(fed, "req-1", "approve", BOB, None, NOW, lock_timeout=60)
        out.put(("ok", result.changed, result.created.id if result.created else None))
    except DecisionError as exc:
        out.put(("refused", str(exc), None))


def test_two_concurrent_approvals_create_one_bead(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("legacy")
    town = _town(tmp_path, database, mariadb.port, [request("req-1", "github.com/acme/web", rig="web")])
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_approve_in_process, args=(str(town), barrier, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    results = sorted(out.get(timeout=5) for _ in workers)
    assert [r[0] for r in results] == ["ok", "ok"]
    assert sorted(r[1] for r in results) == [False, True]  # one approved it, the other found it approved
    assert _rows(mariadb, database, "SELECT COUNT(*) FROM issues") == [(1,)]


def test_close_and_its_cascade_update_the_rows(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("split")
    _insert(mariadb, database, {"id": "web-parent", "title": "the parent"})
    town = _town(tmp_path, database, mariadb.port)
    fed = load_federation([town])
    result = delegate(fed, "web-parent", "hop://steve@example.com/main-town/web", "the child", BOB, NOW)
    child = result.child.id
    assert result.child.file == f"dolt://127.0.0.1:{mariadb.port}/{database}"
    [(metadata,)] = _rows(mariadb, database, "SELECT metadata FROM issues WHERE id = %s", child)
    assert json.loads(metadata)["delegated_from"]["parent"] == "hop://steve@example.com/main-town/web/web-parent"
    before = _jsonl_bytes(town)
    closed = close(load_federation([town]), child, "done", BOB, NOW)
    assert closed.closed == [f"hop://steve@example.com/main-town/web/{child}",
                             "hop://steve@example.com/main-town/web/web-parent"]
    assert sorted(_rows(mariadb, database, "SELECT id, status FROM issues")) == [(child, "closed"),
                                                                                 ("web-parent", "closed")]
    assert ("closed", BOB) in _rows(mariadb, database, "SELECT event_type, actor FROM events WHERE issue_id = %s",
                                    "web-parent")
    assert _jsonl_bytes(town) == before
    assert [f for f in closed.files] == [str(town / ".crossdeck" / "audit.jsonl")]


def test_close_refuses_when_the_server_is_down_even_though_the_export_was_read(
        mariadb: MariaDB, tmp_path: Path) -> None:
    """The rig's beads were read from its stale export (server down): closing one must not write
    that export, which beads ignores."""
    port = free_port()
    town = _town(tmp_path, "web", port)
    before = _jsonl_bytes(town)
    with pytest.raises(Exception, match=rf"Dolt server 127.0.0.1:{port} unreachable.*nothing was written"):
        close(load_federation([town]), "web-old", "done", BOB, NOW)
    assert _jsonl_bytes(town) == before
    assert not (town / ".crossdeck" / "audit.jsonl").exists()
