"""query over HTTP: pages in key order with a stable cursor, filters, and who may ask for what."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.http_fixtures import FRONTEND, MERCHANT, SCRAPER, Served


@pytest.fixture
def many(served: Served) -> Served:
    """api-service with 600 more issues: i-g000 .. i-g599, every third closed, priorities 0-4."""
    rows = [{"id": f"i-g{n:03d}", "title": f"generated {n}", "status": "closed" if n % 3 == 0 else "open",
             "priority": n % 5, "tags": ["gen", "even" if n % 2 == 0 else "odd"],
             "created_at": "2026-11-01T10:00:00Z", "updated_at": f"2026-11-{1 + n % 20:02d}T10:00:00Z"}
            for n in range(600)]
    with (served.root / ".sudocode" / "issues.jsonl").open("a") as handle:
        handle.write("".join(json.dumps(row) + "\n" for row in rows))
    served.rescan()
    return served


def query(client: Any, **fields: Any) -> Any:
    return client.post("/query", json={"type": "query", **fields})


def test_pages_follow_the_cursor_in_key_order_with_the_total(many: Served) -> None:
    seen: list[str] = []
    cursor = None
    with many.client(many.token(FRONTEND)) as client:
        for _ in range(20):
            page = query(client, entity="issue", filters={"labels": ["gen"]}, limit=150, cursor=cursor).json()
            assert page["total"] == 600
            seen += [item["key"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert len(seen) == 600 == len(set(seen))
    assert seen == sorted(seen)
    assert seen[0] == "acme-dev/api-service#i-g000"


def test_limit_defaults_to_50_and_is_at_most_500(many: Served) -> None:
    with many.client(many.token(FRONTEND)) as client:
        default = query(client, entity="issue").json()
        biggest = query(client, entity="issue", limit=500).json()
    assert len(default["items"]) == 50
    assert len(biggest["items"]) == 500
    assert biggest["next_cursor"] == biggest["items"][-1]["key"]
    assert biggest["total"] == 604
    item = biggest["items"][0]
    assert "source" not in item and "line" not in item
    assert item["workspace"] == "acme-dev/api-service"


def test_filters_are_anded(many: Served) -> None:
    with many.client(many.token(FRONTEND)) as client:
        page = query(client, entity="issue", limit=500,
                     filters={"status": ["open"], "labels": ["gen", "even"], "priority": {"lte": 1}}).json()
        exact = query(client, entity="issue", limit=500, filters={"status": "closed", "priority": 4}).json()
    expected = [n for n in range(600) if n % 3 != 0 and n % 2 == 0 and n % 5 <= 1]
    assert [item["id"] for item in page["items"]] == [f"i-g{n:03d}" for n in expected]
    assert exact["total"] == len([n for n in range(600) if n % 3 == 0 and n % 5 == 4])
    with many.client(many.token(maintainer="api/crew/ann")) as client:
        since = query(client, entity="issue", limit=500, filters={"updated_since": "2026-11-20T00:00:00Z",
                                                                  "ids": ["i-g019", "acme-dev/api-service#i-g039",
                                                                          "i-g001"]}).json()
    assert [item["id"] for item in since["items"]] == ["i-g019", "i-g039"]


def test_relationships_are_included_on_request(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        page = query(client, entity="issue", include=["relationships"], filters={"status": "in_progress"}).json()
    item = next(i for i in page["items"] if i["id"] == "i-3c1d")
    assert any(rel["type"] == "implements" for rel in item["relationships"])
    assert all(item["key"] in (rel["from_key"], rel["to_key"]) for rel in item["relationships"])


@pytest.mark.parametrize(("remote", "fields", "words"), [
    (FRONTEND, {"entity": "work_unit"}, "may not query work_unit"),
    (FRONTEND, {"entity": "issue", "filters": {"ids": ["i-3c1d"]}}, "may not filter by ids"),
    (MERCHANT, {"entity": "spec"}, "may not query spec"),
    (MERCHANT, {"entity": "issue", "filters": {"labels": ["api"]}}, "may not filter by labels"),
])
def test_403_for_entities_and_filters_the_permissions_do_not_list(served: Served, remote: str,
                                                                  fields: dict[str, Any], words: str) -> None:
    with served.client(served.token(remote)) as client:
        answer = query(client, **fields)
    assert answer.status_code == 403
    assert words in answer.json()["error"]["message"]


def test_an_untrusted_remote_queries_only_public_entities_whatever_its_permissions(served: Served) -> None:
    config = served.root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    scraper = next(r for r in doc["remote_repos"] if r["url"] == SCRAPER)
    scraper["permissions"]["query"] = {"allowed": True}  # no entities list: everything, were it trusted
    config.write_text(json.dumps(doc))
    served.rescan()
    with served.client(served.token(SCRAPER)) as client:
        assert query(client, entity="issue").status_code == 200
        assert query(client, entity="spec").status_code == 200
        refused = query(client, entity="work_unit")
    assert refused.status_code == 403
    assert "untrusted" in refused.json()["error"]["message"]


def test_requests_only_between_the_caller_and_this_workspace(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        mine = query(client, entity="request", limit=500).json()
    assert mine["total"] == len(mine["items"]) == 4
    assert {r["request_id"] for r in mine["items"]} == {"req-a41c07", "req-7c2e41", "req-9d4b17", "req-3a6d55"}
    with served.client(served.token(maintainer="api/crew/ann")) as client:
        everything = query(client, entity="request", limit=500, filters={"status": "pending"}).json()
    assert {r["status"] for r in everything["items"]} == {"pending"}
    assert everything["total"] >= 3


def test_a_closed_query_policy_refuses_remotes(served: Served) -> None:
    config = served.root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["policies"]["incoming_requests"]["query"]["allowed"] = False
    config.write_text(json.dumps(doc))
    served.rescan()
    with served.client(served.token(FRONTEND)) as client:
        answer = query(client, entity="issue")
    assert answer.status_code == 403
    assert "closes queries" in answer.json()["error"]["message"]
