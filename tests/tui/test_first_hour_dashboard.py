"""A newcomer's first hour with the dashboard (issue 14): the rough edges, each driven with the
keys a user presses, at the window sizes where they showed (80x24, 200x60).

2: the filter bar goes away on Esc and its rows go back to the pane. 3: j and k move in every
table and tree. 4: after a live reload the Audit trail shows new events at the top. 6: the
Remotes detail keeps a space after a check's age. 8: columns follow the window. 12: a folder
with no workspace says how to start. 15: notices say what was done, Ctrl+R says what it found,
our own action is not "changed on disk", and a background sync failure names the remote, once.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Tree

from core import store
from core.federation import load_federation
from tests.conftest import PROJECT
from tests.tui.conftest import ACTOR, NOW, settle
from tui.app import CrossdeckApp
from tui.messages import FilesChanged
from tui.widgets.master_detail import MasterDetail
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

SMALL, LARGE = (80, 24), (200, 60)
API = "acme-dev/api-service"


class Notes:
    """Every notification the app shows: (title, message, severity)."""

    def __init__(self, app: CrossdeckApp) -> None:
        self.seen: list[tuple[str, str, str]] = []
        notify = app.notify

        def recording(message: str, **kwargs: Any) -> None:
            self.seen.append((kwargs.get("title", ""), message, kwargs.get("severity", "information")))
            notify(message, **kwargs)

        app.notify = recording  # type: ignore[method-assign]

    def titled(self, title: str) -> list[str]:
        return [message for t, message, _ in self.seen if t == title]

    def text(self) -> str:
        return "\n".join(f"{t}: {m}" for t, m, _ in self.seen)


def copy_demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


def app_on(root: Path) -> tuple[CrossdeckApp, Notes]:
    app = CrossdeckApp([root], now=lambda: NOW, watch=False)  # the tests call the file checks themselves
    return app, Notes(app)


def shown(table: FastTable) -> list[str]:
    """The lines the table draws now (header first), as text."""
    return [table.render_line(y).text for y in range(table.size.height)]


async def on_pane(app: CrossdeckApp, pilot: Any, key: str) -> None:
    await settle(app, pilot)
    await pilot.press(key)
    await settle(app, pilot)


# -- 2: the filter bar ----------------------------------------------------------------------------

async def test_esc_closes_the_filter_bar_and_gives_its_rows_back() -> None:
    app, _ = app_on(PROJECT / "sample_workspaces")
    async with app.run_test(size=SMALL) as pilot:
        await on_pane(app, pilot, "5")
        panes = app.query_one("#panes")
        before = panes.region.height
        await pilot.press("slash", *"merge")
        await pilot.pause()
        assert app.query_one("#filter-bar").display and panes.region.height < before
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one("#filter-bar").display
        assert panes.region.height == before
        assert app.query_one("#audit-table", FastTable).row_count == 58
        await pilot.press("escape")  # again: nothing comes back
        await pilot.pause()
        assert not app.query_one("#filter-bar").display and panes.region.height == before


# -- 3: j and k everywhere ------------------------------------------------------------------------

async def test_j_and_k_move_in_every_table_and_tree() -> None:
    app, _ = app_on(PROJECT / "sample_workspaces")
    async with app.run_test(size=(120, 40)) as pilot:
        for key, selector in (("1", "#overview-workspaces"), ("2", "#stale-table"), ("4", "#approvals-pending"),
                              ("5", "#audit-table"), ("6", "#remotes-table")):
            await on_pane(app, pilot, key)
            table = app.query_one(selector, FastTable)
            table.focus()
            await pilot.press("home", "j", "j")
            assert table.cursor == 2, selector
            await pilot.press("k")
            assert table.cursor == 1, selector
        for key, selector in (("3", "#chains-tree"), ("7", "#explorer-tree")):
            await on_pane(app, pilot, key)
            tree = app.query_one(selector, Tree)
            tree.focus()
            await pilot.press("home")
            await pilot.pause()
            start = tree.cursor_line
            await pilot.press("j", "j")
            await pilot.pause()
            assert tree.cursor_line == start + 2, selector
            await pilot.press("k")
            await pilot.pause()
            assert tree.cursor_line == start + 1, selector


# -- 4: the Audit trail after a live reload -------------------------------------------------------

async def test_new_events_show_at_the_top_after_a_live_reload(tmp_path: Path) -> None:
    demo = copy_demo(tmp_path)
    app, _ = app_on(demo)
    async with app.run_test(size=SMALL) as pilot:
        await on_pane(app, pilot, "5")
        table = app.query_one("#audit-table", FastTable)
        assert table.cursor == 0
        events = demo / "towns" / "kestrel" / ".events.jsonl"
        with events.open("a", encoding="utf-8") as out:
            for n in range(30):  # a burst: more than the window holds
                out.write(json.dumps({"ts": f"2026-11-20T11:{n:02d}:00Z", "source": "gt", "type": "nudge",
                                      "actor": "deacon", "payload": {"rig": "paysdk", "n": n}}) + "\n")
        app.post_message(FilesChanged([str(demo / "towns" / "kestrel")]))
        await settle(app, pilot)
        assert table.row_count == 58 + 30
        assert table.cursor == 0 and table.scroll_offset.y == 0
        assert shown(table)[1].startswith("2026-11-20 11:29:00")  # the newest, on screen


# -- 6: the Remotes detail ------------------------------------------------------------------------

async def test_a_recent_check_keeps_a_space_after_its_age() -> None:
    initech = next(r for r in load_federation([PROJECT / "sample_workspaces"]).workspace(
        "hop://globex.io/payments").remotes if r.name == "initech-risk")  # type: ignore[union-attr]
    store.record_check(initech, ok=False, error="connection refused (127.0.0.1:9)",
                       at=NOW - dt.timedelta(seconds=12), circuit_state="closed")
    app, _ = app_on(PROJECT / "sample_workspaces")
    async with app.run_test(size=(120, 40)) as pilot:
        await on_pane(app, pilot, "6")
        assert app.query_one("#remotes-table", FastTable).move_to("hop://globex.io/payments\tinitech-risk")
        await pilot.pause()
        text = app.query_one("#remotes-view", MasterDetail).detail_text
        assert "2026-11-20T11:59:48Z (12s ago) failed: connection refused (127.0.0.1:9)" in text


# -- 8: columns follow the window ------------------------------------------------------------------

async def test_a_wide_window_shows_whole_requesters() -> None:
    app, _ = app_on(PROJECT / "sample_workspaces")
    async with app.run_test(size=LARGE) as pilot:
        await on_pane(app, pilot, "4")
        lines = shown(app.query_one("#approvals-pending", FastTable))
        row = next(line for line in lines if "req-f0b162" in line)
        assert "github.com/globex-io/merchant-portal" in row and "Webhook when a user profile changes" in row


async def test_a_narrow_window_keeps_verdict_and_title() -> None:
    app, _ = app_on(PROJECT / "sample_workspaces")
    async with app.run_test(size=SMALL) as pilot:
        await on_pane(app, pilot, "4")
        lines = shown(app.query_one("#approvals-pending", FastTable))
        assert "VERDICT" in lines[0] and "TITLE" in lines[0]
        row = next(line for line in lines if "req-7c2e41" in line)
        assert "auto-approvable" in row and "Add" in row.split("auto-approvable", 1)[1]
        assert all(len(line.rstrip()) <= SMALL[0] for line in lines)


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_chain_lines_the_window_cuts_end_in_an_ellipsis(size: tuple[int, int]) -> None:
    app, _ = app_on(PROJECT / "sample_workspaces")
    async with app.run_test(size=size) as pilot:
        await on_pane(app, pilot, "3")
        tree = app.query_one("#chains-tree", Tree)
        lines = [tree.render_line(y).text.rstrip() for y in range(tree.size.height)]
        ledger = next(line for line in lines if "lg-5pe" in line)
        if size == SMALL:
            assert ledger.endswith("…") and len(ledger) == tree.size.width
        else:  # it fits: whole, no ellipsis
            assert ledger.endswith("Ledger entries for tokenized payments  [closed]  payments")


# -- 12: a folder with no workspace ---------------------------------------------------------------

async def test_a_folder_with_no_workspace_says_how_to_start(tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    app, _ = app_on(empty)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        headline = str(app.query_one("#overview-headline").render())
        assert f"crossdeck found no workspace below {empty}" in headline
        assert "crossdeck demo" in headline and "roots" in headline and "config.toml" in headline
        diagnostics = app.query_one("#overview-diagnostics", FastTable)
        assert "every file read cleanly" not in " ".join(shown(diagnostics))
        assert "no workspace found" in str(app.query_one("#status-line").render())


# -- 15: words on screen ----------------------------------------------------------------------------

async def approve(app: CrossdeckApp, pilot: Any, request_id: str) -> None:
    await on_pane(app, pilot, "4")
    table = app.query_one("#approvals-pending", FastTable)
    assert table.move_to(f"{API}:{request_id}")
    await pilot.press("a")
    await pilot.pause()
    await pilot.press("y")
    await settle(app, pilot)


async def test_the_notice_after_approving_says_what_was_done(tmp_path: Path, actor: str) -> None:
    app, notes = app_on(copy_demo(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await approve(app, pilot, "req-7c2e41")
        assert not notes.titled("Approve this request?"), notes.text()
        done = notes.titled("Request approved")
        assert len(done) == 1 and done[0].startswith(f"approved req-7c2e41 as {ACTOR}"), notes.text()


async def test_ctrl_r_says_it_reloaded_and_what_changed(tmp_path: Path) -> None:
    demo = copy_demo(tmp_path)
    app, notes = app_on(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert notes.titled("reload") == ["reloaded 7 workspaces: nothing changed"]
        with (demo / "towns" / "kestrel" / ".events.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps({"ts": "2026-11-20T11:59:00Z", "source": "gt", "type": "nudge", "actor": "deacon",
                                  "payload": {"rig": "paysdk"}}) + "\n")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert notes.titled("reload")[-1] == "reloaded 7 workspaces: hop://kim@kestrel.works/kestrel: +1 audit event"


async def test_our_own_action_is_not_changed_on_disk(tmp_path: Path, actor: str) -> None:
    demo = copy_demo(tmp_path)
    app, notes = app_on(demo)
    seen: list[FilesChanged] = []

    def hook(message: object) -> None:
        if isinstance(message, FilesChanged):
            seen.append(message)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await settle(app, pilot)
        app.check_files()  # the files as they are before the action
        await settle(app, pilot)
        await approve(app, pilot, "req-7c2e41")
        app.check_files()
        await settle(app, pilot)
        assert seen == [] and "changed on disk" not in notes.text(), notes.text()
        with (demo / "towns" / "kestrel" / ".events.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps({"ts": "2026-11-20T11:59:00Z", "source": "gt", "type": "nudge", "actor": "deacon",
                                  "payload": {"rig": "paysdk"}}) + "\n")
        app.check_files()  # someone else's change is still seen, and said
        await settle(app, pilot)
        assert [m.roots for m in seen] == [[str(demo / "towns" / "kestrel")]]
        assert notes.titled("reload")[-1] == "towns/kestrel changed on disk: hop://kim@kestrel.works/kestrel: +1 audit event"


async def test_a_background_sync_failure_names_the_remote_once(tmp_path: Path) -> None:
    town = Path(shutil.copytree(PROJECT / "sample_workspaces" / "towns" / "kestrel", tmp_path / "kestrel"))
    config = town / ".crossdeck" / "remotes.json"
    remotes = json.loads(config.read_text())
    remotes["remotes"][0]["sync"] = {"auto_sync": True, "interval_minutes": 1}  # ../globex-payments is not there
    config.write_text(json.dumps(remotes))
    app, notes = app_on(town)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for _ in range(3):  # the auto-sync timer, three times: the failure is said once
            app.sync_remotes(due_only=True)
            await settle(app, pilot)
        failed = [(t, m) for t, m, severity in notes.seen if severity == "warning"]
        assert len(failed) == 1, notes.text()
        title, message = failed[0]
        assert title.startswith("sync failed")
        assert message.startswith(f"globex-payments (remote of hop://kim@kestrel.works/kestrel): no repository at "
                                  f"{tmp_path / 'globex-payments'}")
        await pilot.press("6")
        await settle(app, pilot)
        assert app.query_one("#remotes-table", FastTable).move_to("hop://kim@kestrel.works/kestrel\tglobex-payments")
        await pilot.pause()
        detail = app.query_one("#remotes-view", MasterDetail).detail_text
        assert "last error    no repository at" in detail and "3 failed in a row" in detail
