"""The remotes analysis: every configured remote with its trust, permissions, sync settings and
the state the store last recorded (never checked, synced, stale, unreachable)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core import store
from core.analysis.reach import RemoteReport, permissions, remotes_report
from core.diagnostics import Diagnostics
from core.federation import Federation, load_federation
from core.model import Remote
from tests.conftest import real_town, write_json

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)
TOWN = "hop://steve@example.com/main-town"


def build(root: Path) -> Federation:
    sc = root / "web" / ".sudocode"
    write_json(sc / "federation.config.json", {
        "local_identity": {"url": "github.com/acme/web"},
        "remote_repos": [
            {"url": "github.com/acme/api", "display_name": "API", "trust_level": "trusted",
             "permissions": {"query": {"allowed": True},
                             "mutate": {"allowed": True, "operations": ["create_issue"],
                                        "auto_approve_conditions": ["priority >= 2"], "max_creates_per_day": 20},
                             "subscribe": {"allowed": True}},
             "sync": {"auto_sync": True, "interval_minutes": 15}},
            {"url": "github.com/partner/repo", "trust_level": "verified",
             "permissions": {"query": {"allowed": True}, "mutate": {"allowed": False}}},
            {"url": "http://127.0.0.1:9/api/v1/federation", "name": "initech", "trust_level": "untrusted"},
        ],
    })
    town = real_town(root / "town", {"greenplace": "gp"})
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [
        {"name": "hq", "url": "../hq", "workspace": "hop://acme.com/hq", "trust_level": "trusted",
         "permissions": {"query": True}, "sync": {"auto_sync": False}}]})
    fed = load_federation([root])
    assert fed.errors == [], fed.errors
    return fed


def remote_of(fed: Federation, workspace: str, name: str) -> Remote:
    found = fed.workspace(workspace)
    assert found is not None
    return next(r for r in found.remotes if r.name == name)


def by_name(fed: Federation, now: dt.datetime = NOW, ttl: int = 300) -> dict[str, RemoteReport]:
    summary = remotes_report(fed.workspaces, store.remote_states(), now, ttl)
    return {r.name: r for r in summary.remotes}


def test_nothing_recorded_means_never_checked(tmp_path: Path) -> None:
    fed = build(tmp_path)
    summary = remotes_report(fed.workspaces, store.remote_states(), NOW, 300)
    assert [(r.workspace, r.name, r.state) for r in summary.remotes] == [
        ("acme/web", "acme/api", "never-checked"), ("acme/web", "initech", "never-checked"),
        ("acme/web", "partner/repo", "never-checked"), (TOWN, "hq", "never-checked")]
    assert summary.counts == {"unreachable": 0, "stale": 0, "never-checked": 4, "synced": 0}
    api = summary.remotes[0]
    assert (api.transport, api.trust_level, api.display_name, api.last_check_at, api.latency_ms) == (
        "git", "trusted", "API", None, None)
    assert (summary.remotes[1].transport, summary.remotes[1].url) == ("http", "http://127.0.0.1:9/api/v1/federation")
    assert summary.remotes[3].remote_workspace == "hop://acme.com/hq"


def test_permissions_and_sync_settings_are_summarised(tmp_path: Path) -> None:
    reports = by_name(build(tmp_path))
    api = reports["acme/api"]
    assert api.permissions.query and api.permissions.mutate and api.permissions.subscribe
    assert api.permissions.operations == ["create_issue"]
    assert api.permissions.auto_approve_conditions == ["priority >= 2"]
    assert api.permissions.max_creates_per_day == 20
    assert (api.sync.auto_sync, api.sync.interval_minutes) == (True, 15)
    partner = reports["partner/repo"]
    assert (partner.permissions.query, partner.permissions.mutate, partner.permissions.subscribe) == (
        True, False, False)
    nothing = reports["initech"]
    assert not (nothing.permissions.query or nothing.permissions.mutate)
    assert reports["hq"].permissions.query  # the short form `"query": true`
    assert permissions({"mutate": {"allowed": "yes", "max_creates_per_day": True}}).mutate is False


def test_states_from_the_store_synced_stale_unreachable(tmp_path: Path) -> None:
    fed = build(tmp_path)
    store.record_sync(remote_of(fed, "acme/web", "acme/api"), ok=True, fetched_ref="abc", latency_ms=35.0,
                      at=NOW - dt.timedelta(minutes=2), circuit_state="closed")
    store.record_sync(remote_of(fed, TOWN, "hq"), ok=True, at=NOW - dt.timedelta(hours=3))
    initech = remote_of(fed, "acme/web", "initech")
    store.record_check(initech, ok=False, error="connection refused (127.0.0.1:9)", latency_ms=1.0,
                       at=NOW - dt.timedelta(minutes=30), circuit_state="open")
    store.record_check(initech, ok=False, error="connection refused (127.0.0.1:9)", at=NOW - dt.timedelta(minutes=5))
    summary = remotes_report(fed.workspaces, store.remote_states(), NOW, 300)
    assert [(r.name, r.state) for r in summary.remotes] == [
        ("initech", "unreachable"), ("hq", "stale"), ("partner/repo", "never-checked"), ("acme/api", "synced")]
    unreachable, stale, _, synced = summary.remotes
    assert unreachable.failing_since == "2026-11-20T11:30:00Z"
    assert (unreachable.failures, unreachable.circuit_state) == (2, "open")
    assert unreachable.last_error == "connection refused (127.0.0.1:9)"
    assert unreachable.last_check_at == "2026-11-20T11:55:00Z"
    assert stale.sync_age_seconds == 3 * 3600
    assert (synced.last_sync_at, synced.latency_ms, synced.fetched_ref, synced.sync_age_seconds) == (
        "2026-11-20T11:58:00Z", 35.0, "abc", 120)
    # the same store read later: the synced remote has aged past the TTL
    later = remotes_report(fed.workspaces, store.remote_states(), NOW + dt.timedelta(minutes=4), 300)
    assert {r.name: r.state for r in later.remotes}["acme/api"] == "stale"
    longer_ttl = remotes_report(fed.workspaces, store.remote_states(), NOW, 4 * 3600)
    assert {r.name: r.state for r in longer_ttl.remotes}["hq"] == "synced"


def test_a_corrupt_store_shows_every_remote_as_never_checked(tmp_path: Path) -> None:
    fed = build(tmp_path)
    path = store.db_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 512)
    diags = Diagnostics()
    summary = remotes_report(fed.workspaces, store.remote_states(diags=diags), NOW, 300)
    assert {r.state for r in summary.remotes} == {"never-checked"}
    assert len(diags.warnings) == 1


def test_a_recorded_remote_no_longer_configured_is_not_listed(tmp_path: Path) -> None:
    fed = build(tmp_path)
    gone = Remote(name="old/repo", url="github.com/old/repo", workspace="acme/web")
    store.record_sync(gone, ok=True, at=NOW)
    assert "old/repo" not in by_name(fed)


@pytest.mark.parametrize("raw, expected", [
    ({}, (False, False, False)),
    ({"query": True, "subscribe": {"allowed": True}}, (True, False, True)),
    ({"query": {"allowed": False}, "mutate": {"allowed": True}}, (False, True, False)),
])
def test_permission_forms(raw: dict[str, object], expected: tuple[bool, bool, bool]) -> None:
    got = permissions(raw)
    assert (got.query, got.mutate, got.subscribe) == expected
