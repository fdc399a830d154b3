"""The Delegation chains pane on the demo federation: the tree and its marks, the detail, the
filter, Enter, and the expanded / highlighted node kept across a reload."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tui.app import CrossdeckApp
from tui.panes.chains.pane import ChainsPane
from tui.panes.chains.tree import ChainTree

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
ROOT = "hop://acme.dev/storefront/checkout/co-8f2"
GATEWAY = "hop://globex.io/payments/gateway/gw-4tk"
LEDGER = "hop://globex.io/payments/ledger/lg-5pe"
SDK = "hop://kim@kestrel.works/kestrel/paysdk/ps-3vk"
LABELS = [
    f"✗ {ROOT}: Launch one-click checkout for returning customers  [in_progress]  storefront",
    (f"  ✗ {GATEWAY}: Tokenized card payments for Acme one-click  [in_progress]  payments  "
     "{portion: card tokenization and charge-by-token API, due 2026-12-04}  → globex.io"),
    f"    ✓ {LEDGER}: Ledger entries for tokenized payments  [closed]  payments",
    ("    ✓ hop://kim@kestrel.works/kestrel/mobile/mb-4h2: iOS card-scan component  [closed]  kestrel  "
     "{portion: iOS card-scan component, due 2026-11-01}  → kim@kestrel.works"),
    (f"    ! OVERDUE (due 2026-11-13) {SDK}: JS SDK: hosted card form that returns Globex tokens  [in_progress]  "
     "kestrel  {portion: browser SDK card form}  → kim@kestrel.works"),
]


def make_app(root: Path = PROJECT / "sample_workspaces") -> CrossdeckApp:
    return CrossdeckApp([root], now=lambda: NOW, watch=False)


async def loaded(app: CrossdeckApp, pilot) -> ChainsPane:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("3")
    await pilot.pause()
    return app.query_one(ChainsPane)


def tree(app: CrossdeckApp) -> ChainTree:
    return app.query_one("#chains-tree", ChainTree)


def cursor_key(app: CrossdeckApp) -> str | None:
    node = tree(app).cursor_node
    return node.data.node.key if node is not None and node.data is not None else None


async def test_tree_shows_each_chain_expanded_with_marks_and_terms() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await loaded(app, pilot)
        assert tree(app).labels() == LABELS
        assert str(app.query_one("#chains-headline").render()) == (
            "0 of 1 chain complete · 2 of 4 delegations complete · 1 overdue "
            "(today 2026-11-20; ✓ complete, ✗ open, ! overdue)")  # says what it counts (First hour, 16)
        assert not app.query_one("#chains-cycles").display
        assert app.focused is tree(app)
        assert cursor_key(app) == ROOT
        assert pane.detail_text.startswith(f"{ROOT}  Launch one-click checkout")
        assert "Root of its chain" in pane.detail_text


async def test_detail_of_the_overdue_delegation() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await loaded(app, pilot)
        await pilot.press("down", "down", "down", "down")
        await pilot.pause()
        assert cursor_key(app) == SDK
        text = pane.detail_text
        for expected in ("! OVERDUE (due 2026-11-13)  past its deadline and not complete",
                         f"Delegation from {GATEWAY}", "deadline      2026-11-13",
                         "acceptance    Drop-in form; no card data reaches the merchant",
                         "delegated by  gateway/crew/carol", "delegated to  kim@kestrel.works"):
            assert expected in text, expected


async def test_filter_keeps_matching_branches_and_their_ancestors() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down", "down", "down")  # on the SDK item, which the filter hides
        await pilot.press("slash", *"lg-5")
        await pilot.pause()
        assert tree(app).labels() == LABELS[:3]
        items = [node.data for node in (tree(app).root.children[0], tree(app).root.children[0].children[0])]
        assert [item.matched for item in items if item is not None] == [False, False]  # kept as ancestors
        assert cursor_key(app) == GATEWAY  # the nearest ancestor still shown
        await pilot.press("escape")
        await pilot.pause()
        assert tree(app).labels() == LABELS
        await pilot.press("slash", *"no such thing")
        await pilot.pause()
        assert tree(app).labels() == []


async def test_enter_opens_the_node_in_the_explorer(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "show_item", opened.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert opened == [LEDGER]
        assert tree(app).labels() == LABELS  # Enter opens, it does not fold


async def test_reload_keeps_collapsed_nodes_and_the_cursor() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "space")  # fold the gateway item
        await pilot.pause()
        assert tree(app).labels() == LABELS[:2]
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert tree(app).labels() == LABELS[:2]
        assert cursor_key(app) == GATEWAY
        await pilot.press("e")
        await pilot.pause()
        assert tree(app).labels() == LABELS


async def test_titles_are_shown_literally(tmp_path: Path) -> None:
    demo = Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))
    issues = demo / "towns" / "globex-payments" / "ledger" / ".beads" / "issues.jsonl"
    hostile = "[bold red]x[/] \\u001b[31mred"  # JSON for ESC
    issues.write_text(issues.read_text().replace("Ledger entries for tokenized payments", hostile))
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await loaded(app, pilot)
        label = tree(app).labels()[2]
        assert label == f"    ✓ {LEDGER}: [bold red]x[/] \\x1b[31mred  [closed]  payments"
        await pilot.press("down", "down")
        await pilot.pause()
        assert "[bold red]x[/] \\x1b[31mred" in pane.detail_text


def test_labels_mark_stubs_cycles_and_repeats() -> None:
    from core.analysis.delegation import ChainNode, ChainTotals, DelegationChains
    from tui.panes.chains.labels import cycles_text, headline, label_text

    def node(key: str, **fields: object) -> ChainNode:
        base: dict[str, object] = {"key": key, "label": key, "kind": "work_unit", "workspace": "hop://a.com/town",
                                   "status": "open", "done": False, "complete": False, "overdue": False}
        base.update(fields)
        return ChainNode(**base)  # type: ignore[arg-type]

    stub = node("hop://b.com/far/x-1", status=None, stub="remote", cache_status="stale", workspace="hop://b.com/far")
    assert label_text(stub) == ("✗ hop://b.com/far/x-1  (not loaded: remote stub, cache stale)  far", "open", 1)
    cycle = node("hop://a.com/town/a-1", cycle=True, complete=True)
    assert label_text(cycle)[0].endswith("(cycle: delegated back to an item above)")
    assert label_text(cycle)[1] == "complete"
    assert label_text(node("sudo/repo#i-1", workspace="sudo/repo", repeated=True))[0] == (
        "✗ sudo/repo#i-1  [open]  repo  (shown above)")
    result = DelegationChains(today="2026-11-20", chains=[], cycles=[["a", "b"]],
                              totals=ChainTotals(chains=0, delegations=0, complete=0, delegations_complete=0,
                                                 overdue=0, cycles=1))
    assert cycles_text(result) == "a -> b -> a"
    assert headline(result) == ("0 of 0 chains complete · 0 of 0 delegations complete · 0 overdue · 1 cycle "
                                "(today 2026-11-20; ✓ complete, ✗ open, ! overdue)")


async def test_a_complete_parent_held_open_by_a_blocker_says_so(tmp_path: Path) -> None:
    """Every delegated child of gw-4tk closed, gw-4tk itself blocked by gw-3xe (open): complete, and
    the label and detail say what the close cascade waits for."""
    import json

    demo = Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))
    sdk = demo / "towns" / "kestrel" / "paysdk" / ".beads" / "issues.jsonl"
    sdk.write_text("".join(json.dumps({**row, "status": "closed"} if row["id"] == "ps-3vk" else row) + "\n"
                           for row in map(json.loads, sdk.read_text().splitlines())))
    gateway = demo / "towns" / "globex-payments" / "gateway" / ".beads" / "issues.jsonl"
    blocks = [{"issue_id": "gw-4tk", "depends_on_id": "gw-3xe", "type": "blocks"}]
    gateway.write_text("".join(json.dumps({**row, "dependencies": blocks} if row["id"] == "gw-4tk" else row) + "\n"
                               for row in map(json.loads, gateway.read_text().splitlines())))
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await loaded(app, pilot)
        assert tree(app).labels()[1] == (
            f"  ✓ {GATEWAY}: Tokenized card payments for Acme one-click  [in_progress]  payments  "
            "{portion: card tokenization and charge-by-token API, due 2026-12-04}  → globex.io  "
            "(children complete, blocked by hop://globex.io/payments/gateway/gw-3xe)")
        await pilot.press("down")
        await pilot.pause()
        assert cursor_key(app) == GATEWAY
        text = pane.detail_text
        assert "\n  blocked by    hop://globex.io/payments/gateway/gw-3xe\n" in text
        assert "not closed by the close cascade while these are open" in text
