from __future__ import annotations

from pathlib import Path

from core.diagnostics import Diagnostics
from core.sources.files import ReadLimits
from core.sources.town import load_town
from tests.conftest import bead, dep, real_town, write_json, write_jsonl

OWNER = "steve@example.com"


def _load(root: Path):  # type: ignore[no-untyped-def]
    diags = Diagnostics()
    ws = load_town(root, diags, ReadLimits())
    assert ws is not None
    return ws, diags


def test_real_layout_rigs_routes_and_keys(tmp_path: Path) -> None:
    root = real_town(tmp_path, {"greenplace": "gp", "blueport": "bp"})
    write_jsonl(root / ".beads" / "issues.jsonl", [bead("hq-1", dependencies=[dep("hq-1", "gp-2")])])
    write_jsonl(root / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-1", dependencies=[dep("gp-1", "external:blueport:bp-9"), dep("gp-1", "./gp-2", "related")]),
        bead("gp-2", dependencies=[dep("gp-2", "blueport/bp-9", "waits-for"), dep("gp-2", "hq-1", "tracks")]),
    ])
    write_jsonl(root / "blueport" / ".beads" / "issues.jsonl", [bead("bp-9", status="closed")])
    ws, diags = _load(root)
    assert not diags.items
    assert ws.name == f"hop://{OWNER}/main-town"
    town = ws.info
    assert [r.name for r in town.rigs] == ["greenplace", "blueport"]
    assert {r.name: r.prefix for r in town.rigs} == {"greenplace": "gp", "blueport": "bp"}
    keys = {u.id: u.key for u in ws.work_units}
    assert keys == {
        "hq-1": f"hop://{OWNER}/main-town/hq-1",
        "gp-1": f"hop://{OWNER}/main-town/greenplace/gp-1",
        "gp-2": f"hop://{OWNER}/main-town/greenplace/gp-2",
        "bp-9": f"hop://{OWNER}/main-town/blueport/bp-9",
    }
    edges = {(r.from_key, r.type, r.to_key) for r in ws.relationships}
    assert edges == {
        (keys["hq-1"], "blocks", keys["gp-2"]),
        (keys["gp-1"], "blocks", keys["bp-9"]),
        (keys["gp-1"], "related", keys["gp-2"]),
        (keys["gp-2"], "waits-for", keys["bp-9"]),
        (keys["gp-2"], "tracks", keys["hq-1"]),
    }


def test_longest_route_prefix_picks_the_rig(tmp_path: Path) -> None:
    root = real_town(tmp_path, {"convoys": "hq-cv", "greenplace": "gp"})
    write_jsonl(root / ".beads" / "routes.jsonl", [{"prefix": "hq-", "path": "."},
                                                   {"prefix": "hq-cv-", "path": "convoys"}])
    write_jsonl(root / ".beads" / "issues.jsonl", [bead("hq-1", dependencies=[dep("hq-1", "hq-cv-7", "tracks")])])
    write_jsonl(root / "convoys" / ".beads" / "issues.jsonl", [bead("hq-cv-7")])
    ws, diags = _load(root)
    assert not diags.items
    assert ws.relationships[0].to_key == f"hop://{OWNER}/main-town/convoys/hq-cv-7"


def test_design_layout_with_federation_records(tmp_path: Path) -> None:
    write_json(tmp_path / ".town.json", {"owner": "alice@acme.dev", "name": "alice-town", "public_name": "Alice",
                                         "motto": "kept"})
    write_jsonl(tmp_path / "api" / ".beads" / "issues.jsonl", [
        bead("ap-1", references=[{"type": "depends_on", "target": "hop://acme.dev/hq/platform/pl-3"}]),
        bead("ap-2", metadata={"delegated_from": {"parent": "hop://acme.dev/hq/platform/pl-1",
                                                  "terms": {"portion": "backend", "deadline": "2026-12-01"},
                                                  "delegated_by": "platform/crew/bob"}}),
        bead("ap-3", dependencies=[dep("ap-3", "ap-2", "delegated-from")]),
    ])
    write_jsonl(tmp_path / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": "alice@acme.dev", "organization": "acme.dev"},
        {"type": "entity", "id": "acme.dev", "kind": "org", "display_name": "Acme"},
        {"type": "delegation", "parent": "hop://acme.dev/hq/platform/pl-1",
         "child": "hop://alice@acme.dev/alice-town/api/ap-1", "terms": {"portion": "frontend"}},
        {"type": "merger", "a": 1},
    ])
    ws, diags = _load(tmp_path)
    assert ws.info.layout == "design"
    assert ws.info.extra == {"motto": "kept"}
    assert [r.name for r in ws.info.rigs] == ["api"]
    assert [(d.line, d.message) for d in diags] == [(4, "unknown federation record type 'merger'; skipped")]
    assert [(e.entity, e.organization) for e in ws.employments] == [("alice@acme.dev", "acme.dev")]
    assert ws.entities[0].kind == "org"
    cross = [r for r in ws.relationships if r.type == "depends_on"]
    assert cross[0].to_key == "hop://acme.dev/hq/platform/pl-3"
    forms = sorted((d.forms[0], d.parent_key, d.child_key) for d in ws.delegations)
    base = "hop://alice@acme.dev/alice-town/api"
    assert forms == [
        ("dependency", f"{base}/ap-2", f"{base}/ap-3"),
        ("federation", "hop://acme.dev/hq/platform/pl-1", f"{base}/ap-1"),
        ("metadata", "hop://acme.dev/hq/platform/pl-1", f"{base}/ap-2"),
    ]
    meta = next(d for d in ws.delegations if d.forms == ["metadata"])
    assert meta.terms == {"portion": "backend", "deadline": "2026-12-01"}
    assert meta.delegated_by == "platform/crew/bob"


def test_rig_redirect_is_followed(tmp_path: Path) -> None:
    root = real_town(tmp_path, {"guy": "guy"})
    (root / "guy" / ".beads" / "redirect").write_text("mayor/rig/.beads\n")
    write_jsonl(root / "guy" / "mayor" / "rig" / ".beads" / "issues.jsonl", [bead("guy-1")])
    ws, diags = _load(root)
    assert not diags.items
    assert [u.key for u in ws.work_units] == [f"hop://{OWNER}/main-town/guy/guy-1"]


def test_town_events_and_feed_merge_without_duplicates(tmp_path: Path) -> None:
    root = real_town(tmp_path, {"rig": "rg"})
    first = {"ts": "2026-11-01T10:00:00Z", "source": "gt", "type": "sling", "actor": "mayor",
             "payload": {"bead": "rg-1"}, "visibility": "both"}
    second = {"ts": "2026-11-01T11:00:00Z", "source": "gt", "type": "done", "actor": "rig/polecats/nux",
              "payload": {}, "visibility": "feed"}
    write_jsonl(root / ".events.jsonl", [first])
    write_jsonl(root / ".feed.jsonl", [{**first, "summary": "mayor: sling"}, {**second, "summary": "done"}])
    ws, diags = _load(root)
    assert not diags.items
    assert [(e.type, e.actor, e.origin) for e in ws.audit] == [
        ("sling", "mayor", "town-events"), ("done", "rig/polecats/nux", "town-feed")]


def test_crossdeck_folder_holds_town_remotes_and_requests(tmp_path: Path) -> None:
    root = real_town(tmp_path, {"rig": "rg"})
    write_json(root / ".crossdeck" / "remotes.json", {"remotes": [
        {"name": "platform", "url": "../platform", "trust_level": "verified"},
        {"url": "https://fed.example.com/api/v1/federation", "trust_level": "sometimes"},
    ]})
    write_jsonl(root / ".crossdeck" / "requests.jsonl", [
        {"request_id": "req-1", "direction": "incoming", "from_repo": "acme/web", "to_repo": "main-town",
         "request_type": "create_issue", "payload": {"title": "x"}, "status": "pending"},
        {"request_id": "req-1", "direction": "incoming", "from_repo": "acme/web", "to_repo": "main-town",
         "request_type": "create_issue", "payload": {"title": "x"}, "status": "approved", "approved_by": "mayor"},
    ])
    ws, diags = _load(root)
    assert [(r.name, r.transport, r.trust_level.value) for r in ws.remotes] == [("platform", "git", "verified")]
    assert [d.message for d in diags] == ["remotes[1]: trust_level 'sometimes' is not untrusted, verified or trusted"]
    assert [(r.request_id, r.status.value, r.approved_by, r.line) for r in ws.requests] == [
        ("req-1", "approved", "mayor", 2)]
