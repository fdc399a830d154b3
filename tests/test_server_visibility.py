"""What a remote may see over HTTP (docs/http-api.md, "What a remote sees"): ``exclude_fields`` is
absent from a query answer, from the snapshot ``crossdeck sync`` keeps and from the event stream;
the design's trust table limits subscriptions (untrusted none, verified only public events); the
workspace's ``a2a_policies`` are honoured or reported by ``crossdeck check``; and ``/remotes``
changes the workspace's remotes as ``crossdeck remote add / remove`` does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from core import store
from tests.conftest import commit_everything
from tests.http_client_helpers import API_REMOTE, FRONTEND_WS, cli_json
from tests.http_fixtures import FRONTEND, MERCHANT, SCRAPER, Served
from tests.test_cli_summary import crossdeck
from tests.test_server_events import next_event, set_status, stream, subscribe

HIDDEN = ["assignee", "estimated_minutes"]
MAINTAINER = "api-service/crew/maya"


def configure(root: Path, url: str, **permissions: Any) -> None:
    """Set ``permissions`` of the remote ``url`` in api-service's config (before its server starts)."""
    config = root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    entry = next(r for r in doc["remote_repos"] if r["url"] == url)
    for name, value in permissions.items():
        entry["permissions"][name] = value
    config.write_text(json.dumps(doc, indent=2))


@pytest.fixture
def hiding(sudocode_copy: Path, start_server: Any) -> Served:
    """api-service served, hiding assignee and estimated_minutes from acme-dev/frontend."""
    root = sudocode_copy / "api-service"
    configure(root, FRONTEND, query={"allowed": True, "entities": ["issue", "spec"],
                                     "filters": ["status", "labels", "priority"], "exclude_fields": HIDDEN})
    return start_server(root)  # type: ignore[no-any-return]


def test_exclude_fields_are_absent_from_a_query_answer(hiding: Served) -> None:
    ask = {"type": "query", "entity": "issue", "include": ["relationships"]}
    with hiding.client(hiding.token(maintainer=MAINTAINER)) as client:
        whole = client.post("/query", json=ask).json()["items"]
    with hiding.client(hiding.token(FRONTEND)) as client:
        seen = client.post("/query", json=ask).json()["items"]
        by_hidden = client.post("/query", json={**ask, "filters": {"assignee": "bob"}})
    assert [item["assignee"] for item in whole if item["id"] == "i-3c1d"] == ["bob"]  # there to hide
    assert [item["id"] for item in seen] == [item["id"] for item in whole]
    assert all("assignee" not in item and "title" in item for item in seen)
    assert by_hidden.status_code == 422  # not a filter at all: nothing to learn from its answer


def test_exclude_fields_are_absent_from_the_snapshot(hiding: Served, sudocode_copy: Path) -> None:
    from tests.http_client_helpers import wire_frontend

    frontend = sudocode_copy / "frontend"
    wire_frontend(frontend, hiding)
    [result] = cli_json("sync", "sync", API_REMOTE, str(frontend))["results"]
    assert result["result"] == "ok" and result["items"] > 0
    items = json.loads(store.http_snapshots()[(FRONTEND_WS, API_REMOTE)].body)["items"]
    assert {item["id"] for item in items} >= {"i-3c1d", "i-5e2b"}
    assert not [item["id"] for item in items if "assignee" in item]


def test_exclude_fields_are_absent_from_the_event_stream(hiding: Served) -> None:
    token = hiding.token(FRONTEND)
    sub = subscribe(hiding, token, event_types=["item.updated"]).json()["subscription_id"]
    with stream(hiding, token, sub) as got:
        path = hiding.root / ".sudocode" / "issues.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        for row in rows:
            if row["id"] == "i-5e2b":
                row.update(assignee="carol", status="in_progress")
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        _, _, event = next_event(got, "item.updated")
    assert (event["id"], event["status"], event["previous"]) == ("i-5e2b", "in_progress", {"status": "open"})
    assert "assignee" not in event["item"] and event["item"]["title"]


def test_an_untrusted_remote_is_refused_a_subscription(sudocode_copy: Path, start_server: Any) -> None:
    root = sudocode_copy / "api-service"
    configure(root, SCRAPER, subscribe={"allowed": True})  # its permissions allow it: the trust table does not
    served = start_server(root)
    refused = subscribe(served, served.token(SCRAPER))
    assert refused.status_code == 403
    assert "untrusted remote cannot subscribe" in refused.json()["error"]["message"]


def test_a_verified_remote_gets_only_its_public_events(sudocode_copy: Path, start_server: Any) -> None:
    """Events about its own requests and the items they created or reference; not the others."""
    root = sudocode_copy / "api-service"
    configure(root, MERCHANT, subscribe={"allowed": True},
              mutate={"allowed": True, "operations": ["create_issue"]})
    served = start_server(root)
    token = served.token(MERCHANT)
    sub = subscribe(served, token).json()["subscription_id"]
    with stream(served, token, sub) as got:
        with served.client(token) as client:
            sent = client.post("/mutate", json={
                "type": "mutate", "request_id": "req-globex-1", "operation": "create_issue",
                "data": {"title": "Refund endpoint", "priority": 1, "relationships": [
                    {"type": "related", "remote_ref": "acme-dev/api-service#i-3c1d"}]}})
        assert sent.status_code == 202, sent.text
        _, _, created = next_event(got, "request.created")
        assert created["request_id"] == "req-globex-1"
        set_status(root, "i-2d8c", "closed")  # referenced by no request of its: not public to it
        served.rescan()
        set_status(root, "i-3c1d", "closed")  # its request references it: public
        served.rescan()  # at once, not at the watcher's next poll (a file rewritten in one mtime tick)
        _, _, event = next_event(got, "item.updated")
    assert event["id"] == "i-3c1d"  # the first item event it sees: i-2d8c's, sent before, was not its


def test_a_trusted_remote_gets_every_event(served: Served) -> None:
    token = served.token(FRONTEND)
    sub = subscribe(served, token, event_types=["item.updated"]).json()["subscription_id"]
    with stream(served, token, sub) as got:
        set_status(served.root, "i-2d8c", "closed")
        _, _, event = next_event(got, "item.updated")
    assert event["id"] == "i-2d8c"


def test_a2a_policies_are_honoured(sudocode_copy: Path, start_server: Any) -> None:
    root = sudocode_copy / "api-service"
    config = root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["a2a_policies"] = {"query": {"auto_respond": True, "allowed_filters": ["status"]}}
    config.write_text(json.dumps(doc))
    served = start_server(root)
    with served.client(served.token(FRONTEND)) as client:
        by_status = client.post("/query", json={"entity": "issue", "filters": {"status": "open"}})
        by_labels = client.post("/query", json={"entity": "issue", "filters": {"labels": ["api"]}})
        doc["a2a_policies"]["query"]["auto_respond"] = False
        config.write_text(json.dumps(doc))
        served.rescan()
        closed = client.post("/query", json={"entity": "issue"})
    assert by_status.status_code == 200
    assert by_labels.status_code == 403 and "a2a_policies.query.allowed_filters" in by_labels.json()["error"]["message"]
    assert closed.status_code == 403 and "auto_respond" in closed.json()["error"]["message"]


def test_check_reports_what_crossdeck_does_not_honour(sudocode_copy: Path) -> None:
    root = sudocode_copy / "api-service"
    config = root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["a2a_policies"] = {"query": {"auto_respond": True},
                           "mutate": {"auto_approve": [{"condition": "priority >= 2", "max_priority": 2}]},
                           "delegate": {"auto_accept": False, "notify": ["@team-leads"]}}
    next(r for r in doc["remote_repos"] if r["url"] == MERCHANT)["permissions"]["query"]["exclude_fields"] = HIDDEN
    config.write_text(json.dumps(doc, indent=2))
    checked = crossdeck("check", str(root))
    warnings = [line for line in checked.stderr.splitlines() if "federation.config.json" in line]
    assert any("a2a_policies.mutate.auto_approve is not supported" in line for line in warnings), checked.stderr
    assert any("a2a_policies.delegate.notify is not supported" in line for line in warnings)
    assert not any("auto_respond" in line or "auto_accept" in line for line in warnings)  # honoured
    [git] = [line for line in warnings if "exclude_fields" in line]
    assert "globex-io/merchant-portal is a git remote" in git and "whole repository" in git
    assert re.search(r"federation\.config\.json:\d+: ", git)  # the line of the field


def test_remotes_round_trip(sudocode_copy: Path, start_server: Any) -> None:
    import git

    root = commit_everything(sudocode_copy / "api-service")
    served = start_server(root)
    repo = git.Repo(root)
    record = {"url": "github.com/initech/risk", "display_name": "Initech Risk", "trust_level": "verified",
              "permissions": {"query": {"allowed": True, "exclude_fields": ["assignee"]}}}
    with served.client(served.token(FRONTEND)) as client:
        assert client.get("/remotes").status_code == 403  # a remote's token
    with served.client(served.token(maintainer=MAINTAINER)) as client:
        before = client.get("/remotes").json()
        added = client.post("/remotes", json=record)
        again = client.post("/remotes", json=record)
        assert added.status_code == 201, added.text
        head = repo.head.commit
        assert (head.author.name, head.message.splitlines()[0]) == (MAINTAINER,
                                                                     "remote add initech/risk (github.com/initech/risk)")
        assert again.status_code == 409
        changed = client.put("/remotes/github.com/initech/risk", json={"trust_level": "trusted"})
        assert changed.status_code == 200, changed.text
        assert repo.head.commit.message.startswith("remote update initech/risk")
        listed = client.get("/remotes").json()["remotes"]
        [entry] = [r for r in listed if r["url"] == record["url"]]
        assert entry == {"name": "initech/risk", **record, "trust_level": "trusted"}
        with served.client(served.token("initech/risk")) as newcomer:  # the server reads it at once
            seen = newcomer.post("/query", json={"entity": "issue"})
        assert seen.status_code == 200 and all("assignee" not in item for item in seen.json()["items"])
        removed = client.delete("/remotes/initech/risk")
        assert removed.status_code == 200 and removed.json()["change"]["record"]["trust_level"] == "trusted"
        assert client.delete("/remotes/initech/risk").status_code == 404
        after = client.get("/remotes").json()
    assert after["remotes"] == before["remotes"] and not repo.is_dirty(untracked_files=True)
    assert repo.head.commit.message.startswith("remote remove initech/risk")
    assert repo.head.commit.author.name == MAINTAINER
