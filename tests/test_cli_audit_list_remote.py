"""``crossdeck audit``, ``crossdeck list`` and ``crossdeck remote list`` as a user runs them: a
real process, stdout (validated against the documented schemas), stderr, exit codes; on small
purpose-built federations and on the demo federation (sample_workspaces/README.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from core import store
from core.federation import load_federation
from core.model import Remote
from tests.conftest import write_jsonl
from tests.schema_check import assert_matches_schema
from tests.test_aggregate import BP, GP, STUB, write_project
from tests.test_audit import MAIN, build
from tests.test_cli_summary import crossdeck

SAMPLES = (Path(__file__).parents[1] / "sample_workspaces").resolve()
ANCHOR = "2026-11-20T12:00:00Z"


@pytest.fixture
def anchored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", ANCHOR)


def run_json(verb: str, *args: str, schema: str | None = None) -> dict[str, Any]:
    result = crossdeck(*verb.split(), *args, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema(schema or verb, data)
    return data


# -- audit ---------------------------------------------------------------------------------------
def test_audit_json_filters_and_schema(tmp_path: Path, anchored: None) -> None:
    build(tmp_path)
    data = run_json("audit", str(tmp_path))
    assert (data["total"], data["matched"], data["undated"]) == (11, 11, 1)
    assert data["events"][0]["actor"] == "alice@example.com" and data["events"][-1]["time"] is None
    data = run_json("audit", str(tmp_path), "--actor", "greenplace/", "--type", "sling,done", "--limit", "1")
    assert data["matched"] == 2 and [e["type"] for e in data["events"]] == ["done"]
    assert data["query"] == {"actor": "greenplace/", "org": None, "workspace": None, "types": ["sling", "done"],
                             "since": None, "until": None, "limit": 1}
    data = run_json("audit", str(tmp_path), "--since", "12h")  # back from CROSSDECK_NOW
    assert data["query"]["since"] == "2026-11-20T00:00:00Z"
    assert [e["type"] for e in data["events"]] == ["mail", "sling"]
    data = run_json("audit", str(tmp_path), "--org", "other.org", "--until", "2026-11-20")
    assert [(e["actor"], e["entity"]) for e in data["events"]] == [("blueplace/crew/zed", "bob@other.org")]
    data = run_json("audit", str(tmp_path), "--workspace", "side-town", "--since", "2026-11-19T00:00:00+01:00")
    assert data["query"]["since"] == "2026-11-18T23:00:00Z" and data["matched"] == 1


def test_audit_text_lists_newest_first(tmp_path: Path, anchored: None) -> None:
    build(tmp_path)
    result = crossdeck("audit", str(tmp_path), "--since", "2026-11-19", "--until", "2026-11-19T12:00:00Z")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "3 events (of 11 in the timeline)"
    assert "1 events without a readable time are outside any time window" in lines[1]
    assert [line.split()[4] for line in lines[4:]] == ["done", "sling", "status_changed"]
    assert lines[4].startswith("2026-11-19 10:30:00Z  " + MAIN)


def test_audit_usage_errors_exit_2(tmp_path: Path) -> None:
    build(tmp_path)
    bad = crossdeck("audit", str(tmp_path), "--since", "last tuesday")
    assert bad.returncode == 2 and "not a date" in bad.stderr and bad.stdout == ""
    assert crossdeck("audit", str(tmp_path), "--limit", "0").returncode == 2
    unknown = crossdeck("audit", str(tmp_path), "--workspace", "nowhere", "--json")
    assert unknown.returncode == 2 and "no loaded workspace matches 'nowhere'" in unknown.stderr
    assert json.loads(unknown.stdout)["error"].startswith("crossdeck audit: no loaded workspace matches 'nowhere'")
    org = crossdeck("audit", str(tmp_path), "--org", "acme.co")
    assert org.returncode == 2 and "organisations: acme.com, holding.example, other.org" in org.stderr


def test_audit_text_is_safe_for_untrusted_strings(tmp_path: Path) -> None:
    build(tmp_path)
    write_jsonl(tmp_path / "side" / ".events.jsonl", [
        {"ts": "2026-11-20T09:00:00Z", "type": "mail\x1b[2J", "actor": "blueplace/crew/\x1b[31mzed",
         "payload": {"subject": "hi\nthere\x07"}}])
    result = crossdeck("audit", str(tmp_path), "--workspace", "side-town")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "blueplace/crew/\\x1b[31mzed" in result.stdout and "subject=hi there\\x07" in result.stdout


# -- list ----------------------------------------------------------------------------------------
def test_list_project_with_delegated_work(tmp_path: Path) -> None:
    write_project(tmp_path)
    data = run_json("list", str(tmp_path), "--project", "gp-1", "--include-delegated", schema="list")
    assert data["query"]["project"] == f"{GP}/gp-1"
    assert [(w["key"], w["project"]["depth"], w["project"]["via"]) for w in data["work_units"]] == [
        (f"{GP}/gp-1", 0, "project"), (f"{GP}/gp-2", 1, "child"), (f"{GP}/gp-3", 1, "child"),
        (f"{BP}/bp-1", 1, "delegation"), (f"{BP}/bp-2", 2, "delegation"), (STUB, 2, "delegation"),
        (f"{BP}/bp-3", 3, "child")]
    assert data["counts"] == {"work_units": 7, "by_status": {"open": 3, "closed": 2, "in_progress": 1, "unknown": 1},
                              "events": None}
    text = crossdeck("list", str(tmp_path), "--project", "gp-1", "--include-delegated", "--status", "not-done")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == "4 work units (3 open, 1 in_progress)"
    assert "delegated (portion backend, deadline 2026-12-01, to bob@other.org)" in text.stdout


def test_list_org_and_actor(tmp_path: Path) -> None:
    write_project(tmp_path)
    data = run_json("list", str(tmp_path), "--org", "acme.com", "--status", "open,in_progress", schema="list")
    assert [w["key"] for w in data["work_units"]] == [f"{GP}/gp-1", "acme/web#i-1"]
    assert data["work_units"][1]["members"] == [{"field": "assignee", "actor": "Alice", "entity": "alice@example.com"}]
    data = run_json("list", str(tmp_path), "--actor", "greenplace/crew/joe", schema="list")
    assert [(w["id"], w["roles"]) for w in data["work_units"]] == [("gp-1", ["assigned"]), ("gp-4", ["created"]),
                                                                   ("bp-3", ["created"])]
    assert data["counts"]["events"] == 1 and data["events"][0]["type"] == "sling"
    text = crossdeck("list", str(tmp_path), "--actor", "greenplace/crew/joe")
    assert "1 audit events by the actor" in text.stdout


def test_list_usage_errors_exit_2(tmp_path: Path) -> None:
    write_project(tmp_path)
    unknown = crossdeck("list", str(tmp_path), "--project", "gp-99")
    assert unknown.returncode == 2 and "--project: nothing matches 'gp-99'" in unknown.stderr
    lonely = crossdeck("list", str(tmp_path), "--include-delegated")
    assert lonely.returncode == 2 and "--include-delegated needs --project" in lonely.stderr
    org = crossdeck("list", str(tmp_path), "--org", "nobody.example")
    assert org.returncode == 2 and "no entity 'nobody.example' is known" in org.stderr


# -- remote list ---------------------------------------------------------------------------------
def _remotes_fixture(tmp_path: Path) -> Path:
    from tests.test_remotes import build as build_remotes

    build_remotes(tmp_path)
    return tmp_path


def test_remote_list_never_checked_then_recorded(tmp_path: Path, anchored: None, crossdeck_home: Path) -> None:
    root = _remotes_fixture(tmp_path)
    data = run_json("remote list", str(root), schema="remote-list")
    assert data["counts"] == {"unreachable": 0, "stale": 0, "never-checked": 4, "synced": 0}
    assert not (crossdeck_home / "state" / "state.db").exists()  # a read creates no store
    fed = load_federation([root])
    web = fed.workspace("acme/web")
    assert web is not None
    api, initech, _ = sorted(web.remotes, key=lambda r: r.name)
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)
    store.record_sync(api, ok=True, latency_ms=42.0, at=now - dt.timedelta(minutes=1))
    store.record_check(initech, ok=False, error="connection refused", at=now - dt.timedelta(minutes=3),
                       circuit_state="open")
    data = run_json("remote list", str(root), schema="remote-list")
    assert [(r["name"], r["state"]) for r in data["remotes"]] == [
        ("initech", "unreachable"), ("partner/repo", "never-checked"), ("hq", "never-checked"), ("acme/api", "synced")]
    text = crossdeck("remote", "list", str(root))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "4 remotes (1 unreachable, 2 never checked, 1 synced); stale after 300s"
    assert lines[3].split()[:3] == ["unreachable", "acme/web", "initech"] and "open" in lines[3]
    assert "failing since 2026-11-20T11:57:00Z (3m ago, 1 failed in a row)" in text.stdout
    assert "last error: connection refused" in text.stdout
    assert "42 ms" in text.stdout


def test_remote_list_with_a_corrupt_store_warns_and_shows_never_checked(tmp_path: Path, crossdeck_home: Path) -> None:
    root = _remotes_fixture(tmp_path)
    (crossdeck_home / "state").mkdir()
    (crossdeck_home / "state" / "state.db").write_bytes(b"not sqlite at all" * 100)
    result = crossdeck("remote", "list", str(root), "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["counts"]["never-checked"] == 4 and data["diagnostics"] == {"error": 0, "warning": 1}
    assert "state store cannot be read" in result.stderr


def test_remote_without_an_action_is_a_usage_error() -> None:
    result = crossdeck("remote")
    assert result.returncode == 2 and "list" in result.stderr


# -- the demo federation -------------------------------------------------------------------------
demo = pytest.mark.skipif(not (SAMPLES / "README.md").is_file(), reason="the demo federation is not there")


@demo
def test_demo_audit_by_type_actor_and_org(anchored: None) -> None:
    merges = run_json("audit", str(SAMPLES), "--type", "merge_failed")
    assert [(e["workspace"], e["actor"]) for e in merges["events"]] == [
        ("hop://acme.dev/storefront", "catalog/refinery"), ("hop://kim@kestrel.works/kestrel", "paysdk/refinery")]
    bob = run_json("audit", str(SAMPLES), "--actor", "bob@acme.dev")
    assert bob["matched"] >= 3 and {e["actor"] for e in bob["events"]} == {"bob@acme.dev"}
    assert "reject" in {e["type"] for e in bob["events"]}  # he rejected the price scraper's request
    globex = run_json("audit", str(SAMPLES), "--org", "globex.io")
    entities = {e["entity"] for e in globex["events"]}
    assert entities <= {"globex.io", "carol@globex.io", "dan@globex.io", "kim@kestrel.works"}
    assert {"globex.io", "kim@kestrel.works"} <= entities  # Kestrel's town: kim is Globex's contractor
    # Carol's export into the commerce realm, made from Globex's town
    assert ("realm://commerce", "gateway/crew/carol") in {(e["workspace"], e["actor"]) for e in globex["events"]}
    assert not any(e["actor"] and "alice" in e["actor"] for e in globex["events"])
    acme = run_json("audit", str(SAMPLES), "--org", "acme.dev", "--workspace", "hop://globex.io/payments")
    assert [(e["type"], e["actor"]) for e in acme["events"]] == [("delegate", "checkout/crew/alice")]


@demo
def test_demo_project_shows_the_three_level_delegation(anchored: None) -> None:
    data = run_json("list", str(SAMPLES), "--project", "co-8f2", "--include-delegated", schema="list")
    rows = {w["id"]: w for w in data["work_units"]}
    assert data["work_units"][0]["id"] == "co-8f2"
    assert rows["gw-4tk"]["project"]["via"] == "delegation" and rows["gw-4tk"]["project"]["depth"] == 1
    for child in ("ps-3vk", "mb-4h2", "lg-5pe"):
        assert rows[child]["project"]["via"] == "delegation"
        assert rows[child]["project"]["parent"] == "hop://globex.io/payments/gateway/gw-4tk"
    assert rows["ps-3vk"]["project"]["terms"]["deadline"] == "2026-11-13"  # the overdue part
    assert rows["mb-4h2"]["status"] == "closed" and rows["lg-5pe"]["status"] == "closed"
    without = run_json("list", str(SAMPLES), "--project", "co-8f2", schema="list")
    assert "gw-4tk" not in {w["id"] for w in without["work_units"]}


@demo
def test_demo_org_and_actor_history(anchored: None) -> None:
    globex = run_json("list", str(SAMPLES), "--org", "globex.io", schema="list")
    workspaces = {w["workspace"] for w in globex["work_units"]}
    assert workspaces == {"hop://globex.io/payments", "hop://kim@kestrel.works/kestrel"}
    acme = run_json("list", str(SAMPLES), "--org", "acme.dev", "--status", "blocked", schema="list")
    # sudocode's "alice" is alice@acme.dev; the town items are acme.dev's own
    assert {w["key"] for w in acme["work_units"]} == {
        "acme-dev/frontend#i-7f3a", "hop://acme.dev/storefront/web/web-7tq", "hop://acme.dev/storefront/checkout/co-5vd"}
    alice = run_json("list", str(SAMPLES), "--actor", "checkout/crew/alice", schema="list")
    assert "co-8f2" in {w["id"] for w in alice["work_units"]}
    assert {e["type"] for e in alice["events"]} >= {"delegate", "sling"}


@demo
def test_demo_remotes_start_never_checked_and_show_a_failed_check(anchored: None) -> None:
    data = run_json("remote list", str(SAMPLES), schema="remote-list")
    assert data["counts"] == {"unreachable": 0, "stale": 0, "never-checked": 13, "synced": 0}
    reports = {(r["workspace"], r["name"]): r for r in data["remotes"]}
    initech = reports[("hop://globex.io/payments", "initech-risk")]
    assert (initech["transport"], initech["url"], initech["remote_workspace"]) == (
        "http", "http://127.0.0.1:9/api/v1/federation", "hop://initech.com/risk")
    assert reports[("hop://acme.dev/storefront", "kestrel")]["sync"]["auto_sync"] is False
    assert reports[("acme-dev/api-service", "hackday/price-scraper")]["trust_level"] == "untrusted"
    fed = load_federation([SAMPLES])
    globex = fed.workspace("hop://globex.io/payments")
    assert globex is not None
    remote: Remote = next(r for r in globex.remotes if r.name == "initech-risk")
    store.record_check(remote, ok=False, error="connection refused (127.0.0.1:9)",
                       at=dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.timezone.utc))
    data = run_json("remote list", str(SAMPLES), schema="remote-list")
    first = data["remotes"][0]
    assert (first["name"], first["state"], first["last_error"]) == (
        "initech-risk", "unreachable", "connection refused (127.0.0.1:9)")
    # the stub of Initech's work in Globex's graph now carries the cached status
    from core.commands.common import graph_of

    assert graph_of(fed).nodes["hop://initech.com/risk/models/rm-42"]["cache_status"] == "unreachable"
