"""The audit timeline: every workspace's events in one list, newest first, and its filters.

The federation is built in tmp_path from real files: two towns (one owned by an acme.com
employee, one by an other.org employee) with town events and beads backup events, and a sudocode
repo whose federation audit log names actors by entity id, by display name, and (for an incoming
request) by a town actor of the requesting town.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

import pytest

from core.analysis.audit import (Affiliations, AuditQuery, AuditTimeline, actor_matches, parse_moment,
                                 workspace_matches)
from core.federation import Federation, load_federation
from core.model import AuditEvent, Employment, Town, Workspace, WorkspaceKind
from tests.conftest import bead, real_town, write_json, write_jsonl

MAIN = "hop://steve@example.com/main-town"
SIDE = "hop://bob@other.org/side-town"
WEB = "acme/web"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)


def event(ts: str, actor: str, kind: str, **payload: str) -> dict[str, object]:
    return {"ts": ts, "source": "gt", "type": kind, "actor": actor, "payload": payload, "visibility": "feed"}


def audit_row(ts: str, actor: str, kind: str, direction: str = "outgoing", remote: str = "github.com/acme/api") -> dict[str, object]:
    return {"timestamp": ts, "operation_type": kind, "direction": direction, "local_repo": "github.com/acme/web",
            "remote_repo": remote, "status": "success", "actor": actor}


def build(root: Path) -> Federation:
    main = real_town(root / "main", {"greenplace": "gp"})
    write_jsonl(main / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-1", assignee="greenplace/crew/joe", created_by="mayor", status="in_progress"),
        bead("gp-2", owner="alice@example.com", status="closed"),
        bead("gp-3"),
    ])
    write_jsonl(main / "greenplace" / ".beads" / "backup" / "events.jsonl", [
        {"id": 1, "issue_id": "gp-1", "event_type": "status_changed", "actor": "greenplace/crew/joe",
         "old_value": "open", "new_value": "in_progress", "comment": None, "created_at": "2026-11-19T09:00:00Z"},
    ])
    write_jsonl(main / ".events.jsonl", [
        event("2026-11-19T10:00:00Z", "greenplace/crew/joe", "sling", bead="gp-1"),
        event("2026-11-19T12:30:00+02:00", "greenplace/polecats/toast", "done", bead="gp-1"),  # 10:30Z
        event("2026-11-18T08:00:00Z", "mayor", "boot"),
        event("2026-11-20T11:00:00Z", "alice@example.com", "mail", to="mayor/"),
        event("sometime last week", "deacon", "nudge"),
        event("2026-11-01T00:00:00Z", "greenhouse/crew/ann", "sling"),
    ])
    write_jsonl(main / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": "steve@example.com", "organization": "acme.com"},
        {"type": "employment", "entity": "alice@example.com", "organization": "acme.com"},
        {"type": "employment", "entity": "acme.com", "organization": "holding.example"},
        {"type": "entity", "id": "alice@example.com", "display_name": "Alice"},
    ])
    side = real_town(root / "side", {"blueplace": "bp"}, owner="bob@other.org", name="side-town")
    write_jsonl(side / "blueplace" / ".beads" / "issues.jsonl", [bead("bp-1", assignee="blueplace/crew/zed")])
    write_jsonl(side / ".events.jsonl", [event("2026-11-20T09:00:00Z", "blueplace/crew/zed", "sling", bead="bp-1")])
    write_jsonl(side / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": "bob@other.org", "organization": "other.org"}])
    sc = root / "web" / ".sudocode"
    write_json(sc / "federation.config.json", {"local_identity": {"url": "github.com/acme/web"}})
    write_jsonl(sc / "issues.jsonl", [{"id": "i-1", "title": "page", "assignee": "Alice", "status": "open"}])
    write_jsonl(sc / "federation" / "audit.jsonl", [
        audit_row("2026-11-19T15:00:00Z", "Alice", "approve"),
        audit_row("2026-11-19T16:00:00Z", "carol", "query"),
        audit_row("2026-11-19T17:00:00Z", "blueplace/crew/zed", "mutate", "incoming", SIDE),
    ])
    fed = load_federation([root])
    assert fed.errors == [], fed.errors
    return fed


@pytest.fixture
def timeline(tmp_path: Path) -> AuditTimeline:
    return AuditTimeline(build(tmp_path).workspaces)


def summary(timeline: AuditTimeline, **query: object) -> list[tuple[str | None, str]]:
    return [(e.actor, e.type) for e in timeline.query(AuditQuery(**query)).events]  # type: ignore[arg-type]


def test_one_timeline_newest_first_with_unreadable_times_last(timeline: AuditTimeline) -> None:
    result = timeline.query(AuditQuery())
    assert result.total == result.matched == len(result.events) == 11
    assert result.undated == 1
    assert [(e.actor, e.type) for e in result.events] == [
        ("alice@example.com", "mail"),
        ("blueplace/crew/zed", "sling"),
        ("blueplace/crew/zed", "mutate"),
        ("carol", "query"),
        ("Alice", "approve"),
        ("greenplace/polecats/toast", "done"),  # 12:30+02:00 is 10:30Z
        ("greenplace/crew/joe", "sling"),
        ("greenplace/crew/joe", "status_changed"),
        ("mayor", "boot"),
        ("greenhouse/crew/ann", "sling"),
        ("deacon", "nudge"),  # "sometime last week": kept, last
    ]
    done = result.events[5]
    assert (done.ts, done.time, done.workspace, done.origin) == (
        "2026-11-19T12:30:00+02:00", "2026-11-19T10:30:00Z", MAIN, "town-events")
    assert result.events[-1].time is None
    status = result.events[7]
    assert (status.origin, status.subject) == ("beads-events", f"{MAIN}/greenplace/gp-1")


def test_actor_is_exact_or_a_leading_part_cut_at_a_slash(timeline: AuditTimeline) -> None:
    assert summary(timeline, actor="greenplace/crew/joe") == [("greenplace/crew/joe", "sling"),
                                                              ("greenplace/crew/joe", "status_changed")]
    rig = [("greenplace/polecats/toast", "done"), ("greenplace/crew/joe", "sling"),
           ("greenplace/crew/joe", "status_changed")]
    assert summary(timeline, actor="greenplace/") == rig
    assert summary(timeline, actor="greenplace") == rig
    assert summary(timeline, actor="green") == []  # not greenhouse/...
    assert summary(timeline, actor="greenplace/crew/jo") == []


def test_org_goes_through_employment_and_town_ownership(timeline: AuditTimeline) -> None:
    acme = summary(timeline, org="acme.com")
    # alice by id and by display name; every actor of a town owned by steve (employed by acme.com)
    assert acme == [("alice@example.com", "mail"), ("Alice", "approve"), ("greenplace/polecats/toast", "done"),
                    ("greenplace/crew/joe", "sling"), ("greenplace/crew/joe", "status_changed"),
                    ("mayor", "boot"), ("greenhouse/crew/ann", "sling"), ("deacon", "nudge")]
    # an incoming request's actor acts for the town it came from; "carol" is nobody we know
    assert summary(timeline, org="other.org") == [("blueplace/crew/zed", "sling"), ("blueplace/crew/zed", "mutate")]
    # employment is transitive: acme.com is employed by holding.example
    assert summary(timeline, org="holding.example") == acme
    assert summary(timeline, org="nobody.example") == []
    entities = {(e.actor, e.entity) for e in timeline.query(AuditQuery()).events}
    assert {("mayor", "steve@example.com"), ("Alice", "alice@example.com"), ("carol", None),
            ("blueplace/crew/zed", "bob@other.org")} <= entities


def test_workspace_type_and_limit(timeline: AuditTimeline) -> None:
    assert summary(timeline, workspace="side-town") == [("blueplace/crew/zed", "sling")]
    assert summary(timeline, workspace=SIDE) == [("blueplace/crew/zed", "sling")]
    assert [a for a, _ in summary(timeline, workspace="web")] == ["blueplace/crew/zed", "carol", "Alice"]
    assert summary(timeline, workspace="town") == []  # a last segment, not any suffix
    assert summary(timeline, types=("sling",)) == [("blueplace/crew/zed", "sling"), ("greenplace/crew/joe", "sling"),
                                                   ("greenhouse/crew/ann", "sling")]
    assert [t for _, t in summary(timeline, types=("boot", "mail"))] == ["mail", "boot"]
    limited = timeline.query(AuditQuery(types=("sling",), limit=2))
    assert (len(limited.events), limited.matched) == (2, 3)
    assert summary(timeline, types=("sling",), actor="greenplace", org="acme.com") == [("greenplace/crew/joe", "sling")]


def test_time_window_is_since_inclusive_until_exclusive(timeline: AuditTimeline) -> None:
    since = dt.datetime(2026, 11, 19, 10, 0, tzinfo=dt.timezone.utc)
    until = dt.datetime(2026, 11, 19, 17, 0, tzinfo=dt.timezone.utc)
    result = timeline.query(AuditQuery(since=since, until=until))
    assert [(e.actor, e.time) for e in result.events] == [
        ("carol", "2026-11-19T16:00:00Z"), ("Alice", "2026-11-19T15:00:00Z"),
        ("greenplace/polecats/toast", "2026-11-19T10:30:00Z"), ("greenplace/crew/joe", "2026-11-19T10:00:00Z")]
    assert result.undated == 1  # the undated event is in no window
    assert summary(timeline, since=dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)) == []
    assert len(summary(timeline, until=dt.datetime(2026, 11, 18, 8, 0, 1, tzinfo=dt.timezone.utc))) == 2


def test_relative_and_absolute_moments() -> None:
    assert parse_moment("24h", NOW) == dt.datetime(2026, 11, 19, 12, 0, tzinfo=dt.timezone.utc)
    assert parse_moment("7d", NOW) == dt.datetime(2026, 11, 13, 12, 0, tzinfo=dt.timezone.utc)
    assert parse_moment("30m", NOW) == NOW - dt.timedelta(minutes=30)
    assert parse_moment("2w", NOW) == NOW - dt.timedelta(days=14)
    assert parse_moment("2026-11-01", NOW) == dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    assert parse_moment("2026-11-01T10:00:00+01:00", NOW) == dt.datetime(2026, 11, 1, 9, tzinfo=dt.timezone.utc)
    for bad in ("yesterday", "7 days", "-3d", ""):
        with pytest.raises(ValueError, match="not a date"):
            parse_moment(bad, NOW)


def test_last_day_with_an_injected_now(timeline: AuditTimeline) -> None:
    assert summary(timeline, since=parse_moment("12h", NOW)) == [("alice@example.com", "mail"),
                                                                 ("blueplace/crew/zed", "sling")]
    assert len(summary(timeline, since=parse_moment("24h", NOW))) == 5


def test_matching_helpers() -> None:
    assert actor_matches("greenplace/crew/joe", "greenplace/crew/")
    assert not actor_matches(None, "greenplace")
    assert workspace_matches("acme/web", "acme/web") and workspace_matches("acme/web", "web")
    assert not workspace_matches("acme/web", "eb")


def test_affiliations_read_names_and_ids(tmp_path: Path) -> None:
    who = Affiliations(build(tmp_path).workspaces)
    assert who.entity_of("Alice", WEB) == "alice@example.com"
    assert who.entity_of("ALICE", WEB) == "alice@example.com"  # names are matched without case
    assert who.entity_of("steve", WEB) == "steve@example.com"  # the part before @ of one known id
    assert who.entity_of("steve", MAIN) == "steve@example.com"  # a town actor: the owner anyway
    assert who.entity_of("bob", WEB) == "bob@other.org"
    assert who.entity_of("crew/steve", WEB) is None
    assert who.entity_of("acme.com", WEB) == "acme.com"
    assert who.entity_of("someone@else.example", MAIN) == "someone@else.example"
    assert who.entity_of("greenplace/crew/joe", MAIN) == "steve@example.com"
    assert who.entity_of("greenplace/crew/joe", WEB) is None
    assert who.entity_of("x/crew/y", "hop://kim@kestrel.works/kestrel") == "kim@kestrel.works"  # not loaded
    assert who.members("acme.com") == {"acme.com", "steve@example.com", "alice@example.com"}
    assert who.organizations() == ["acme.com", "holding.example", "other.org"]


def _synthetic(count: int) -> list[Workspace]:
    rng = random.Random(7)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    out = []
    for t in range(10):
        name = f"hop://p{t}@example.com/town{t}"
        ws = Workspace(kind=WorkspaceKind.TOWN, name=name, root="/nowhere",
                       info=Town(name=f"town{t}", owner=f"p{t}@example.com"),
                       employments=[Employment(entity=f"p{t}@example.com", organization=f"org{t % 2}.example")])
        ws.audit = [AuditEvent(ts=(base + dt.timedelta(seconds=rng.randrange(30_000_000))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               actor=f"rig{i % 7}/crew/p{i % 13}", type=("sling", "mail", "done", "hook")[i % 4],
                               workspace=name, payload={"bead": f"gp-{i}"}, origin="town-events")
                    for i in range(count // 10)]
        out.append(ws)
    return out


def test_100k_events_are_filtered_fast() -> None:
    timeline = AuditTimeline(_synthetic(100_000))
    queries = [AuditQuery(org="org1.example", types=("mail",), limit=200),
               AuditQuery(actor="rig3/", since=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)),
               AuditQuery(workspace="town4", until=dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc), limit=50)]
    for query in queries:
        best = min(_timed(timeline, query) for _ in range(3))
        assert best < 0.2, (query, best)
    everything = timeline.query(AuditQuery())
    assert everything.matched == 100_000
    assert all(a.time >= b.time for a, b in zip(everything.events, everything.events[1:]))  # type: ignore[operator]


def _timed(timeline: AuditTimeline, query: AuditQuery) -> float:
    started = time.perf_counter()
    timeline.query(query)
    return time.perf_counter() - started
