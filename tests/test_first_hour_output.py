"""stdout carries data only, and a decision shows what concerns it: with ``--json`` stdout is one
JSON document whatever the exit code; with nothing loaded no empty table; a verb that decides
something shows the diagnostics of the workspaces it touched and counts the rest; counts are
singular where they are one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


def one_document(stdout: str) -> object:
    """stdout parses as exactly one JSON document (json.loads refuses trailing data)."""
    assert stdout.strip(), "stdout is empty"
    return json.loads(stdout)


def test_nothing_loaded_prints_no_empty_table(tmp_path: Path) -> None:
    for verb in ("summary", "stale", "check", "approvals", "audit", "list", "remote"):
        words = [verb, "list"] if verb == "remote" else [verb]
        result = crossdeck(*words, str(tmp_path / "nonexistent"))
        assert result.returncode == 2, (verb, result.stderr)
        assert result.stdout == "", (verb, result.stdout)
        assert "root is not a folder" in result.stderr and "no workspace could be loaded" in result.stderr


def test_json_in_a_folder_with_no_workspace_is_one_document(tmp_path: Path) -> None:
    """``crossdeck stale --json | python -m json.tool`` where there is nothing: an error
    document (not an empty stream), and the same words on stderr."""
    empty = tmp_path / "empty"
    empty.mkdir()
    result = crossdeck("stale", "--json", cwd=empty)
    assert result.returncode == 2
    document = one_document(result.stdout)
    assert_matches_schema("error", document)
    assert isinstance(document, dict)
    assert document["error"].startswith("crossdeck found no workspace here") and document["diagnostics"] == []
    assert "crossdeck found no workspace here" in result.stderr


@pytest.mark.parametrize("words", [
    ["summary"], ["stale"], ["check"], ["approvals"], ["audit"], ["list"], ["chains"], ["remote", "list"],
    ["blockers", "x"], ["show", "x"], ["graph", "x"], ["doctor"], ["sync", "--all"], ["query", "api"],
    ["approve", "req-1", "--actor", "web/crew/bob"], ["close", "x", "--actor", "web/crew/bob"],
])
def test_every_verb_prints_one_json_document_whatever_the_exit_code(words: list[str], tmp_path: Path) -> None:
    result = crossdeck(*words, str(tmp_path / "nonexistent"), "--json")
    assert result.returncode != 0, result.stdout
    document = one_document(result.stdout)
    assert isinstance(document, dict)
    if "error" in document:
        assert_matches_schema("error", document)
        assert document["error"] and "Traceback" not in result.stderr


def test_a_refusal_and_a_usage_error_are_error_documents(demo: Path, tmp_path: Path) -> None:
    bad_line = demo / "towns" / "globex-payments" / "ledger" / ".beads" / "issues.jsonl"
    bad_line.write_text(bad_line.read_text() + "{not json\n")
    refused = crossdeck("approve", "req-nosuch", str(demo), "--actor", "web/crew/bob", "--json")
    assert refused.returncode == 1
    document = one_document(refused.stdout)
    assert_matches_schema("error", document)
    assert isinstance(document, dict)
    assert document["error"].startswith("crossdeck approve: no request req-nosuch")
    # what it was asked for is not there: every diagnostic may be why, so all are given
    routes = demo / "towns" / "globex-payments" / ".beads" / "routes.jsonl"
    assert [(d["severity"], d["path"]) for d in document["diagnostics"]] == [
        ("warning", str(routes)), ("error", str(bad_line))]
    usage = crossdeck("stale", str(demo), "--no-such-option", "--json")
    assert usage.returncode == 2
    assert one_document(usage.stdout) == {
        "error": "crossdeck: error: unrecognized arguments: --no-such-option\n(crossdeck --help lists the commands)",
        "diagnostics": []}
    taken = tmp_path / "taken"
    (taken / "x").mkdir(parents=True)
    demo_json = crossdeck("demo", "--dir", str(taken), "--json")
    assert demo_json.returncode == 2
    assert "already exists and is not empty" in one_document(demo_json.stdout)["error"]  # type: ignore[index]


def test_a_decision_shows_only_the_diagnostics_of_what_it_touched(demo: Path) -> None:
    """Approving api-service's request shows api-service's own problem, and counts the payments
    town's (untouched) warning and error as elsewhere."""
    api_specs = demo / "sudocode" / "api-service" / ".sudocode" / "specs.jsonl"
    api_specs.write_text(api_specs.read_text() + "{not json\n")
    town = demo / "towns" / "globex-payments" / "ledger" / ".beads" / "issues.jsonl"
    town.write_text(town.read_text() + "{not json\n")
    loaded = crossdeck("summary", str(demo))
    assert "globex-payments/.beads/routes.jsonl:6: route ops-" in loaded.stderr  # a warning elsewhere
    approved = crossdeck("approve", "req-7c2e41", str(demo), "--actor", "web/crew/bob")
    assert approved.returncode == 0, approved.stderr
    assert f"{api_specs}:" in approved.stderr
    assert "globex-payments" not in approved.stderr
    assert approved.stderr.endswith("1 error, 0 warnings\n1 error and 1 warning elsewhere; "
                                    "crossdeck summary lists them\n"), approved.stderr
    verbose = crossdeck("reject", "req-e85a30", str(demo), "--actor", "web/crew/bob", "--reason", "no", "--verbose")
    assert "route ops-" in verbose.stderr  # --verbose shows them all


def test_one_is_singular(demo: Path) -> None:
    loaded = crossdeck("summary", str(demo))
    assert loaded.returncode == 0
    assert loaded.stderr.endswith("0 errors, 1 warning\n"), loaded.stderr
    assert loaded.stdout.endswith("diagnostics: 0 errors, 1 warning\n")
    approved = crossdeck("approve", "req-7c2e41", str(demo), "--actor", "web/crew/bob")
    assert approved.stderr == "1 warning elsewhere; crossdeck summary lists them\n"
