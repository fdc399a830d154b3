"""``crossdeck audit`` with each live Dolt-backed database's Dolt commits beside the event logs
(core/sources/dolt_commits.py): on Dolt, held to the statement it sends and parsed from results
recorded in the shapes Dolt documents (no Dolt server runs here), a change beads' own events
already tell left out; on a MySQL server that is not Dolt (the MariaDB fixture), a warning that
history needs a Dolt server and an audit that still validates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from core.analysis.audit import AuditQuery, AuditTimeline
from core.commands.audit import event_lines
from core.diagnostics import Diagnostics
from core.dolt import history
from core.dolt.dolt_sql import VERSION_SQL
from core.model import AuditEvent, BeadsSource, Town, Workspace, WorkspaceKind, WorkUnit
from core.sources import dolt_commits
from tests.dolt_helpers import Recording
from tests.dolt_server import MariaDB
from tests.dolt_town import dolt_town, rig_beads
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_dolt_history import DIFF_NAMES, DIFF_ROWS

TOWN = "hop://steve@example.com/main-town"
KEY = f"{TOWN}/gastown/gt-1"


def town(told_at: str | None) -> Workspace:
    """A town whose rig gastown was read live from Dolt; beads' events hold ``closed`` of gt-1 at
    ``told_at`` (None: no event)."""
    ws = Workspace(kind=WorkspaceKind.TOWN, name=TOWN, root="/nowhere", info=Town(name="main-town",
                                                                                   owner="steve@example.com"))
    ws.sources = [BeadsSource(folder="/nowhere/gastown/.beads", rig="gastown", read_from="server",
                              server="127.0.0.1:3307", database="gastown", user="root", dolt=True)]
    ws.work_units = [WorkUnit(key=KEY, id="gt-1", workspace=TOWN, kind="bead", title="Fix the gate", rig="gastown")]
    if told_at:
        ws.audit = [AuditEvent(ts=told_at, actor="gastown/polecats/nux", type="closed", workspace=TOWN, subject=KEY,
                               origin="beads-events", source="/nowhere/gastown/.beads/events", line=None)]
    return ws


def answering(rows: list[tuple[Any, ...]]) -> tuple[Recording, Any]:
    conn = Recording([(["dolt_version()"], [("1.50.6",)]), (DIFF_NAMES, rows)])
    asked: list[tuple[str, str | None]] = []

    def connect(target: Any, *, database: str | None = None) -> Recording:
        asked.append((target.server, database))
        return conn

    connect.asked = asked  # type: ignore[attr-defined]
    return conn, connect


def test_dolt_commits_join_the_timeline_without_the_changes_beads_events_already_tell() -> None:
    ws = town(told_at="2026-12-03T16:05:06Z")  # bd close wrote its event a second before the commit
    conn, connect = answering([*DIFF_ROWS, DIFF_ROWS[1]])  # the add twice: one event
    diags = Diagnostics()
    events = dolt_commits.commit_events([ws], max_commits=50, since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                                        diags=diags, connect=connect)
    assert connect.asked == [("127.0.0.1:3307", "gastown")]
    assert conn.sent == [(VERSION_SQL, None), (history.DATABASE_COMMITS_SQL, ("2026-11-01 00:00:00", 50))]
    assert conn.closed and diags.items == []
    assert [(e.ts, e.actor, e.type, e.origin, e.subject, e.payload["commit"], e.payload["change"], e.payload["fields"])
            for e in events] == [("2026-12-01T09:30:00Z", "mayor", "commit", "dolt-commit", KEY, "c1hash", "added",
                                  ["id", "status", "title"])]
    timeline = AuditTimeline([ws], commits=events)
    found = timeline.query(AuditQuery())
    assert [(e.origin, e.type) for e in found.events] == [("beads-events", "closed"), ("dolt-commit", "commit")]
    assert "c1hash bd create gt-1 [added: id, status, title]" in event_lines(found.events)[-1]


def test_a_commit_no_event_tells_is_kept_with_its_fields() -> None:
    ws = town(told_at="2026-12-03T15:00:00Z")  # an event of another moment: not the commit's
    _, connect = answering(DIFF_ROWS)
    events = dolt_commits.commit_events([ws], diags=Diagnostics(), connect=connect)
    assert [(e.payload["commit"], e.payload["change"], e.payload["fields"], e.payload["message"]) for e in events] == [
        ("c2hash", "modified", ["status"], "bd close gt-1"), ("c1hash", "added", ["id", "status", "title"],
                                                             "bd create gt-1")]


def test_audit_on_a_server_that_is_not_dolt_says_history_needs_dolt(tmp_path: Path, mariadb: MariaDB) -> None:
    database = mariadb.fresh_database()
    root = dolt_town(tmp_path / "town", mariadb, {"gastown": (database, rig_beads("ga"))})
    result = crossdeck("audit", str(root), "--json")
    assert result.returncode == 0, result.stderr
    assert_matches_schema("audit", json.loads(result.stdout))
    assert (f"history needs a Dolt server: 127.0.0.1:{mariadb.port} speaks MySQL but is not Dolt: "
            "its commits are not in the audit") in result.stderr
    assert crossdeck("audit", str(root), "--commits", "0").stderr.count("history needs a Dolt server") == 0
