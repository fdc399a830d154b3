"""The dashboard shows a sudocode spec's missing status as ``-`` (never "None", never "open"), and
a spec on a blocking edge as a step that does not block."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.style import Style

from core.analysis.delegation import delegation_chains
from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import bead, real_town, write_jsonl
from tests.test_spec_status import _key, _repo
from tests.tui.test_explorer_pane import detail, loaded, make_app, tree
from tui.app import CrossdeckApp
from tui.panes.chains.labels import ChainEntry, detail as chain_detail, label_text

pytestmark = pytest.mark.anyio

SPEC = "acme-dev/api-service#s-6e1a"
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


async def test_the_explorer_shows_a_demo_spec_with_status_dash() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item(SPEC)
        await pilot.pause()
        assert tree(app).cursor_key == SPEC
        drawn = tree(app).render_label(tree(app).node_for(SPEC), Style(), Style()).plain
        assert drawn.startswith("- s-6e1a  Users API v1")  # not the open mark
        shown = detail(app).text_by_section
        assert "status         -" in shown["fields"].splitlines()
        assert "← implements  acme-dev/api-service#i-3c1d: Add user profile endpoint [in_progress]" in shown["in"]
        assert "None" not in detail(app).plain
        app.show_item("acme-dev/api-service#i-3c1d")
        await pilot.pause()
        assert f"→ implements       {SPEC}: Users API v1 [-]" in detail(app).text_by_section["out"]


async def test_a_spec_on_a_blocking_edge_is_listed_as_not_a_blocker(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "web")
    app = CrossdeckApp([repo], now=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item(_key("i-1"))
        await pilot.pause()
        assert tree(app).cursor_key == _key("i-1")
        lines = detail(app).text_by_section["blocked"].splitlines()
        assert lines == ["not blocked by any open item", f"paths from {_key('i-1')}",
                         f"  └── depends on {_key('s-1')} [-, not a blocker]",
                         "1 with no status (never a blocker, not counted)"]
        assert "None" not in detail(app).plain


def test_the_chains_pane_shows_a_delegated_spec_with_status_dash(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "web")
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [bead("gp-1", "Build it")])
    write_jsonl(town / ".beads" / "federation.jsonl", [
        {"type": "delegation", "parent": _key("s-1"), "child": "hop://steve@example.com/main-town/greenplace/gp-1"}])
    chains = delegation_chains(build_graph(load_federation([repo, town])), NOW.date())
    root = next(chain for chain in chains.chains if chain.key == _key("s-1"))
    label, _, _ = label_text(root)
    # complete: its one implementing issue (i-6) is closed, though its delegated child is open
    assert label.startswith(f"✓ {_key('s-1')}: spec s-1  [-]  web")
    assert "not loaded" not in label and "None" not in label
    shown = chain_detail(ChainEntry(node=root, parent=None, level=0, text=label, mark="open", mark_len=1)).content().plain
    assert "  status        -" in shown.splitlines()
    assert "not loaded" not in shown and "None" not in shown
