from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx

from core.federation import load_federation
from core.graph import build_graph
from core.graph_kinds import EdgeKind, NodeKind, StubKind, relationship_kind
from tests.conftest import bead, dep, real_town, write_json, write_jsonl

OWNER = "steve@example.com"
TOWN = f"hop://{OWNER}/main-town"


def _edges(graph: nx.MultiDiGraph, kind: EdgeKind) -> set[tuple[str, str]]:
    return {(u, v) for u, v, k in graph.edges(keys=True) if k == kind.value}


def _federation(tmp_path: Path) -> nx.MultiDiGraph:
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-1", dependencies=[dep("gp-1", "gp-2"), dep("gp-1", "gp-3", "parent-child"),
                                   dep("gp-1", "gp-2", "related"), dep("gp-1", "gp-2", "mystery-link")],
             references=[{"type": "depends_on", "target": "acme/api#i-9"}]),
        bead("gp-2", status="closed"),
        bead("gp-3", metadata={"delegated_from": {"parent": "hop://acme.dev/hq/pl-1", "deadline": "2026-12-01"}}),
        bead("gp-4", references=[{"type": "depends_on", "target": "hop://nobody@x.y/t/r/z-1"}]),
    ])
    write_jsonl(town / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": OWNER, "organization": "acme.dev"},
        {"type": "delegation", "parent": "hop://acme.dev/hq/pl-1", "child": f"{TOWN}/greenplace/gp-3",
         "terms": {"portion": "backend"}},
    ])
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [{"name": "hq", "url": "../hq"}]})
    sc = tmp_path / "web" / ".sudocode"
    write_json(sc / "federation.config.json", {"local_identity": {"url": "github.com/acme/web"},
                                               "remote_repos": [{"url": "github.com/acme/api",
                                                                 "trust_level": "trusted"}]})
    write_jsonl(sc / "issues.jsonl", [
        {"id": "i-1", "title": "page", "relationships": [{"from": "i-2", "to": "i-1", "type": "blocks"},
                                                         {"from": "i-1", "to": "i-3", "type": "depends-on"}]},
        {"id": "i-2", "title": "api client"},
        {"id": "i-3", "title": "design", "parent_id": "i-2"},
    ])
    shutil.copytree(Path(__file__).parent / "fixtures" / "realms" / "draft", tmp_path / "realm")
    return build_graph(load_federation([tmp_path]))


def test_nodes_are_keyed_by_canonical_uri(tmp_path: Path) -> None:
    graph = _federation(tmp_path)
    assert graph.nodes[f"{TOWN}/greenplace/gp-1"]["kind"] is NodeKind.WORK_UNIT
    assert graph.nodes[f"{TOWN}/greenplace"]["kind"] is NodeKind.RIG
    assert graph.nodes[TOWN]["kind"] is NodeKind.TOWN
    assert graph.nodes["acme/web#i-1"]["label"] == "page"
    assert graph.nodes["remote://acme/api"]["kind"] is NodeKind.REMOTE
    kinds = {d["kind"] for _, d in graph.nodes(data=True)}
    assert {NodeKind.REALM, NodeKind.DOMAIN, NodeKind.CONTRACT, NodeKind.IMPORT, NodeKind.ENTITY} <= kinds


def test_dependency_edges_run_from_the_dependent_item(tmp_path: Path) -> None:
    graph = _federation(tmp_path)
    gp = f"{TOWN}/greenplace"
    assert (f"{gp}/gp-1", f"{gp}/gp-2") in _edges(graph, EdgeKind.BLOCKS)
    assert (f"{gp}/gp-1", f"{gp}/gp-3") in _edges(graph, EdgeKind.PARENT_CHILD)
    # sudocode "i-2 blocks i-1" is stored from i-2; the edge runs i-1 -> i-2.
    assert _edges(graph, EdgeKind.BLOCKS) >= {("acme/web#i-1", "acme/web#i-2")}
    assert ("acme/web#i-2", "acme/web#i-1") not in _edges(graph, EdgeKind.BLOCKS)
    assert ("acme/web#i-1", "acme/web#i-3") in _edges(graph, EdgeKind.DEPENDS_ON)
    assert ("acme/web#i-3", "acme/web#i-2") in _edges(graph, EdgeKind.PARENT_CHILD)


def test_blocking_is_known_per_edge(tmp_path: Path) -> None:
    graph = _federation(tmp_path)
    flags = {(k, d["blocking"]) for _, _, k, d in graph.edges(keys=True, data=True)
             if k in ("blocks", "depends-on", "related", "parent-child", "other")}
    assert flags == {("blocks", True), ("depends-on", True), ("related", False), ("parent-child", False),
                     ("other", False)}
    other = next(d for _, _, k, d in graph.edges(keys=True, data=True) if k == "other")
    assert other["raw_type"] == "mystery-link"


def test_delegation_forms_merge_into_one_edge_with_terms(tmp_path: Path) -> None:
    graph = _federation(tmp_path)
    child = f"{TOWN}/greenplace/gp-3"
    edges = [(u, d) for u, v, k, d in graph.edges(keys=True, data=True) if k == "delegation" and v == child]
    assert len(edges) == 1
    parent, data = edges[0]
    assert parent == "hop://acme.dev/hq/pl-1"
    assert data["terms"] == {"portion": "backend", "deadline": "2026-12-01"}
    assert sorted(data["forms"]) == ["federation", "metadata"]
    assert data["cross"] is True


def test_stubs_for_what_is_not_loaded(tmp_path: Path) -> None:
    graph = _federation(tmp_path)
    hq = graph.nodes["hop://acme.dev/hq/pl-1"]
    assert hq["kind"] is NodeKind.STUB and hq["stub"] is StubKind.REMOTE  # 'hq' is a configured remote
    api = graph.nodes["acme/api#i-9"]
    assert api["stub"] is StubKind.REMOTE and api["workspace"] == "acme/api"
    nobody = graph.nodes["hop://nobody@x.y/t/r/z-1"]
    assert nobody["stub"] is StubKind.MISSING


def test_employment_and_membership(tmp_path: Path) -> None:
    graph = _federation(tmp_path)
    assert (f"hop://{OWNER}", "hop://acme.dev") in _edges(graph, EdgeKind.EMPLOYMENT)
    assert graph.nodes["hop://acme.dev"]["entity_kind"] == "org"
    members = _edges(graph, EdgeKind.MEMBERSHIP)
    assert (f"{TOWN}/greenplace/gp-1", f"{TOWN}/greenplace") in members
    assert (f"{TOWN}/greenplace", TOWN) in members
    assert (TOWN, f"hop://{OWNER}") in members


def test_imports_point_at_the_export(tmp_path: Path) -> None:
    graph = _federation(tmp_path)
    imports = _edges(graph, EdgeKind.IMPORTS)
    assert imports
    for source, target in imports:
        assert graph.nodes[source]["kind"] is NodeKind.IMPORT
        assert graph.nodes[target]["kind"] in (NodeKind.CONTRACT, NodeKind.STUB)


def test_relationship_kinds() -> None:
    assert relationship_kind("depends_on") is EdgeKind.DEPENDS_ON
    assert relationship_kind("waits-for") is EdgeKind.WAITS_FOR
    assert relationship_kind("membership") is EdgeKind.OTHER  # structural kinds never come from data
    assert relationship_kind("whatever") is EdgeKind.OTHER
