"""What to do before a picture is taken: ``run_before`` callables for ``snap_compare`` and the
README export, each starting from a loaded dashboard on the Overview."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import Tabs

from tests.tui.snapshot_apps.demo import loaded
from tui.app import CrossdeckApp
from tui.screens.confirm import ConfirmScreen
from tui.widgets.table import FastTable

Scene = Callable[[Pilot[None]], Awaitable[None]]

EXPLORER_ITEM = "web-7tq"  # blocked across three towns: tree, fields, why-blocked path
AUTO_APPROVABLE = "acme-dev/api-service:req-7c2e41"


def on_pane(key: str) -> Scene:
    """The pane with key ``key``, its first row selected."""
    async def scene(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press(key)
        await loaded(pilot)
    return scene


def explorer_on(ref: str = EXPLORER_ITEM) -> Scene:
    """The Explorer opened on ``ref``, as search or Enter on a row opens it."""
    async def scene(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        app = pilot.app
        assert isinstance(app, CrossdeckApp)
        app.show_item(ref)  # the Explorer may be mounted on first use: wait until it is shown
        for _ in range(50):
            await loaded(pilot)
            if app.query_one("#pane-tabs", Tabs).active == "tab-explorer":
                break
        await loaded(pilot)
    return scene


def help_on(key: str) -> Scene:
    """``?`` on the pane with key ``key``."""
    async def scene(pilot: Pilot[None]) -> None:
        await on_pane(key)(pilot)
        await pilot.press("question_mark")
        await loaded(pilot)
    return scene


def approve_confirm(request_key: str = AUTO_APPROVABLE) -> Scene:
    """``a`` on an auto-approvable request: the confirm modal, before anything is written."""
    async def scene(pilot: Pilot[None]) -> None:
        await on_pane("4")(pilot)
        table = pilot.app.query_one("#approvals-pending", FastTable)
        await pilot.press("home")
        while table.current_key != request_key:
            before = table.current_key
            await pilot.press("down")
            assert table.current_key != before, f"{request_key} is not in the queue"
        await pilot.press("a")
        await loaded(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen), "the confirm modal did not open"
    return scene
