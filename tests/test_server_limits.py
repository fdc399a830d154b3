"""What the federation server refuses before doing any work: bodies that break the schema (422
naming the path), that are not JSON (400), that are too large (413), and callers over their rate
(429 with Retry-After). Each refused call is audited in server.db."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.server.db import ServerDB
from tests.http_fixtures import FRONTEND, Served

JSON = {"Content-Type": "application/json"}


def mutate(**fields: Any) -> dict[str, Any]:
    body = {"type": "mutate", "request_id": "req-422", "operation": "create_issue",
            "data": {"title": "Schema probe", "priority": 2}}
    body.update(fields)
    return body


@pytest.mark.parametrize(("body", "path", "words"), [
    (mutate(operation="drop_tables"), "$.operation", "Invalid enum value 'drop_tables'"),
    (mutate(data={"title": "x", "priority": "high"}), "$.data.priority", "Expected `int | null`, got `str`"),
    (mutate(data={"title": "x", "titel": "y"}), "$.data.titel", "unknown field `titel`"),
    (mutate(colour="red"), "$.colour", "unknown field `colour`"),
    (mutate(request_id="has spaces"), "$.request_id", "matching regex"),
    ({"type": "mutate", "request_id": "req-no-data", "operation": "create_issue"}, "$", "missing required field"),
    (mutate(operation="update_issue", data={"issue_id": "i-1", "changes": {}}), "$.data.changes", "no change"),
])
def test_422_names_the_path_of_the_problem(served: Served, body: dict[str, Any], path: str, words: str) -> None:
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/mutate", json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"][0]["path"] == path
    assert words in error["details"][0]["message"]


def test_422_for_a_query_with_an_unknown_entity_or_a_limit_over_500(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        entity = client.post("/query", json={"type": "query", "entity": "secrets"})
        limit = client.post("/query", json={"type": "query", "entity": "issue", "limit": 501})
    assert entity.json()["error"]["details"][0]["path"] == "$.entity"
    assert limit.status_code == 422
    assert limit.json()["error"]["details"] == [{"path": "$.limit", "message": "Expected `int` <= 500"}]


def test_400_when_the_body_is_not_a_json_object(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        broken = client.post("/query", content=b"{not json", headers=JSON)
        listed = client.post("/query", json=[1, 2])
    assert broken.status_code == listed.status_code == 400
    assert broken.json()["error"]["code"] == "bad_json"


def test_413_for_a_body_over_the_limit_by_its_length_and_while_it_streams(sudocode_copy: Path,
                                                                          start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service", max_body=4096)
    big = json.dumps(mutate(data={"title": "x" * 10_000})).encode()
    with served.client(served.token(FRONTEND)) as client:
        declared = client.post("/mutate", content=big, headers=JSON)
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
            for start in range(0, len(big), 1024):
                yield big[start:start + 1024]

        streamed = client.post("/mutate", content=chunks(), headers=JSON)
        assert streamed.status_code == 413
        assert client.post("/mutate", content=json.dumps(mutate()).encode(), headers=JSON).status_code in (200, 202)


def test_default_limit_is_one_mebibyte(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/query", content=b" " * (1024 * 1024 + 1), headers=JSON)
    assert answer.status_code == 413


def test_429_with_retry_after_once_the_callers_bucket_is_empty(served: Served) -> None:
    config = served.root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["policies"]["incoming_requests"]["query"]["rate_limit"]["requests_per_minute"] = 5
    config.write_text(json.dumps(doc))
    served.rescan()
    query = {"type": "query", "entity": "issue", "limit": 1}
    with served.client(served.token(FRONTEND)) as client:
        statuses = [client.post("/query", json=query).status_code for _ in range(5)]
        refused = client.post("/query", json=query)
    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 12
    with served.client(served.token(maintainer="api/crew/ann")) as other:  # another caller, another bucket
        assert other.post("/query", json=query).status_code == 200


def test_refused_and_read_only_calls_are_audited_with_their_duration(served: Served) -> None:
    with served.client() as client:
        client.get("/info")
        client.post("/query", json={"type": "query", "entity": "issue"})
    calls = ServerDB(served.workspace).calls()
    assert [(c["method"], c["path"], c["status"]) for c in reversed(calls)] == [
        ("GET", "/api/v1/federation/info", 200), ("POST", "/api/v1/federation/query", 401)]
    assert all(c["duration_ms"] >= 0 for c in calls)
    assert all("cdt_" not in json.dumps(c) for c in calls)
