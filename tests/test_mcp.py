"""``crossdeck mcp``: the SDK's own client talks to the server over stdio, on a demo copy. Each read
tool answers with its verb's ``--json`` document (the same document the command line prints,
valid against the verb's schema); the tools that act exist only with an actor, and act as it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp", reason="the mcp extra is not installed (pip install '.[test]' brings it)")

from mcp import Client, StdioServerParameters

from tests.conftest import PROJECT
from tests.schema_check import assert_matches_schema
from tests.web_helpers import demo_copy

READ_TOOLS = {"crossdeck_summary": "summary", "crossdeck_stale": "stale", "crossdeck_chains": "chains",
              "crossdeck_blockers": "blockers", "crossdeck_show": "show", "crossdeck_list": "list",
              "crossdeck_approvals": "approvals", "crossdeck_audit": "audit", "crossdeck_remotes": "remote-list",
              "crossdeck_remotes_check": "remote-check", "cross_repo_query": "query",
              "cross_repo_watch": "mcp-watch"}
ACTING_TOOLS = {"cross_repo_create_issue", "crossdeck_approve", "crossdeck_reject"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield demo_copy(tmp_path_factory.mktemp("mcp") / "demo")


def _env(demo: Path, actor: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CROSSDECK_HOME", "BD_ACTOR")}
    env |= {"PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(demo / "home")}
    return env | ({"BD_ACTOR": actor} if actor else {})


@asynccontextmanager
async def connected(demo: Path, actor: str | None = None) -> AsyncIterator[Client]:
    server = StdioServerParameters(command=sys.executable, args=["-m", "tui", "mcp", str(demo / "workspaces")],
                                   env=_env(demo, actor), cwd=str(demo))
    async with Client(server, read_timeout_seconds=120) as client:
        yield client


def _cli(demo: Path, *words: str, actor: str | None = None) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "tui", *words, str(demo / "workspaces"), "--json"],
                          env=_env(demo, actor), capture_output=True, text=True, timeout=120, check=False)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _data(result: Any) -> dict[str, Any]:
    """The result's document, checked to be marked as untrusted and to say the same in its text."""
    assert result.meta["dev.crossdeck/untrusted"] is True
    notice, data = result.content
    assert notice.text.startswith("UNTRUSTED DATA") and notice.annotations.audience == ["assistant"]
    assert data.meta == {"dev.crossdeck/untrusted": True}
    document = json.loads(data.text)
    if not result.is_error:
        assert document == result.structured_content
    return document  # type: ignore[no-any-return]


def test_read_tools_answer_with_the_verbs_json(demo: Path) -> None:
    calls = {"crossdeck_summary": {}, "crossdeck_stale": {"all": True}, "crossdeck_chains": {},
             "crossdeck_blockers": {"ref": "i-8b4c"}, "crossdeck_show": {"ref": "i-8b4c"},
             "crossdeck_list": {"status": ["open"]}, "crossdeck_approvals": {},
             "crossdeck_audit": {"workspace": "api-service", "limit": 5}, "crossdeck_remotes": {},
             "crossdeck_remotes_check": {},
             "cross_repo_watch": {"repo_url": "github.com/acme-dev/api-service"},
             "cross_repo_query": {"repo_url": "github.com/acme-dev/api-service", "entity": "issue",
                                  "filters": {"status": "open"}}}

    async def session() -> tuple[list[Any], dict[str, Any]]:
        async with connected(demo) as client:
            listed = (await client.list_tools()).tools
            results = {}
            for name, arguments in calls.items():  # watch before query: the watch syncs the git remote
                results[name] = await client.call_tool(name, arguments)
            return listed, results

    listed, results = anyio.run(session)
    assert {tool.name for tool in listed} == set(READ_TOOLS)  # no actor: nothing that acts
    for tool in listed:
        assert tool.output_schema["$schema"].startswith("https://json-schema.org/")
        assert tool.annotations.read_only_hint is True
    for name, result in results.items():
        assert not result.is_error, (name, result.content[-1].text)
        assert_matches_schema(READ_TOOLS[name], _data(result))
    # the same document the command line prints (the clock-free verbs)
    assert results["crossdeck_summary"].structured_content == _cli(demo, "summary")
    assert results["crossdeck_show"].structured_content == _cli(demo, "show", "i-8b4c")
    assert results["crossdeck_approvals"].structured_content["pending"] == _cli(demo, "approvals")["pending"]
    query = results["cross_repo_query"].structured_content
    assert query["items"] and {item["status"] for item in query["items"]} == {"open"}
    watched = results["cross_repo_watch"].structured_content
    assert watched["transport"] == "git" and len(watched["cursor"]) == 40 and watched["sync"]["result"] == "ok"


def test_watch_lists_what_changed_in_a_git_remote_since_the_cursor(demo: Path) -> None:
    async def watch(cursor: str | None) -> dict[str, Any]:
        async with connected(demo) as client:
            arguments = {"repo_url": "github.com/acme-dev/api-service"} | ({"cursor": cursor} if cursor else {})
            result = await client.call_tool("cross_repo_watch", arguments)
            assert not result.is_error, result.content[-1].text
            return result.structured_content  # type: ignore[no-any-return]

    first = anyio.run(watch, None)
    again = anyio.run(watch, first["cursor"])
    assert again["changed"] is False and again["files"] == [] and again["cursor"] == first["cursor"]
    served = demo / "workspaces" / "sudocode" / "api-service"
    (served / "NOTES.md").write_text("a change the watch should see\n")
    subprocess.run(["git", "add", "NOTES.md"], cwd=served, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "notes"],
                   cwd=served, check=True)
    later = anyio.run(watch, first["cursor"])
    assert later["changed"] is True and later["since"] == first["cursor"] and later["cursor"] != first["cursor"]
    assert {"status": "A", "path": "NOTES.md"} in later["files"]


def test_an_error_is_marked_and_says_why(demo: Path) -> None:
    async def call() -> Any:
        async with connected(demo) as client:
            return await client.call_tool("crossdeck_show", {"ref": "no-such-item-anywhere"})

    result = anyio.run(call)
    assert result.is_error
    document = _data(result)
    assert_matches_schema("error", document)
    assert "no-such-item-anywhere" in document["error"]


def test_with_an_actor_a_request_is_created_and_approved(tmp_path: Path) -> None:
    demo = demo_copy(tmp_path / "demo")
    title = "Serve resized avatars (asked by an agent)"

    async def session() -> tuple[set[str], str, Any, Any]:
        async with connected(demo, actor="api-service/crew/maya") as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            created = await client.call_tool("cross_repo_create_issue", {
                "repo_url": "github.com/acme-dev/api-service", "title": title, "priority": 1,
                "description": "an agent asks for it"})
            assert not created.is_error, created.content[-1].text
            assert_matches_schema("request-create", _data(created))
            request_id = created.structured_content["request_id"]
            approved = await client.call_tool("crossdeck_approve", {"request": request_id})
            return set(tools), tools["crossdeck_approve"].description, created, approved

    names, description, created, approved = anyio.run(session)
    assert ACTING_TOOLS <= names
    assert "Acts as api-service/crew/maya" in description
    assert created.structured_content["actor"] == "api-service/crew/maya"
    assert not approved.is_error, approved.content[-1].text
    assert_matches_schema("approve", _data(approved))
    issues = (demo / "workspaces" / "sudocode" / "api-service" / ".sudocode" / "issues.jsonl").read_text()
    assert title in issues  # the new item, on disk
    audit = _cli(demo, "audit", "--workspace", "api-service", "--actor", "api-service/crew/maya")
    request_id = created.structured_content["request_id"]
    assert any(request_id in json.dumps(event) and event["type"] == "approve" for event in audit["events"]), \
        [event["type"] for event in audit["events"]]


def test_without_the_extra_the_verb_names_the_install_command(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    (blocker / "mcp").mkdir(parents=True)
    (blocker / "mcp" / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{PROJECT}"}
    done = subprocess.run([sys.executable, "-m", "tui", "mcp", str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["crossdeck mcp needs the mcp extra: pip install 'crossdeck[mcp]'"]


def test_watch_returns_an_http_remotes_events_after_the_cursor(tmp_path: Path) -> None:
    """frontend follows api-service over HTTP (a real ``crossdeck serve``, a token, as the README
    does): the watch's first answer gives a cursor; once api-service approves frontend's request,
    the next answer from that cursor holds the events it caused, and a newer cursor."""
    from tests.web_helpers import web_process

    demo = demo_copy(tmp_path / "demo")
    sudocode = demo / "workspaces" / "sudocode"
    env = _env(demo, None)
    serve = [sys.executable, "-m", "tui", "serve", str(sudocode / "api-service"), "--port", "0"]
    with web_process(serve, env) as (_, line):
        url = line.split(" on ", 1)[1]
        for words, stdin in ((["remote", "add", "api", url, "--trust", "verified"], None),
                             (["token", "issue", "acme-dev/frontend", "../api-service"], None)):
            done = subprocess.run([sys.executable, "-m", "tui", *words], cwd=sudocode / "frontend", input=stdin,
                                  env=env | {"BD_ACTOR": "frontend/crew/ana"}, capture_output=True, text=True,
                                  timeout=120, check=False)
            assert done.returncode == 0, done.stderr
        added = subprocess.run([sys.executable, "-m", "tui", "token", "add", "api"], cwd=sudocode / "frontend",
                               input=done.stdout, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert added.returncode == 0, added.stderr

        async def session() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            async with connected(demo) as client:
                async def watch(cursor: str | None, wait: float) -> dict[str, Any]:
                    arguments = {"repo_url": "api", "wait_seconds": wait} | ({"cursor": cursor} if cursor else {})
                    result = await client.call_tool("cross_repo_watch", arguments)
                    assert not result.is_error, result.content[-1].text
                    assert_matches_schema("mcp-watch", _data(result))
                    return result.structured_content  # type: ignore[no-any-return]

                first = await watch(None, 0.5)
                approved = await anyio.to_thread.run_sync(lambda: subprocess.run(
                    [sys.executable, "-m", "tui", "approve", "req-7c2e41", str(sudocode / "api-service")],
                    env=env | {"BD_ACTOR": "api-service/crew/maya"}, capture_output=True, text=True, timeout=120,
                    check=False))
                assert approved.returncode == 0, approved.stderr
                answers = []
                with anyio.fail_after(120):
                    while not any(answer["events"] for answer in answers):
                        answers.append(await watch(first["cursor"], 3))
                return first, answers

        first, answers = anyio.run(session)
    assert first["transport"] == "http" and first["remote"] == "api" and first["workspace"] == "acme-dev/frontend"
    later = answers[-1]
    assert later["since"] == first["cursor"] and later["changed"] is True
    assert int(later["cursor"]) > int(first["cursor"])
    assert all(int(event["id"]) > int(first["cursor"]) for event in later["events"])
    assert "req-7c2e41" in json.dumps(later["events"])
