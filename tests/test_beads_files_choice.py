"""A ``.beads`` folder's files as the real tools leave them: an export and a backup side by side
(either may be empty, stale or cut short), a town.json without an owner, town-level beads whose
prefix no route names."""

from __future__ import annotations

from pathlib import Path

from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import bead, dep, real_town, write_json, write_jsonl


def _backup(beads: Path, stamp: str, ids: list[str], counted: int | None = None) -> None:
    write_jsonl(beads / "backup" / "issues.jsonl", [bead(i) for i in ids])
    write_json(beads / "backup" / "backup_state.json", {
        "last_dolt_commit": "abc", "timestamp": stamp,
        "counts": {"issues": len(ids) if counted is None else counted, "events": 0, "comments": 0,
                   "dependencies": 0, "labels": 0, "config": 0}})


def _load(root: Path) -> tuple[list[str], object, list[str]]:
    fed = load_federation([root])
    assert fed.errors == []
    ws = fed.workspaces[0]
    return sorted(u.id for u in ws.work_units), ws.sources[0], [d.message for d in fed.warnings]


def test_an_empty_export_beside_a_complete_backup_is_not_read(tmp_path: Path) -> None:
    beads = tmp_path / "proj" / ".beads"
    beads.mkdir(parents=True)
    (beads / "issues.jsonl").write_bytes(b"")
    _backup(beads, "2026-11-30T14:02:00Z", ["bd-1", "bd-2"])
    ids, source, warnings = _load(tmp_path / "proj")
    assert ids == ["bd-1", "bd-2"]
    assert (source.read_from, source.as_of) == ("backup", "2026-11-30T14:02:00Z")
    assert source.problem == "an empty export was not read: it is 0 bytes"
    assert warnings == []


def test_an_older_export_beside_a_newer_complete_backup_is_not_read(tmp_path: Path) -> None:
    beads = tmp_path / "proj" / ".beads"
    write_jsonl(beads / "issues.jsonl", [bead("bd-1", updated_at="2026-11-29T23:59:59Z")])
    _backup(beads, "2026-11-30T14:02:00Z", ["bd-1", "bd-2"])
    ids, source, _ = _load(tmp_path / "proj")
    assert ids == ["bd-1", "bd-2"]
    assert source.read_from == "backup"
    assert source.problem == "the export was not read: it is older (2026-11-29 23:59)"


def test_a_newer_export_beside_an_older_backup_is_read(tmp_path: Path) -> None:
    beads = tmp_path / "proj" / ".beads"
    write_jsonl(beads / "issues.jsonl", [bead("bd-1", updated_at="2026-12-01T00:00:00-05:00"), bead("bd-3")])
    _backup(beads, "2026-12-01T04:00:00Z", ["bd-1", "bd-2"])
    ids, source, _ = _load(tmp_path / "proj")
    assert ids == ["bd-1", "bd-3"]
    assert (source.read_from, source.as_of) == ("export", "2026-12-01T05:00:00Z")


def test_a_backup_cut_short_is_passed_over_for_the_export(tmp_path: Path) -> None:
    beads = tmp_path / "proj" / ".beads"
    write_jsonl(beads / "issues.jsonl", [bead("bd-1", updated_at="2026-11-01T00:00:00Z")])
    _backup(beads, "2026-11-30T14:02:00Z", ["bd-1", "bd-2"], counted=3)
    ids, source, _ = _load(tmp_path / "proj")
    assert ids == ["bd-1"]
    assert source.problem == ("the backup was not read: backup_state.json counts 3 issues, issues.jsonl holds 2")


def test_a_backup_cut_short_and_alone_is_read_with_a_warning(tmp_path: Path) -> None:
    beads = tmp_path / "proj" / ".beads"
    _backup(beads, "2026-11-30T14:02:00Z", ["bd-1", "bd-2"], counted=3)
    ids, source, warnings = _load(tmp_path / "proj")
    assert ids == ["bd-1", "bd-2"]
    assert source.read_from == "backup"
    assert warnings == [("backup is incomplete (backup_state.json counts 3 issues, issues.jsonl holds 2); "
                         "read as it is")]


def test_a_town_without_an_owner_loads_with_a_fallback_owner(tmp_path: Path) -> None:
    town = real_town(tmp_path / "town", {"gastown": "gt"})
    write_json(town / "mayor" / "town.json", {"type": "town", "version": 2, "name": "gt", "public_name": "gt",
                                              "created_at": "2026-01-01T00:00:00Z"})
    write_jsonl(town / "gastown" / ".beads" / "issues.jsonl", [bead("gt-1")])
    fed = load_federation([town])
    assert fed.errors == []
    [ws] = fed.workspaces
    assert ws.name == "hop://local/gt"
    assert [u.key for u in ws.work_units] == ["hop://local/gt/gastown/gt-1"]
    [warning] = fed.warnings
    assert warning.path.endswith("mayor/town.json")
    assert "names no owner" in warning.message and "hop://local/gt/" in warning.message


def test_town_level_beads_without_a_route_resolve_to_their_own_keys(tmp_path: Path) -> None:
    """hq-cv-* beads with no route: a rig's reference to one, and the town's own references
    among them, are edges to the real item, not warnings or stubs shadowing it."""
    town = real_town(tmp_path / "town", {"gastown": "gt"})
    write_jsonl(town / ".beads" / "routes.jsonl", [{"prefix": "gt-", "path": "gastown"}])  # no hq- route
    write_jsonl(town / ".beads" / "issues.jsonl", [
        bead("hq-cv-1", dependencies=[dep("hq-cv-1", "hq-2", "tracks")]), bead("hq-2")])
    write_jsonl(town / "gastown" / ".beads" / "issues.jsonl", [
        bead("gt-1", dependencies=[dep("gt-1", "hq-cv-1"), dep("gt-1", "hq-2", "parent-child")])])
    fed = load_federation([town])
    assert fed.errors == [] and fed.warnings == []
    base = "hop://steve@example.com/main-town"
    edges = sorted((r.from_key, r.to_key) for r in fed.workspaces[0].relationships)
    assert edges == [(f"{base}/gastown/gt-1", f"{base}/hq-2"), (f"{base}/gastown/gt-1", f"{base}/hq-cv-1"),
                     (f"{base}/hq-cv-1", f"{base}/hq-2")]
    graph = build_graph(fed)
    assert not [k for k, a in graph.nodes(data=True) if a.get("stub")]


def test_town_level_prefix_from_config_yaml(tmp_path: Path) -> None:
    town = real_town(tmp_path / "town", {"gastown": "gt"})
    write_jsonl(town / ".beads" / "routes.jsonl", [{"prefix": "gt-", "path": "gastown"}])
    (town / ".beads").mkdir(exist_ok=True)
    (town / ".beads" / "config.yaml").write_text('# beads config\nissue-prefix: "hq"  # the town\n')
    write_jsonl(town / "gastown" / ".beads" / "issues.jsonl", [bead("gt-1", dependencies=[dep("gt-1", "hq-9")])])
    fed = load_federation([town])
    [rel] = fed.workspaces[0].relationships
    assert rel.to_key == "hop://steve@example.com/main-town/hq-9"
