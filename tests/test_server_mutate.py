"""mutate over HTTP against a real server: permissions (403), untrusted callers wait for a human
(202), trusted ones are auto-approved (200, the issue exists), idempotent replays, concurrency."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from tests.http_fixtures import FRONTEND, MERCHANT, SCRAPER, Served


def create(request_id: str, **data: Any) -> dict[str, Any]:
    body = {"title": "Add user profile endpoint", "description": "GET /users/{id}/profile", "priority": 2,
            "labels": ["api", "frontend-request"], "requester": "claude-code-agent"}
    body.update(data)
    return {"type": "mutate", "from": FRONTEND, "request_id": request_id, "operation": "create_issue", "data": body}


def requests_of(served: Served) -> list[dict[str, Any]]:
    path = served.root / ".sudocode" / "federation" / "requests.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def issues_of(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / ".sudocode" / "issues.jsonl").read_text().splitlines() if line]


def test_trusted_auto_approvable_create_is_completed_and_the_issue_exists(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/mutate", json=create("req-auto-1"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "completed"
    created = body["result"]["created"]
    assert created.startswith("acme-dev/api-service#")
    issue = next(i for i in issues_of(served.root) if i["id"] == body["result"]["id"])
    assert issue["title"] == "Add user profile endpoint"
    lines = [r for r in requests_of(served) if r["request_id"] == "req-auto-1"]
    assert [r["status"] for r in lines] == ["pending", "approved", "completed"]
    assert lines[-1]["approved_by"] == "crossdeck-server"
    audit = (served.root / ".sudocode" / "federation" / "audit.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in audit if "req-auto-1" in line]
    assert {e["operation_type"] for e in entries} == {"mutate", "approve"}
    assert all(isinstance(e["duration_ms"], int) for e in entries)


def test_untrusted_allowed_create_waits_for_a_human_even_when_a_policy_would_approve(served: Served) -> None:
    config = served.root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["policies"]["incoming_requests"]["mutate"]["auto_approve"] = [{"condition": "priority >= 0"}]
    doc["policies"]["incoming_requests"]["mutate"]["require_approval"] = []
    scraper = next(r for r in doc["remote_repos"] if r["url"] == SCRAPER)
    scraper["permissions"]["mutate"]["auto_approve_conditions"] = ["priority >= 0"]
    config.write_text(json.dumps(doc))
    served.rescan()
    with served.client(served.token(SCRAPER)) as client:
        answer = client.post("/mutate", json={**create("req-untrusted-1"), "from": SCRAPER})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "pending_approval"
    assert body["status_url"] == "/api/v1/federation/requests/req-untrusted-1"
    assert "untrusted" in body["verdict_reason"]
    assert [r["status"] for r in requests_of(served) if r["request_id"] == "req-untrusted-1"] == ["pending"]


def test_403_for_a_mutate_its_permissions_do_not_allow_and_nothing_written(served: Served) -> None:
    with served.client(served.token(MERCHANT)) as client:
        denied = client.post("/mutate", json={**create("req-merchant-1"), "from": MERCHANT})
    assert denied.status_code == 403
    assert "may not mutate" in denied.json()["error"]["message"]
    assert not [r for r in requests_of(served) if r["request_id"] == "req-merchant-1"]  # tests/test_server_refusals.py
    with served.client(served.token(FRONTEND)) as client:
        spec = client.post("/mutate", json={**create("req-spec-1"), "operation": "create_spec"})
    assert spec.status_code == 403
    assert "create_spec is not among the operations" in spec.json()["error"]["message"]


def test_403_when_from_is_not_the_caller(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/mutate", json={**create("req-from-1"), "from": SCRAPER})
    assert answer.status_code == 403
    assert "token is acme-dev/frontend's" in answer.json()["error"]["message"]
    assert not [r for r in requests_of(served) if r["request_id"] == "req-from-1"]
    with served.client(served.token(maintainer="api/crew/ann")) as client:
        assert client.post("/mutate", json={**create("req-m-1"), "from": None}).status_code == 403


def test_a_replayed_request_id_gets_the_first_answer_and_writes_one_record(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        first = client.post("/mutate", json=create("req-replay-1", title="Replay probe"))
        again = client.post("/mutate", content=json.dumps(create("req-replay-1", title="Replay probe"), indent=1),
                            headers={"Content-Type": "application/json"})
        other = client.post("/mutate", json=create("req-replay-1", title="Something else"))
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replay"] == "true"
    assert "idempotent-replay" not in first.headers
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "conflict"
    assert len([r for r in requests_of(served) if r["request_id"] == "req-replay-1"
                and r["status"] == "pending"]) == 1
    assert len([i for i in issues_of(served.root) if i["title"] == "Replay probe"]) == 1


def test_two_concurrent_mutates_with_one_request_id_make_one_record(served: Served) -> None:
    token = served.token(SCRAPER)
    answers: list[Any] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        with served.client(token) as client:
            barrier.wait(5)
            answers.append(client.post("/mutate", json={**create("req-race-1"), "from": SCRAPER}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(a.status_code for a in answers) == [202] * 4
    assert len({a.text for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replay") == "true" for a in answers) == 3
    assert len([r for r in requests_of(served) if r["request_id"] == "req-race-1"]) == 1


def test_the_same_request_id_from_another_caller_is_a_conflict_not_a_second_record(served: Served) -> None:
    with served.client(served.token(SCRAPER)) as client:
        assert client.post("/mutate", json={**create("req-shared-1"), "from": SCRAPER}).status_code == 202
    with served.client(served.token(FRONTEND)) as client:
        clash = client.post("/mutate", json=create("req-shared-1"))
    assert clash.status_code == 409
    assert len([r for r in requests_of(served) if r["request_id"] == "req-shared-1"]) == 1
