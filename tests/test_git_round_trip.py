"""A request between two workspaces that only meet through git (two repositories, two users,
two processes, no HTTP): sent, read by the receiver from its fetched copy of the sender exactly
once however often it syncs, decided there, and seen decided by the sender once it syncs back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.round_trip_helpers import Side, lines, remote_record, sudocode_issue, sudocode_side

FRONTEND, API = "github.com/acme/frontend", "github.com/acme/api"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Side, Side]:
    front_root, api_root = tmp_path / "frontend", tmp_path / "api"
    sudocode_side(front_root, FRONTEND, [remote_record(API, api_root)],
                  [sudocode_issue("i-100", "Add user profile page")])
    sudocode_side(api_root, API, [remote_record(FRONTEND, front_root)], [])
    return Side(front_root, tmp_path / "home-frontend", "frontend/crew/ann"), \
        Side(api_root, tmp_path / "home-api", "api/crew/bob")


def _send(front: Side, title: str = "Add user profile endpoint") -> str:
    sent = front.json("request", "create", "--to", "acme/api", "--type", "create_issue", "--title", title,
                      "--from-item", "i-100", "--blocks", "i-100")
    assert (sent["transport"], sent["remote"], sent["known_there_as"]) == ("git", "acme/api", "acme/frontend")
    return str(sent["request_id"])


def test_a_request_over_git_is_approved_and_seen_completed(pair: tuple[Side, Side]) -> None:
    front, api = pair
    refused = front.run("request", "create", "--to", "acme/api", "--type", "create_issue", "--title", "x",
                        "--from-item", "i-100", check=False)
    assert refused.returncode == 1
    assert "acme/api has not been synced yet" in refused.stderr and "crossdeck sync acme/api" in refused.stderr
    assert not (front.root / ".sudocode" / "federation" / "requests.jsonl").exists()
    front.run("sync", "acme/api")
    text = front.run("request", "create", "--to", "acme/api", "--type", "create_issue", "--title",
                     "Add user profile endpoint", "--from-item", "i-100", "--blocks", "i-100").stdout
    assert "recorded as outgoing in acme/frontend and committed; acme/api sees it as pending when it syncs " \
           "you (`crossdeck sync acme/frontend` there)" in text
    rid = lines(front.root / ".sudocode" / "federation" / "requests.jsonl")[-1]["request_id"]
    assert front.head().author.name == front.actor

    for _ in range(2):  # however often it syncs, the request is there once
        api.run("sync", "acme/frontend")
        pending = api.json("approvals")["pending"]
        assert [(p["request_id"], p["requester"]) for p in pending] == [(rid, FRONTEND)]
    assert not (api.root / ".sudocode" / "federation" / "requests.jsonl").exists()  # a read writes nothing

    approved = api.json("approve", rid)
    assert approved["after"] == "completed" and approved["created"]["workspace"] == "acme/api"
    created = approved["created"]["key"]
    assert api.head().author.name == api.actor
    assert [r["status"] for r in lines(api.root / ".sudocode" / "federation" / "requests.jsonl")] == [
        "pending", "approved", "completed"]
    api.run("sync", "acme/frontend")
    assert api.json("approvals")["pending"] == []  # decided: not pending again after another sync

    front.run("sync", "acme/api")
    outgoing = [o for o in front.json("approvals", "--all")["outgoing"] if o["request_id"] == rid]
    assert [(o["status"], o["created"]) for o in outgoing] == [("completed", created)]
    blockers = front.json("blockers", "i-100")
    assert blockers["blockers"] == [created]


def test_a_request_over_git_is_rejected_with_the_reason(pair: tuple[Side, Side]) -> None:
    front, api = pair
    front.run("sync", "acme/api")
    rid = _send(front)
    api.run("sync", "acme/frontend")
    api.run("reject", rid, "--reason", "not this quarter")
    front.run("sync", "acme/api")
    outgoing = [o for o in front.json("approvals", "--all")["outgoing"] if o["request_id"] == rid]
    assert [(o["status"], o["rejection_reason"]) for o in outgoing] == [("rejected", "not this quarter")]
    text = front.run("approvals", "--all").stdout
    assert "rejected: not this quarter" in text


def test_a_receiver_that_does_not_list_the_sender_is_refused_at_send_time(tmp_path: Path) -> None:
    front_root, api_root = tmp_path / "frontend", tmp_path / "api"
    sudocode_side(front_root, FRONTEND, [remote_record(API, api_root)], [sudocode_issue("i-100", "x")])
    sudocode_side(api_root, API, [], [])  # api has no remotes: it never fetches frontend
    front = Side(front_root, tmp_path / "home", "frontend/crew/ann")
    front.run("sync", "acme/api")
    refused = front.run("request", "create", "--to", "acme/api", "--type", "create_issue", "--title", "x",
                        "--from-item", "i-100", check=False)
    assert refused.returncode == 1
    assert "acme/api (as of its last sync here) does not have acme/frontend among its remotes" in refused.stderr
    assert not (front_root / ".sudocode" / "federation" / "requests.jsonl").exists()
