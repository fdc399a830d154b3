"""Delegation chains: trees from each root, completion cascading up, overdue terms, cycles found
and never looped on, stubs for parents that are not loaded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import networkx as nx

from core.analysis.delegation import ChainNode, delegation_chains, delegation_position
from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import bead, real_town, write_json, write_jsonl

TOWN = "hop://steve@example.com/main-town"
GP = f"{TOWN}/greenplace"
TODAY = dt.date(2026, 11, 20)


def delegated(ident: str, parent: str, status: str = "open", **terms: Any) -> dict[str, Any]:
    return bead(ident, status=status, metadata={"delegated_from": {"parent": parent, **terms}})


def _graph(tmp_path: Path, issues: list[dict[str, Any]], federation: list[dict[str, Any]] | None = None,
           remote_status: dict[str, str] | None = None) -> nx.MultiDiGraph:
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", issues)
    if federation:
        write_jsonl(town / ".beads" / "federation.jsonl", federation)
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [{"name": "hq", "url": "../hq"}]})
    return build_graph(load_federation([tmp_path]), remote_status=remote_status)


def _chain(c_status: str) -> list[dict[str, Any]]:
    return [
        bead("gp-r", "launch"),
        delegated("gp-a", f"{GP}/gp-r", portion="backend", deadline="2026-11-01"),
        delegated("gp-b", f"{GP}/gp-a", status="closed", deadline="2026-10-01"),
        delegated("gp-c", f"{GP}/gp-a", status=c_status, deadline="2026-12-01"),
    ]


def _flat(node: ChainNode, depth: int = 0) -> list[tuple[int, str, bool, bool]]:
    rows = [(depth, node.key.rsplit("/", 1)[-1], node.complete, node.overdue)]
    for child in node.children:
        rows += _flat(child, depth + 1)
    return rows


def test_three_levels_complete_when_every_leaf_is_done(tmp_path: Path) -> None:
    result = delegation_chains(_graph(tmp_path, _chain("closed")), TODAY)
    assert [_flat(c) for c in result.chains] == [[
        (0, "gp-r", True, False), (1, "gp-a", True, False), (2, "gp-b", True, False), (2, "gp-c", True, False)]]
    root = result.chains[0]
    assert not root.done and root.status == "open"  # complete by cascade, not closed itself
    assert result.totals == msgspec.convert({"chains": 1, "delegations": 3, "complete": 1, "delegations_complete": 3,
                                             "overdue": 0, "cycles": 0}, type(result.totals))


def test_one_open_leaf_keeps_the_chain_incomplete_and_a_past_deadline_overdue(tmp_path: Path) -> None:
    result = delegation_chains(_graph(tmp_path, _chain("in_progress")), TODAY)
    assert _flat(result.chains[0]) == [
        (0, "gp-r", False, False), (1, "gp-a", False, True), (2, "gp-b", True, False), (2, "gp-c", False, False)]
    a = result.chains[0].children[0]
    assert a.terms == {"portion": "backend", "deadline": "2026-11-01"} and a.forms == ["metadata"]
    assert (result.totals.complete, result.totals.overdue) == (0, 1)
    earlier = delegation_chains(_graph(tmp_path, _chain("in_progress")), dt.date(2026, 10, 31))
    assert earlier.totals.overdue == 0  # the deadline is not yet past


def test_a_done_parent_is_complete_whatever_its_children(tmp_path: Path) -> None:
    issues = [bead("gp-r", status="closed"), delegated("gp-a", f"{GP}/gp-r", deadline="2026-01-01")]
    result = delegation_chains(_graph(tmp_path, issues), TODAY)
    assert _flat(result.chains[0]) == [(0, "gp-r", True, False), (1, "gp-a", False, True)]


def test_delegation_cycles_are_reported_and_never_looped_on(tmp_path: Path) -> None:
    issues = [
        delegated("gp-x", f"{GP}/gp-y"), delegated("gp-y", f"{GP}/gp-x", status="closed"),  # no root above
        bead("gp-r"), delegated("gp-p", f"{GP}/gp-r"), delegated("gp-q", f"{GP}/gp-p"),
    ]
    graph = _graph(tmp_path, issues, federation=[  # gp-p is gp-q's child too: a loop below gp-r
        {"type": "delegation", "parent": f"{GP}/gp-q", "child": f"{GP}/gp-p"}])
    result = delegation_chains(graph, TODAY)
    assert result.cycles == [[f"{GP}/gp-p", f"{GP}/gp-q"], [f"{GP}/gp-x", f"{GP}/gp-y"]]
    assert result.totals.cycles == 2 and result.totals.chains == 2
    rooted, rootless = result.chains
    assert _flat(rooted) == [(0, "gp-r", False, False), (1, "gp-p", False, False), (2, "gp-q", False, False),
                             (3, "gp-p", False, False)]
    assert rooted.children[0].children[0].children[0].cycle  # delegated back to gp-p: not expanded again
    assert _flat(rootless) == [(0, "gp-x", True, False), (1, "gp-y", True, False), (2, "gp-x", True, False)]
    assert rootless.children[0].children[0].cycle  # shown from its smallest key, the loop cut where it closes


def test_stub_parents_are_shown_with_their_cached_status(tmp_path: Path) -> None:
    graph = _graph(tmp_path, [bead("gp-s"), bead("gp-t", status="closed")], federation=[
        {"type": "delegation", "parent": "hop://acme.dev/hq/pl-1", "child": f"{GP}/gp-s",
         "terms": {"portion": "api", "deadline": "2026-11-30", "credit_share": 0.4},
         "delegated_by": "hq/crew/ann", "delegated_to": "greenplace/crew/joe"},
        {"type": "delegation", "parent": "hop://nobody@x.y/t/z-1", "child": f"{GP}/gp-t"},
    ], remote_status={"hop://acme.dev/hq": "synced"})
    result = delegation_chains(graph, TODAY)
    hq, nobody = result.chains
    assert (hq.key, hq.stub, hq.cache_status, hq.status, hq.complete) == (
        "hop://acme.dev/hq/pl-1", "remote", "synced", None, False)
    child = hq.children[0]
    assert child.terms == {"portion": "api", "deadline": "2026-11-30", "credit_share": 0.4}
    assert (child.delegated_by, child.delegated_to, child.forms) == ("hq/crew/ann", "greenplace/crew/joe",
                                                                     ["federation"])
    assert (nobody.stub, nobody.cache_status, nobody.complete) == ("missing", None, True)  # its child is done


def test_a_shared_child_is_shown_in_full_once(tmp_path: Path) -> None:
    graph = _graph(tmp_path, [bead("gp-1"), bead("gp-2"), delegated("gp-c", f"{GP}/gp-1"),
                              delegated("gp-d", f"{GP}/gp-c")],
                   federation=[{"type": "delegation", "parent": f"{GP}/gp-2", "child": f"{GP}/gp-c"}])
    first, second = delegation_chains(graph, TODAY).chains
    assert [c.key for c in first.children[0].children] == [f"{GP}/gp-d"]
    again = second.children[0]
    assert again.key == f"{GP}/gp-c" and again.repeated and again.children == []


def test_the_position_of_one_item(tmp_path: Path) -> None:
    graph = _graph(tmp_path, _chain("open"))
    position = delegation_position(graph, f"{GP}/gp-a", TODAY)
    assert position is not None
    assert [p.key for p in position.delegated_from] == [f"{GP}/gp-r"]
    assert position.delegated_from[0].terms["deadline"] == "2026-11-01"  # the terms of gp-a's delegation
    assert [(c.key, c.complete) for c in position.delegates_to] == [(f"{GP}/gp-b", True), (f"{GP}/gp-c", False)]
    assert (position.complete, position.overdue, position.in_cycle) == (False, True, False)
    assert delegation_position(graph, f"{TOWN}/greenplace", TODAY) is None


# -- the demo federation (sample_workspaces/README.md, "Delegation chains") ---------------------

SAMPLES = Path(__file__).parents[1] / "sample_workspaces"


def test_demo_chain_with_its_overdue_grandchild() -> None:
    anchor = dt.date.fromisoformat(json.loads((SAMPLES / "demo.json").read_text("utf-8"))["anchor"])
    result = delegation_chains(build_graph(load_federation([SAMPLES])), anchor)
    assert result.cycles == []
    assert result.totals == msgspec.convert({"chains": 1, "delegations": 4, "complete": 0, "delegations_complete": 2,
                                             "overdue": 1, "cycles": 0}, type(result.totals))
    (root,) = result.chains
    assert _flat(root) == [(0, "co-8f2", False, False), (1, "gw-4tk", False, False),
                           (2, "lg-5pe", True, False), (2, "mb-4h2", True, False), (2, "ps-3vk", False, True)]
    tokens = root.children[0]
    assert sorted(tokens.forms) == ["federation", "metadata"]  # both forms, merged
    assert tokens.terms["deadline"] == "2026-12-04"
    overdue = tokens.children[2]
    assert (overdue.key, overdue.terms["deadline"], overdue.delegated_by) == (
        "hop://kim@kestrel.works/kestrel/paysdk/ps-3vk", "2026-11-13", "gateway/crew/carol")
    assert tokens.children[0].forms == ["dependency"] and tokens.children[1].forms == ["federation"]
