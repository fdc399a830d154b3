"""The Remotes pane on the demo federation: never checked until the store knows better; with
recorded checks and syncs, states worst first and ages measured from the app's clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core import store
from core.federation import load_federation
from core.model import Remote
from tests.conftest import PROJECT
from tui.app import CrossdeckApp
from tui.panes.remotes.pane import RemotesPane
from tui.widgets.master_detail import MasterDetail
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
DEMO = PROJECT / "sample_workspaces"
GLOBEX = "hop://globex.io/payments"
STOREFRONT = "hop://acme.dev/storefront"


def make_app(root: Path = DEMO) -> CrossdeckApp:
    return CrossdeckApp([root], now=lambda: NOW, watch=False)


async def loaded(app: CrossdeckApp, pilot) -> RemotesPane:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("6")
    await pilot.pause()
    return app.query_one(RemotesPane)


def table(app: CrossdeckApp) -> FastTable:
    return app.query_one("#remotes-table", FastTable)


def detail(app: CrossdeckApp) -> str:
    return app.query_one("#remotes-view", MasterDetail).detail_text


def demo_remote(workspace: str, name: str) -> Remote:
    found = load_federation([DEMO]).workspace(workspace)
    assert found is not None
    return next(r for r in found.remotes if r.name == name)


def record_states() -> None:
    """One remote of each state but never-checked, at times before NOW (the app's clock)."""
    initech = demo_remote(GLOBEX, "initech-risk")
    store.record_check(initech, ok=False, error="connection refused (127.0.0.1:9)", latency_ms=1.0,
                       at=NOW - dt.timedelta(minutes=30), circuit_state="open")
    store.record_check(initech, ok=False, error="connection refused (127.0.0.1:9)", at=NOW - dt.timedelta(minutes=5),
                       circuit_state="open")
    store.record_sync(demo_remote("acme-dev/api-service", "acme-dev/frontend"), ok=True, fetched_ref="abc123",
                      latency_ms=35.0, at=NOW - dt.timedelta(minutes=2), circuit_state="closed")
    store.record_sync(demo_remote(STOREFRONT, "kestrel"), ok=True, at=NOW - dt.timedelta(hours=3))


async def test_every_remote_is_never_checked_on_a_fresh_store() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        rows = table(app).visible_rows()
        assert len(rows) == 13
        assert {row[0] for row in rows} == {"never checked"}
        assert rows[0] == ("never checked", "acme-dev/api-service", "acme-dev/frontend", "git", "trusted", "never",
                           "never", "-", "-")
        assert str(app.query_one("#remotes-headline").render()) == (
            "13 remotes: 0 unreachable · 0 stale · 13 never checked · 0 synced · stale after 300s without a sync")
        text = detail(app)
        assert text.startswith("acme-dev/frontend  Acme Frontend")
        for expected in ("url           github.com/acme-dev/frontend", "no check or sync recorded",
                         "query         allowed", "mutate        allowed: create_issue, update_issue",
                         "auto-approve  when every condition holds:", "• priority >= 2",
                         "• !labels.includes('breaking-change')", "daily cap     10 creates a day",
                         "subscribe     allowed", "auto-sync     on every 15 min",
                         "config        sudocode/api-service/.sudocode/federation.config.json"):
            assert expected in text, expected


async def test_recorded_states_worst_first_with_ages_from_the_app_clock() -> None:
    record_states()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        rows = table(app).visible_rows()
        assert rows[0] == ("unreachable", GLOBEX, "initech-risk", "http", "untrusted", "5m ago", "never", "1 ms",
                           "off")  # LIVE: the test app follows no event stream
        assert rows[1] == ("stale", STOREFRONT, "kestrel", "git", "untrusted", "3h ago", "3h ago", "-", "-")
        assert rows[-1] == ("synced", "acme-dev/api-service", "acme-dev/frontend", "git", "trusted", "2m ago",
                            "2m ago", "35 ms", "-")  # a git remote has no event stream
        assert str(app.query_one("#remotes-headline").render()).startswith(
            "13 remotes: 1 unreachable · 1 stale · 10 never checked · 1 synced")
        text = detail(app)
        assert "failing since 2026-11-20T11:30:00Z (30m ago), 2 failed in a row" in text
        assert "last error    connection refused (127.0.0.1:9)" in text
        assert "last check    2026-11-20T11:55:00Z (5m ago)" in text
        assert "circuit       open" in text and "live          off: no event stream" in text
        await pilot.press("end")
        await pilot.pause()
        assert "fetched ref   abc123" in detail(app)


async def test_filter_and_enter_opens_the_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "show_item", opened.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("slash", *"initech")
        await pilot.pause()
        assert [row[2] for row in table(app).visible_rows()] == ["initech-risk"]
        assert detail(app).startswith("initech-risk  Initech risk models (partner)")
        assert "mutate        denied" in detail(app)
        await pilot.press("enter", "enter")  # the first leaves the filter field, the second opens
        await pilot.pause()
        assert opened == ["remote://initech-risk"]
