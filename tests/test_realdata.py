"""Every real dataset in ../shared/realdata loads with zero errors, and its counts equal an
independent count made here from the raw files."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostics
from core.federation import load_federation
from core.model import Workspace, WorkspaceKind
from core.sources.files import ReadLimits, iter_jsonl, load_json
from core.sources.town import EVENT, TOWN
from core.uri import RouteTable


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _only(root: Path) -> Workspace:
    fed = load_federation([root])
    assert fed.errors == []
    assert len(fed.workspaces) == 1, [ws.name for ws in fed.workspaces]
    return fed.workspaces[0]


def test_beads_export(realdata: Path) -> None:
    rows = _rows(realdata / "beads" / ".beads" / "issues.jsonl")
    ws = _only(realdata / "beads")
    assert ws.kind is WorkspaceKind.BEADS
    assert ws.name == "beads://local/beads"
    assert len(ws.work_units) == len(rows)
    assert len(ws.relationships) == sum(len(r.get("dependencies") or []) for r in rows)
    assert Counter(r.type for r in ws.relationships) == Counter(
        d["type"] for r in rows for d in r.get("dependencies") or [])
    tombstones = [u for u in ws.work_units if u.status == "tombstone"]
    assert len(tombstones) == sum(1 for r in rows if r["status"] == "tombstone")
    assert all(u.is_done for u in tombstones)
    # Fields we do not model are kept.
    assert sum(1 for u in ws.work_units if "deleted_by" in u.extra) == sum(1 for r in rows if "deleted_by" in r)


def test_gas_town_hq_declares_dolt_and_shows_its_exports_when_no_server_answers(
        realdata: Path, crossdeck_home: Path) -> None:
    """Every rig of this town declares its beads in a Dolt server; with none answering, each is
    shown from its export with the "unreachable" warning, and the rig with no export is not
    loaded (one warning, no "not there" warning for references into it)."""
    from tests.dolt_helpers import point_config_at
    from tests.dolt_server import free_port

    root = realdata / "gas-town-hq"
    port = free_port()  # no server there, whatever runs on this machine's 3307
    point_config_at(crossdeck_home, port)
    fed = load_federation([root])
    assert fed.errors == []
    declared = sorted(p.parent.resolve() for p in root.rglob(".beads/metadata.json")
                      if json.loads(p.read_text()).get("dolt_mode") == "server")
    ws = fed.workspaces[0]
    by_folder = {Path(s.folder).resolve(): s for s in ws.sources}
    loaded_folders = sorted(f for f in declared if f in by_folder)  # rigs of the town (not witness clones)
    assert len(loaded_folders) >= 10
    unreachable = {Path(d.path).parent.resolve() for d in fed.warnings
                   if d.message.startswith(f"Dolt server 127.0.0.1:{port} unreachable (connection refused); ")}
    assert unreachable == set(loaded_folders)
    for folder in loaded_folders:
        source = by_folder[folder]
        expected = "export" if (folder / "issues.jsonl").is_file() else "none"
        assert (source.read_from, source.server, source.problem) == (
            expected, f"127.0.0.1:{port}", f"Dolt server 127.0.0.1:{port} unreachable (connection refused)")
    not_loaded = [s for s in ws.sources if s.read_from == "none" and s.server]
    assert [s.rig for s in not_loaded] == ["AssetValuator"]
    assert not [d for d in fed.warnings if "/AssetValuator/" in d.message and "which is not there" in d.message]


def _town_issue_files(root: Path) -> list[Path]:
    return [root / ".beads" / "issues.jsonl", *sorted(root.glob("*/.beads/issues.jsonl"))]


def test_gas_town_hq(realdata: Path) -> None:
    root = realdata / "gas-town-hq"
    ws = _only(root)
    assert ws.kind is WorkspaceKind.TOWN
    assert ws.name == "hop://jacob@s56.net/gt"
    files = [f for f in _town_issue_files(root) if f.is_file()]
    rows = [row for f in files for row in _rows(f)]
    assert len(ws.work_units) == len(rows)
    assert len(ws.relationships) == sum(len(r.get("dependencies") or []) for r in rows)
    rigs = json.loads((root / "mayor" / "rigs.json").read_text())["rigs"]
    assert sorted(r.name for r in ws.info.rigs) == sorted(rigs)  # type: ignore[union-attr]
    # Each rig's items carry that rig in their key.
    for unit in ws.work_units:
        if unit.rig:
            assert unit.key == f"hop://jacob@s56.net/gt/{unit.rig}/{unit.id}"
        else:
            assert unit.key == f"hop://jacob@s56.net/gt/{unit.id}"


def test_gas_town_hq_cross_rig_references_resolve_to_the_right_rig(realdata: Path) -> None:
    root = realdata / "gas-town-hq"
    ws = _only(root)
    routes = RouteTable((r["prefix"], r["path"]) for r in _rows(root / ".beads" / "routes.jsonl"))
    loaded = {u.key: u for u in ws.work_units}
    external = [r for r in ws.relationships if r.to_ref.startswith("external:")]
    assert len(external) == sum(1 for f in _town_issue_files(root) if f.is_file()
                                for row in _rows(f) for d in row.get("dependencies") or []
                                if d["depends_on_id"].startswith("external:"))
    resolved_to_loaded = 0
    for rel in external:
        _, project, ident = rel.to_ref.split(":")
        rig = project if (root / project / "config.json").is_file() else routes.path_for(ident)
        assert rel.to_key == f"hop://jacob@s56.net/gt/{rig}/{ident}", rel.to_ref
        if rel.to_key in loaded:
            assert loaded[rel.to_key].rig == rig
            resolved_to_loaded += 1
    assert resolved_to_loaded > 50  # most point at items that are loaded
    # Routed short references (hq- items) resolve to the town level.
    town_level = [r for r in ws.relationships if r.to_ref.startswith("hq-")]
    assert town_level and all(r.to_key == f"hop://jacob@s56.net/gt/{r.to_ref}" for r in town_level)


def test_gastown_backup_joins_tables_back_to_issues(realdata: Path) -> None:
    """Every table row is joined back to its issue; wisps (ephemeral rows, which beads' exports
    leave out) are left out with every row about them."""
    root = realdata / "gastown-backup"
    backup = root / ".beads" / "backup"
    state = json.loads((backup / "backup_state.json").read_text())["counts"]
    issues = _rows(backup / "issues.jsonl")
    assert len(issues) == state["issues"]
    wisps = {row["id"] for row in issues if row.get("ephemeral") == 1}
    assert wisps, "the dataset holds wisps: this test checks they are left out"

    def kept(table: str) -> list[dict[str, Any]]:
        rows = _rows(backup / f"{table}.jsonl")
        assert len(rows) == state[table]
        return [row for row in rows if row["issue_id"] not in wisps]

    ws = _only(root)
    assert len(ws.work_units) == len(issues) - len(wisps)
    assert not wisps & {u.id for u in ws.work_units}
    assert len(ws.relationships) == len(kept("dependencies"))
    assert len(ws.audit) == len(kept("events"))
    assert sum(len(u.labels) for u in ws.work_units) == len(kept("labels"))
    assert sum(len(u.comments) for u in ws.work_units) == len(kept("comments"))
    labels = Counter(row["issue_id"] for row in kept("labels"))
    by_id = {u.id: u for u in ws.work_units}
    for issue_id, count in labels.items():
        assert len(by_id[issue_id].labels) == count
    actors = Counter(e.actor for e in ws.audit)
    assert actors == Counter(row["actor"] or None for row in kept("events"))
    assert all(e.subject and e.subject.startswith("beads://local/gastown-backup/") for e in ws.audit)
    assert [(s.read_from, Path(s.file or "").name) for s in ws.sources] == [("backup", "backup")]


def test_gastown_hq_town_with_redirect_and_event_logs(realdata: Path) -> None:
    root = realdata / "gastown_hq"
    fed = load_federation([root])
    assert fed.errors == []
    ws = fed.workspaces[0]
    assert ws.name == "hop://mike.thompson@day8.com.au/gastown-hq"
    assert len(ws.work_units) == len(_rows(root / ".beads" / "issues.jsonl"))
    events = _rows(root / ".events.jsonl")
    seen = {(e["ts"], e["type"], e.get("actor")) for e in events}
    feed_only = [e for e in _rows(root / ".feed.jsonl") if (e["ts"], e["type"], e.get("actor")) not in seen]
    assert len(ws.audit) == len(events) + len(feed_only)
    # The rig's redirect and its route point into a worktree that is not in git: warnings only.
    warned = {Path(d.path).name for d in fed.warnings}
    assert {"redirect", "routes.jsonl"} <= warned
    ext = [r for r in ws.relationships if r.to_ref.startswith("external:")]
    assert [r.to_key for r in ext] == ["hop://mike.thompson@day8.com.au/gastown-hq/guy/guy-evz"]


def test_sudocode_tracker(realdata: Path) -> None:
    folder = realdata / "sudocode" / ".sudocode"
    issues, specs = _rows(folder / "issues.jsonl"), _rows(folder / "specs.jsonl")
    ws = _only(realdata / "sudocode")
    assert ws.kind is WorkspaceKind.SUDOCODE
    assert Counter(u.kind for u in ws.work_units) == {"issue": len(issues), "spec": len(specs)}
    wiki = re.compile(r"\[\[[^/\s#\[\]]+/[^/\s#\[\]]+#[A-Za-z0-9][A-Za-z0-9_.\-]*\]\]")
    expected = sum(len(r["relationships"]) for r in issues + specs) + sum(
        len(wiki.findall(r.get("content") or "")) for r in issues + specs)
    assert len(ws.relationships) == expected
    assert Counter(u.status for u in ws.work_units if u.kind == "issue") == Counter(r["status"] for r in issues)
    # Both date styles are kept as written.
    assert {u.created_at for u in ws.work_units} >= {"2025-10-24 09:53:37"}


def test_gastown_misc_loose_files(realdata: Path) -> None:
    root = realdata / "gastown-misc"
    assert load_federation([root]).workspaces == []  # loose files, not a workspace
    diags = Diagnostics()
    town = load_json(root / "town.json", diags, ReadLimits())
    assert town is not None and not isinstance(TOWN.read(town), str)
    routes = RouteTable((r["prefix"], r["path"]) for _, r in iter_jsonl(root / "routes.jsonl", diags, ReadLimits()))
    assert routes.path_for("hq-cv-x1") == "."
    assert routes.path_for("bd-abc") == "beads/mayor/rig"
    events = [raw for _, raw in iter_jsonl(root / "events.jsonl", diags, ReadLimits())]
    assert events and all(not isinstance(EVENT.read(e), str) for e in events)
    assert not diags.items


def test_all_real_data_together(realdata: Path) -> None:
    fed = load_federation([realdata])
    assert fed.errors == []
    assert Counter(ws.kind.value for ws in fed.workspaces) == {"town": 2, "beads": 2, "sudocode": 1}
