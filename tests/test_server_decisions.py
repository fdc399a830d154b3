"""approve / reject over HTTP with a maintainer's token, and a request's status for its requester."""

from __future__ import annotations

import json
from typing import Any

from tests.http_fixtures import FRONTEND, SCRAPER, Served

MAINTAINER = "api-service/crew/ann"  # among the demo api-service's maintainers (api-service/crew/*)


def pending(served: Served, request_id: str) -> None:
    data = {"title": "Bulk export of prices", "priority": 3, "labels": ["pricing"]}
    with served.client(served.token(SCRAPER)) as client:
        answer = client.post("/mutate", json={"type": "mutate", "request_id": request_id,
                                              "operation": "create_issue", "data": data})
    assert answer.status_code == 202, answer.text


def lines(served: Served, request_id: str) -> list[dict[str, Any]]:
    path = served.root / ".sudocode" / "federation" / "requests.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if request_id in line]


def test_a_maintainer_approves_and_the_issue_is_created(served: Served) -> None:
    pending(served, "req-h-1")
    with served.client(served.token(maintainer=MAINTAINER)) as client:
        answer = client.post("/requests/req-h-1/approve", json={"reason": "fine by us"})
    assert answer.status_code == 200, answer.text
    decision = answer.json()["decision"]
    assert decision["after"] == "completed"
    assert decision["decided_by"] == MAINTAINER
    assert decision["created"]["key"].startswith("acme-dev/api-service#")
    assert lines(served, "req-h-1")[-1]["status"] == "completed"
    with served.client(served.token(SCRAPER)) as client:
        status = client.get("/requests/req-h-1")
    assert status.status_code == 200
    assert status.json()["request"]["status"] == "completed"
    assert status.json()["request"]["approved_by"] == MAINTAINER


def test_reject_needs_a_reason_and_deciding_the_other_way_after_is_a_conflict(served: Served) -> None:
    pending(served, "req-h-2")
    with served.client(served.token(maintainer=MAINTAINER)) as client:
        assert client.post("/requests/req-h-2/reject", json={}).status_code == 422
        rejected = client.post("/requests/req-h-2/reject", json={"reason": "we do not export prices"})
        assert rejected.status_code == 200
        assert rejected.json()["decision"]["after"] == "rejected"
        again = client.post("/requests/req-h-2/reject", json={"reason": "still no"})
        assert again.status_code == 200 and again.json()["decision"]["changed"] is False
        conflict = client.post("/requests/req-h-2/approve")
    assert conflict.status_code == 409
    assert "already rejected" in conflict.json()["error"]["message"]
    assert lines(served, "req-h-2")[-1]["rejection_reason"] == "we do not export prices"


def test_a_remote_token_cannot_decide(served: Served) -> None:
    pending(served, "req-h-3")
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/requests/req-h-3/approve", json={"reason": None})
    assert answer.status_code == 403
    assert "maintainer" in answer.json()["error"]["message"]
    assert lines(served, "req-h-3")[-1]["status"] == "pending"


def test_404_for_an_unknown_request_or_someone_elses(served: Served) -> None:
    pending(served, "req-h-4")
    with served.client(served.token(maintainer=MAINTAINER)) as client:
        assert client.post("/requests/req-nope/approve").status_code == 404
        assert client.get("/requests/req-h-4").status_code == 200
    with served.client(served.token(FRONTEND)) as client:
        assert client.get("/requests/req-h-4").status_code == 404  # the scraper's, not the frontend's
        assert client.get("/requests/req-a41c07").status_code == 200
