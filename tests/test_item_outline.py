"""Core behind the Explorer and the audit trail's Enter: the outline of a federation, the
description of one item, and the item an audit event names (demo federation)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from core.analysis.audit import AuditQuery, AuditTimeline
from core.analysis.audit_subject import event_subject
from core.analysis.item import blocked_across, describe, item_fields
from core.analysis.outline import Outline
from core.federation import Federation, load_federation
from core.graph import build_graph
from tests.conftest import PROJECT

TODAY = dt.date(2026, 11, 20)
STOREFRONT = "hop://acme.dev/storefront"


@pytest.fixture(scope="module")
def fed() -> Federation:
    return load_federation([PROJECT / "sample_workspaces"])


def test_outline_levels(fed: Federation) -> None:
    outline = Outline(fed)
    assert [e.name for e in outline.roots()] == ["towns", "realms", "sudocode repos"]
    town = outline.children(STOREFRONT)
    assert [e.kind for e in town] == ["rig"] * 3 + ["work-unit"] * 3  # rigs, then town-level items
    assert [e.name for e in town[3:]] == ["hq-4ta", "hq-9dp", "hq-cv-7hk2q"]
    assert outline.entry(f"{STOREFRONT}/web").children == 4
    commerce = outline.children("realm://commerce/acme-checkout")
    assert {e.kind for e in commerce} == {"import"}
    assert [e.kind for e in outline.children("realm://globex-platform/payments")] == ["contract"]
    frontend = outline.children("acme-dev/frontend")
    assert frontend[0].unit_kind == "spec" and {e.unit_kind for e in frontend[1:]} == {"issue"}
    assert outline.path_to(f"{STOREFRONT}/web/web-7tq") == ["group:town", STOREFRONT, f"{STOREFRONT}/web",
                                                            f"{STOREFRONT}/web/web-7tq"]
    assert outline.path_to("hop://initech.com/risk/models/rm-42") is None  # a stub is not outlined


def test_outline_search(fed: Federation) -> None:
    outline = Outline(fed)
    found = outline.search("DIGEST")
    assert found.matches == ["hop://globex.io/payments/fraud/fr-2qs"] and found.total == 1
    assert found.ancestors == {"group:town", "hop://globex.io/payments", "hop://globex.io/payments/fraud"}
    many = outline.search("acme", limit=5)
    assert len(many.matches) == 5 and many.total > 5
    assert outline.search("   ").total == 0


def test_describe_an_item_blocked_across_towns(fed: Federation) -> None:
    graph = build_graph(fed)
    key = f"{STOREFRONT}/web/web-7tq"
    mine = describe(graph, key, TODAY)
    assert mine.keys() == {"node", "record", "out", "in", "blockers", "why_blocked", "delegation"}
    assert [r["peer"]["key"] for r in msgspec.to_builtins(mine["out"]) if r["blocking"]] == [
        f"{STOREFRONT}/checkout/co-5vd"]
    assert mine["why_blocked"].startswith(f"{key} is blocked by 4 open items")
    assert blocked_across(mine["blockers"]) == [STOREFRONT, "hop://globex.io/payments",
                                                 "hop://kim@kestrel.works/kestrel"]
    fields = dict(item_fields(mine["node"], mine["record"]))
    assert fields["status"] == "blocked" and fields["labels"] == "one-click, holiday"
    assert "description" not in fields and "source" not in fields


def test_not_blocked_reaches_no_workspace(fed: Federation) -> None:
    graph = build_graph(fed)
    assert blocked_across(describe(graph, f"{STOREFRONT}/web/web-2lc", TODAY)["blockers"]) == []


def test_event_subject(fed: Federation) -> None:
    graph = build_graph(fed)
    events = AuditTimeline(fed.workspaces).query(AuditQuery()).events
    subjects = {event_subject(graph, e) for e in events}
    assert f"{STOREFRONT}/checkout/co-9wd" in subjects  # a town sling's bead, in its own town
    assert "acme-dev/frontend#i-7f3a" in subjects  # a federation request's payload.issue_id
    death = next(e for e in events if e.type == "session_death")
    assert event_subject(graph, death) is None
