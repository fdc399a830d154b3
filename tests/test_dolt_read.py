"""Beads read from a town's Dolt SQL server (a real MariaDB here) are the beads read from the
files of the same data: one model, whichever the source."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from core.analysis.blocking import blockers
from core.federation import load_federation
from core.graph import build_graph
from core.model import Workspace
from core.timeutil import UTC, parse_ts
from tests.beads_sql import LAYOUTS, insert_export
from tests.dolt_helpers import DATASETS, dolt_folder, served_dataset
from tests.dolt_server import MariaDB


def _utc_second(text: str | None) -> dt.datetime | None:
    when = parse_ts(text)
    return when.astimezone(UTC).replace(microsecond=0) if when else None


def _model(ws: Workspace) -> dict[str, Any]:
    """What a user sees of a workspace's beads, comparable across sources."""
    graph = build_graph(load_federation([Path(ws.root)]))
    units = {u.key: u for u in ws.work_units}
    blocked = {}
    for key in units:
        report = blockers(graph, key)
        blocked[key] = (sorted(report.blockers), sorted(s.key for s in report.unresolved))
    return {
        "keys": sorted(units),
        "statuses": {k: u.status for k, u in units.items()},
        "titles": {k: u.title for k, u in units.items()},
        "priorities": {k: u.priority for k, u in units.items()},
        "labels": {k: sorted(u.labels) for k, u in units.items()},
        "times": {k: (_utc_second(u.created_at), _utc_second(u.updated_at), _utc_second(u.closed_at))
                  for k, u in units.items()},
        "edges": Counter((r.from_key, r.to_key, r.type) for r in ws.relationships),
        "delegations": Counter((d.parent_key, d.child_key) for d in ws.delegations),
        "blockers": blocked,
        "event_actors": Counter((e.subject, e.type, e.actor, _utc_second(e.ts)) for e in ws.audit),
        "comments": {k: len(u.comments) for k, u in units.items()},
    }


def _only(root: Path) -> Workspace:
    fed = load_federation([root])
    assert fed.errors == [], fed.errors
    assert len(fed.workspaces) == 1
    return fed.workspaces[0]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_beads_read_from_the_server_are_the_beads_of_the_files(realdata: Path, mariadb: MariaDB, tmp_path: Path,
                                                               dataset: str, layout: str) -> None:
    files = _only(realdata / dataset)
    database = served_dataset(mariadb, realdata, dataset, layout)
    root = tmp_path / dataset  # the same folder name: the same beads://local/... keys
    dolt_folder(root / ".beads", database, mariadb.port)
    served = _only(root)
    assert [(s.read_from, s.server, s.database, s.dolt) for s in served.sources] == [
        ("server", f"127.0.0.1:{mariadb.port}", database, False)]
    assert len(served.work_units) == len(files.work_units) == DATASETS[dataset][2]
    assert _model(served) == _model(files)


def test_server_is_read_over_a_stale_export(mariadb: MariaDB, tmp_path: Path, realdata: Path) -> None:
    """The live beads win over the files beside them, which beads only ever writes."""
    database = served_dataset(mariadb, realdata, "gastown-backup")
    root = tmp_path / "town-rig"
    beads = dolt_folder(root / ".beads", database, mariadb.port)
    (beads / "issues.jsonl").write_text('{"id": "gt-old", "title": "a week-old export", "status": "open", '
                                        '"priority": 2, "created_at": "2026-11-30T00:00:00Z", '
                                        '"updated_at": "2026-11-30T00:00:00Z"}\n')
    ws = _only(root)
    assert "gt-old" not in {u.id for u in ws.work_units}
    assert len(ws.work_units) == 659


def test_the_change_token_follows_the_data(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("legacy")
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute("INSERT INTO issues (id, title, description, design, acceptance_criteria, notes) "
                       "VALUES ('bd-1', 'one', '', '', '', '')")
    dolt_folder(tmp_path / "proj" / ".beads", database, mariadb.port)
    first = _only(tmp_path / "proj").sources[0].token
    assert first == _only(tmp_path / "proj").sources[0].token  # nothing changed: the same token
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute("INSERT INTO labels (issue_id, label) VALUES ('bd-1', 'x')")
    second = _only(tmp_path / "proj").sources[0].token
    assert first is not None and second is not None and first != second


def test_wisps_are_left_out(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("split")
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        for ident, ephemeral in (("bd-1", 0), ("bd-2", 1)):
            cursor.execute("INSERT INTO issues (id, title, description, design, acceptance_criteria, notes, "
                           "ephemeral) VALUES (%s, %s, '', '', '', '', %s)", (ident, ident, ephemeral))
        cursor.execute("INSERT INTO wisps (id, title) VALUES ('bd-wisp-1', 'a wisp')")
        cursor.execute("INSERT INTO labels (issue_id, label) VALUES ('bd-2', 'x')")
        cursor.execute("INSERT INTO issue_wisp_dependencies (source_id, depends_on_wisp_id, type, created_by) "
                       "VALUES ('bd-1', 'bd-wisp-1', 'blocks', 'mayor')")
    dolt_folder(tmp_path / "proj" / ".beads", database, mariadb.port)
    fed = load_federation([tmp_path / "proj"])
    ws = fed.workspaces[0]
    assert [u.id for u in ws.work_units] == ["bd-1"]
    # a bead's dependency on a wisp is a dependency like any other (the exports keep it too)
    assert [(r.from_ref, r.to_ref) for r in ws.relationships] == [("bd-1", "bd-wisp-1")]
    assert not [d for d in fed.diagnostics if "label" in d.message]


def test_a_missing_column_is_named_and_the_files_are_shown(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("legacy")
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute("ALTER TABLE issues DROP COLUMN title")
    beads = dolt_folder(tmp_path / "proj" / ".beads", database, mariadb.port)
    (beads / "issues.jsonl").write_text('{"id": "bd-9", "title": "exported", "priority": 2, '
                                        '"created_at": "2026-11-30T00:00:00Z", "updated_at": "2026-11-30T00:00:00Z"}\n')
    fed = load_federation([tmp_path / "proj"])
    assert [u.id for u in fed.workspaces[0].work_units] == ["bd-9"]
    [warning] = [d for d in fed.warnings if d.path.endswith("metadata.json")]
    assert f"table issues of database {database} has no column 'title'" in warning.message
    assert "showing .beads/issues.jsonl from 2026-11-30 00:00" in warning.message


def test_a_missing_optional_table_column_skips_that_table_only(mariadb: MariaDB, tmp_path: Path) -> None:
    database = mariadb.fresh_database("legacy")
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute("INSERT INTO issues (id, title, description, design, acceptance_criteria, notes) "
                       "VALUES ('bd-1', 'one', '', '', '', '')")
        cursor.execute("DROP TABLE labels")  # an older or foreign labels table, without the label column
        cursor.execute("CREATE TABLE labels (issue_id VARCHAR(255) NOT NULL, tag VARCHAR(255))")
    dolt_folder(tmp_path / "proj" / ".beads", database, mariadb.port)
    fed = load_federation([tmp_path / "proj"])
    assert [u.id for u in fed.workspaces[0].work_units] == ["bd-1"]
    assert fed.workspaces[0].sources[0].read_from == "server"
    assert any("table labels" in d.message and "'label'" in d.message for d in fed.warnings)


def test_realdata_copy_in_a_town(realdata: Path, mariadb: MariaDB, tmp_path: Path) -> None:
    """A town whose rigs are in Dolt: rigs read from their databases (one per rig), keys carry
    the rig, and a rig's reference to the town's own beads resolves."""
    town = tmp_path / "gas-town-hq"
    shutil.copytree(realdata / "gas-town-hq", town)
    databases = {}
    for meta in sorted(town.glob("*/.beads/metadata.json")) + [town / ".beads" / "metadata.json"]:
        rig_dir = meta.parent
        export = rig_dir / "issues.jsonl"
        if not export.is_file():
            continue
        database = mariadb.fresh_database("split")
        with mariadb.connect(database) as conn:
            insert_export(conn, export, "split")
        dolt_folder(rig_dir, database, mariadb.port)
        export.write_text("")  # the export is stale or empty: the server must be what is read
        databases[rig_dir] = database
    files = _only(realdata / "gas-town-hq")
    served = _only(town)
    read = Counter(s.read_from for s in served.sources)
    assert read["server"] == len(databases)
    assert sorted(u.key for u in served.work_units) == sorted(u.key for u in files.work_units)
    assert Counter((r.from_key, r.to_key) for r in served.relationships) == \
        Counter((r.from_key, r.to_key) for r in files.relationships)
