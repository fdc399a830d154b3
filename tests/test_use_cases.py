"""Use cases 1, 2 and 3 of the sudocode federation design, as sample_workspaces/README.md tells
them with crossdeck's verbs, each run as its users would: every workspace its own git repository
and its own crossdeck home, meeting only through git (`crossdeck sync`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.round_trip_helpers import Side, lines
from tests.test_sync_create import demo_copy

FRONT_REMOTE, API_REMOTE = "acme-dev/api-service", "acme-dev/frontend"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


def _request_id(output: str) -> str:
    match = re.search(r"^sent (req-[0-9a-f]+) ", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_use_case_1_microservices_dependency_tracking(demo: Path, tmp_path: Path) -> None:
    front = Side(demo / "sudocode" / "frontend", tmp_path / "home-frontend", "claude-code-agent")
    api = Side(demo / "sudocode" / "api-service", tmp_path / "home-api", "bob@acme.dev")
    front.run("sync", FRONT_REMOTE)
    before = set(front.json("blockers", "i-8b4c")["blockers"])  # what api-service already had blocking it
    sent = front.run("request", "create", "--to", FRONT_REMOTE, "--type", "create_issue",
                     "--title", "Add user avatar endpoint",
                     "--description", "Frontend needs POST /api/v1/users/:id/avatar",
                     "--label", "api", "--label", "frontend-request", "--from-item", "i-8b4c", "--blocks", "i-8b4c")
    rid = _request_id(sent.stdout)
    assert "sees it as pending when it syncs you" in sent.stdout

    api.run("sync", API_REMOTE)
    assert rid in api.run("approvals").stdout
    approved = api.json("approve", rid)
    new = approved["created"]
    assert approved["after"] == "completed"

    front.run("sync", FRONT_REMOTE)
    assert set(front.json("blockers", "i-8b4c")["blockers"]) == before | {new["key"]}

    api.run("close", new["id"], "--reason", "shipped")
    front.run("sync", FRONT_REMOTE)
    assert set(front.json("blockers", "i-8b4c")["blockers"]) == before

    # what each workspace ends with
    [ours] = [r for r in lines(front.root / ".sudocode" / "federation" / "requests.jsonl") if r["request_id"] == rid]
    assert (ours["direction"], ours["status"], ours["payload"]["blocks"]) == (
        "outgoing", "pending", ["acme-dev/frontend#i-8b4c"])  # the sender's line; its outcome is the receiver's
    outgoing = [o for o in front.json("approvals", "--all")["outgoing"] if o["request_id"] == rid]
    assert [(o["status"], o["created"]) for o in outgoing] == [("completed", new["key"])]
    theirs = [r for r in lines(api.root / ".sudocode" / "federation" / "requests.jsonl") if r["request_id"] == rid]
    assert [r["status"] for r in theirs] == ["pending", "approved", "completed"]
    issue = next(r for r in lines(api.root / ".sudocode" / "issues.jsonl") if r["id"] == new["id"])
    assert (issue["status"], issue["title"], issue["tags"]) == ("closed", "Add user avatar endpoint",
                                                                ["api", "frontend-request"])
    assert {"type": "blocks", "to": "acme-dev/frontend#i-8b4c"}.items() <= next(
        rel for rel in issue["relationships"] if rel["type"] == "blocks").items()


def _sudocode_issue_create(side: Side, ident: str, title: str, implements: str) -> None:
    """What ``sudocode issue create`` writes (crossdeck has no verb for a repo's own issues), committed."""
    import json

    import git

    row = {"id": ident, "uuid": f"uuid-{ident}", "title": title, "content": "", "status": "open", "priority": 2,
           "assignee": None, "archived": 0, "created_at": "2026-11-20 11:00:00", "updated_at": "2026-11-20 11:00:00",
           "closed_at": None, "parent_id": None,
           "relationships": [{"from": ident, "from_type": "issue", "to": implements, "to_type": "spec",
                              "type": "implements"}], "tags": []}
    path = side.root / ".sudocode" / "issues.jsonl"
    with path.open("a") as handle:
        handle.write(json.dumps(row) + "\n")
    repo = git.Repo(side.root)
    repo.index.add([str(path)])
    who = git.Actor(side.actor, "bob@acme.dev")
    repo.index.commit(f"issue {ident}", author=who, committer=who)


def test_use_case_2_open_source_ecosystem_coordination(demo: Path, tmp_path: Path) -> None:
    """frontend (the framework) delegates a spec to api-service (the plugin repo), which accepts
    it; the issues implementing the spec close one by one; the spec completes and the frontend
    item it came from closes, approved there."""
    front = Side(demo / "sudocode" / "frontend", tmp_path / "home-frontend", "alice@acme.dev")
    api = Side(demo / "sudocode" / "api-service", tmp_path / "home-api", "bob@acme.dev")
    front.run("sync", FRONT_REMOTE)
    sent = front.run("request", "create", "--to", FRONT_REMOTE, "--type", "delegate", "--kind", "spec",
                     "--from-item", "i-6d2a", "--title", "Saved cards API v2", "--portion", "the API",
                     "--deadline", "2026-12-15")
    rid = _request_id(sent.stdout)

    api.run("sync", API_REMOTE)
    assert rid in api.run("approvals").stdout
    spec = api.json("approve", rid)["created"]
    assert spec["kind"] == "spec" and spec["id"].startswith("s-")
    _sudocode_issue_create(api, "i-a001", "Tokenize saved cards", spec["key"])
    _sudocode_issue_create(api, "i-a002", "List saved cards", spec["key"])

    front.run("sync", FRONT_REMOTE)
    chain = next(c for c in front.json("chains")["chains"] if c[0]["key"] == "acme-dev/frontend#i-6d2a")
    assert [(c["key"], c["complete"]) for c in chain[1:] if c["depth"] == 1] == [(spec["key"], False)]

    first = api.json("close", "i-a001", "--reason", "done")
    assert first["requests"] == []  # the spec is not done: i-a002 still implements it
    second = api.json("close", "i-a002", "--reason", "done")
    [step] = second["cascade"]
    assert (step["parent"], step["child"], step["outcome"]) == ("acme-dev/frontend#i-6d2a", spec["key"],
                                                               "update requested")

    front.run("sync", FRONT_REMOTE)
    [update] = [p for p in front.json("approvals")["pending"] if p["request_id"] == step["request_id"]]
    assert update["request_type"] == "update_issue"
    front.run("approve", update["request_id"])

    # what each workspace ends with
    parent = next(r for r in lines(front.root / ".sudocode" / "issues.jsonl") if r["id"] == "i-6d2a")
    assert parent["status"] == "closed"
    chain = next(c for c in front.json("chains")["chains"] if c[0]["key"] == "acme-dev/frontend#i-6d2a")
    assert chain[0]["done"] and chain[0]["complete"] and chain[1]["complete"]
    spec_row = next(r for r in lines(api.root / ".sudocode" / "specs.jsonl") if r["id"] == spec["id"])
    assert {"to": "acme-dev/frontend#i-6d2a", "type": "implements"}.items() <= spec_row["relationships"][0].items()
    [record] = lines(api.root / ".sudocode" / "federation" / "delegations.jsonl")
    assert (record["parent"], record["child"], record["terms"]) == (
        "acme-dev/frontend#i-6d2a", spec["key"], {"portion": "the API", "deadline": "2026-12-15"})
    assert [r["status"] for r in lines(api.root / ".sudocode" / "issues.jsonl") if r["id"].startswith("i-a")] == [
        "closed", "closed"]


SERVICES = ("api-gateway", "auth-service", "billing-service", "search-service")


def test_use_case_3_multi_team_enterprise_coordination(tmp_path: Path) -> None:
    """platform asks four services for the same migration issue over git; each service carries
    out every auto-approvable request at once; platform sees all four completed."""
    from tests.round_trip_helpers import PERMISSIONS, remote_record, sudocode_side

    platform_url = "github.com/acme/platform"
    trusting_platform = {"policies": {"incoming_requests": {"mutate": {
        "allowed": True, "auto_approve": [{"condition": "trust_level === 'trusted' && priority >= 2", "notify": []}],
        "require_approval": [{"condition": "labels.includes('breaking-change')", "notify": []}]}}}}
    for name in SERVICES:
        root = tmp_path / name
        sudocode_side(root, f"github.com/acme/{name}", [remote_record(platform_url, tmp_path / "platform")], [])
        config = root / ".sudocode" / "federation.config.json"
        import json as _json

        doc = _json.loads(config.read_text())
        doc.update(trusting_platform)
        config.write_text(_json.dumps(doc, indent=2))
        import git

        repo = git.Repo(root)
        repo.index.add([str(config)])
        who = git.Actor("setup", "setup@example.com")
        repo.index.commit("trust platform's requests", author=who, committer=who)
    sudocode_side(tmp_path / "platform", platform_url,
                  [remote_record(f"github.com/acme/{n}", tmp_path / n) for n in SERVICES], [])
    platform = Side(tmp_path / "platform", tmp_path / "home-platform", "platform/crew/pat")
    assert PERMISSIONS["mutate"]["allowed"]

    platform.run("sync", "--all")
    names = [r["name"] for r in platform.json("remote", "list")["remotes"]]
    assert sorted(names) == sorted(f"acme/{n}" for n in SERVICES)
    sent = {}
    for name in names:
        out = platform.run("request", "create", "--to", name, "--type", "create_issue",
                           "--title", "Migrate to platform v2 API", "--label", "platform-migration", "--label", "q4",
                           "--priority", "2")
        sent[name] = _request_id(out.stdout)

    for name in SERVICES:
        service = Side(tmp_path / name, tmp_path / f"home-{name}", f"{name}/crew/lee")
        service.run("sync", "acme/platform")
        before = {p: p.read_bytes() for p in service.root.rglob("*.jsonl")}
        head = service.head().hexsha
        dry = service.run("approve", "--auto-approvable", "--dry-run")
        assert sent[f"acme/{name}"] in dry.stdout
        assert {p: p.read_bytes() for p in service.root.rglob("*.jsonl")} == before and service.head().hexsha == head
        service.run("approve", "--auto-approvable")
        assert service.json("approvals")["pending"] == []
        [issue] = lines(service.root / ".sudocode" / "issues.jsonl")
        assert (issue["title"], issue["tags"], issue["priority"]) == (
            "Migrate to platform v2 API", ["platform-migration", "q4"], 2)
        assert service.head().author.name == service.actor

    platform.run("sync", "--all")
    outgoing = platform.json("approvals", "--all")["outgoing"]
    assert sorted((o["request_id"], o["status"]) for o in outgoing) == sorted(
        (rid, "completed") for rid in sent.values())
    assert all(o["created"] for o in outgoing)
