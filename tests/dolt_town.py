"""A town whose rigs keep their beads in databases of the MariaDB fixture (tests/dolt_server.py),
each with a complete backup beside it: what crossdeck shows while the server is down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.beads_sql import insert_rows
from tests.conftest import bead, real_town, write_json, write_jsonl
from tests.dolt_helpers import dolt_folder

BACKUP_STAMP = "2026-11-30T14:02:00Z"


def backup(beads: Path, issues: list[dict[str, Any]], stamp: str = BACKUP_STAMP) -> Path:
    """A complete ``.beads/backup`` of ``issues`` (its counts match its lines)."""
    folder = beads / "backup"
    write_jsonl(folder / "issues.jsonl", issues)
    write_json(folder / "backup_state.json", {"timestamp": stamp, "counts": {
        "issues": len(issues), "events": 0, "comments": 0, "dependencies": 0, "labels": 0, "config": 0}})
    return folder


def dolt_town(root: Path, mariadb: Any, rigs: dict[str, tuple[str, list[dict[str, Any]]]]) -> Path:
    """A town with one Dolt-backed rig per ``rigs`` entry (rig -> (database, beads)): the beads go
    into the database and into the rig's backup, so the town reads the same whether its server
    is up or down (the items say which)."""
    town = real_town(root, {rig: rig[:2] for rig in rigs})
    for rig, (database, beads) in rigs.items():
        folder = dolt_folder(town / rig / ".beads", database, mariadb.port)
        backup(folder, beads)
        with mariadb.connect(database) as conn:
            insert_rows(conn, "issues", beads)
    return town


def rig_beads(prefix: str, count: int = 2) -> list[dict[str, Any]]:
    return [bead(f"{prefix}-{n}", f"{prefix} work {n}") for n in range(1, count + 1)]
