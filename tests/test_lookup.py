"""Finding the item a user means: keys, gt://, [[org/repo#id]], short ids, titles; ambiguity and
not-found with suggestions."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from core.analysis.lookup import AmbiguousRef, UnknownRef, find_node
from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import bead, dep, real_town, write_json, write_jsonl

TOWN = "hop://steve@example.com/main-town"


@pytest.fixture
def graph(tmp_path: Path) -> nx.MultiDiGraph:
    town = real_town(tmp_path / "town", {"greenplace": "gp", "bluebird": "bb"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-xyz", "Fix the login page", dependencies=[dep("gp-xyz", "acme/api#i-9")]),
        bead("gp-abc", "Write the docs"),
        bead("gp-twin", "Same title"),
    ])
    write_jsonl(town / "bluebird" / ".beads" / "issues.jsonl", [bead("bb-1", "Same title")])
    write_jsonl(town / ".beads" / "issues.jsonl", [bead("hq-1", "Town-level work")])
    for repo in ("web", "api"):
        sc = tmp_path / repo / ".sudocode"
        write_json(sc / "federation.config.json", {"local_identity": {"url": f"github.com/acme/{repo}"}})
        write_jsonl(sc / "issues.jsonl", [{"id": "i-1", "title": f"{repo} one"}, {"id": f"i-{repo}", "title": repo}])
    return build_graph(load_federation([tmp_path]))


@pytest.mark.parametrize("ref", [
    f"{TOWN}/greenplace/gp-xyz",  # the canonical key
    "gt://steve@example.com/main-town/greenplace/gp-xyz",  # the older scheme
    "gp-xyz",  # a bare id
    "greenplace/gp-xyz",  # rig/id
    "./gp-xyz",
    "external:greenplace:gp-xyz",
    "external:gp:gp-xyz",
    "  gp-xyz  ",
    "Fix the login page",  # an exact title
    "fix the LOGIN page",
])
def test_every_form_finds_the_item(graph: nx.MultiDiGraph, ref: str) -> None:
    assert find_node(graph, ref) == f"{TOWN}/greenplace/gp-xyz"


def test_sudocode_references(graph: nx.MultiDiGraph) -> None:
    assert find_node(graph, "acme/web#i-1") == "acme/web#i-1"
    assert find_node(graph, "[[acme/api#i-1]]") == "acme/api#i-1"
    assert find_node(graph, "i-web") == "acme/web#i-web"
    assert find_node(graph, "web/i-1") == "acme/web#i-1"  # rig/id: the repo part of a sudocode workspace


def test_town_level_item_and_other_nodes(graph: nx.MultiDiGraph) -> None:
    assert find_node(graph, "hq-1") == f"{TOWN}/hq-1"
    assert find_node(graph, "main-town/hq-1") == f"{TOWN}/hq-1"
    assert find_node(graph, f"{TOWN}/greenplace") == f"{TOWN}/greenplace"  # a rig, by its key
    assert find_node(graph, "acme/api#i-9") == "acme/api#i-9"  # a stub (acme/api has no i-9), by its key


def test_a_stub_is_found_by_its_key(tmp_path: Path) -> None:
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-1", references=[{"type": "depends_on", "target": "acme/api#i-9"}])])
    graph = build_graph(load_federation([tmp_path]))
    assert find_node(graph, "acme/api#i-9") == "acme/api#i-9"
    assert graph.nodes["acme/api#i-9"]["kind"].value == "stub"


def test_an_id_in_two_workspaces_is_ambiguous(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(AmbiguousRef) as info:
        find_node(graph, "i-1")
    assert info.value.candidates == ["acme/api#i-1", "acme/web#i-1"]
    assert "acme/api#i-1, acme/web#i-1" in str(info.value)


def test_a_title_shared_by_two_items_is_ambiguous(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(AmbiguousRef) as info:
        find_node(graph, "Same title")
    assert info.value.candidates == [f"{TOWN}/bluebird/bb-1", f"{TOWN}/greenplace/gp-twin"]


def test_nothing_matches_with_close_suggestions(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownRef) as info:
        find_node(graph, "gp-xzy")
    assert info.value.suggestions[0] == f"{TOWN}/greenplace/gp-xyz"
    assert str(info.value).startswith("nothing matches 'gp-xzy'; did you mean: ")


def test_a_full_key_of_nothing_loaded_suggests_its_neighbours(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownRef) as info:
        find_node(graph, f"{TOWN}/greenplace/gp-xya")
    assert info.value.suggestions[0] == f"{TOWN}/greenplace/gp-xyz"


def test_nothing_close_gives_no_suggestions(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownRef) as info:
        find_node(graph, "zzzzzzzzzz")
    assert info.value.suggestions == []
    assert str(info.value) == "nothing matches 'zzzzzzzzzz'"


def test_a_wrong_rig_is_not_found(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(UnknownRef):
        find_node(graph, "bluebird/gp-xyz")
