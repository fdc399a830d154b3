"""Why is this blocked: transitive open blockers across workspaces, with paths; done items stop
the walk; parents' blockers count; stubs with and without a cached status; cycles."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from core.analysis.blocking import BlockerReport, Step, StepTree, blockers, cycles, why_blocked
from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import bead, dep, real_town, write_json, write_jsonl

TOWN = "hop://steve@example.com/main-town"
GP = f"{TOWN}/greenplace"


def _town(tmp_path: Path, issues: list[dict[str, Any]], remote_status: Mapping[str, str] | None = None,
          remotes: list[dict[str, Any]] | None = None) -> nx.MultiDiGraph:
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", issues)
    if remotes:
        write_json(town / ".crossdeck" / "remotes.json", {"remotes": remotes})
    return build_graph(load_federation([tmp_path]), remote_status=remote_status)


def _keys(steps: list[Any]) -> list[str]:
    return [step.key for step in steps]


def paths(report: BlockerReport) -> list[list[Step]]:
    """One path to each open blocker, then to each unresolved stub, then to each item with no
    status: read back from the report's steps (each names the step it is reached from)."""
    tree = StepTree(report)
    return [tree.path(key) for group in report.groups() for key in group]


def test_transitive_blockers_with_paths(tmp_path: Path) -> None:
    graph = _town(tmp_path, [
        bead("gp-1", dependencies=[dep("gp-1", "gp-2"), dep("gp-1", "gp-5", "related")]),
        bead("gp-2", dependencies=[dep("gp-2", "gp-3", "waits-for")]),
        bead("gp-3", status="in_progress"),
        bead("gp-5"),  # related, never blocking
    ])
    report = blockers(graph, f"{GP}/gp-1")
    assert report.is_blocked
    assert report.blockers == [f"{GP}/gp-2", f"{GP}/gp-3"]
    assert _keys(report.direct) == [f"{GP}/gp-2"]
    assert [[(s.key, s.edge, s.status) for s in path] for path in paths(report)] == [
        [(f"{GP}/gp-2", "blocks", "open")],
        [(f"{GP}/gp-2", "blocks", "open"), (f"{GP}/gp-3", "waits-for", "in_progress")],
    ]
    assert report.unresolved == [] and report.cycles == []


def test_a_done_item_is_no_blocker_and_stops_the_walk(tmp_path: Path) -> None:
    graph = _town(tmp_path, [
        bead("gp-1", dependencies=[dep("gp-1", "gp-2")]),
        bead("gp-2", status="closed", dependencies=[dep("gp-2", "gp-3")]),
        bead("gp-3"),
        bead("gp-4", status="tombstone", dependencies=[dep("gp-4", "gp-3")]),
    ])
    report = blockers(graph, f"{GP}/gp-1")
    assert not report.is_blocked
    assert report.blockers == [] and paths(report) == []
    assert why_blocked(graph, f"{GP}/gp-1") == f"{GP}/gp-1 is not blocked by any open item."
    done = blockers(graph, f"{GP}/gp-4")
    assert done.is_done and not done.is_blocked and done.blockers == []
    assert why_blocked(graph, f"{GP}/gp-4") == f"{GP}/gp-4 is done (tombstone); nothing blocks it."


def test_a_parents_blockers_hold_the_child_up(tmp_path: Path) -> None:
    graph = _town(tmp_path, [
        bead("gp-child", dependencies=[dep("gp-child", "gp-epic", "parent-child")]),
        bead("gp-epic", dependencies=[dep("gp-epic", "gp-infra")]),
        bead("gp-infra"),
        bead("gp-free", dependencies=[dep("gp-free", "gp-open-parent", "parent-child")]),
        bead("gp-open-parent"),
    ])
    report = blockers(graph, f"{GP}/gp-child")
    assert report.blockers == [f"{GP}/gp-infra"]  # the open parent itself is not a blocker
    assert report.direct == []
    assert [(s.key, s.edge) for s in paths(report)[0]] == [(f"{GP}/gp-epic", "parent"), (f"{GP}/gp-infra", "blocks")]
    assert f"parent {GP}/gp-epic [open] -> {GP}/gp-infra [open]" in why_blocked(graph, f"{GP}/gp-child")
    assert not blockers(graph, f"{GP}/gp-free").is_blocked  # a parent with no blockers holds nothing up


def test_an_item_that_blocks_itself_is_a_cycle_not_a_loop(tmp_path: Path) -> None:
    graph = _town(tmp_path, [
        bead("gp-self", dependencies=[dep("gp-self", "gp-self")]),
        bead("gp-a", dependencies=[dep("gp-a", "gp-b")]),
        bead("gp-b", dependencies=[dep("gp-b", "gp-c")]),
        bead("gp-c", dependencies=[dep("gp-c", "gp-a")]),
    ])
    own = blockers(graph, f"{GP}/gp-self")
    assert own.cycles == [[f"{GP}/gp-self"]]
    assert own.blockers == []  # the item is not its own blocker
    ring = blockers(graph, f"{GP}/gp-a")
    assert ring.blockers == [f"{GP}/gp-b", f"{GP}/gp-c"]
    assert ring.cycles == [[f"{GP}/gp-a", f"{GP}/gp-b", f"{GP}/gp-c"]]
    assert f"Cycle: {GP}/gp-a -> {GP}/gp-b -> {GP}/gp-c -> {GP}/gp-a." in why_blocked(graph, f"{GP}/gp-a")


def test_a_cycle_among_blockers_is_reported(tmp_path: Path) -> None:
    graph = _town(tmp_path, [
        bead("gp-1", dependencies=[dep("gp-1", "gp-2")]),
        bead("gp-2", dependencies=[dep("gp-2", "gp-3")]),
        bead("gp-3", dependencies=[dep("gp-3", "gp-2")]),
    ])
    report = blockers(graph, f"{GP}/gp-1")
    assert report.blockers == [f"{GP}/gp-2", f"{GP}/gp-3"]
    assert report.cycles == [[f"{GP}/gp-2", f"{GP}/gp-3"]]


REMOTE_BLOCKED = [
    bead("gp-1", dependencies=[dep("gp-1", "gp-2")]),
    bead("gp-2", references=[{"type": "depends_on", "target": "acme/api#i-9"}]),
]


def test_a_remote_stub_with_a_cached_status_is_an_open_blocker(tmp_path: Path) -> None:
    graph = _town(tmp_path, REMOTE_BLOCKED, remote_status={"acme/api": "stale"})
    report = blockers(graph, f"{GP}/gp-1")
    assert report.is_blocked
    assert report.blockers == [f"{GP}/gp-2", "acme/api#i-9"]
    stub = paths(report)[1][-1]
    assert (stub.key, stub.stub, stub.cache_status, stub.cross, stub.unresolved, stub.workspace) == (
        "acme/api#i-9", "remote", "stale", True, False, "acme/api")
    assert f"{GP}/gp-2 [open] -> acme/api#i-9 (in acme/api) [remote, cached: stale]" in why_blocked(
        graph, f"{GP}/gp-1")


def test_a_stub_with_no_known_status_is_unresolved_not_a_blocker(tmp_path: Path) -> None:
    graph = _town(tmp_path, [bead("gp-1", references=[{"type": "depends_on", "target": "acme/api#i-9"}])],
                  remotes=[{"url": "https://github.com/acme/api"}])
    report = blockers(graph, "hop://steve@example.com/main-town/greenplace/gp-1")
    assert not report.is_blocked
    assert report.blockers == []
    assert [(s.key, s.stub, s.unresolved) for s in report.unresolved] == [("acme/api#i-9", "remote", True)]
    assert [_keys(path) for path in paths(report)] == [["acme/api#i-9"]]
    assert why_blocked(graph, f"{GP}/gp-1") == (
        f"{GP}/gp-1 is not blocked by any open item it can see. 1 blocker could not be resolved "
        "(status unknown): acme/api#i-9 (in acme/api) [remote, unresolved].")


def test_blockers_across_loaded_workspaces(tmp_path: Path) -> None:
    for repo, issues in (("web", [{"id": "i-1", "title": "page",
                                   "relationships": [{"from": "i-1", "to": "acme/api#i-7", "type": "depends-on"}]}]),
                         ("api", [{"id": "i-7", "title": "endpoint", "status": "in_progress",
                                   "relationships": [{"from": "i-8", "to": "i-7", "type": "blocks"}]},
                                  {"id": "i-8", "title": "schema"}])):
        sc = tmp_path / repo / ".sudocode"
        write_json(sc / "federation.config.json", {"local_identity": {"url": f"github.com/acme/{repo}"}})
        write_jsonl(sc / "issues.jsonl", issues)
    graph = build_graph(load_federation([tmp_path]))
    report = blockers(graph, "acme/web#i-1")
    assert report.blockers == ["acme/api#i-7", "acme/api#i-8"]
    first, second = paths(report)[1]
    assert (first.cross, first.workspace, first.edge) == (True, "acme/api", "depends-on")
    assert (second.cross, second.edge, second.label) == (False, "blocks", "schema")
    assert why_blocked(graph, "acme/web#i-1") == (
        "acme/web#i-1 is blocked by 2 open items: acme/api#i-7 (in acme/api) [in_progress] -> acme/api#i-8 [open].")


def test_hostile_text_in_the_explanation_is_made_safe(tmp_path: Path) -> None:
    graph = _town(tmp_path, [bead("gp-1", dependencies=[dep("gp-1", "gp-2")]), bead("gp-2", "x\x1b[31m\ny")])
    text = why_blocked(graph, f"{GP}/gp-1")
    assert "\x1b" not in text and "\n" not in text


def test_cycles_of_an_adjacency() -> None:
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["d"], "e": ["a"]}) == [["a", "b", "c"], ["d"]]
    assert cycles({"a": ["b"], "b": []}) == []
    chain = {str(i): [str(i + 1)] for i in range(5000)}  # deep: no recursion limit
    chain["5000"] = ["0"]
    assert len(cycles(chain)[0]) == 5001


# -- the demo federation (sample_workspaces/README.md, "Blockers") ------------------------------

SAMPLES = Path(__file__).parents[1] / "sample_workspaces"
ACME, GLOBEX, KESTREL = "hop://acme.dev/storefront", "hop://globex.io/payments", "hop://kim@kestrel.works/kestrel"
ACROSS_THREE_TOWNS = [f"{ACME}/checkout/co-5vd", f"{GLOBEX}/gateway/gw-6hp", f"{GLOBEX}/ledger/lg-2wx",
                      f"{KESTREL}/paysdk/ps-8rj"]


def _demo(remote_status: Mapping[str, str] | None = None) -> nx.MultiDiGraph:
    return build_graph(load_federation([SAMPLES]), remote_status=remote_status)


def test_demo_one_click_button_is_blocked_across_three_towns() -> None:
    report = blockers(_demo(), f"{ACME}/web/web-7tq")
    assert report.is_blocked
    assert report.blockers == ACROSS_THREE_TOWNS
    assert f"{ACME}/checkout/co-1mz" not in report.blockers  # closed along the way
    chain = paths(report)[-1]
    assert [(s.key, s.workspace, s.cross, s.edge) for s in chain] == [
        (f"{ACME}/checkout/co-5vd", ACME, False, "blocks"),
        (f"{GLOBEX}/gateway/gw-6hp", GLOBEX, True, "depends-on"),
        (f"{GLOBEX}/ledger/lg-2wx", GLOBEX, False, "blocks"),
        (f"{KESTREL}/paysdk/ps-8rj", KESTREL, True, "depends-on"),
    ]
    assert chain[-1].status == "open"
    assert report.unresolved == [] and report.cycles == []


def test_demo_sudocode_item_ends_up_in_the_same_chain() -> None:
    report = blockers(_demo(), "acme-dev/frontend#i-6d2a")
    assert report.blockers == ACROSS_THREE_TOWNS
    assert report.direct[0].cross and report.direct[0].workspace == ACME


def test_demo_town_item_blocked_by_sudocode() -> None:
    report = blockers(_demo(), f"{ACME}/web/web-3pk")
    assert report.blockers == ["acme-dev/frontend#i-7f3a", "acme-dev/api-service#i-3c1d",
                               "acme-dev/api-service#i-5e2b"]
    assert [s.edge for s in paths(report)[-1]] == ["depends-on", "blocks", "blocks"]


def test_demo_remote_stub_is_unresolved_until_its_status_is_known() -> None:
    stub = "hop://initech.com/risk/models/rm-42"
    report = blockers(_demo(), f"{GLOBEX}/fraud/fr-7cd")
    assert not report.is_blocked
    assert [(s.key, s.stub, s.unresolved) for s in report.unresolved] == [(stub, "remote", True)]
    unreachable = blockers(_demo({"hop://initech.com/risk": "unreachable"}), f"{GLOBEX}/fraud/fr-7cd")
    assert not unreachable.is_blocked  # nothing can be known of an item behind an unreachable remote
    assert [(s.key, s.cache_status) for s in unreachable.unresolved] == [(stub, "unreachable")]
    known = blockers(_demo({"hop://initech.com/risk": "synced"}), f"{GLOBEX}/fraud/fr-7cd")
    assert known.blockers == [stub] and known.direct[0].cache_status == "synced"
