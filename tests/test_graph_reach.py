"""``blockers`` and ``show`` on a key walk only the workspaces they reach (``core.graph_reach``):
through the parsed cache with the records held back, every work unit's report (or description)
must be the one the whole graph gives, on the demo, a generated federation (cross-workspace
blockers, sudocode ``blocks`` stored in the other repo) and the real data, from an empty cache
and from a filled one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest

from core import graph_reach
from core.analysis.blocking import blockers, walked_blockers
from core.cache.store import ParsedCache
from core.commands.show import ROUNDS as SHOW_ROUNDS
from core.commands.show import unit_described
from core.federation import Federation, Held, load_federation
from core.graph import build_graph
from core.graph_kinds import NodeKind
from core.graph_reach import walk_near, whole
from core.sources.limits import UNIT_RECORDS
from core.working_set import walk_from
from tests.test_graph_fill import SAMPLES, WALKED, walked_root

LATER = UNIT_RECORDS


def _near(fed: Federation, key: str) -> object:
    found = walk_near(fed, key, walked_blockers, lambda walked: walked[1], {})
    assert found is not None, f"{key} was walked in the whole graph"
    return msgspec.to_builtins(found[0])


@pytest.mark.parametrize("where", WALKED)
def test_every_units_blockers_are_the_whole_graphs(where: str, tmp_path: Path) -> None:
    root = walked_root(where, tmp_path)
    graph = build_graph(load_federation([root]), walks_only=True)
    units = sorted(key for key, attrs in graph._node.items() if attrs["kind"] is NodeKind.WORK_UNIT)
    expected = {key: msgspec.to_builtins(blockers(graph, key)) for key in units}
    # what makes the walk add workspaces: blockers that are items of other workspaces
    crossed = [key for key, report in expected.items()
               if any(step["cross"] and step["stub"] is None for step in report["steps"])]  # type: ignore[index]
    assert crossed or where == "realdata"
    # each walk reads its workspaces' entries again, as a run does: every crossing unit and a spread of the rest
    walked = sorted({*crossed, *units[::max(1, len(units) // 300)]})
    cache = ParsedCache(tmp_path / "cache")
    for run, through in (("empty cache", cache), ("filled cache", cache), ("no cache", None)):
        fed = load_federation([root], cache=through, wanted=frozenset(), later=LATER)
        assert through is None or all(ws.counted is not None for ws in fed.workspaces), \
            f"{run}: records were not held back"
        assert {key: _near(fed, key) for key in walked} == {key: expected[key] for key in walked}, run


def test_a_key_that_is_no_item_here_leaves_it_to_the_whole_graph(tmp_path: Path) -> None:
    """A stub, a key of no loaded workspace, or no records held back: None (the verb then looks
    the reference up in the whole graph, which says what it is)."""
    cache = ParsedCache(tmp_path / "cache")
    fed = load_federation([SAMPLES], cache=cache, wanted=frozenset(), later=LATER)
    unit = next(ws for ws in fed.workspaces if ws.counts()["work_units"])
    assert walk_near(fed, f"{unit.name}/nothing-here" if unit.kind.value != "sudocode" else f"{unit.name}#nothing",
                     walked_blockers, lambda walked: walked[1], {}) is None
    assert walk_near(fed, "hop://nobody@example.com/no-town/rig/x-1", walked_blockers, lambda w: w[1], {}) is None
    plain = load_federation([SAMPLES])
    assert plain.held is None
    key = next(u.key for ws in plain.workspaces for u in ws.work_units)
    assert walk_near(plain, key, walked_blockers, lambda walked: walked[1], {}) is None
    assert [len(ws.work_units) for ws in whole(fed).workspaces] == [len(ws.work_units) for ws in plain.workspaces]


def test_a_walk_across_workspace_after_workspace_is_rebuilt_a_bounded_number_of_times(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Six beads folders, each one's item blocked by the next one's (and a seventh, larger one
    apart, so that no round reads most of the records): each walk finds one more workspace, so
    after ``ROUNDS`` walks the last is over all of them; the report is the whole graph's, with
    every folder's item in it."""
    root = tmp_path / "chain"
    apart = root / "apart" / ".beads"
    apart.mkdir(parents=True)
    (apart / "issues.jsonl").write_text("".join(json.dumps({"id": f"ap-{n}", "title": "apart"}) + "\n"
                                                for n in range(40)))
    for n in range(6):
        issue = {"id": f"w{n}-1", "title": f"step {n}", "status": "open"}
        if n < 5:
            issue["dependencies"] = [{"issue_id": f"w{n}-1", "depends_on_id": f"beads://local/w{n + 1}/w{n + 1}-1",
                                      "type": "blocks"}]
        folder = root / f"w{n}" / ".beads"
        folder.mkdir(parents=True)
        (folder / "issues.jsonl").write_text(json.dumps(issue) + "\n")
    key = "beads://local/w0/w0-1"
    graph = build_graph(load_federation([root]), walks_only=True)
    expected = msgspec.to_builtins(blockers(graph, key))
    assert len(expected["steps"]) == 5  # type: ignore[index]
    builds: list[int] = []
    real_build = graph_reach.build_graph

    def counted(fed: Federation, *args: object, **kwargs: object) -> object:
        builds.append(sum(1 for ws in fed.workspaces if ws.work_units))
        return real_build(fed, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(graph_reach, "build_graph", counted)
    fed = load_federation([root], cache=ParsedCache(tmp_path / "cache"), wanted=frozenset(), later=LATER)
    assert _near(fed, key) == expected
    assert builds == [1, 2, 3, 7]  # one more workspace a walk, then all of them at the last


DAY = dt.date(2026, 12, 7)


def _shown(fed: Federation, key: str) -> object:
    """``show KEY``'s description from the working set grown from the key (None: the whole graph)."""
    found = walk_from(fed, [key], lambda graph: unit_described(graph, key, DAY), {}, SHOW_ROUNDS)
    return None if found is None else msgspec.to_builtins(found)


@pytest.mark.parametrize("where", WALKED)
def test_every_units_description_is_the_whole_graphs(where: str, tmp_path: Path) -> None:
    """``show KEY``: the unit, every edge into and out of it (with what is at the other end),
    its blockers and its place in the delegations, as the whole networkx graph says them, from
    the units the description looked up and every edge touching them."""
    root = walked_root(where, tmp_path)
    graph = build_graph(load_federation([root]))
    units = sorted(key for key, attrs in graph._node.items() if attrs["kind"] is NodeKind.WORK_UNIT)
    expected = {key: msgspec.to_builtins(unit_described(graph, key, DAY)) for key in units}
    # what makes the working set grow: an edge into the unit stored in another workspace, an
    # item at the other end, blockers, a delegation
    crossed = [key for key, data in expected.items()
               if any(rel["cross"] for rel in data["in"]) or data["delegation"] is not None  # type: ignore[index]
               or data["blockers"]["steps"]]  # type: ignore[index]
    assert crossed or where == "realdata"
    walked = sorted({*crossed, *units[::max(1, len(units) // 200)]})
    cache = ParsedCache(tmp_path / "cache")
    for run, through in (("empty cache", cache), ("filled cache", cache), ("no cache", None)):
        fed = load_federation([root], cache=through, wanted=frozenset(), later=LATER)
        shown = {key: _shown(fed, key) for key in walked}
        assert {key: data for key, data in shown.items() if data is not None} == \
            {key: expected[key] for key, data in shown.items() if data is not None}, run
        assert sum(data is None for data in shown.values()) <= len(walked) // 10, f"{run}: mostly the whole graph"


def test_a_node_that_is_not_a_work_unit_is_described_from_the_whole_graph(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fed = load_federation([SAMPLES], cache=ParsedCache(tmp_path / "cache"), wanted=frozenset(), later=LATER)
    rig = next(f"{ws.name}/{ws.info.rigs[0].name}" for ws in fed.workspaces if ws.kind.value == "town")
    assert _shown(fed, rig) is None

    def reading(*args: object) -> None:
        raise AssertionError("records were read for a reference no loaded workspace's key")

    monkeypatch.setattr(Held, "some", reading)
    assert _shown(fed, "gp-xyz") is None  # a short id: looked up in the whole graph, nothing read first
    assert _shown(fed, "i-8b4c") is None
