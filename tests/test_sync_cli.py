"""``crossdeck remote add / remove / check`` and ``crossdeck sync`` as a user runs them: a real
process on real git repositories in tmp_path, stdout (validated against the documented schemas),
stderr (progress, diagnostics), exit codes; then the demo's remotes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import git
import pytest

from core import store
from core.demo import prepare_demo
from core.federation import load_federation
from core.sync.remote_workspaces import include_remote_workspaces
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_git_remote import api_remote, closed_port_url, local_workspace

NOW = "2026-11-20T12:00:00Z"


@pytest.fixture
def anchored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", NOW)


def web(tmp_path: Path, remotes: list[dict[str, Any]] | None = None) -> Path:
    return local_workspace(tmp_path / "web", remotes or [])


def json_of(result: Any, schema: str) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert_matches_schema(schema, data)
    return data


# -- remote add / remove ---------------------------------------------------------------------
def test_remote_add_then_list_then_remove(tmp_path: Path) -> None:
    root = web(tmp_path)
    added = crossdeck("remote", "add", "api", "../api.git", str(root), "--trust", "trusted", "--json",
                      "--actor", "web/crew/ann")
    assert added.returncode == 0, added.stderr
    change = json_of(added, "remote-add")
    assert change["record"] == {"name": "api", "url": "../api.git", "trust_level": "trusted"}
    assert change["file"] == str(root / ".sudocode" / "federation.config.json")
    listed = json.loads(crossdeck("remote", "list", str(root), "--json").stdout)
    assert [(r["name"], r["trust_level"], r["state"]) for r in listed["remotes"]] == [("api", "trusted", "never-checked")]

    again = crossdeck("remote", "add", "api", "../other.git", str(root), "--actor", "web/crew/ann")
    assert again.returncode == 1 and "already has a remote named 'api'" in again.stderr

    removed = crossdeck("remote", "remove", "api", str(root), "--actor", "web/crew/ann")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith("removed remote api (../api.git) from acme/web")
    assert json.loads((root / ".sudocode" / "federation.config.json").read_text())["remote_repos"] == []
    gone = crossdeck("remote", "remove", "api", str(root), "--json", "--actor", "web/crew/ann")
    assert gone.returncode == 2 and "no loaded workspace has a remote named 'api'" in gone.stderr
    assert json.loads(gone.stdout)["error"] == gone.stderr.strip()  # --json: one document, even for a refusal


def test_remote_add_needs_a_workspace_when_several_are_loaded(tmp_path: Path) -> None:
    web(tmp_path)
    local_workspace(tmp_path / "web2", [])  # same name, another folder: both loaded
    several = crossdeck("remote", "add", "api", "../api.git", str(tmp_path), "--actor", "web/crew/ann")
    assert several.returncode == 2 and "say which with --workspace" in several.stderr
    chosen = crossdeck("remote", "add", "api", "../api.git", str(tmp_path), "--actor", "web/crew/ann",
                       "--workspace", str(tmp_path / "web2"),
                       "--json")
    assert chosen.returncode == 0, chosen.stderr
    assert json_of(chosen, "remote-add")["file"].startswith(str(tmp_path / "web2"))
    bad = crossdeck("remote", "add", "api", "../api.git", str(tmp_path), "--workspace", "nope", "--actor", "web/crew/ann")
    assert bad.returncode == 2 and "no loaded workspace is named 'nope'" in bad.stderr
    trust = crossdeck("remote", "add", "x", "../x", str(tmp_path), "--trust", "friendly")
    assert trust.returncode == 2  # argparse refuses the choice


# -- sync --------------------------------------------------------------------------------------
def test_sync_a_remote_by_name(tmp_path: Path, anchored: None) -> None:
    source, bare = api_remote(tmp_path)
    root = web(tmp_path, [{"url": "github.com/acme/api", "git_url": bare.as_uri(), "trust_level": "trusted"}])
    result = crossdeck("sync", "acme/api", str(root), "--json")
    assert result.returncode == 0, result.stderr
    data = json_of(result, "sync")
    assert (data["now"], data["counts"], data["unreachable"]) == (NOW, {"ok": 1, "failed": 0, "skipped": 0}, 0)
    [item] = data["results"]
    assert (item["fetched_ref"], item["status"], item["workspaces"]) == (
        source.head.commit.hexsha, "synced", [{"kind": "sudocode", "path": "."}])
    assert "syncing" not in result.stderr  # --json: no progress lines

    text = crossdeck("sync", "acme/web:acme/api", str(root))  # WORKSPACE:NAME picks it too
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("1 remotes: 1 synced, 0 failed, 0 skipped")
    assert "unchanged; holds sudocode ." in text.stdout
    assert "syncing 1/1: acme/web -> acme/api: ok" in text.stderr  # progress as plain lines (not a terminal)


def test_sync_usage_errors(tmp_path: Path) -> None:
    root = web(tmp_path, [{"url": "github.com/acme/api", "git_url": "../api.git"}])
    bare = crossdeck("sync", str(root))  # a NAME is required: this one names no remote
    assert bare.returncode == 2 and "no loaded workspace has a remote named" in bare.stderr
    nothing = crossdeck("sync", cwd=root)
    assert nothing.returncode == 2 and "name a remote" in nothing.stderr


def test_sync_all_exits_1_when_a_remote_is_unreachable(tmp_path: Path, anchored: None) -> None:
    _, bare = api_remote(tmp_path)
    root = web(tmp_path, [{"url": "github.com/acme/api", "git_url": bare.as_uri()},
                          {"name": "gone", "url": str(tmp_path / "missing.git")},
                          {"name": "partner", "url": "http://127.0.0.1:9/api/v1/federation"}])
    result = crossdeck("sync", "--all", str(root), "--json")
    assert result.returncode == 1, result.stderr
    data = json_of(result, "sync")
    assert [(r["name"], r["result"], r["status"]) for r in data["results"]] == [
        ("acme/api", "ok", "synced"), ("gone", "failed", "unreachable"), ("partner", "failed", "unreachable")]
    assert (data["counts"], data["unreachable"]) == ({"ok": 1, "failed": 2, "skipped": 0}, 2)
    assert data["results"][2]["location"] == "http://127.0.0.1:9/api/v1/federation"
    assert "127.0.0.1:9" in data["results"][2]["error"]
    text = crossdeck("sync", str(root), "--all")
    assert text.returncode == 1
    assert f"error: no repository at {tmp_path / 'missing.git'}" in text.stdout


# -- remote check ------------------------------------------------------------------------------
def test_remote_check_reports_and_exits_1_on_an_unreachable_remote(tmp_path: Path, anchored: None) -> None:
    source, bare = api_remote(tmp_path)
    port = closed_port_url()
    root = web(tmp_path, [{"url": "github.com/acme/api", "git_url": bare.as_uri()}, {"name": "down", "url": port, "transport": "git"}])
    result = crossdeck("remote", "check", str(root), "--json")  # an existing folder is a root, not a NAME
    assert result.returncode == 1, result.stderr
    data = json_of(result, "remote-check")
    ok, down = data["results"]
    assert (ok["result"], ok["head"], ok["status"], ok["last_success_at"]) == (
        "ok", source.head.commit.hexsha, "stale", NOW)  # reachable, never synced: stale
    assert ok["latency_ms"] is not None and ok["latency_ms"] >= 0
    assert (down["result"], down["attempts"], down["status"], down["failures"]) == ("failed", 3, "unreachable", 1)
    assert "127.0.0.1" in down["error"] and down["last_error"] == down["error"]

    only = crossdeck("remote", "check", "acme/api", str(root), "--json")
    assert only.returncode == 0, only.stderr
    assert [r["name"] for r in json_of(only, "remote-check")["results"]] == ["acme/api"]
    text = crossdeck("remote", "check", "down", str(root))
    assert text.returncode == 1
    assert "failed after 3 attempts" in text.stderr and "failing since 2026-11-20T12:00:00Z (2 failed in a row)" in text.stdout
    unknown = crossdeck("remote", "check", "nosuch", str(root))
    assert unknown.returncode == 2


def test_remote_check_of_an_unreachable_http_remote_fails_and_is_recorded(tmp_path: Path) -> None:
    root = web(tmp_path, [{"name": "partner", "url": "http://127.0.0.1:9/api/v1/federation"}])
    result = crossdeck("remote", "check", str(root))
    assert result.returncode == 1, result.stderr
    assert "GET http://127.0.0.1:9/api/v1/federation/info" in result.stdout
    assert [s.status for s in store.remote_states().values()] == ["unreachable"]


# -- the demo ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("home")
    saved = os.environ.get("CROSSDECK_HOME")
    os.environ["CROSSDECK_HOME"] = str(home)  # where the demo is made from: its own home is inside the copy
    try:
        return prepare_demo(tmp_path_factory.mktemp("demo") / "d")
    finally:
        if saved is None:
            os.environ.pop("CROSSDECK_HOME")
        else:
            os.environ["CROSSDECK_HOME"] = saved


def test_the_demo_remotes_tell_every_state_on_a_fresh_machine(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert demo.problems == []
    monkeypatch.setenv("CROSSDECK_HOME", demo.home)
    result = crossdeck("remote", "list", demo.workspaces, "--json")
    assert result.returncode == 0, result.stderr
    data = json_of(result, "remote-list")
    states = {(r["workspace"], r["name"]): r for r in data["remotes"]}
    synced = states[("hop://acme.dev/storefront", "globex-payments")]
    assert (synced["state"], synced["url"]) == ("synced", (Path(demo.workspaces) / "towns/globex-payments").as_uri())
    stale = {k for k, r in states.items() if r["state"] == "stale"}
    assert stale == {("hop://acme.dev/storefront", "kestrel"), ("hop://kim@kestrel.works/kestrel", "globex-payments")}
    assert 3 * 3600 <= states[("hop://acme.dev/storefront", "kestrel")]["sync_age_seconds"] < 3 * 3600 + 120
    down = states[("hop://globex.io/payments", "initech-risk")]
    assert (down["state"], down["transport"], down["circuit_state"], down["failures"]) == ("unreachable", "git", "open", 3)
    assert "127.0.0.1" in down["last_error"]
    assert data["counts"]["never-checked"] == len(states) - 4
    for folder in ("towns/acme-storefront", "towns/globex-payments"):  # the rewrites are committed
        repo = git.Repo(Path(demo.workspaces) / folder)
        assert not repo.is_dirty(untracked_files=True), folder
        assert repo.head.commit.message.startswith("Point remote ")
        assert repo.head.commit.author.name == repo.head.commit.committer.name
        repo.close()


def test_remote_check_on_the_demo_fails_on_initech_only(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_HOME", demo.home)
    result = crossdeck("remote", "check", demo.workspaces, "--json")
    assert result.returncode == 1, result.stderr
    data = json_of(result, "remote-check")
    assert [(r["workspace"], r["name"]) for r in data["results"] if r["status"] == "unreachable"] == [
        ("hop://globex.io/payments", "initech-risk")]
    assert {r["name"] for r in data["results"] if r["result"] == "skipped"} == {
        "globex-io/merchant-portal", "hackday/price-scraper"}  # identity URLs only


def test_a_single_demo_town_sees_its_remotes_from_the_cache(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_HOME", demo.home)
    fed = load_federation([Path(demo.workspaces) / "towns" / "acme-storefront"])
    added = include_remote_workspaces(fed)
    assert {w.name for w in added} == {"hop://globex.io/payments", "hop://kim@kestrel.works/kestrel"}
    assert all(w.remote_cache for w in added)
    assert all(Path(w.root).is_relative_to(Path(demo.home) / "cache" / "checkouts") for w in added)
