"""When a town's Dolt server cannot be reached or read, the newest complete export or backup is
shown, with a warning naming the server, the file and its age; with neither, the folder's beads
are not loaded and references into it are covered by that one warning."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.federation import load_federation
from core.graph import build_graph
from core.graph_kinds import StubKind
from tests.conftest import PROJECT, bead, dep, real_town, write_json, write_jsonl
from tests.dolt_helpers import dolt_folder, point_config_at, served_dataset
from tests.dolt_server import MariaDB, free_port

NOW = "2026-12-07T12:00:00Z"


def _backup(beads: Path, stamp: str, issues: list[dict], complete: bool = True) -> Path:
    backup = beads / "backup"
    write_jsonl(backup / "issues.jsonl", issues)
    write_json(backup / "backup_state.json", {"timestamp": stamp, "counts": {
        "issues": len(issues) + (0 if complete else 1), "events": 0, "comments": 0, "dependencies": 0,
        "labels": 0, "config": 0}})
    return backup


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CROSSDECK_NOW", NOW)
    return NOW


def test_unreachable_server_shows_the_newest_complete_backup(tmp_path: Path, fixed_now: str) -> None:
    port = free_port()  # nothing listens there: connection refused
    root = tmp_path / "proj"
    beads = dolt_folder(root / ".beads", "beads_proj", port)
    write_jsonl(beads / "issues.jsonl", [bead("bd-1", updated_at="2026-11-20T08:00:00Z")])
    _backup(beads, "2026-11-30T14:02:00Z", [bead("bd-1"), bead("bd-2")])
    fed = load_federation([root])
    ws = fed.workspaces[0]
    assert sorted(u.id for u in ws.work_units) == ["bd-1", "bd-2"]
    [warning] = [d for d in fed.warnings if d.path.endswith("metadata.json")]
    assert warning.message == (f"Dolt server 127.0.0.1:{port} unreachable (connection refused); "
                               "showing .beads/backup from 2026-11-30 14:02, 6 days old")
    [source] = ws.sources
    assert (source.read_from, source.server, source.database) == ("backup", f"127.0.0.1:{port}", "beads_proj")
    assert source.as_of == "2026-11-30T14:02:00Z"


def test_unreachable_server_with_an_export_newer_than_the_backup(tmp_path: Path, fixed_now: str) -> None:
    port = free_port()
    root = tmp_path / "proj"
    beads = dolt_folder(root / ".beads", "beads_proj", port)
    write_jsonl(beads / "issues.jsonl", [bead("bd-1", updated_at="2026-12-06T08:00:00+02:00"), bead("bd-3")])
    _backup(beads, "2026-11-30T14:02:00Z", [bead("bd-1"), bead("bd-2")])
    fed = load_federation([root])
    assert sorted(u.id for u in fed.workspaces[0].work_units) == ["bd-1", "bd-3"]
    [warning] = [d for d in fed.warnings if d.path.endswith("metadata.json")]
    assert warning.message.endswith("showing .beads/issues.jsonl from 2026-12-06 06:00, 30 hours old")


def test_unreachable_server_and_no_files_leaves_one_warning_and_not_loaded_stubs(tmp_path: Path) -> None:
    port = free_port()
    town = real_town(tmp_path / "town", {"gastown": "gt", "beads": "bd"})
    dolt_folder(town / "gastown" / ".beads", "gastown", port)  # the server holds gastown's beads; no export
    write_jsonl(town / "beads" / ".beads" / "issues.jsonl", [
        bead("bd-1", dependencies=[dep("bd-1", "gt-a"), dep("bd-1", "gt-b"), dep("bd-1", "gt-c", "parent-child")])])
    fed = load_federation([town])
    assert fed.errors == []
    [warning] = fed.warnings
    assert warning.path.endswith("gastown/.beads/metadata.json")
    assert warning.message.endswith("there is no export or backup here: these beads are not loaded")
    graph = build_graph(fed)
    stubs = {k for k, a in graph.nodes(data=True) if a.get("stub") is StubKind.NOT_LOADED}
    assert stubs == {f"hop://steve@example.com/main-town/gastown/gt-{x}" for x in "abc"}


def test_one_connection_attempt_per_server_per_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pymysql

    attempts: list[tuple[str, int]] = []
    real = pymysql.connect

    def counting(*args: object, **kw: object) -> object:
        attempts.append((kw["host"], kw["port"]))  # type: ignore[arg-type]
        return real(*args, **kw)

    monkeypatch.setattr(pymysql, "connect", counting)
    port = free_port()
    rigs = {f"rig{i}": f"r{i}" for i in range(5)}
    town = real_town(tmp_path / "town", rigs)
    for rig in rigs:
        dolt_folder(town / rig / ".beads", rig, port)
    dolt_folder(town / ".beads", "hq", port)
    fed = load_federation([town])
    assert attempts == [("127.0.0.1", port)]
    assert len([d for d in fed.warnings if "unreachable" in d.message]) == 6


def test_a_silent_server_costs_the_connect_timeout_not_more(tmp_path: Path) -> None:
    """A host that accepts the connection and never greets (a hung server) costs the connect
    timeout once, however many rigs the town has."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    try:
        town = real_town(tmp_path / "town", {"a": "aa", "b": "bb", "c": "cc"})
        for rig in "abc":
            dolt_folder(town / rig / ".beads", rig, port)
        point_config_at(_home(), port, timeout=1)
        started = time.monotonic()
        fed = load_federation([town])
        spent = time.monotonic() - started
    finally:
        listener.close()
    assert 0.9 < spent < 2.5
    warned = [d for d in fed.warnings if d.path.endswith("metadata.json")]
    assert len(warned) == 3 and all("unreachable (no answer within 1 s)" in d.message for d in warned)


def _home() -> Path:
    import os

    return Path(os.environ["CROSSDECK_HOME"])


def test_server_reads_can_be_turned_off(tmp_path: Path, mariadb: MariaDB, realdata: Path) -> None:
    database = served_dataset(mariadb, realdata, "gastown-backup")
    root = tmp_path / "proj"
    beads = dolt_folder(root / ".beads", database, mariadb.port)
    write_jsonl(beads / "issues.jsonl", [bead("bd-1")])
    point_config_at(_home(), mariadb.port, server_reads=False)
    fed = load_federation([root])
    assert [u.id for u in fed.workspaces[0].work_units] == ["bd-1"]
    assert fed.workspaces[0].sources[0].problem == "server reads are off (config.toml: [dolt] server_reads = false)"


def test_a_server_killed_mid_read_falls_back_and_keeps_nothing_it_half_read(
        tmp_path: Path, mariadb: MariaDB, realdata: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.sources.beads import BeadsLoad

    database = served_dataset(mariadb, realdata, "gastown-backup")
    root = tmp_path / "proj"
    beads = dolt_folder(root / ".beads", database, mariadb.port)
    write_jsonl(beads / "issues.jsonl", [bead("bd-export", updated_at="2026-11-01T00:00:00Z")])
    real = BeadsLoad._work_unit
    seen = []

    def kill_on_tenth(self: BeadsLoad, *args: object) -> object:
        seen.append(1)
        if len(seen) == 10:
            mariadb.kill()
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(BeadsLoad, "_work_unit", kill_on_tenth)
    try:
        fed = load_federation([root])
    finally:
        mariadb.start()
    ws = fed.workspaces[0]
    assert [u.id for u in ws.work_units] == ["bd-export"]  # nothing of the half-read database
    [warning] = [d for d in fed.warnings if d.path.endswith("metadata.json")]
    assert f"Dolt server 127.0.0.1:{mariadb.port} failed while {database} was read" in warning.message
    assert "showing .beads/issues.jsonl from 2026-11-01 00:00" in warning.message


def test_summary_says_where_the_beads_came_from(tmp_path: Path, fixed_now: str) -> None:
    port = free_port()
    root = tmp_path / "proj"
    beads = dolt_folder(root / ".beads", "beads_proj", port)
    _backup(beads, "2026-11-30T14:02:00Z", [bead("bd-1")])
    out = subprocess.run([sys.executable, "-m", "tui", "summary", str(root)], capture_output=True, text=True,
                         cwd=PROJECT, check=False)
    assert out.returncode == 0, out.stderr
    assert (f"beads://local/proj: backup .beads/backup as of 2026-11-30 14:02, not database beads_proj: "
            f"Dolt server 127.0.0.1:{port} unreachable (connection refused)") in out.stdout
    data = json.loads(subprocess.run([sys.executable, "-m", "tui", "summary", "--json", str(root)],
                                     capture_output=True, text=True, cwd=PROJECT, check=False).stdout)
    [source] = data["workspaces"][0]["sources"]
    assert source["read_from"] == "backup" and source["server"] == f"127.0.0.1:{port}"
