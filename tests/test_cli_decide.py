"""``crossdeck approve`` and ``crossdeck reject`` as a person or a script runs them: a real
process on a copy of the demo federation; what it prints, its exit codes, its JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_decisions import api_logs, last_line_for, lines, snapshot_files

API = "acme-dev/api-service"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T10:00:00Z")
    monkeypatch.delenv("BD_ACTOR", raising=False)
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


def test_approve_prints_what_changed(demo: Path) -> None:
    requests, audit = api_logs(demo)
    result = crossdeck("approve", "req-7c2e41", str(demo), "--actor", "web/crew/bob")
    assert result.returncode == 0, result.stderr
    created = last_line_for(requests, "req-7c2e41")["result"]["created"]
    assert result.stdout.splitlines() == [
        f"approved {API}:req-7c2e41 (pending -> completed) as web/crew/bob",
        f"  created {created['canonical_ref']}: Add avatar upload endpoint",
        "    discovered-from acme-dev/frontend#i-8b4c",
        f"  wrote {requests}",
        f"  wrote {requests.parent.parent / 'issues.jsonl'}",
        f"  wrote {audit}",
        "  not committed: the workspace is not in a git repository: the change is written, not committed",
    ]
    assert last_line_for(requests, "req-7c2e41")["approved_by"] == "web/crew/bob"
    assert lines(audit)[-1]["timestamp"] == "2026-11-20T10:00:00Z"

    again = crossdeck("approve", "req-7c2e41", str(demo), "--actor", "bob@acme.dev")
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{API}:req-7c2e41 is already completed (approved by web/crew/bob); nothing changed\n"

    listed = crossdeck("approvals", str(demo), "--all", "--json")
    decided = {row["request_id"]: row for row in json.loads(listed.stdout)["decided"]}
    assert decided["req-7c2e41"]["status"] == "completed"


def test_reject_prints_the_reason(demo: Path) -> None:
    result = crossdeck("reject", "req-e85a30", str(demo), "--actor", "bob@acme.dev", "--reason", "Use the price feed")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"rejected {API}:req-e85a30 (pending -> rejected) as bob@acme.dev: Use the price feed")


def test_json_matches_the_schemas(demo: Path) -> None:
    first = crossdeck("approve", "req-7c2e41", str(demo), "--actor", "web/crew/bob", "--json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert_matches_schema("approve", doc)
    assert (doc["changed"], doc["before"], doc["after"], doc["verdict"]) == (True, "pending", "completed",
                                                                              "auto-approvable")
    again = json.loads(crossdeck("approve", "req-7c2e41", str(demo), "--actor", "bob", "--json").stdout)
    assert_matches_schema("approve", again)
    assert (again["changed"], again["files"], again["decided_by"]) == (False, [], "web/crew/bob")
    completed = json.loads(crossdeck("approve", "req-a41c07", str(demo), "--actor", "bob", "--json").stdout)
    assert_matches_schema("approve", completed)
    assert completed["after"] == "completed"

    rejected = crossdeck("reject", "req-f0b162", str(demo), "--actor", "bob", "--reason", "no mutate", "--json")
    assert rejected.returncode == 0, rejected.stderr
    doc = json.loads(rejected.stdout)
    assert_matches_schema("reject", doc)
    assert (doc["after"], doc["reason"], doc["verdict"]) == ("rejected", "no mutate", "denied")
    twice = json.loads(crossdeck("reject", "req-f0b162", str(demo), "--actor", "bob", "--reason", "x", "--json").stdout)
    assert_matches_schema("reject", twice)
    assert (twice["changed"], twice["reason"]) == (False, "no mutate")


def test_the_actor_comes_from_the_flag_then_bd_actor_then_config(demo: Path, crossdeck_home: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    requests, _ = api_logs(demo)
    (crossdeck_home / "config.toml").write_text('actor = "config/crew/bob"\n')
    assert crossdeck("approve", "req-7c2e41", str(demo)).returncode == 0
    assert last_line_for(requests, "req-7c2e41")["approved_by"] == "config/crew/bob"
    monkeypatch.setenv("BD_ACTOR", "env/crew/alice")
    assert crossdeck("approve", "req-3a6d55", str(demo)).returncode == 0
    frontend = demo / "sudocode" / "frontend" / ".sudocode" / "federation" / "requests.jsonl"
    assert last_line_for(frontend, "req-3a6d55")["approved_by"] == "env/crew/alice"
    assert crossdeck("reject", "req-9d4b17", str(demo), "--actor", "flag/crew/bob", "--reason", "no").returncode == 0
    assert last_line_for(requests, "req-9d4b17")["rejected_by"] == "flag/crew/bob"


def test_no_actor_is_a_usage_error(demo: Path) -> None:
    before = snapshot_files(demo)
    result = crossdeck("approve", "req-7c2e41", str(demo))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "crossdeck approve: no actor: say who decides with --actor NAME. Set BD_ACTOR" in result.stderr
    assert snapshot_files(demo) == before


@pytest.mark.parametrize("args", [
    ("reject", "req-e85a30", "--actor", "bob"),  # no --reason
    ("reject", "req-e85a30", "--actor", "bob", "--reason", "  "),
    ("approve", "req-7c2e41", "--actor", "bob smith"),
    ("approve", "req-7c2e41", "--actor", ""),
])
def test_usage_errors_exit_2_and_write_nothing(demo: Path, args: tuple[str, ...]) -> None:
    before = snapshot_files(demo)
    result = crossdeck(*args[:2], str(demo), *args[2:])
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert snapshot_files(demo) == before


@pytest.mark.parametrize(("args", "message"), [
    (("approve", "req-f0b162"), f"crossdeck approve: {API}:req-f0b162 cannot be approved: the policy denies it: "),
    (("approve", "hop://acme.dev/storefront:req-5b90d1"),
     "crossdeck approve: hop://acme.dev/storefront:req-5b90d1 is an outgoing request"),
    (("reject", "req-a41c07", "--reason", "late"), f"crossdeck reject: {API}:req-a41c07 is already completed"),
    (("approve", "req-nope"), "crossdeck approve: no request req-nope in the 7 loaded workspaces"),
])
def test_refused_decisions_exit_1_with_the_reason_last(demo: Path, args: tuple[str, ...], message: str) -> None:
    before = snapshot_files(demo)
    result = crossdeck(*args[:2], str(demo), "--actor", "bob", *args[2:], "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"].startswith(message)  # --json: stdout is one document, even now
    assert result.stderr.splitlines()[-1].startswith(message)
    assert "Traceback" not in result.stderr
    assert snapshot_files(demo) == before


def test_nothing_loadable_exits_2(tmp_path: Path) -> None:
    result = crossdeck("approve", "req-1", str(tmp_path), "--actor", "bob")
    assert result.returncode == 2
    assert "no workspace could be loaded below" in result.stderr
