"""The Explorer pane on the demo federation: a lazy tree, reveal, the detail of an item (fields,
links, why blocked across towns, neighbourhood), literal text, the filter, reloads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.style import Style

from tests.conftest import PROJECT
from tui.app import CrossdeckApp
from tui.panes.explorer.detail import ItemDetail
from tui.panes.explorer.pane import ExplorerPane
from tui.panes.explorer.tree import ExplorerTree

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
WEB_7TQ = "hop://acme.dev/storefront/web/web-7tq"
FR_2QS = "hop://globex.io/payments/fraud/fr-2qs"
RM_42 = "hop://initech.com/risk/models/rm-42"
MARKUP = "[bold red]x[/]"


def make_app(root: Path = PROJECT / "sample_workspaces") -> CrossdeckApp:
    return CrossdeckApp([root], now=lambda: NOW, watch=False)


async def loaded(app: CrossdeckApp, pilot) -> ExplorerPane:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("7")
    await pilot.pause()
    return app.query_one(ExplorerPane)


def tree(app: CrossdeckApp) -> ExplorerTree:
    return app.query_one("#explorer-tree", ExplorerTree)


def detail(app: CrossdeckApp) -> ItemDetail:
    return app.query_one("#explorer-detail", ItemDetail)


def headline(app: CrossdeckApp) -> str:
    return str(app.query_one("#explorer-headline").render())


async def test_top_groups_then_workspaces_and_nothing_deeper_until_opened() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        t = tree(app)
        top = [node.label.plain for node in t.root.children]
        assert [label.split()[0] for label in top] == ["towns", "realms", "sudocode"]
        towns = [node.data for node in t.root.children[0].children]
        assert towns == ["hop://acme.dev/storefront", "hop://globex.io/payments", "hop://kim@kestrel.works/kestrel"]
        assert t.node_for(WEB_7TQ) is None  # built lazily: rigs and items wait for their town
        assert t.node_for("hop://acme.dev/storefront/web") is None
        await pilot.press("down", "enter")  # open the first town
        await pilot.pause()
        rigs = [node.label.plain.split()[0] for node in t.root.children[0].children[0].children]
        assert rigs[:3] == ["catalog", "checkout", "web"]
        assert "hq-4ta" in rigs  # a town-level item, under the town after its rigs
        assert t.node_for(WEB_7TQ) is None


async def test_reveal_web_7tq_shows_it_blocked_across_three_towns_with_the_path() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("1")
        app.show_item(WEB_7TQ)
        await pilot.pause()
        assert app.current_pane.PANE_ID == "explorer"
        assert tree(app).cursor_key == WEB_7TQ
        assert tree(app).node_for("hop://acme.dev/storefront/web").is_expanded
        shown = detail(app).text_by_section
        assert shown["title"].startswith(WEB_7TQ + "  One-click buy button")
        assert "status         blocked" in shown["fields"]
        assert "source         towns/acme-storefront/web/.beads/issues.jsonl:1" in shown["fields"]
        blocked = shown["blocked"]
        lines = blocked.splitlines()
        assert lines[0] == "blocked by 4 open items across 3 workspaces:"
        assert lines[1].split(", ") == ["  hop://acme.dev/storefront", "hop://globex.io/payments",
                                        "hop://kim@kestrel.works/kestrel"]
        assert lines[2] == f"paths from {WEB_7TQ}"  # one tree: each step under the one it is reached from
        assert lines[3:7] == [  # each step read from the item above it: lg-2wx blocks gw-6hp (First hour, 17)
            "  └── blocked by hop://acme.dev/storefront/checkout/co-5vd [blocked]",
            "      └── depends on hop://globex.io/payments/gateway/gw-6hp [in_progress]  (in hop://globex.io/payments)",
            "          └── blocked by hop://globex.io/payments/ledger/lg-2wx [open]",
            ("              └── depends on hop://kim@kestrel.works/kestrel/paysdk/ps-8rj [open]  "
             "(in hop://kim@kestrel.works/kestrel)"),
        ]
        assert "co-1mz" not in blocked  # closed along the way: not a blocker
        assert "→ blocks" in shown["out"] and "co-5vd" in shown["out"]
        assert "← tracks" in shown["in"] and "hq-cv-7hk2q" in shown["in"]
        assert shown["hood"].startswith(WEB_7TQ)
        assert "depth 1" in str(app.query_one("#detail-hood-head").render())


async def test_b_walks_to_the_blocker_and_backspace_comes_back() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item("web-7tq")  # a short id resolves too
        await pilot.pause()
        assert tree(app).cursor_key == WEB_7TQ
        await pilot.press("b")
        await pilot.pause()
        assert tree(app).cursor_key == "hop://acme.dev/storefront/checkout/co-5vd"
        await pilot.press("b")
        await pilot.pause()
        assert tree(app).cursor_key == "hop://globex.io/payments/gateway/gw-6hp"  # into another town
        await pilot.press("backspace", "backspace")
        await pilot.pause()
        assert tree(app).cursor_key == WEB_7TQ


async def test_markup_in_a_title_is_shown_literally_in_the_tree_and_the_detail() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item(FR_2QS)
        await pilot.pause()
        node = tree(app).node_for(FR_2QS)
        assert node is not None and MARKUP in node.label.plain
        assert all("red" not in str(span.style) for span in node.label.spans)
        drawn = tree(app).render_label(node, Style(), Style())  # what the tree draws for it
        assert MARKUP in drawn.plain and all("red" not in str(span.style) for span in drawn.spans)
        shown = detail(app).text_by_section
        assert MARKUP in shown["title"]
        assert "\\x1b[31mCHARGEBACK RATE" in shown["description"]  # the escape shown, not obeyed
        assert "\x1b" not in detail(app).plain


async def test_a_remote_stub_is_not_in_the_tree_but_gets_its_detail() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item("hop://globex.io/payments/fraud/fr-7cd")
        await pilot.pause()
        assert "unresolved" in detail(app).text_by_section["blocked"]
        app.show_item(RM_42)
        await pilot.pause()
        assert tree(app).cursor_key == "hop://globex.io/payments/fraud/fr-7cd"  # the cursor stays
        assert f"{RM_42} is not in the tree" in headline(app)
        shown = detail(app).text_by_section
        assert shown["title"] == RM_42
        assert shown["notice"].startswith("not loaded: a remote stub in hop://initech.com/risk")
        assert "← depends-on" in shown["in"] and "fr-7cd" in shown["in"]


async def test_unknown_ref_says_so() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item("no-such-thing-at-all")
        await pilot.pause()
        assert "nothing matches 'no-such-thing-at-all'" in detail(app).text_by_section["notice"]


async def test_g_toggles_the_neighbourhood_depth() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item(WEB_7TQ)
        await pilot.pause()
        one = detail(app).text_by_section["hood"]
        await pilot.press("g")
        await pilot.pause()
        two = detail(app).text_by_section["hood"]
        assert "depth 2" in str(app.query_one("#detail-hood-head").render())
        assert len(two.splitlines()) > len(one.splitlines())
        assert "gw-6hp" in two and "gw-6hp" not in one  # two hops: co-5vd's blocker
        await pilot.press("g")
        await pilot.pause()
        assert detail(app).text_by_section["hood"] == one


async def test_slash_filters_the_tree_to_matches_and_their_ancestors() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("slash", *"digest")
        await pilot.pause()
        assert headline(app).startswith("1 match for 'digest'")
        t = tree(app)
        assert [node.data for node in t.root.children] == ["group:town"]
        assert [node.data for node in t.root.children[0].children] == ["hop://globex.io/payments"]
        assert [node.data for node in t.root.children[0].children[0].children] == ["hop://globex.io/payments/fraud"]
        assert [n.data for n in t.node_for("hop://globex.io/payments/fraud").children] == [FR_2QS]
        assert t.cursor_key == FR_2QS
        assert detail(app).text_by_section["title"].startswith(FR_2QS)
        await pilot.press("escape")  # clears the filter: the whole tree, the selection kept
        await pilot.pause()
        assert len(t.root.children) == 3
        assert t.cursor_key == FR_2QS


async def test_filter_by_key_and_by_container_name() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await loaded(app, pilot)
        pane.apply_filter("i-7f3a")
        await pilot.pause()
        t = tree(app)
        assert [n.data for n in t.node_for("acme-dev/frontend").children] == ["acme-dev/frontend#i-7f3a"]
        pane.apply_filter("ledger")  # the rig matches; it can be opened to all it holds
        await pilot.pause()
        ledger = t.node_for("hop://globex.io/payments/ledger")
        assert ledger is not None and ledger.allow_expand
        pane.apply_filter("zzz-nothing")
        await pilot.pause()
        assert headline(app) == "nothing matches 'zzz-nothing'"
        assert not t.root.children


async def test_selection_and_open_nodes_kept_across_a_reload() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        app.show_item(WEB_7TQ)
        await pilot.pause()
        tree(app).open("hop://globex.io/payments")
        tree(app).open("hop://globex.io/payments/ledger")
        before = app.data
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.data is not before
        t = tree(app)
        assert t.cursor_key == WEB_7TQ
        assert t.node_for("hop://globex.io/payments/ledger").is_expanded
        assert detail(app).text_by_section["title"].startswith(WEB_7TQ)


async def test_help_lists_the_explorer_keys() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = app.screen.plain_text  # type: ignore[attr-defined]
        assert "Depth 1/2" in text and "Go to blocker" in text


async def test_clearing_the_filter_opens_again_what_was_open_before() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await loaded(app, pilot)
        t = tree(app)
        t.open("hop://kim@kestrel.works/kestrel")
        t.open("hop://kim@kestrel.works/kestrel/mobile")
        pane.apply_filter("gw-6hp")
        await pilot.pause()
        assert t.node_for("hop://kim@kestrel.works/kestrel") is None
        pane.apply_filter("")
        await pilot.pause()
        assert t.node_for("hop://kim@kestrel.works/kestrel/mobile").is_expanded
        assert t.node_for("hop://globex.io/payments/gateway").is_expanded  # the way to the found item
        assert t.cursor_key == "hop://globex.io/payments/gateway/gw-6hp"
