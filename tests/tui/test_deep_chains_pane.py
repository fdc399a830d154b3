"""The Delegation chains pane on deep and wide chains (Hostile world I, 12): a chain 1000 deep
raised RecursionError in the tree, and expand all on several chains froze the dashboard. The tree
is built lazily now: a node's children when it is opened, at most CHILDREN_SHOWN at a time, at
most DEPTH_SHOWN levels below the top of the view; expand all stops at EXPAND_ALL_LIMIT lines and
says so; ``q`` quits within a second."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import bead, real_town, write_jsonl
from tests.deep_graphs import deadline, key, write_town
from tests.tui.conftest import NOW
from tui.app import CrossdeckApp
from tui.panes.chains.labels import ChainEntry, Placeholder
from tui.panes.chains.pane import ChainsPane
from tui.panes.chains.tree import CHILDREN_SHOWN, DEPTH_SHOWN, EXPAND_ALL_LIMIT, ChainTree

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_town(tmp_path_factory.mktemp("deep"), "deep-delegation", 100_000)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_town(tmp_path_factory.mktemp("wide"), "wide-delegation", 100_000)


@asynccontextmanager
async def on_pane(root: Path, pane: str, timeout: float = 180) -> AsyncIterator[tuple[CrossdeckApp, Any]]:
    """The dashboard on ``root`` at 120x40, on pane ``pane`` (its key) once the federation is
    loaded; the whole within ``timeout`` seconds."""
    app = CrossdeckApp([root], now=lambda: NOW, watch=False)
    with deadline(timeout):
        async with app.run_test(size=(120, 40)) as pilot:
            while app.data is None:
                await app.workers.wait_for_complete()
                await pilot.pause(0.05)
            await pilot.press(pane)
            await pilot.pause()
            yield app, pilot


@asynccontextmanager
async def chains_pane(root: Path, timeout: float = 180) -> AsyncIterator[tuple[CrossdeckApp, Any, ChainsPane]]:
    """The dashboard on ``root`` on the Delegation chains pane, its tree filled (``on_pane``)."""
    async with on_pane(root, "3", timeout) as (app, pilot):
        yield app, pilot, app.query_one(ChainsPane)


def tree(app: CrossdeckApp) -> ChainTree:
    return app.query_one("#chains-tree", ChainTree)


def note(app: CrossdeckApp) -> str:
    widget = app.query_one("#chains-note")
    return str(widget.render()) if widget.display else ""


async def quits_within_a_second(app: CrossdeckApp, pilot: Any) -> None:
    start = time.monotonic()
    await pilot.press("q")
    while app.return_code is None:
        assert time.monotonic() - start < 1.0, "q did not quit within a second"
        await pilot.pause(0.01)
    assert time.monotonic() - start < 1.0


async def test_a_chain_100000_deep_expand_all_then_q_quits(deep: Path) -> None:
    async with chains_pane(deep) as (app, pilot, _):
        assert tree(app).labels()[:2] == [f"✗ {key(0)}: work gp-0  [open]  main-town",
                                          f"  ✗ {key(1)}: work gp-1  [open]  main-town"]
        await pilot.press("e")
        await pilot.pause()
        labels = tree(app).labels()
        assert len(labels) == DEPTH_SHOWN + 2  # the levels shown, then the line that says where it stops
        assert labels[-1] == "  " * (DEPTH_SHOWN + 1) + f"⋯ deeper: Enter shows the chain from {key(DEPTH_SHOWN)} down"
        await quits_within_a_second(app, pilot)


async def test_deeper_shows_the_chain_from_there_and_backspace_goes_back(deep: Path) -> None:
    async with chains_pane(deep) as (app, pilot, pane):
        await pilot.press("e", "G")
        await pilot.pause()
        node = tree(app).cursor_node
        assert node is not None and isinstance(node.data, Placeholder) and node.data.kind == "deeper"
        assert "Enter shows the chain from" in pane.detail_text
        await pilot.press("enter")
        await pilot.pause()
        labels = tree(app).labels()
        assert labels[0].startswith(f"✗ {key(DEPTH_SHOWN)}: ") and len(labels) == 2  # its top, opened
        assert note(app) == f"from {key(DEPTH_SHOWN)}, level {DEPTH_SHOWN} of its chain (Backspace goes back up)"
        await pilot.press("e", "G", "enter")  # again, 2 x DEPTH_SHOWN down
        await pilot.pause()
        assert tree(app).labels()[0].startswith(f"✗ {key(2 * DEPTH_SHOWN)}: ")
        await pilot.press("backspace")
        await pilot.pause()
        assert tree(app).labels()[0].startswith(f"✗ {key(DEPTH_SHOWN)}: ")
        await pilot.press("backspace")
        await pilot.pause()
        assert tree(app).labels()[0].startswith(f"✗ {key(0)}: ") and note(app) == ""
        cursor = tree(app).cursor_node
        assert cursor is not None and isinstance(cursor.data, ChainEntry)
        assert cursor.data.node.key == key(DEPTH_SHOWN)  # back where Enter was pressed: the item it stood under
        await quits_within_a_second(app, pilot)


async def test_a_node_with_100000_children_shows_them_a_page_at_a_time(wide: Path) -> None:
    async with chains_pane(wide) as (app, pilot, pane):
        labels = tree(app).labels()
        assert len(labels) == 1 + CHILDREN_SHOWN + 1
        left = 99_999 - CHILDREN_SHOWN
        assert labels[-1] == f"  ⋯ {left} more (Enter shows the next {CHILDREN_SHOWN})"
        assert "Delegated: 99999 (0 complete)" in pane.detail_text and "... and 99949 more" in pane.detail_text
        await pilot.press("G", "enter")
        await pilot.pause()
        labels = tree(app).labels()
        assert len(labels) == 1 + 2 * CHILDREN_SHOWN + 1
        assert labels[-1] == f"  ⋯ {left - CHILDREN_SHOWN} more (Enter shows the next {CHILDREN_SHOWN})"
        cursor = tree(app).cursor_node
        assert cursor is not None and isinstance(cursor.data, ChainEntry)
        in_key_order = sorted(key(i) for i in range(1, 100_000))  # gp-1, gp-10, gp-100, ...
        assert cursor.data.node.key == in_key_order[CHILDREN_SHOWN]  # the first of the new ones
        await pilot.press("e")
        await pilot.pause()
        assert len(tree(app).labels()) == 1 + 2 * CHILDREN_SHOWN + 1  # leaves: nothing to expand
        await quits_within_a_second(app, pilot)


async def test_expand_all_on_many_chains_stops_at_its_bound_and_says_so(tmp_path: Path) -> None:
    """150 chains, each shallower than the view: 4500 nodes, more than expand all opens at once;
    it stops at its bound and says so on screen, and a second e opens the rest."""
    chains, depth = 150, DEPTH_SHOWN - 2
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    gp = "hop://steve@example.com/main-town/greenplace"
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [
        bead(f"gp-{c}x{i}", metadata={"delegated_from": {"parent": f"{gp}/gp-{c}x{i - 1}"}} if i else {})
        for c in range(chains) for i in range(depth)])
    assert chains * depth > EXPAND_ALL_LIMIT + 2 * chains
    async with chains_pane(tmp_path, timeout=120) as (app, pilot, _):
        assert len(tree(app).labels()) == chains * 2  # a larger forest starts with its roots opened
        assert note(app) == ""
        await pilot.press("e")
        await pilot.pause()
        assert len(tree(app).labels()) == chains * 2 + EXPAND_ALL_LIMIT  # breadth first, one line per node opened
        assert note(app) == f"expand all stopped after {EXPAND_ALL_LIMIT} new lines (e opens the next {EXPAND_ALL_LIMIT})"
        await pilot.press("e")
        await pilot.pause()
        assert len(tree(app).labels()) == chains * depth and note(app) == ""  # the rest: within the bound
        await pilot.press("c")
        await pilot.pause()
        assert len(tree(app).labels()) == chains
        await quits_within_a_second(app, pilot)


async def test_a_chain_1000_deep_in_the_pane(tmp_path: Path) -> None:
    """The issue's case: a chain 1000 deep raised RecursionError in the tree."""
    async with chains_pane(write_town(tmp_path, "deep-delegation", 1000), timeout=120) as (app, pilot, _):
        labels = tree(app).labels()
        assert len(labels) == DEPTH_SHOWN + 2  # a small forest starts expanded: as far as the view goes
        await quits_within_a_second(app, pilot)
