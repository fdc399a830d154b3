"""``crossdeck summary`` as a script or CI job would run it: a real process, stdout, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT, bead, real_town, write_jsonl


def crossdeck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60)


def _town(tmp_path: Path) -> Path:
    root = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(root / "greenplace" / ".beads" / "issues.jsonl", [bead("gp-1"), bead("gp-2")])
    return root


def test_json_summary_is_data_only(tmp_path: Path) -> None:
    _town(tmp_path)
    write_jsonl(tmp_path / "loose" / ".beads" / "issues.jsonl", [bead("bd-1")])
    result = crossdeck("summary", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["by_kind"] == {"beads": 1, "town": 1}
    assert data["totals"]["work_units"] == 3
    assert {w["name"]: w["counts"]["work_units"] for w in data["workspaces"]} == {
        "hop://steve@example.com/main-town": 2, "beads://local/loose": 1}
    assert data["diagnostics"] == {"error": 0, "warning": 0}
    assert result.stderr == ""


def test_errors_go_to_stderr_and_exit_1(tmp_path: Path) -> None:
    root = _town(tmp_path)
    with (root / "greenplace" / ".beads" / "issues.jsonl").open("a") as handle:
        handle.write("{broken\n")
    result = crossdeck("summary", str(tmp_path), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["diagnostics"]["error"] == 1
    assert "issues.jsonl:3: malformed JSON" in result.stderr


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    root = _town(tmp_path)
    write_jsonl(root / "greenplace" / ".beads" / "issues.jsonl",
                [bead("gp-1", dependencies=[{"issue_id": "gp-1", "depends_on_id": "gp-9", "type": "blocks"}])])
    result = crossdeck("summary", str(tmp_path))
    assert result.returncode == 0
    assert "points to gp-9, which is not there" in result.stderr
    assert "1 workspaces (1 town)" in result.stdout


def test_nothing_loadable_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = crossdeck("summary", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert "no workspace could be loaded" in result.stderr


def test_no_roots_points_to_the_demo(tmp_path: Path) -> None:
    result = crossdeck("summary", cwd=tmp_path)
    assert result.returncode == 2
    assert "crossdeck demo" in result.stderr


def test_current_folder_is_used_when_it_holds_a_workspace(tmp_path: Path) -> None:
    _town(tmp_path)
    result = crossdeck("summary", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["work_units"] == 2


def test_configured_roots_are_used(tmp_path: Path, crossdeck_home: Path) -> None:
    _town(tmp_path)
    (crossdeck_home / "config.toml").write_text(f'roots = ["{tmp_path}"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = crossdeck("summary", "--json", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["work_units"] == 2


def test_usage_error_exits_2() -> None:
    result = crossdeck("summary", "--bogus")
    assert result.returncode == 2
    assert "crossdeck --help" in result.stderr


def test_terminal_escapes_in_data_are_not_passed_to_the_terminal(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "evil\x1b[31m" / ".beads" / "issues.jsonl", [bead("bd-1")])
    result = crossdeck("summary", str(tmp_path))
    assert "\x1b" not in result.stdout
    assert "evil\\x1b[31m" in result.stdout


def test_json_matches_the_documented_schema(tmp_path: Path) -> None:
    from tests.schema_check import assert_matches_schema

    _town(tmp_path)
    result = crossdeck("summary", str(tmp_path), "--json")
    assert_matches_schema("summary", json.loads(result.stdout))


def test_roots_may_follow_options(tmp_path: Path) -> None:
    _town(tmp_path)
    result = crossdeck("summary", "--json", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["work_units"] == 2
    assert crossdeck("summary", "--json", str(tmp_path), "--nope").returncode == 2
