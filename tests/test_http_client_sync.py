"""``crossdeck remote check`` and ``crossdeck sync`` of an HTTP remote as a user runs them, against a
real federation server on 127.0.0.1 (tests/http_fixtures.py): GET info with who we are there, the
snapshot in the state store read back as a remote workspace, "unchanged" on a second sync, the
TTL (synced, then stale), and the last snapshot still read when the server is gone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core import store
from tests.http_client_helpers import API_REMOTE, FRONTEND_WS, cli_json
from tests.test_cli_summary import crossdeck

T0 = "2026-11-20T12:00:00Z"


def test_remote_check_is_get_info_and_says_who_we_are_there(frontend: Path, served: Any) -> None:
    [result] = cli_json("remote-check", "remote", "check", API_REMOTE, str(frontend))["results"]
    assert (result["transport"], result["result"], result["attempts"], result["status"]) == ("http", "ok", 1, "stale")
    assert result["location"] == served.base
    assert result["caller"]["remote"] == "acme-dev/frontend" and result["caller"]["trust_level"] == "trusted"
    text = crossdeck("remote", "check", API_REMOTE, str(frontend))
    assert "we are acme-dev/frontend there, trust trusted" in text.stdout


def test_sync_keeps_a_snapshot_read_as_a_remote_workspace(frontend: Path, served: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", T0)
    [first] = cli_json("sync", "sync", API_REMOTE, str(frontend))["results"]
    assert (first["result"], first["status"], first["changed"], first["previous_ref"]) == ("ok", "synced", True, None)
    snapshot = store.http_snapshots()[(FRONTEND_WS, API_REMOTE)]
    assert first["fetched_ref"] == snapshot.digest and first["items"] == len(json.loads(snapshot.body)["items"]) > 0
    [again] = cli_json("sync", "sync", API_REMOTE, str(frontend))["results"]
    assert (again["changed"], again["previous_ref"], again["fetched_ref"]) == (False, first["fetched_ref"],
                                                                               first["fetched_ref"])
    assert "unchanged; holds" in crossdeck("sync", API_REMOTE, str(frontend)).stdout

    # the api-service items are read from the snapshot: shown, and keys into them resolve
    shown = crossdeck("show", "acme-dev/api-service#i-3c1d", str(frontend), "--json")
    assert shown.returncode == 0, shown.stderr
    node = json.loads(shown.stdout)["node"]
    assert (node["key"], node["kind"], node["stub"], node["status"]) == (
        "acme-dev/api-service#i-3c1d", "work-unit", None, "in_progress")

    # the TTL (300 s by default) ages the snapshot as it ages a git cache
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T12:04:00Z")
    assert _state(frontend) == "synced"
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T12:06:00Z")
    assert _state(frontend) == "stale"

    # the server goes away: the sync fails, the remote is unreachable, its last snapshot is still read
    served.stop()
    failed = crossdeck("sync", API_REMOTE, str(frontend), "--json")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["results"][0]["status"] == "unreachable"
    assert crossdeck("show", "acme-dev/api-service#i-3c1d", str(frontend)).returncode == 0


def test_a_sync_without_a_token_is_refused_with_the_servers_message(frontend: Path) -> None:
    from core import tokens

    tokens.forget(FRONTEND_WS, API_REMOTE)
    result = crossdeck("sync", API_REMOTE, str(frontend), "--json")
    assert result.returncode == 1
    [failed] = json.loads(result.stdout)["results"]
    assert failed["attempts"] == 1  # a 4xx is never retried
    assert "401 unauthorized" in failed["error"]
    assert store.http_snapshots() == {}


def _state(frontend: Path) -> str:
    listed = json.loads(crossdeck("remote", "list", str(frontend), "--json").stdout)
    return str(next(r["state"] for r in listed["remotes"] if r["name"] == API_REMOTE))
