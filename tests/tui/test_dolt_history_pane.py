"""The Explorer shows a Dolt-backed bead's history: its Dolt commits (author, time, message, the
fields changed) and the open polecat branches touching it, read in a worker while the dashboard
stays usable. On Dolt the server is a recording connection answering in the shapes Dolt documents
(no Dolt server runs here); on a MySQL server that is not Dolt (the MariaDB fixture) the Explorer
says history needs a Dolt server."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

from core.dolt import history, session
from core.dolt.dolt_sql import VERSION_SQL
from tests.conftest import real_town
from tests.dolt_helpers import Recording, dolt_folder
from tests.dolt_server import MariaDB
from tests.dolt_town import backup, dolt_town, rig_beads
from tests.test_dolt_history import DIFF_NAMES, DIFF_ROWS, T1, T2
from tests.tui.test_dolt_watch import until
from tui.app import CrossdeckApp
from tui.panes.explorer.detail import ItemDetail

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
TOWN = "hop://steve@example.com/main-town"
ITEM = f"{TOWN}/gastown/ga-1"
BRANCH_NAMES = ["name", "hash", "latest_committer", "latest_commit_date", "latest_commit_message"]


def shown(app: CrossdeckApp) -> str | None:
    """The key the Explorer's detail shows (None before the Explorer is mounted)."""
    found = app.query("#explorer-detail")
    return found.first(ItemDetail).key if found else None


def section(app: CrossdeckApp, name: str) -> str:
    found = app.query("#explorer-detail")
    return found.first(ItemDetail).text_by_section.get(name, "") if found else ""


def heading(app: CrossdeckApp, name: str) -> str:
    return str(app.query_one(f"#detail-{name}-head").render())


async def test_a_dolt_beads_commits_and_polecat_branches_read_without_blocking_the_dashboard(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    town = real_town(tmp_path / "town", {"gastown": "ga"})
    backup(dolt_folder(town / "gastown" / ".beads", "gastown", 3307), rig_beads("ga"))
    dolt = Recording([(["dolt_version()"], [("1.50.6",)]), (DIFF_NAMES, DIFF_ROWS),
                      (BRANCH_NAMES, [("polecat-nux-20261203T1600", "b1hash", "gastown/polecats/nux", T2, "wip: gate"),
                                      ("polecat-toast-20261202T0900", "b2hash", "gastown/polecats/toast", T1, "x")]),
                      (["COUNT(*)"], [(1,)]), (["COUNT(*)"], [(0,)])])
    answer = threading.Event()
    asked: list[Any] = []

    def connect(target: Any, *, database: str | None = None) -> Any:
        if database is None:  # the load: the server is down, the rig is shown from its backup
            raise session.DoltUnavailable(f"Dolt server {target.server} unreachable (connection refused)")
        asked.append((target.server, database))
        assert answer.wait(60), "the test never let the server answer"
        return dolt

    monkeypatch.setattr(session, "connect", connect)
    app = CrossdeckApp([town], now=lambda: NOW, watch=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.data is not None, "the first load")
        app.show_item(ITEM)
        await until(pilot, lambda: shown(app) == ITEM, "the item shown")
        await until(pilot, lambda: asked == [("127.0.0.1:3307", "gastown")], "the history asked of the server")
        assert section(app, "history") == "reading its commits from Dolt server 127.0.0.1:3307…"
        await pilot.press("1")  # the dashboard answers while the server has not
        await until(pilot, lambda: app.current_pane is app.panes.get("overview"), "the Overview on screen")
        answer.set()
        await until(pilot, lambda: "bd close" in section(app, "history"), "the commits shown")
        assert section(app, "history").splitlines() == [
            "2026-12-03T16:05:07Z  gastown/polecats/nux  bd close gt-1  [modified: status]  c2hash",
            "2026-12-01T09:30:00Z  mayor  bd create gt-1  [added]  c1hash"]
        assert heading(app, "history") == "Dolt history (2 commits)"
        assert section(app, "branches") == ("polecat-nux-20261203T1600  polecat nux  "
                                            "(2026-12-03T16:05:07Z  gastown/polecats/nux  wip: gate)")
        assert [sql for sql, _ in dolt.sent] == [VERSION_SQL, history.ITEM_COMMITS_SQL, history.BRANCHES_SQL,
                                                 history.BRANCH_TOUCHES_SQL, history.BRANCH_TOUCHES_SQL]
        assert dolt.sent[1][1] == ("ga-1", "ga-1")
        assert dolt.closed


async def test_on_a_server_that_is_not_dolt_the_explorer_says_history_needs_dolt(
        tmp_path: Path, mariadb: MariaDB) -> None:
    database = mariadb.fresh_database()
    town = dolt_town(tmp_path / "town", mariadb, {"gastown": (database, rig_beads("ga"))})
    app = CrossdeckApp([town], now=lambda: NOW, watch=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.data is not None, "the first load")
        app.show_item(ITEM)
        await until(pilot, lambda: "Dolt" in section(app, "history") and "reading" not in section(app, "history"),
                    "the history answer")
        assert section(app, "history") == (f"history needs a Dolt server: 127.0.0.1:{mariadb.port} speaks MySQL "
                                           "but is not Dolt (no dolt_log, dolt_history or dolt_diff tables)")
        assert section(app, "branches") == ""
        assert not app.query_one("#detail-branches-head").display
        app.show_item(f"{TOWN}/gastown/ga-2")
        await until(pilot, lambda: shown(app) == f"{TOWN}/gastown/ga-2", "the other item shown")
        await until(pilot, lambda: "needs a Dolt server" in section(app, "history"), "its history answer")
