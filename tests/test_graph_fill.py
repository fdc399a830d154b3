"""The graph is filled directly (``core.graph._fill``), not through networkx's add_nodes_from and
add_edges_from: the result must be the very graph those give, on every shape of federation we
have (the demo, a generated one with stubs, repeated edges and delegations, real towns)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import networkx as nx
import pytest

from benchmarks.generate import generate
from core import graph as graph_module
from core.federation import load_federation
from core.graph_kinds import NodeKind

SAMPLES = Path(__file__).resolve().parent.parent / "sample_workspaces"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def _by_networkx(monkeypatch: pytest.MonkeyPatch, roots: list[Path]) -> nx.MultiDiGraph:
    def fill(graph: nx.MultiDiGraph, nodes: dict, edges: list) -> None:  # type: ignore[type-arg]
        graph.add_nodes_from(nodes.items())
        graph.add_edges_from(edges)

    with monkeypatch.context() as patch:
        patch.setattr(graph_module, "_fill", fill)
        return graph_module.build_graph(load_federation(roots))


def _same(ours: nx.MultiDiGraph, theirs: nx.MultiDiGraph) -> None:
    assert list(ours._node.items()) == list(theirs._node.items())  # order too: panes list nodes in it
    assert ours._succ == theirs._succ
    assert ours._pred == theirs._pred
    for source, targets in ours._succ.items():  # the same order of neighbours and edge keys
        assert list(targets) == list(theirs._succ[source])
        for target, keyed in targets.items():
            assert list(keyed) == list(theirs._succ[source][target])
            assert ours._pred[target][source] is keyed  # one dict for both directions, as networkx has it
    assert list(ours.edges(keys=True, data=True)) == list(theirs.edges(keys=True, data=True))
    assert ours.number_of_edges() == theirs.number_of_edges()


def test_the_demo_graph_is_the_one_networkx_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    _same(graph_module.build_graph(load_federation([SAMPLES])), _by_networkx(monkeypatch, [SAMPLES]))


def test_a_generated_federation_graph_is_the_one_networkx_builds(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "fed", units=3000, workspaces=24)
    ours = graph_module.build_graph(load_federation([tmp_path / "fed"]))
    assert ours.number_of_nodes() > 3000
    _same(ours, _by_networkx(monkeypatch, [tmp_path / "fed"]))


def test_edges_of_each_node_are_independent_dicts(tmp_path: Path) -> None:
    """Membership edges share one attribute dict in the builder; each edge of the graph has its own."""
    graph = graph_module.build_graph(load_federation([SAMPLES]))
    membership = [data for _, _, key, data in graph.edges(keys=True, data=True) if key == "membership"]
    assert len(membership) > 2
    assert len({id(data) for data in membership}) == len(membership)


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not here (a user's own clone); CI has it")
def test_real_towns_graphs_are_the_ones_networkx_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    _same(graph_module.build_graph(load_federation([REALDATA])), _by_networkx(monkeypatch, [REALDATA]))


def _walk_answers(graph: object) -> tuple[object, ...]:
    """What chains and blockers answer on ``graph``: every chain, and the blockers of every
    work unit (their reports as the verbs encode them)."""
    import msgspec

    from core.analysis.blocking import blockers
    from core.analysis.delegation import delegation_chains, flat_chains

    day = dt.date(2026, 12, 7)
    chains = msgspec.to_builtins(flat_chains(delegation_chains(graph, day)))
    units = sorted(key for key, attrs in graph._node.items() if attrs["kind"] is NodeKind.WORK_UNIT)
    return chains, [msgspec.to_builtins(blockers(graph, key)) for key in units]


WALKED = ("demo", "generated", "realdata")


def walked_root(where: str, tmp_path: Path) -> Path:
    """The federation the walk tests walk: the demo, a generated one (cross-workspace blockers,
    sudocode ``blocks`` stored in the other repo, delegations) or the real data."""
    if where == "realdata" and not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not here (a user's own clone); CI has it")
    root = {"demo": SAMPLES, "realdata": REALDATA}.get(where)
    if root is None:
        root = tmp_path / "fed"
        generate(root, units=3000, workspaces=24)
    return root


@pytest.mark.parametrize("where", WALKED)
def test_chains_and_blockers_answer_the_same_without_membership_edges(where: str, tmp_path: Path) -> None:
    """``chains`` and ``blockers`` build a ``Walks`` without the work units' membership edges
    (``build_graph(walks_only=True)``): every chain and every unit's blockers must be the same
    as on the whole networkx graph."""
    root = walked_root(where, tmp_path)
    fed = load_federation([root])
    whole, lean = graph_module.build_graph(fed), graph_module.build_graph(fed, walks_only=True)
    assert isinstance(lean, graph_module.Walks)
    edges = sum(len(keyed) for targets in lean._succ.values() for keyed in targets.values())
    assert edges < whole.number_of_edges()
    assert _walk_answers(lean) == _walk_answers(whole)
