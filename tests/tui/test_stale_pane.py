"""The Stale imports pane on the demo federation: rows, headline, detail, show-all, filter, open."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tui.app import CrossdeckApp
from tui.panes.stale.pane import StalePane
from tui.widgets.master_detail import MasterDetail
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
WEBHOOKS = "realm://commerce/acme-checkout/imports/webhook-events"
RISK = "realm://globex-platform/gateway/imports/risk-score"


def make_app(root: Path = PROJECT / "sample_workspaces") -> CrossdeckApp:
    return CrossdeckApp([root], now=lambda: NOW, watch=False)


async def loaded(app: CrossdeckApp, pilot) -> StalePane:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("2")
    await pilot.pause()
    return app.query_one(StalePane)


def table(app: CrossdeckApp) -> FastTable:
    return app.query_one("#stale-table", FastTable)


def detail(app: CrossdeckApp) -> str:
    return app.query_one("#stale-view", MasterDetail).detail_text


def headline(app: CrossdeckApp) -> str:
    return str(app.query_one("#stale-headline").render())


async def test_rows_worst_first_with_current_hidden() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        rows = table(app).visible_rows()
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("broken", "18/14d", "commerce/acme-checkout/imports/webhook-events"),
            ("broken", "39/14d", "globex-platform/gateway/imports/risk-score"),
            ("stale (overdue)", "30/14d", "commerce/acme-checkout/imports/payment-intents"),
            ("stale", "5/14d", "globex-platform/paysdk/imports/card-token"),
            ("pending", "-/14d", "globex-platform/ledger/imports/risk-score"),
        ]
        assert rows[0][3:] == ("2.4.0 → 3.0.0", "^2.0.0", "checkout/src/payments/webhooks.ts")
        assert headline(app) == ("7 imports: 2 broken · 1 overdue · 1 stale within grace · 1 pending · "
                                 "2 current (hidden: a shows all)")
        assert app.focused is table(app)


async def test_detail_explains_the_highlighted_import() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        text = detail(app)
        assert text.startswith(WEBHOOKS)
        for expected in ("range ^2.0.0 does not admit the current version 3.0.0", "major version change 2 -> 3",
                         "the file says stale; computed broken", "18 days, since 2026-11-02",
                         "the date of the first newer changelog entry", "14 days: past it by 4 days",
                         "3.0.0 (2026-11-02)", "Removed the legacy charge.* events; use payment_intent.*",
                         "realm://commerce/globex-payments/webhook-events", "checkout/src/payments/webhooks.ts"):
            assert expected in text, expected
        await pilot.press("down")
        await pilot.pause()
        text = detail(app)
        assert text.startswith(RISK)
        assert "1.2.0 (2026-10-12)  incompatible" in text
        assert "1.3.0 (2026-11-03)" in text and "Added model_version" in text
        assert "the file says current; computed broken" in text


async def test_a_shows_current_imports_too_and_back() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        rows = table(app).visible_rows()
        assert len(rows) == 7
        assert [r[0] for r in rows[-2:]] == ["current", "current"]
        assert headline(app).endswith("· 2 current")
        await pilot.press("end")
        await pilot.pause()
        assert "not behind" in detail(app)
        await pilot.press("a")
        await pilot.pause()
        assert len(table(app).visible_rows()) == 5


async def test_slash_filters_the_rows() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("slash", *"risk")
        await pilot.pause()
        assert [r[2] for r in table(app).visible_rows()] == [
            "globex-platform/gateway/imports/risk-score", "globex-platform/ledger/imports/risk-score"]
        assert detail(app).startswith(RISK)
        await pilot.press("escape")
        await pilot.pause()
        assert len(table(app).visible_rows()) == 5


async def test_enter_opens_the_import_in_the_explorer(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "show_item", opened.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert opened == [RISK]


async def test_reload_keeps_the_highlighted_import() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down")
        await pilot.pause()
        key = table(app).current_key
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table(app).current_key == key == "realm://commerce/acme-checkout/imports/payment-intents"
        assert detail(app).startswith(key)
