"""Aggregation queries: all work of an org's members, all work of a project with what was
delegated from it, an actor's full history; each with a status filter.

The project: gp-1 in main-town has two parent-child children (gp-2, gp-3) and delegates bp-1 to
side-town (level 1); bp-1 delegates bp-2 there (level 2) and Kestrel's ps-9, which is not loaded
(a stub); bp-2 has a child bp-3, which delegates back to gp-1 (a cycle the walk must not loop on).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from core.analysis.aggregate import (StatusFilter, WorkQuery, actor_history, org_work, project_steps, project_work,
                                     select_work)
from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import bead, dep, real_town, write_json, write_jsonl

MAIN = "hop://steve@example.com/main-town"
SIDE = "hop://bob@other.org/side-town"
GP, BP = f"{MAIN}/greenplace", f"{SIDE}/blueplace"
STUB = "hop://kim@kestrel.works/kestrel/paysdk/ps-9"
HQ = "hop://acme.com/hq/pl-1"  # a parent in a workspace that is not loaded


@pytest.fixture
def graph(tmp_path: Path) -> nx.MultiDiGraph:
    write_project(tmp_path)
    fed = load_federation([tmp_path])
    assert fed.errors == [], fed.errors
    return build_graph(fed)


def write_project(tmp_path: Path) -> None:
    """The two towns and the sudocode repo of this module's story, in ``tmp_path``."""
    main = real_town(tmp_path / "main", {"greenplace": "gp"})
    write_jsonl(main / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-1", "Launch", assignee="greenplace/crew/joe", created_by="mayor", status="in_progress"),
        bead("gp-2", "Design", owner="alice@example.com", status="closed",
             dependencies=[dep("gp-2", "gp-1", "parent-child")]),
        bead("gp-3", "Polish", dependencies=[dep("gp-3", "gp-1", "parent-child")]),
        bead("gp-4", "Unrelated", created_by="greenplace/crew/joe", status="blocked"),
    ])
    write_jsonl(main / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": "steve@example.com", "organization": "acme.com"},
        {"type": "employment", "entity": "alice@example.com", "organization": "acme.com"},
        {"type": "entity", "id": "alice@example.com", "display_name": "Alice"},
        {"type": "delegation", "parent": f"{GP}/gp-1", "child": f"{BP}/bp-1",
         "terms": {"portion": "backend", "deadline": "2026-12-01"}, "delegated_to": "bob@other.org"},
        {"type": "delegation", "parent": HQ, "child": f"{GP}/gp-4", "terms": {}},
    ])
    side = real_town(tmp_path / "side", {"blueplace": "bp"}, owner="bob@other.org", name="side-town")
    write_jsonl(side / "blueplace" / ".beads" / "issues.jsonl", [
        bead("bp-1", "Backend", assignee="blueplace/crew/zed"),
        bead("bp-2", "Ledger", status="closed",
             metadata={"delegated_from": {"parent": f"{BP}/bp-1", "portion": "ledger"}}),
        bead("bp-3", "Ledger tests", created_by="greenplace/crew/joe",
             dependencies=[dep("bp-3", "bp-2", "parent-child")]),
    ])
    write_jsonl(side / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": "bob@other.org", "organization": "other.org"},
        {"type": "delegation", "parent": f"{BP}/bp-1", "child": STUB, "terms": {"portion": "card form"}},
        {"type": "delegation", "parent": f"{BP}/bp-3", "child": f"{GP}/gp-1", "terms": {}},
    ])
    sc = tmp_path / "web" / ".sudocode"
    write_json(sc / "federation.config.json", {"local_identity": {"url": "github.com/acme/web"}})
    write_jsonl(sc / "issues.jsonl", [
        {"id": "i-1", "title": "Profile page", "assignee": "Alice", "status": "open"},
        {"id": "i-2", "title": "Avatar", "assignee": "carol", "status": "open", "parent_id": "i-1"},
    ])
    write_jsonl(main / ".events.jsonl", [
        {"ts": "2026-11-19T10:00:00Z", "type": "sling", "actor": "greenplace/crew/joe", "payload": {"bead": "gp-1"}},
        {"ts": "2026-11-19T11:00:00Z", "type": "done", "actor": "greenplace/polecats/toast", "payload": {}},
    ])


def keys(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [r.key for r in rows]


def test_org_work_goes_through_employment(graph: nx.MultiDiGraph) -> None:
    rows = org_work(graph, "acme.com")
    assert keys(rows) == [f"{GP}/gp-1", f"{GP}/gp-2", f"{GP}/gp-4", "acme/web#i-1"]
    why = {r.key: [(m.field, m.actor, m.entity) for m in r.members] for r in rows}
    # town actors act for the town's owner (steve, an acme.com employee), wherever the work lives
    assert why[f"{GP}/gp-1"] == [("created_by", "mayor", "steve@example.com"),
                                 ("assignee", "greenplace/crew/joe", "steve@example.com")]
    assert why[f"{GP}/gp-2"] == [("owner", "alice@example.com", "alice@example.com")]
    assert why["acme/web#i-1"] == [("assignee", "Alice", "alice@example.com")]  # a sudocode display name
    # a BD_ACTOR name is town-local: bp-3's "greenplace/crew/joe" is read in side-town, bob's town
    assert keys(org_work(graph, "other.org")) == [f"{BP}/bp-1", f"{BP}/bp-3"]
    assert keys(org_work(graph, "acme.com", StatusFilter.parse(["not-done"]))) == [
        f"{GP}/gp-1", f"{GP}/gp-4", "acme/web#i-1"]


def test_project_work_follows_two_levels_of_delegation(graph: nx.MultiDiGraph) -> None:
    rows = project_work(graph, f"{GP}/gp-1", include_delegated=True)
    assert [(r.key, r.project.depth, r.project.via, r.project.parent) for r in rows] == [  # type: ignore[union-attr]
        (f"{GP}/gp-1", 0, "project", None),
        (f"{GP}/gp-2", 1, "child", f"{GP}/gp-1"),
        (f"{GP}/gp-3", 1, "child", f"{GP}/gp-1"),
        (f"{BP}/bp-1", 1, "delegation", f"{GP}/gp-1"),
        (f"{BP}/bp-2", 2, "delegation", f"{BP}/bp-1"),
        (STUB, 2, "delegation", f"{BP}/bp-1"),
        (f"{BP}/bp-3", 3, "child", f"{BP}/bp-2"),  # and bp-3 -> gp-1 closes a cycle: not walked again
    ]
    level_one = rows[3]
    assert level_one.project.terms == {"portion": "backend", "deadline": "2026-12-01"}  # type: ignore[union-attr]
    assert level_one.project.delegated_to == "bob@other.org"  # type: ignore[union-attr]
    stub = rows[5]
    assert (stub.loaded, stub.status, stub.id, stub.workspace) == (False, None, "ps-9", "hop://kim@kestrel.works/kestrel")
    assert rows[4].status == "closed" and rows[4].project.terms == {"portion": "ledger"}  # type: ignore[union-attr]


def test_project_work_without_delegation_is_the_unit_and_its_children(graph: nx.MultiDiGraph) -> None:
    assert keys(project_work(graph, f"{GP}/gp-1", include_delegated=False)) == [f"{GP}/gp-1", f"{GP}/gp-2",
                                                                                f"{GP}/gp-3"]
    assert keys(project_work(graph, "acme/web#i-1", include_delegated=False)) == ["acme/web#i-1", "acme/web#i-2"]


def test_project_status_filter_keeps_walking_through_done_work(graph: nx.MultiDiGraph) -> None:
    open_only = project_work(graph, f"{GP}/gp-1", status=StatusFilter.parse(["open,in_progress"]))
    # bp-2 is closed and not listed, but its child bp-3 (reached through it) is; the stub has no status
    assert keys(open_only) == [f"{GP}/gp-1", f"{GP}/gp-3", f"{BP}/bp-1", f"{BP}/bp-3"]
    assert keys(project_work(graph, f"{GP}/gp-1", status=StatusFilter.parse(["done"]))) == [f"{GP}/gp-2", f"{BP}/bp-2"]


def test_a_project_rooted_at_a_stub_still_finds_the_loaded_work(graph: nx.MultiDiGraph) -> None:
    assert list(project_steps(graph, HQ, include_delegated=True)) == [HQ, f"{GP}/gp-4"]
    assert list(project_steps(graph, STUB, include_delegated=True)) == [STUB]
    steps = project_steps(graph, f"{BP}/bp-1", include_delegated=True)
    assert list(steps) == [f"{BP}/bp-1", f"{BP}/bp-2", STUB, f"{BP}/bp-3", f"{GP}/gp-1", f"{GP}/gp-2", f"{GP}/gp-3"]


def test_actor_history_has_work_and_events(graph: nx.MultiDiGraph) -> None:
    history = actor_history(graph, "greenplace/crew/joe")
    assert [(r.key, r.roles) for r in history.work_units] == [
        (f"{GP}/gp-1", ["assigned"]), (f"{GP}/gp-4", ["created"]), (f"{BP}/bp-3", ["created"])]
    assert [(e.type, e.actor) for e in history.events or []] == [("sling", "greenplace/crew/joe")]
    rig = actor_history(graph, "greenplace/")
    assert [e.type for e in rig.events or []] == ["done", "sling"]
    assert [(r.key, r.roles) for r in actor_history(graph, "mayor").work_units] == [(f"{GP}/gp-1", ["created"])]
    blocked = actor_history(graph, "greenplace/crew/joe", StatusFilter.parse(["blocked"]))
    assert keys(blocked.work_units) == [f"{GP}/gp-4"]
    assert blocked.by_status == {"blocked": 1}
    assert len(blocked.events or []) == 1  # events carry no status: never filtered by it


def test_selections_given_together_must_all_hold(graph: nx.MultiDiGraph) -> None:
    both = select_work(graph, WorkQuery(project=f"{GP}/gp-1", include_delegated=True, org="other.org"))
    assert keys(both.work_units) == [f"{BP}/bp-1", f"{BP}/bp-3"]
    assert both.events is None
    everything = select_work(graph, WorkQuery())
    assert len(everything.work_units) == 9
    assert everything.by_status == {"open": 5, "closed": 2, "in_progress": 1, "blocked": 1}


def test_status_filter_words() -> None:
    status = StatusFilter.parse(["open", "blocked,deferred", " "])
    assert status is not None and status.statuses == {"open", "blocked", "deferred"}
    assert StatusFilter.parse([]) is None
    done = StatusFilter.parse(["done"])
    assert done is not None and done.keeps("closed") and done.keeps("tombstone") and not done.keeps("open")
    active = StatusFilter.parse(["not-done"])
    assert active is not None and active.keeps("hooked") and not active.keeps("closed") and not active.keeps(None)
