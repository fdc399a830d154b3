"""``crossdeck list`` and ``show`` mark the beads shown from a backup because their town's Dolt
server is down (text and --json), and leave live ones unmarked (the MariaDB fixture)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import real_town
from tests.dolt_helpers import dolt_folder
from tests.dolt_server import MariaDB, free_port
from tests.dolt_town import BACKUP_STAMP, backup, dolt_town, rig_beads
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck

TOWN = "hop://steve@example.com/main-town"


def down_town(tmp_path: Path) -> tuple[Path, str]:
    """A town whose rig gastown's Dolt server does not answer (nothing listens on its port)."""
    port = free_port()
    town = real_town(tmp_path / "town", {"gastown": "ga"})
    backup(dolt_folder(town / "gastown" / ".beads", "gastown", port), rig_beads("ga"))
    note = (f"shown from its backup of {BACKUP_STAMP}, not live: "
            f"Dolt server 127.0.0.1:{port} unreachable (connection refused)")
    return town, note


def test_list_and_show_mark_items_from_a_backup(tmp_path: Path) -> None:
    town, note = down_town(tmp_path)
    listed = crossdeck("list", str(town), "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert_matches_schema("list", data)
    assert {(u["key"], u["from_backup"]) for u in data["work_units"]} == {
        (f"{TOWN}/gastown/ga-1", note), (f"{TOWN}/gastown/ga-2", note)}
    text = crossdeck("list", str(town)).stdout.splitlines()
    assert [line.split()[:2] for line in text if "/gastown/ga-" in line] == [["open", "*"], ["open", "*"]]
    assert f"* 2 items {note}" in text
    shown = crossdeck("show", f"{TOWN}/gastown/ga-1", str(town), "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert_matches_schema("show", data)
    assert data["from_backup"] == note
    assert crossdeck("show", f"{TOWN}/gastown/ga-1", str(town)).stdout.splitlines()[1] == f"  {note}"


def test_live_items_are_not_marked(tmp_path: Path, mariadb: MariaDB) -> None:
    database = mariadb.fresh_database()
    town = dolt_town(tmp_path / "town", mariadb, {"gastown": (database, rig_beads("ga"))})
    data = json.loads(crossdeck("list", str(town), "--json").stdout)
    assert [u["from_backup"] for u in data["work_units"]] == [None, None]
    assert "*" not in crossdeck("list", str(town)).stdout
    data = json.loads(crossdeck("show", f"{TOWN}/gastown/ga-1", str(town), "--json").stdout)
    assert data["from_backup"] is None
