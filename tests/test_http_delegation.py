"""The same delegation over HTTP, between two real ``crossdeck serve`` processes on 127.0.0.1:
a town delegates to a sudocode repo with the A2A ``delegate`` message; its maintainer approves;
closing the child sends the town an ``update_issue`` over HTTP, which the town approves."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import bead, real_town, write_json, write_jsonl
from tests.round_trip_helpers import PERMISSIONS, Serving, Side, commit_all, give_token, lines, sudocode_side

API = "github.com/acme/api"
TOWN = "hop://steve@example.com/main-town"
PARENT = f"{TOWN}/gastown/gt-p1"


def _set_http_url(config: Path, key: str, name: str, url: str) -> None:
    doc = json.loads(config.read_text())
    next(r for r in doc[key] if r["name"] == name)["http_url"] = url
    config.write_text(json.dumps(doc, indent=2))


def test_delegation_over_http_between_two_servers(tmp_path: Path) -> None:
    town_root, api_root = tmp_path / "town", tmp_path / "api"
    real_town(town_root, {"gastown": "gt"})
    write_jsonl(town_root / "gastown" / ".beads" / "issues.jsonl", [bead("gt-p1", "Ship the plugin system")])
    town_remotes = town_root / ".crossdeck" / "remotes.json"
    write_json(town_remotes, {"remotes": [{"name": "api", "url": API, "trust_level": "trusted",
                                            "permissions": PERMISSIONS}]})
    commit_all(town_root)
    sudocode_side(api_root, API, [{"name": "town", "url": TOWN, "workspace": TOWN, "trust_level": "trusted",
                                    "permissions": PERMISSIONS}], [])
    town = Side(town_root, tmp_path / "home-town", "gastown/crew/joe")
    api = Side(api_root, tmp_path / "home-api", "api/crew/bob")
    give_token(api, "town", town, "api")
    give_token(town, "api", api, "town")
    api_server, town_server = Serving(api), Serving(town)
    try:
        _set_http_url(town_remotes, "remotes", "api", api_server.url)
        _set_http_url(api_root / ".sudocode" / "federation.config.json", "remote_repos", "town", town_server.url)

        sent = town.json("request", "create", "--to", "api", "--type", "delegate", "--from-item", "gt-p1",
                         "--title", "Auth plugin for v2.0", "--portion", "auth")
        assert (sent["transport"], sent["delivered"], sent["remote_status"]) == ("http", True, "pending_approval")
        [there] = lines(api_root / ".sudocode" / "federation" / "requests.jsonl")
        assert (there["request_type"], there["payload"]["parent"], there["payload"]["terms"]) == (
            "delegate", PARENT, {"portion": "auth"})

        approved = api.json("approve", sent["request_id"])
        child = approved["created"]
        assert child["delegated_from"]["parent"] == PARENT
        town.run("sync", "api")
        outgoing = [o for o in town.json("approvals", "--all")["outgoing"] if o["request_id"] == sent["request_id"]]
        assert [(o["status"], o["created"]) for o in outgoing] == [("completed", child["key"])]

        api.run("sync", "town")  # the parent's state, for the cascade
        closed = api.json("close", child["id"])
        [step] = closed["cascade"]
        [update] = closed["requests"]
        assert (step["outcome"], update["transport"], update["remote_status"]) == (
            "update requested", "http", "pending_approval")
        town.run("approve", update["request_id"])
        row = next(r for r in lines(town_root / "gastown" / ".beads" / "issues.jsonl") if r["id"] == "gt-p1")
        assert row["status"] == "closed"
    finally:
        api_server.stop()
        town_server.stop()
