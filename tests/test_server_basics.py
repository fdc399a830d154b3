"""The federation server's discovery and tokens: info without a token, 401s, the caller a token names."""

from __future__ import annotations

from core import tokens
from tests.http_fixtures import FRONTEND, Served


def test_info_needs_no_token(served: Served) -> None:
    with served.client() as client:
        answer = client.get("/info")
    assert answer.status_code == 200
    body = answer.json()
    assert body["schema_version"] == 1
    assert body["workspace"] == "acme-dev/api-service"
    assert body["identity"]["url"] == "github.com/acme-dev/api-service"
    assert body["capabilities"]["mutate"] == ["create_issue", "create_spec", "update_issue"]
    assert body["caller"] is None


def test_info_names_the_caller_of_a_valid_token(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        caller = client.get("/info").json()["caller"]
    assert caller["remote"] == "acme-dev/frontend"
    assert caller["trust_level"] == "trusted"
    with served.client(served.token(maintainer="api/crew/ann")) as client:
        assert client.get("/info").json()["caller"] == {"maintainer": "api/crew/ann"}


def test_401_without_a_token_with_a_bad_one_and_with_a_revoked_one(served: Served) -> None:
    query = {"type": "query", "entity": "issue"}
    with served.client() as client:
        missing = client.post("/query", json=query)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthorized"
    with served.client("cdt_" + "x" * 43) as client:
        assert client.post("/query", json=query).status_code == 401
    token = served.token(FRONTEND)
    with served.client(token) as client:
        assert client.post("/query", json=query).status_code == 200
        record = next(r for r in tokens.list(served.workspace) if r.remote == "acme-dev/frontend")
        tokens.revoke(record.id)
        assert client.post("/query", json=query).status_code == 401
