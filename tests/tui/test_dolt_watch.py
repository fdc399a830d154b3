"""The dashboard watches each town's Dolt server (the MariaDB fixture stands in for it): stopped
while the dashboard is open, its Remotes row goes unreachable and the items are marked as shown
from a backup; started again, the row and the items are live again. A row changed on the server
shows without a restart, and only its database is read again."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.beads_sql import insert_rows
from tests.conftest import bead
from tests.dolt_server import MariaDB
from tests.dolt_town import dolt_town, rig_beads
from tui.app import CrossdeckApp
from tui.panes.explorer.detail import ItemDetail
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
TOWN = "hop://steve@example.com/main-town"
BOUND = 60.0  # seconds a condition may take on a busy machine


async def until(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {BOUND:.0f} s: {what}")
        await pilot.pause(0.05)


def watching_app(town: Path) -> CrossdeckApp:
    app = CrossdeckApp([town], now=lambda: NOW, watch=False)
    app.watch_dolt, app.dolt_watch_seconds = True, 0.2
    return app


def remotes_row(app: CrossdeckApp, name: str) -> tuple[str, ...] | None:
    rows = app.query_one("#remotes-table", FastTable).visible_rows()
    return next((row for row in rows if row[2] == name), None)


def notice(app: CrossdeckApp) -> str:
    return app.query_one("#explorer-detail", ItemDetail).text_by_section.get("notice", "")


async def test_a_server_stopped_and_started_while_the_dashboard_is_open(tmp_path: Path, mariadb: MariaDB) -> None:
    database = mariadb.fresh_database()
    town = dolt_town(tmp_path / "town", mariadb, {"gastown": (database, rig_beads("ga"))})
    name, item = f"dolt@127.0.0.1:{mariadb.port}", f"{TOWN}/gastown/ga-1"
    app = watching_app(town)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.data is not None, "the first load")
        await pilot.press("6")
        await until(pilot, lambda: (remotes_row(app, name) or ("",))[0] == "synced", "the server row synced")
        row = remotes_row(app, name)
        assert row is not None and row[3] == "dolt" and row[7].endswith("ms")
        await pilot.press("7")
        app.show_item(item)
        await until(pilot, lambda: app.query_one("#explorer-detail", ItemDetail).key == item, "the item shown")
        assert notice(app) == ""
        mariadb.stop()
        try:
            await until(pilot, lambda: "shown from its backup" in notice(app), "the item marked as from a backup")
            assert f"Dolt server 127.0.0.1:{mariadb.port} unreachable (connection refused)" in notice(app)
            tree = app.query_one("#explorer-tree")
            rig = tree.node_for(f"{TOWN}/gastown")  # type: ignore[attr-defined]
            assert "(from a backup" in rig.label.plain
            await pilot.press("6")
            await until(pilot, lambda: (remotes_row(app, name) or ("",))[0] == "unreachable", "the row unreachable")
        finally:
            mariadb.start()
        await until(pilot, lambda: (remotes_row(app, name) or ("",))[0] == "synced", "the row synced again")
        await pilot.press("7")
        await until(pilot, lambda: notice(app) == "" and app.query_one("#explorer-detail", ItemDetail).key == item,
                    "the item live again, still selected")
    mariadb.drop_database(database)


async def test_a_row_changed_on_the_server_shows_and_only_its_database_is_read_again(
        tmp_path: Path, mariadb: MariaDB) -> None:
    gastown, beads = mariadb.fresh_database(), mariadb.fresh_database()
    town = dolt_town(tmp_path / "town", mariadb, {"gastown": (gastown, rig_beads("ga")),
                                                  "beads": (beads, rig_beads("be"))})
    app = watching_app(town)
    item = f"{TOWN}/gastown/ga-3"
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.data is not None, "the first load")
        reads = app.dolt_reads.read_count
        address = f"dolt://127.0.0.1:{mariadb.port}/"
        assert reads == {address + gastown: 1, address + beads: 1}
        await pilot.press("7")
        app.show_item(f"{TOWN}/beads/be-1")  # the selection a reload must keep
        await until(pilot, lambda: app.query_one("#explorer-detail", ItemDetail).key == f"{TOWN}/beads/be-1",
                    "the item shown")
        with mariadb.connect(gastown) as conn:
            insert_rows(conn, "issues", [bead("ga-3", "added on the server")])
        await until(pilot, lambda: app.data.graph.has_node(item), "the new bead in the dashboard")
        assert reads == {address + gastown: 2, address + beads: 1}  # the other database was not read again
        assert app.query_one("#explorer-detail", ItemDetail).key == f"{TOWN}/beads/be-1"
        app.show_item(item)
        await until(pilot, lambda: "added on the server" in
                    app.query_one("#explorer-detail", ItemDetail).text_by_section.get("title", ""), "its title shown")
    for database in (gastown, beads):
        mariadb.drop_database(database)
