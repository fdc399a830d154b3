"""The graph around an item: depth, both directions, the node limit, and exports whose labels
cannot break out of their syntax whatever the titles hold."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest

from core.analysis.neighbourhood import (
    ASCII, UNICODE, glyphs_for, mermaid_text, neighbourhood, to_dot, to_mermaid, to_text,
)
from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import bead, dep, real_town, write_jsonl

GP = "hop://steve@example.com/main-town/greenplace"
HOSTILE = 'a"] --> X[pwn'


@pytest.fixture
def graph(tmp_path: Path) -> nx.MultiDiGraph:
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-1", "centre", dependencies=[dep("gp-1", "gp-2"), dep("gp-1", "gp-3", "related")],
             references=[{"type": "depends_on", "target": "acme/api#i-9"}]),
        bead("gp-2", HOSTILE, dependencies=[dep("gp-2", "gp-4")]),
        bead("gp-3", "line one\nline two\\n {braces} <b> #hash|pipe", status="closed"),
        bead("gp-4", "far away"),
        bead("gp-5", "points at the centre", dependencies=[dep("gp-5", "gp-1", "discovered-from")]),
        bead("gp-6", "unrelated"),
    ])
    return build_graph(load_federation([tmp_path]))


def test_depth_one_both_directions_without_membership(graph: nx.MultiDiGraph) -> None:
    hood = neighbourhood(graph, f"{GP}/gp-1")
    assert [n.key for n in hood.nodes] == [f"{GP}/gp-1", "acme/api#i-9", f"{GP}/gp-2", f"{GP}/gp-3", f"{GP}/gp-5"]
    assert [n.depth for n in hood.nodes] == [0, 1, 1, 1, 1]
    assert not hood.truncated
    assert {(e.source, e.target, e.kind) for e in hood.edges} == {
        (f"{GP}/gp-1", "acme/api#i-9", "depends-on"), (f"{GP}/gp-1", f"{GP}/gp-2", "blocks"),
        (f"{GP}/gp-1", f"{GP}/gp-3", "related"), (f"{GP}/gp-5", f"{GP}/gp-1", "discovered-from")}
    incoming = next(n for n in hood.nodes if n.key == f"{GP}/gp-5")
    assert (incoming.reached_from, incoming.via, incoming.outgoing) == (f"{GP}/gp-1", "discovered-from", False)
    stub = next(n for n in hood.nodes if n.key == "acme/api#i-9")
    assert (stub.kind, stub.stub, stub.status) == ("stub", "missing", None)


def test_depth_two_reaches_further_and_depth_zero_is_the_item(graph: nx.MultiDiGraph) -> None:
    far = neighbourhood(graph, f"{GP}/gp-1", depth=2)
    assert {n.key: n.depth for n in far.nodes}[f"{GP}/gp-4"] == 2
    assert f"{GP}/gp-6" not in {n.key for n in far.nodes}
    alone = neighbourhood(graph, f"{GP}/gp-1", depth=0)
    assert [n.key for n in alone.nodes] == [f"{GP}/gp-1"] and alone.edges == []


def test_the_node_limit_truncates_and_says_so(graph: nx.MultiDiGraph) -> None:
    hood = neighbourhood(graph, f"{GP}/gp-1", depth=3, limit=3)
    assert len(hood.nodes) == 3 and hood.truncated
    assert all(e.source in {n.key for n in hood.nodes} and e.target in {n.key for n in hood.nodes}
               for e in hood.edges)
    assert to_text(hood).endswith("... (stopped at 3 nodes)\n")


def test_exports_are_deterministic(graph: nx.MultiDiGraph) -> None:
    first = neighbourhood(graph, f"{GP}/gp-1", depth=2)
    again = neighbourhood(graph, f"{GP}/gp-1", depth=2)
    assert to_mermaid(first) == to_mermaid(again) and to_dot(first) == to_dot(again)


def test_mermaid_labels_cannot_break_out(graph: nx.MultiDiGraph) -> None:
    text = to_mermaid(neighbourhood(graph, f"{GP}/gp-1", depth=2))
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    node_lines = [line for line in lines if re.match(r"^  n\d+\[", line)]
    assert len(node_lines) == 6
    for line in node_lines:  # one quoted label each, with no quote, bracket or newline inside
        assert re.fullmatch(r'  n\d+\["[^"\[\]{}<>|]*"\]', line), line
    assert "a#34;#93; --#62; X#91;pwn" in text
    assert "X[pwn" not in text and "line one line two#92;n #123;braces#125; #60;b#62; #35;hash#124;pipe" in text
    assert '  n0 ==>|"blocks"| n2' in lines  # blocking edges are thick
    assert "  class n0 center" in lines


def test_dot_labels_cannot_break_out(graph: nx.MultiDiGraph) -> None:
    text = to_dot(neighbourhood(graph, f"{GP}/gp-1", depth=2))
    quoted = r'"(?:[^"\\\n]|\\.)*"'
    for line in text.splitlines()[3:-1]:
        assert re.fullmatch(rf'  {quoted}( -> {quoted})? \[label={quoted}(, style="[a-z,]+")?\];', line), line
    assert 'a\\"] --> X[pwn' in text
    assert "line one line two\\\\n {braces}" in text  # a backslash in data is not a dot escape


def test_text_tree(graph: nx.MultiDiGraph) -> None:
    text = to_text(neighbourhood(graph, f"{GP}/gp-1", depth=2), ASCII)
    assert text.splitlines() == [
        f"{GP}/gp-1: centre [open]",
        "|-- -> depends-on acme/api#i-9 [missing stub]",
        f'|-- -> blocks {GP}/gp-2: a"] --> X[pwn [open]',
        f"|   `-- -> blocks {GP}/gp-4: far away [open]",
        f"|-- -> related {GP}/gp-3: line one line two\\n {{braces}} <b> #hash|pipe [closed]",
        f"`-- <- discovered-from {GP}/gp-5: points at the centre [open]",
    ]


def test_glyphs_follow_the_output_encoding() -> None:
    assert glyphs_for("utf-8") is UNICODE
    assert glyphs_for("cp1252") is ASCII
    assert glyphs_for("ascii") is ASCII
    assert glyphs_for(None) is ASCII
    assert glyphs_for("no-such-codec") is ASCII


def test_mermaid_text_keeps_plain_words() -> None:
    assert mermaid_text("Fix login: step 2/3") == "Fix login: step 2/3"
    assert mermaid_text("\x1b[2J") == "#92;x1b#91;2J"
