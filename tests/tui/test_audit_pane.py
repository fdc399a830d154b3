"""The Audit trail pane on the demo federation: the timeline, `/` text filter, the field filters
(actor, org, workspace, type, since) through the core query, and Enter opening the item."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import Input

from core.analysis.audit import AuditQuery
from tests.conftest import PROJECT
from tui.app import CrossdeckApp
from tui.panes.audit.filters import AuditFilters
from tui.panes.audit.pane import AuditPane
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
TOTAL = 58


def make_app(root: Path = PROJECT / "sample_workspaces") -> CrossdeckApp:
    return CrossdeckApp([root], now=lambda: NOW, watch=False)


async def loaded(app: CrossdeckApp, pilot) -> AuditPane:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("5")
    await pilot.pause()
    return app.query_one(AuditPane)


def table(app: CrossdeckApp) -> FastTable:
    return app.query_one("#audit-table", FastTable)


def headline(app: CrossdeckApp) -> str:
    return str(app.query_one("#audit-headline").render())


async def type_into(pilot, field: str, text: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.query_one(f"#audit-filter-{field}", Input).focus()
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


async def test_every_event_newest_first_with_utc_times() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        rows = table(app).visible_rows()
        assert len(rows) == TOTAL
        assert rows[0] == ("2026-11-20 08:15:00", "hop://acme.dev/storefront", "checkout/crew/alice", "sling",
                           "bead=co-9wd target=checkout/polecats/toast")
        times = [row[0] for row in rows]
        assert times == sorted(times, reverse=True)
        assert all(len(t) == 19 for t in times)
        assert headline(app).startswith(f"{TOTAL} events, newest first")
        assert app.focused is table(app)


async def test_slash_filters_every_column_as_you_type() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("slash", *"merge_f")
        await pilot.pause()
        rows = table(app).visible_rows()
        assert {row[3] for row in rows} == {"merge_failed"} and len(rows) == 2
        assert "2 shown for 'merge_f'" in headline(app)
        await pilot.press("escape")
        await pilot.pause()
        assert len(table(app).visible_rows()) == TOTAL


async def test_f_opens_the_field_filters_and_actor_narrows_through_the_core_query() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await loaded(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        assert app.query_one(AuditFilters).display
        assert app.focused is app.query_one("#audit-filter-actor", Input)
        await pilot.press(*"bob@acme.dev")
        await pilot.pause()
        expected = app.data.audit.query(AuditQuery(actor="bob@acme.dev"))
        rows = table(app).visible_rows()
        assert len(rows) == expected.matched > 0
        assert {row[2] for row in rows} == {"bob@acme.dev"}
        assert f"{expected.matched} of {TOTAL} match actor=bob@acme.dev" in headline(app)
        await pilot.press("enter")  # back to the table, the filter kept
        await pilot.pause()
        assert app.focused is table(app)
        assert len(table(app).visible_rows()) == expected.matched
        assert pane.matched == expected.matched


async def test_actor_prefix_matches_the_actors_below_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        await pilot.press(*"paysdk/")
        await pilot.pause()
        actors = {row[2] for row in table(app).visible_rows()}
        assert actors and all(actor.startswith("paysdk/") for actor in actors)


async def test_org_narrows_to_members_and_town_actors_of_the_orgs_towns() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        await type_into(pilot, "org", "globex.io")
        rows = table(app).visible_rows()
        expected = app.data.audit.query(AuditQuery(org="globex.io"))
        assert len(rows) == expected.matched > 0
        workspaces = {row[1] for row in rows}
        assert "hop://globex.io/payments" in workspaces
        assert "hop://acme.dev/storefront" not in workspaces  # Acme's town actors act for acme.dev
        assert all(row[2] != "bob@acme.dev" for row in rows)
        assert f"{expected.matched} of {TOTAL} match org=globex.io" in headline(app)
        # a second field narrows further: both must hold
        await type_into(pilot, "type", "mail")
        rows = table(app).visible_rows()
        both = app.data.audit.query(AuditQuery(org="globex.io", types=("mail",)))
        assert len(rows) == both.matched > 0 and {row[3] for row in rows} == {"mail"}
        assert "org=globex.io, type=mail" in headline(app)
        # the text filter works within the field filters
        app.query_one(AuditPane).apply_filter("ledger/crew/dan")
        await pilot.pause()
        assert [row[2] for row in table(app).visible_rows()] == ["ledger/crew/dan"]
        # Esc clears every field and closes the bar
        app.query_one("#audit-filter-type", Input).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one(AuditFilters).display
        assert all(not v for v in app.query_one(AuditFilters).values.values())
        app.query_one(AuditPane).apply_filter("")
        await pilot.pause()
        assert len(table(app).visible_rows()) == TOTAL


async def test_workspace_type_and_since() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        await type_into(pilot, "workspace", "kestrel")
        assert {row[1] for row in table(app).visible_rows()} == {"hop://kim@kestrel.works/kestrel"}
        await type_into(pilot, "type", "merge_failed, merge_started")
        assert {row[3] for row in table(app).visible_rows()} == {"merge_failed", "merge_started"}
        app.query_one(AuditFilters).set_value("workspace", "")
        app.query_one(AuditFilters).set_value("type", "")
        await type_into(pilot, "since", "1d")  # from 2026-11-19 12:00 on
        times = [row[0] for row in table(app).visible_rows()]
        assert times and min(times) >= "2026-11-19 12:00:00"
        expected = app.data.audit.query(AuditQuery(since=NOW - dt.timedelta(days=1))).matched
        assert len(times) == expected


async def test_unusable_filters_say_why() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        await type_into(pilot, "org", "nobody.example")
        assert "no entity 'nobody.example' is known (organisations: acme.dev, globex.io, kestrel.works)" in headline(app)
        assert not table(app).visible_rows()
        app.query_one(AuditFilters).set_value("org", "")
        await type_into(pilot, "since", "last tuesday")
        assert "is not a date" in headline(app)
        assert len(table(app).visible_rows()) == TOTAL  # not applied


async def test_enter_opens_the_events_item_in_the_explorer() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("enter")  # the newest event: a sling of co-9wd
        await pilot.pause()
        assert app.current_pane.PANE_ID == "explorer"
        assert app.query_one("#explorer-tree").cursor_key == "hop://acme.dev/storefront/checkout/co-9wd"


async def test_enter_on_an_event_naming_no_item_stays() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("slash", *"session_death")
        await pilot.pause()
        await pilot.press("enter")  # back to the table
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_pane.PANE_ID == "audit"


async def test_filters_and_cursor_survive_a_reload() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        await pilot.press(*"bob@acme.dev", "enter")
        await pilot.pause()
        await pilot.press("down")
        key = table(app).current_key
        count = len(table(app).visible_rows())
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(table(app).visible_rows()) == count
        assert table(app).current_key == key
