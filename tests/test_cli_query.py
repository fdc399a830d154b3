"""``crossdeck query`` as a user runs it (a real process): an HTTP remote asked now, against a real
federation server on 127.0.0.1 (tests/http_fixtures.py), with the token kept for it, refused
without one or beyond our permissions, and unreachable; a git remote answered from what
``crossdeck sync`` fetched of a real repository made in tmp_path, saying how old that is, and
never synced; unknown and ambiguous remote names. ``--json`` validates against its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
import pytest

from core import tokens
from tests.conftest import write_jsonl
from tests.http_client_helpers import API_REMOTE, FRONTEND_WS, closed_port, set_http_url
from tests.http_fixtures import MERCHANT, Served
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_git_remote import bare_remote, commit_all, local_workspace, push, sudocode_repo

T0 = "2026-11-20T12:00:00Z"
TWO_HOURS_LATER = "2026-11-20T14:00:00Z"


def table_of(stdout: str) -> tuple[str, list[list[str]]]:
    """The header line and the table's rows (cells split on runs of two spaces), header row first."""
    head, *rest = stdout.splitlines()
    rows = [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in rest if line.strip()]
    return head, rows


def ids(stdout: str) -> list[str]:
    _, rows = table_of(stdout)
    assert rows[0] == ["ID", "STATUS", "PRIORITY", "TITLE", "LABELS"]
    return [row[0] for row in rows[1:]]


def answered(*args: str) -> dict[str, Any]:
    result = crossdeck("query", *args, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema("query", data)
    return data  # type: ignore[no-any-return]


# -- an HTTP remote (frontend's acme-dev/api-service, served: tests/http_fixtures.py) --------------
def test_open_issues_labels_and_specs_over_http(frontend: Path, served: Served) -> None:
    open_issues = crossdeck("query", API_REMOTE, "issue", str(frontend), "--status", "open")
    assert open_issues.returncode == 0, open_issues.stderr
    head, rows = table_of(open_issues.stdout)
    assert head.startswith(f"2 issues (status open) of acme-dev/api-service, answered over HTTP by {served.base} "
                           "(remote acme-dev/api-service of acme-dev/frontend), as of ")
    assert rows[1:] == [["i-2d8c", "open", "3", "Document the public /api/v1/prices feed", "docs"],
                        ["i-5e2b", "open", "1", "Rate-limit /api/v1/users", "api"]]

    labelled = crossdeck("query", API_REMOTE, "--label", "api", "issue", str(frontend))  # options anywhere
    assert labelled.returncode == 0, labelled.stderr
    assert ids(labelled.stdout) == ["i-0f9a", "i-3c1d", "i-5e2b"]
    both = crossdeck("query", API_REMOTE, str(frontend), "--label", "api", "--label", "frontend-request")
    assert ids(both.stdout) == ["i-3c1d"]

    specs = crossdeck("query", API_REMOTE, "spec", str(frontend))
    assert specs.returncode == 0, specs.stderr
    assert table_of(specs.stdout)[1][1:] == [["s-6e1a", "-", "1", "Users API v1", "users"]]  # a spec has no status
    no_status = crossdeck("query", API_REMOTE, "spec", str(frontend), "--status", "open")
    assert no_status.returncode == 0, no_status.stderr
    assert no_status.stdout.startswith("0 specs (status open) of acme-dev/api-service, answered over HTTP")
    assert no_status.stdout.splitlines()[1] == "nothing matches"


def test_json_over_http_asks_every_kind_when_none_is_named(frontend: Path, served: Served) -> None:
    data = answered(API_REMOTE, str(frontend))
    assert (data["remote"], data["workspace"], data["transport"], data["source"], data["location"]) == (
        API_REMOTE, FRONTEND_WS, "http", "http", served.base)
    assert (data["remote_workspaces"], data["entity"], data["refused"], data["synced_at"]) == (
        ["acme-dev/api-service"], None, {}, None)
    assert [(i["id"], i["kind"], i["status"]) for i in data["items"]] == [
        ("i-0f9a", "issue", "closed"), ("i-2d8c", "issue", "open"), ("i-3c1d", "issue", "in_progress"),
        ("i-5e2b", "issue", "open"), ("s-6e1a", "spec", None)]
    assert data["count"] == 5
    profile = data["items"][2]
    assert (profile["key"], profile["priority"], profile["labels"], profile["assignee"]) == (
        "acme-dev/api-service#i-3c1d", 2, ["api", "frontend-request"], "bob")

    busy = answered(API_REMOTE, str(frontend), "--status", "open,in_progress")
    assert busy["filters"] == {"status": ["open", "in_progress"], "labels": None}
    assert [i["id"] for i in busy["items"]] == ["i-2d8c", "i-3c1d", "i-5e2b"]  # the spec matches no status


def test_remote_text_is_shown_on_one_printable_line(frontend: Path, served: Served) -> None:
    issues = served.root / ".sudocode" / "issues.jsonl"
    write_jsonl(issues, [{"id": "i-evil", "title": "red\x1b[31m alert\nsecond line", "status": "open",
                          "tags": ["[bold]x[/bold]"]}])
    served.rescan()
    result = crossdeck("query", API_REMOTE, "issue", str(frontend))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert len(result.stdout.splitlines()) == 4  # header, blank, titles, one row
    assert table_of(result.stdout)[1][1] == ["i-evil", "open", "-", "red\\x1b[31m alert second line", "[bold]x[/bold]"]


def test_without_a_token_the_refusal_says_how_to_keep_one(sudocode_copy: Path, served: Served) -> None:
    root = sudocode_copy / "frontend"
    set_http_url(root, "github.com/acme-dev/api-service", served.url)  # no token kept
    result = crossdeck("query", API_REMOTE, str(root))
    assert (result.returncode, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("crossdeck query: acme-dev/api-service (a remote of acme-dev/frontend) refused the query, "
                           "we keep no token for it: POST ")
    assert "401 unauthorized" in line and "`crossdeck token add acme-dev/api-service`" in line


def test_beyond_our_permissions_the_refusal_names_the_rule(sudocode_copy: Path, served: Served) -> None:
    root = sudocode_copy / "frontend"
    set_http_url(root, "github.com/acme-dev/api-service", served.url)
    tokens.remember(FRONTEND_WS, API_REMOTE, served.token(MERCHANT))  # it may query issues, by status only
    spec = crossdeck("query", API_REMOTE, "spec", str(root))
    assert (spec.returncode, spec.stdout) == (1, "")
    assert "refused the query: POST " in spec.stderr and "403 forbidden" in spec.stderr
    assert "may not query spec" in spec.stderr and "ask its maintainer" in spec.stderr
    labels = crossdeck("query", API_REMOTE, "issue", str(root), "--label", "api")
    assert labels.returncode == 1 and "may not filter by labels" in labels.stderr

    some = crossdeck("query", API_REMOTE, str(root), "--json")  # every kind: the refused one is left out
    assert some.returncode == 0, some.stderr
    data = json.loads(some.stdout)
    assert_matches_schema("query", data)
    assert [i["kind"] for i in data["items"]] == ["issue"] * 4
    assert list(data["refused"]) == ["spec"] and "may not query spec" in data["refused"]["spec"]
    assert "crossdeck query: specs left out: POST " in some.stderr


def test_an_unreachable_http_remote_is_one_line_naming_it(sudocode_copy: Path) -> None:
    root = sudocode_copy / "frontend"
    port = closed_port()
    set_http_url(root, "github.com/acme-dev/api-service", f"http://127.0.0.1:{port}")
    result = crossdeck("query", API_REMOTE, "issue", str(root), "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["error"] == result.stderr.strip()
    [line] = result.stderr.splitlines()
    assert line.startswith("crossdeck query: acme-dev/api-service (a remote of acme-dev/frontend) cannot be reached: "
                           f"GET http://127.0.0.1:{port}/api/v1/federation/info: ")


# -- a git remote, from the cache -----------------------------------------------------------------
@pytest.fixture
def api_repo(tmp_path: Path) -> tuple[git.Repo, Path]:
    """acme/api: three issues (two open, one labelled api) and a spec with no status, pushed to a
    bare repository."""
    source = sudocode_repo(tmp_path / "api-src", "acme/api", [
        {"id": "i-1", "title": "endpoint", "status": "open", "priority": 1, "tags": ["api"], "assignee": "ann"},
        {"id": "i-2", "title": "docs", "status": "open", "priority": 3},
        {"id": "i-3", "title": "old", "status": "closed", "priority": 2, "tags": ["api"]}])
    write_jsonl(tmp_path / "api-src" / ".sudocode" / "specs.jsonl", [{"id": "s-1", "title": "API v1", "priority": 1}])
    commit_all(source, "Add a spec")
    return source, bare_remote(tmp_path / "remotes" / "api.git", source)


@pytest.fixture
def web(tmp_path: Path, api_repo: tuple[git.Repo, Path]) -> Path:
    return local_workspace(tmp_path / "web", [{"url": "github.com/acme/api", "git_url": api_repo[1].as_uri()}])


def synced(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", T0)
    result = crossdeck("sync", "acme/api", str(root))
    assert result.returncode == 0, result.stderr
    monkeypatch.setenv("CROSSDECK_NOW", TWO_HOURS_LATER)


def test_a_git_remote_is_answered_from_its_cache_with_its_age(web: Path, api_repo: tuple[git.Repo, Path],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source, bare = api_repo
    synced(web, monkeypatch)
    commit = source.head.commit.hexsha
    write_jsonl(Path(source.working_dir) / ".sudocode" / "issues.jsonl", [{"id": "i-9", "title": "new", "status": "open"}])
    commit_all(source, "Replace the issues")
    push(source, bare)  # not synced since: the cache still holds the first commit

    result = crossdeck("query", "acme/api", "issue", str(web), "--status", "open")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"2 issues (status open) of acme/api, from the cache of acme/api (remote of acme/web: git {bare.as_uri()} "
        f"at commit {commit[:12]}), synced 2 hours ago (2026-11-20 12:00 UTC); stale: `crossdeck sync acme/api` "
        "refreshes it")
    assert table_of(result.stdout)[1][1:] == [["i-1", "open", "1", "endpoint", "api"], ["i-2", "open", "3", "docs", "-"]]

    data = answered("acme/api", str(web), "--label", "api")
    assert (data["source"], data["transport"], data["location"], data["commit"]) == ("cache", "git", bare.as_uri(), commit)
    assert (data["synced_at"], data["as_of"], data["cache_status"], data["remote_workspaces"]) == (
        T0, T0, "stale", ["acme/api"])
    assert [(i["key"], i["status"], i["assignee"]) for i in data["items"]] == [
        ("acme/api#i-1", "open", "ann"), ("acme/api#i-3", "closed", None)]
    everything = answered("acme/api", str(web))
    assert [(i["id"], i["kind"], i["status"]) for i in everything["items"]] == [
        ("i-1", "issue", "open"), ("i-2", "issue", "open"), ("i-3", "issue", "closed"), ("s-1", "spec", None)]
    assert [i["id"] for i in answered("acme/api", str(web), "--status", "open")["items"]] == ["i-1", "i-2"]
    assert [i["id"] for i in answered("acme/api", "spec", str(web))["items"]] == ["s-1"]


def test_the_cache_answers_when_the_remote_is_loaded_here_too(web: Path, api_repo: tuple[git.Repo, Path],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    source, _ = api_repo
    synced(web, monkeypatch)
    write_jsonl(Path(source.working_dir) / ".sudocode" / "issues.jsonl", [{"id": "i-9", "title": "new", "status": "open"}])
    data = answered("acme/api", "issue", str(web), source.working_dir)  # the local copy is loaded, and changed
    assert [i["id"] for i in data["items"]] == ["i-1", "i-2", "i-3"]
    assert data["source"] == "cache"


def test_a_git_remote_never_synced_says_to_sync_it_first(web: Path) -> None:
    result = crossdeck("query", "acme/api", str(web), "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["error"] == result.stderr.strip()
    assert result.stderr == ("crossdeck query: acme/api (a remote of acme/web) was never synced: "
                             "run `crossdeck sync acme/api` first\n")


# -- naming the remote ----------------------------------------------------------------------------
def test_an_unknown_remote_is_a_usage_error_as_for_sync(web: Path) -> None:
    result = crossdeck("query", "nope", str(web))
    assert (result.returncode, result.stdout) == (2, "")
    assert "no loaded workspace has a remote named 'nope' (crossdeck remote list shows them)" in result.stderr
    assert crossdeck("sync", "nope", str(web)).returncode == result.returncode


def test_a_name_two_workspaces_use_needs_the_workspace(tmp_path: Path, api_repo: tuple[git.Repo, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    remote = {"name": "api", "url": "github.com/acme/api", "git_url": api_repo[1].as_uri()}
    web = local_workspace(tmp_path / "both" / "web", [remote])
    app = tmp_path / "both" / "app"
    local_workspace(app, [remote])
    config = app / ".sudocode" / "federation.config.json"
    config.write_text(config.read_text().replace("github.com/acme/web", "github.com/acme/app"))
    both = crossdeck("query", "api", str(tmp_path / "both"))
    assert both.returncode == 2
    assert ("crossdeck query: 2 remotes answer to 'api': name one as WORKSPACE:REMOTE (acme/app:api, acme/web:api)"
            in both.stderr)
    monkeypatch.setenv("CROSSDECK_NOW", T0)
    assert crossdeck("sync", "acme/web:api", str(web)).returncode == 0
    data = answered("acme/web:api", str(tmp_path / "both"))
    assert (data["workspace"], data["remote"], len(data["items"])) == ("acme/web", "api", 4)
    other = crossdeck("query", "acme/app:api", str(tmp_path / "both"))
    assert other.returncode == 1 and "was never synced" in other.stderr
