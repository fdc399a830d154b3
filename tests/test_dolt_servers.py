"""A town's Dolt server is a remote of the town: a row of ``crossdeck remote list`` and
``remote check`` (transport ``dolt``), with state, latency and check history, and ``remote check``
exits 1 while it is down; the items shown from a backup meanwhile say so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import store
from tests.dolt_server import MariaDB
from tests.dolt_town import dolt_town, rig_beads
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck


def _json(*args: str, schema: str, code: int = 0) -> dict[str, Any]:
    result = crossdeck(*args, "--json")
    assert result.returncode == code, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema(schema, data)
    return data


def _dolt_rows(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [r for r in data[key] if r["transport"] == "dolt"]


def test_remote_check_of_a_towns_dolt_server_up_then_down(tmp_path: Path, mariadb: MariaDB) -> None:
    databases = [mariadb.fresh_database(), mariadb.fresh_database()]
    town = dolt_town(tmp_path / "town", mariadb, {"gastown": (databases[0], rig_beads("ga")),
                                                  "beads": (databases[1], rig_beads("be"))})
    name = f"dolt@127.0.0.1:{mariadb.port}"
    [row] = _dolt_rows(_json("remote", "list", str(town), schema="remote-list"), "remotes")
    assert (row["name"], row["url"], row["state"]) == (name, f"dolt://127.0.0.1:{mariadb.port}", "never-checked")
    assert sorted((d["database"], d["rig"], d["read_from"], d["note"]) for d in row["databases"]) == sorted([
        (databases[0], "gastown", "server", None), (databases[1], "beads", "server", None)])

    [ok] = _dolt_rows(_json("remote", "check", str(town), schema="remote-check"), "results")
    assert (ok["name"], ok["result"], ok["status"]) == (name, "ok", "synced")
    assert ok["latency_ms"] is not None and ok["latency_ms"] >= 0

    mariadb.stop()
    try:
        [down] = _dolt_rows(_json("remote", "check", str(town), schema="remote-check", code=1), "results")
        assert (down["result"], down["status"]) == ("failed", "unreachable")
        assert "connection refused" in down["error"]
        text = crossdeck("remote", "list", str(town))
        assert text.returncode == 0, text.stderr
        line = next(line for line in text.stdout.splitlines() if name in line)
        assert line.split()[0] == "unreachable"
        assert (f"database {databases[0]} (rig gastown): shown from its backup of 2026-11-30T14:02:00Z, not live: "
                f"Dolt server 127.0.0.1:{mariadb.port} unreachable (connection refused)") in text.stdout
    finally:
        mariadb.start()
    history = store.reachability_history("hop://steve@example.com/main-town", name)
    assert [c.ok for c in history] == [False, True]
    assert "connection refused" in (history[0].error or "")
    for database in databases:
        mariadb.drop_database(database)
