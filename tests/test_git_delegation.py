"""Delegation across kinds over git, between two repositories and two users: a town delegates to a
sudocode repo and a sudocode repo to a town; the receiver approves, the child is created in its own
stored form with the delegation, and closing it cascades back to the parent in its workspace
(an update_issue request the parent's workspace approves)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import bead, real_town, write_json, write_jsonl
from tests.round_trip_helpers import (
    PERMISSIONS,
    Side,
    commit_all,
    lines,
    remote_record,
    sudocode_issue,
    sudocode_side,
)

API = "github.com/acme/api"
TOWN = "hop://steve@example.com/main-town"
PARENT = f"{TOWN}/gastown/gt-p1"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Side, Side]:
    town_root, api_root = tmp_path / "town", tmp_path / "api"
    real_town(town_root, {"gastown": "gt"})
    write_jsonl(town_root / "gastown" / ".beads" / "issues.jsonl", [bead("gt-p1", "Ship the plugin system")])
    write_json(town_root / ".crossdeck" / "remotes.json", {"remotes": [{**remote_record(API, api_root), "name": "api"}]})
    commit_all(town_root)
    town_remote = {"name": "town", "url": TOWN, "git_url": str(town_root), "workspace": TOWN,
                   "trust_level": "trusted", "permissions": PERMISSIONS}
    sudocode_side(api_root, API, [town_remote], [sudocode_issue("i-1", "Auth rework")])
    return (Side(town_root, tmp_path / "home-town", "gastown/crew/joe"),
            Side(api_root, tmp_path / "home-api", "api/crew/bob"))


def _pending(side: Side) -> list[dict]:
    return side.json("approvals")["pending"]


def test_a_town_delegates_to_a_sudocode_repo_and_the_close_cascades_back(pair: tuple[Side, Side]) -> None:
    town, api = pair
    town.run("sync", "api")
    sent = town.json("request", "create", "--to", "api", "--type", "delegate", "--from-item", "gt-p1",
                     "--title", "Auth plugin for v2.0", "--portion", "auth", "--deadline", "2026-12-31")
    assert sent["transport"] == "git"
    api.run("sync", "town")
    [pending] = _pending(api)
    assert (pending["request_id"], pending["request_type"]) == (sent["request_id"], "delegate")
    approved = api.json("approve", sent["request_id"])
    child = approved["created"]
    assert child["kind"] == "issue" and child["delegated_from"]["parent"] == PARENT
    issue = next(r for r in lines(api.root / ".sudocode" / "issues.jsonl") if r["id"] == child["id"])
    assert {"from": child["id"], "from_type": "issue", "to": PARENT, "to_type": "issue",
            "type": "implements"} in issue["relationships"]
    [record] = lines(api.root / ".sudocode" / "federation" / "delegations.jsonl")
    assert (record["type"], record["parent"], record["child"], record["terms"]) == (
        "delegation", PARENT, child["key"], {"portion": "auth", "deadline": "2026-12-31"})
    chains = api.json("chains")
    assert any(c[0]["key"] == PARENT and [k["key"] for k in c if k["parent"] == PARENT] == [child["key"]]
               for c in chains["chains"])  # each chain flat: its root first, each node naming its parent

    closed = api.json("close", child["id"], "--reason", "shipped")
    [step] = closed["cascade"]
    assert (step["parent"], step["outcome"]) == (PARENT, "update requested")
    town.run("sync", "api")
    [update] = _pending(town)
    assert (update["request_type"], update["request_id"]) == ("update_issue", step["request_id"])
    done = town.json("approve", step["request_id"])
    assert done["updated"]["key"] == PARENT
    row = next(r for r in lines(town.root / "gastown" / ".beads" / "issues.jsonl") if r["id"] == "gt-p1")
    assert row["status"] == "closed"
    chains = town.json("chains")
    parent = next(c[0] for c in chains["chains"] if c[0]["key"] == PARENT)
    assert parent["done"] and parent["complete"]


def test_a_sudocode_repo_delegates_to_a_town_and_the_close_cascades_back(pair: tuple[Side, Side]) -> None:
    town, api = pair
    api.run("sync", "town")
    sent = api.json("request", "create", "--to", "town", "--type", "delegate", "--from-item", "i-1",
                    "--rig", "gastown", "--title", "Token store for auth")
    town.run("sync", "api")
    approved = town.json("approve", sent["request_id"])
    child = approved["created"]
    assert child["key"].startswith(f"{TOWN}/gastown/gt-")
    row = next(r for r in lines(town.root / "gastown" / ".beads" / "issues.jsonl") if r["id"] == child["id"])
    assert row["metadata"]["delegated_from"]["parent"] == "acme/api#i-1"
    [record] = lines(town.root / ".beads" / "federation.jsonl")
    assert (record["parent"], record["child"]) == ("acme/api#i-1", child["key"])

    closed = town.json("close", child["id"])
    [step] = closed["cascade"]
    assert (step["parent"], step["outcome"]) == ("acme/api#i-1", "update requested")
    api.run("sync", "town")
    [update] = _pending(api)
    api.run("approve", update["request_id"])
    assert lines(api.root / ".sudocode" / "issues.jsonl")[0]["status"] == "closed"
