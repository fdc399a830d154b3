"""The API speaks as the sudocode federation design writes: every request body of its examples
(copied into tests/fixtures/sudocode_design_bodies.json, each with its section) is accepted by a
real server, and ``discover`` answers with capabilities and endpoints."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.http_fixtures import PROJECT, Served

BODIES = json.loads((PROJECT / "tests" / "fixtures" / "sudocode_design_bodies.json").read_text())["bodies"]
DESIGN = PROJECT.parent / "shared" / "seeds" / "003_3b9c8cdcd5785257.txt"
ORG_FRONTEND = "github.com/org/frontend"  # the design's examples come from these two
ORG_APP = "github.com/org/app"


def design_remotes(root: Path) -> None:
    """Give api-service the design's callers as remotes: org/frontend may query, mutate (create_issue)
    and subscribe; org/app may delegate."""
    config = root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    everything = {"query": {"allowed": True}, "subscribe": {"allowed": True},
                  "mutate": {"allowed": True, "operations": ["create_issue", "delegate"]}}
    doc["remote_repos"] += [{"url": ORG_FRONTEND, "trust_level": "trusted", "permissions": everything},
                            {"url": ORG_APP, "trust_level": "trusted", "permissions": everything}]
    config.write_text(json.dumps(doc, indent=2))


@pytest.fixture
def design_served(sudocode_copy: Path, start_server: Any) -> Served:
    design_remotes(sudocode_copy / "api-service")
    return start_server(sudocode_copy / "api-service")  # type: ignore[no-any-return]


def token_for(served: Served, entry: dict[str, Any]) -> str | None:
    if entry["path"] == "/remotes":
        return served.token(maintainer="api-service/crew/maya")
    if entry["path"] == "/discover":
        return None
    return served.token(ORG_APP if entry["path"] == "/delegate" else ORG_FRONTEND)


@pytest.mark.parametrize("entry", BODIES, ids=[entry["name"] for entry in BODIES])
def test_every_body_of_the_design_is_accepted(design_served: Served, entry: dict[str, Any]) -> None:
    with design_served.client(token_for(design_served, entry)) as client:
        answer = client.request(entry["method"], entry["path"], json=entry["body"])
    assert answer.status_code in (200, 201, 202), answer.text
    body = answer.json()
    kind = entry["body"].get("type")
    if kind == "query":  # the design's query: labels api and auth, open, priority 0 or 1, with spec_refs
        assert body["entity"] == "issue" and all(
            {"api", "auth"} <= set(item["labels"]) and item["status"] == "open" and item["priority"] in (0, 1)
            and isinstance(item["spec_refs"], list) and "relationships" in item for item in body["items"])
    if entry["path"] == "/mutate":  # priority 1, or auto_approve false: a human decides
        assert (answer.status_code, body["status"]) == (202, "pending_approval")
        if kind == "mutate":
            assert body["request_id"] == entry["body"]["metadata"]["request_id"]
    if entry["path"] == "/subscribe":
        assert body["subscription_id"].startswith("sub-")
        callback = entry["body"].get("callback") or ({"url": entry["body"]["callback_url"]}
                                                     if "callback_url" in entry["body"] else None)
        if callback is not None:  # kept, never called; its token is not kept
            assert (body["callback"]["url"], body["callback"]["called"]) == (callback["url"], False)
            assert "token" not in json.dumps(body["callback"])
    if entry["path"] == "/remotes":
        assert body["change"]["action"] == "add" and body["change"]["record"]["url"] == entry["body"]["url"]


def test_the_verbatim_bodies_are_the_design_s_own() -> None:
    """The bodies marked verbatim are exactly JSON blocks of the design (when it is beside the checkout)."""
    if not DESIGN.is_file():
        pytest.skip(f"{DESIGN} is absent (CI has it)")
    text = DESIGN.read_text()
    blocks = []
    for block in re.findall(r"```json\n(.*?)```", text, re.DOTALL):
        doc = json.loads(block)
        blocks += [doc, *(doc.get("remote_repos") or [])]
    for body in re.findall(r"^Body: (\{.*?^\})$", text, re.DOTALL | re.MULTILINE):  # the REST section's bodies
        try:
            blocks.append(json.loads(body))
        except ValueError:
            pass  # one with ``...`` in it: copied with the gap filled, not verbatim
    verbatim = [entry for entry in BODIES if entry["verbatim"]]
    assert len(verbatim) >= 6
    for entry in verbatim:
        assert entry["body"] in blocks, entry["name"]
    kinds = {entry["body"].get("type") for entry in verbatim}
    assert {"discover", "query", "mutate", "subscribe", "delegate"} <= kinds


def test_a_design_query_gets_only_what_it_asks_and_a_field_given_twice_is_refused(design_served: Served) -> None:
    token = design_served.token(ORG_FRONTEND)
    with design_served.client(token) as client:
        asked = client.post("/query", json={"type": "query", "query": {"entity": "issue",
                                                                      "filters": {"priority": [2]}}})
        twice = client.post("/query", json={"type": "query", "entity": "spec", "query": {"entity": "issue"}})
        nothing = client.post("/query", json={"type": "query"})
    assert asked.status_code == 200 and asked.json()["items"]
    assert {item["priority"] for item in asked.json()["items"]} == {2}
    assert twice.status_code == 422 and twice.json()["error"]["details"][0]["path"] == "$.entity"
    assert nothing.status_code == 422 and nothing.json()["error"]["details"][0]["path"] == "$.entity"


def test_discover_answers_with_capabilities_and_endpoints(design_served: Served) -> None:
    with design_served.client() as client:
        got = client.get("/discover").json()
        info = client.get("/info").json()
    with design_served.client(design_served.token(ORG_FRONTEND)) as client:
        mine = client.get("/info").json()
    assert got == info and got["type"] == "discover_response"
    caps = got["capabilities"]
    assert caps["endpoints"]["rest"] == design_served.base
    assert caps["endpoints"]["events"] == design_served.base + "/events"
    assert caps["endpoints"]["git"] == "https://github.com/acme-dev/api-service.git"
    assert {"query_issues", "query_specs", "create_issues", "subscribe", "delegate"} <= set(caps["operations"])
    assert (caps["schemas_version"], caps["trust_level"], mine["capabilities"]["trust_level"]) == ("1.0", None,
                                                                                                 "trusted")
    routes = {(e["method"], e["path"]): e["token"] for e in got["endpoints"]}
    base = "/api/v1/federation"
    assert routes[("GET", f"{base}/info")] == "none" and routes[("POST", f"{base}/mutate")] == "remote"
    assert routes[("PUT", f"{base}/remotes/{{name}}")] == "maintainer"
