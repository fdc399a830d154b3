"""Deep and wide graphs (Hostile world I, 10 and 11): every analysis, JSON document and text
output works without recursion and grows linearly, for a chain 100,000 deep and a node with
100,000 children.

* 10: ``chains --json`` on a delegation chain 1000 deep died with RecursionError (the encoder
  recursed once per level of the nested tree): the trees are flat in JSON now.
* 11: ``blockers --json`` repeated every path in full (a chain N deep: N paths of up to N
  steps, 145 MB at N=1000); ``chains`` text indented each level (200 MB at N=10000): each step is
  named once with the step it is reached from, and text indentation stops at ``INDENT_LEVELS``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from core.analysis.blocking import EXPLAIN_STEPS, StepTree, blockers, explain
from core.analysis.delegation import delegation_chains, flat_chains
from core.analysis.item import describe
from core.analysis.nearest import LIMIT, NearestBlockers
from core.analysis.neighbourhood import INDENT_LEVELS, UNICODE, neighbourhood, to_text, tree_lines
from core.commands.blockers import blockers_text
from core.commands.chains import chains_text
from tests.deep_graphs import GP, LINEAR, deadline, graph_of, key, scaling, write_town
from tests.schema_check import assert_matches_schema

TODAY = dt.date(2026, 11, 20)


def _json(data: Any) -> bytes:
    """What ``emit_json`` writes (the encoder, then the indenting formatter)."""
    return msgspec.json.format(msgspec.json.encode(data), indent=2)


def chains_json(graph: Any) -> bytes:
    return _json(flat_chains(delegation_chains(graph, TODAY)))


def chains_lines(graph: Any) -> list[str]:
    return chains_text(delegation_chains(graph, TODAY), UNICODE)


def blockers_json(graph: Any) -> bytes:
    return _json(blockers(graph, key(0)))


def blockers_lines(graph: Any) -> list[str]:
    return blockers_text(blockers(graph, key(0)), UNICODE)


def show_json(graph: Any) -> bytes:
    return _json(describe(graph, key(0), TODAY))


def graph_lines(graph: Any) -> list[str]:
    hood = neighbourhood(graph, key(0), depth=len(graph), limit=len(graph))
    return to_text(hood, UNICODE).splitlines()


def _graph(tmp_path: Path, shape: str, n: int) -> Any:
    return graph_of(write_town(tmp_path / f"{shape}-{n}", shape, n))


# -- 10: a chain 1000 deep through the command line -----------------------------------------------

def test_chains_json_of_a_chain_1000_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    root = write_town(tmp_path, "deep-delegation", 1000)
    with deadline(60):
        assert main(["chains", str(root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert_matches_schema("chains", data)
    [chain] = data["chains"]
    assert [(node["key"], node["parent"], node["depth"]) for node in chain[:3]] == [
        (key(0), None, 0), (key(1), key(0), 1), (key(2), key(1), 2)]
    assert chain[-1]["depth"] == 999 and data["totals"]["delegations"] == 999
    with deadline(60):
        assert main(["chains", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1002  # the headline, a blank line, then one line per item
    assert max(map(len, lines)) < 200  # indentation stops at INDENT_LEVELS; deeper lines say their level
    assert lines[-1].lstrip().startswith("[level 999] └──")


def test_blockers_json_of_a_chain_1000_deep_names_each_step_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    root = write_town(tmp_path, "deep-blocks", 1000)
    with deadline(60):
        assert main(["blockers", "gp-0", str(root), "--json"]) == 0
    out = capsys.readouterr().out
    assert len(out) < 1_000_000  # was 145 MB: every path repeated in full
    data = json.loads(out)
    assert_matches_schema("blockers", data)
    assert data["blockers"] == [key(i) for i in range(1, 1000)]
    assert [(s["key"], s["reached_from"]) for s in data["steps"]] == [(key(i), key(i - 1)) for i in range(1, 1000)]
    report = blockers(graph_of(root), key(0))
    assert [s.key for s in StepTree(report).path(key(999))] == [key(i) for i in range(1, 1000)]


# -- 11: 100,000 deep and 100,000 wide ------------------------------------------------------------

@pytest.mark.parametrize("shape", ["deep-delegation", "wide-delegation"])
def test_chains_of_100000_items(tmp_path: Path, shape: str) -> None:
    graph = _graph(tmp_path, shape, 100_000)
    with deadline(120):
        document = chains_json(graph)
        lines = chains_lines(graph)
    assert len(document) < 800 * 100_000  # bytes per item, whatever the shape
    chain = json.loads(document)["chains"][0]
    assert len(chain) == 100_000 and chain[-1]["depth"] == (99_999 if shape.startswith("deep") else 1)
    assert len(lines) == 100_002 and max(map(len, lines)) < 250


@pytest.mark.parametrize("shape", ["deep-blocks", "wide-blocks"])
def test_blockers_of_100000_items(tmp_path: Path, shape: str) -> None:
    graph = _graph(tmp_path, shape, 100_000)
    with deadline(120):
        report = blockers(graph, key(0))
        document = _json(report)
        lines = blockers_text(report, UNICODE)
        sentence = explain(report)
    assert len(report.blockers) == len(report.steps) == 99_999
    assert len(document) < 1000 * 100_000
    assert len(lines) < 3 * 100_000 and max(map(len, lines)) < 250
    assert len(sentence) < 100 * EXPLAIN_STEPS  # one paragraph names at most EXPLAIN_STEPS steps
    assert "more path" in sentence if shape == "wide-blocks" else "(99939 more)" in sentence


# -- linear: time(4N) / time(N) ------------------------------------------------------------------

OUTPUTS = {
    "chains --json": chains_json, "chains": chains_lines, "blockers --json": blockers_json,
    "blockers": blockers_lines, "show --json": show_json, "graph --format text": graph_lines,
}
CASES = [(shape, output) for shape in ("deep-delegation", "wide-delegation", "deep-delegation-blocks")
         for output in ("chains --json", "chains", "show --json")]
CASES += [(shape, output) for shape in ("deep-blocks", "wide-blocks")
          for output in ("blockers --json", "blockers", "show --json", "graph --format text")]
CASES += [("deep-delegation", "graph --format text")]


@pytest.mark.parametrize("shape, output", CASES)
def test_output_time_grows_linearly(tmp_path: Path, shape: str, output: str) -> None:
    ratio = scaling(lambda n: _graph(tmp_path, shape, n), OUTPUTS[output], 2500)
    assert ratio < LINEAR, f"{output} on {shape}: time at 4N / time at N = {ratio:.1f}"


@pytest.mark.parametrize("shape, output", CASES)
def test_output_size_grows_linearly(tmp_path: Path, shape: str, output: str) -> None:
    with deadline(60):
        small, large = (OUTPUTS[output](_graph(tmp_path, shape, n)) for n in (1000, 4000))
    size = (lambda out: len(out) if isinstance(out, bytes) else sum(map(len, out)))
    assert size(large) / size(small) < 4.5, output


# -- the parts -------------------------------------------------------------------------------------

def test_text_trees_stop_indenting_and_say_the_level() -> None:
    chain = {i: [i + 1] for i in range(40)}
    lines = list(tree_lines(0, lambda i: chain.get(i, []), str, UNICODE))
    assert lines[1] == "└── 1" and lines[2] == "    └── 2"
    assert lines[INDENT_LEVELS] == " " * 4 * (INDENT_LEVELS - 1) + f"└── {INDENT_LEVELS}"
    assert lines[INDENT_LEVELS + 1] == " " * 4 * (INDENT_LEVELS - 1) + f"[level {INDENT_LEVELS + 1}] └── 17"
    assert lines[40] == " " * 4 * (INDENT_LEVELS - 1) + "[level 40] └── 40"


def test_nearest_blockers_are_found_once_for_a_whole_chain(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "deep-delegation-blocks", 50)
    chain = delegation_chains(graph, TODAY).chains[0]
    assert (chain.complete, chain.done, chain.blocked_by) == (True, False, [key(1)])
    nearest = NearestBlockers(graph)
    assert [nearest(key(i)) for i in (0, 47, 48, 49)] == [[key(1)], [key(48)], [], []]


def test_nearest_blockers_through_parents_a_cycle_of_parents_and_the_limit(tmp_path: Path) -> None:
    from tests.conftest import bead, dep, real_town, write_jsonl

    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-child", dependencies=[dep("gp-child", "gp-epic", "parent-child")]),
        bead("gp-epic", dependencies=[dep("gp-epic", "gp-top", "parent-child"), dep("gp-epic", "gp-b1")]),
        bead("gp-top", dependencies=[dep("gp-top", "gp-epic", "parent-child"), dep("gp-top", "gp-b2"),
                                     dep("gp-top", "gp-child")]),
        bead("gp-b1"), bead("gp-b2"),
        bead("gp-many", dependencies=[dep("gp-many", f"gp-m{i:03}") for i in range(LIMIT + 10)]),
        *(bead(f"gp-m{i:03}") for i in range(LIMIT + 10)),
    ])
    graph = graph_of(tmp_path)
    nearest = NearestBlockers(graph)
    # through the open parents (which are not blockers themselves); gp-top and gp-epic are each
    # other's parent (a cycle): they share what blocks them; gp-child is not its own blocker
    assert nearest(f"{GP}/gp-child") == [f"{GP}/gp-b1", f"{GP}/gp-b2"]
    assert sorted(nearest(f"{GP}/gp-top")) == [f"{GP}/gp-b1", f"{GP}/gp-b2", f"{GP}/gp-child"]
    assert nearest(f"{GP}/gp-many") == [f"{GP}/gp-m{i:03}" for i in range(LIMIT)]


def test_explain_names_a_bounded_number_of_steps(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "deep-blocks", 200)
    sentence = explain(blockers(graph, key(0)))
    assert sentence.startswith(f"{key(0)} is blocked by 199 open items: {key(1)} [open] -> {key(2)} [open] -> ")
    assert f" -> ... ({199 - EXPLAIN_STEPS} more) -> {key(199)} [open]." in sentence
    assert sentence.count(" -> ") == EXPLAIN_STEPS
