"""The sync action keys (issue 5, part 5) on a temp copy of the demo: each key asks, confirms,
makes one core call, and the pane shows what is on disk afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tui.conftest import ACTOR, make_app, settle
from tui.app import CrossdeckApp
from tui.panes.stale.pane import StalePane
from tui.screens.confirm import ConfirmScreen
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

PROJECT = Path(__file__).resolve().parents[2]
INTENTS = "realm://commerce/acme-checkout/imports/payment-intents"
CHECKOUT_IMPORTS = "realms/commerce/domains/acme-checkout/imports.yaml"
PAYMENTS_EXPORTS = "realms/commerce/domains/globex-payments/exports.yaml"
ALICE = "checkout/crew/alice"







def confirm_rows(app: CrossdeckApp) -> dict[str, str]:
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return {label: str(value) for label, value in screen.rows}


def stale_keys(app: CrossdeckApp) -> list[str]:
    table = app.query_one("#stale-table", FastTable)
    return [str(r[2]) for r in table.visible_rows()]


async def open_stale_on(app: CrossdeckApp, pilot, key: str) -> StalePane:  # type: ignore[no-untyped-def]
    await settle(app, pilot)
    await pilot.press("2")
    await pilot.pause()
    pane = app.query_one(StalePane)
    pane.table.move_to(key)
    await pilot.pause()
    assert pane.table.current_key == key
    return pane


def imports_of(demo: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((demo / CHECKOUT_IMPORTS).read_text())
    return {i["contract"]: i for i in data["imports"]}


async def test_R_resolves_the_highlighted_import(demo: Path, crossdeck_home: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the realm lists approvers (alice, carol): Alice resolves her domain's import, known by her email
    monkeypatch.setenv("BD_ACTOR", ALICE)
    (crossdeck_home / "config.toml").write_text(f'[emails]\n"{ALICE}" = "alice@acme.dev"\n')
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_stale_on(app, pilot, INTENTS)
        await pilot.press("R")
        await pilot.pause()
        rows = confirm_rows(app)
        assert rows["import"] == INTENTS and rows["version"] == "2.1.0 -> 2.3.0"
        assert rows["binding"] == "checkout/src/payments/intents.ts"
        assert rows["actor"] == f"{ALICE} (from BD_ACTOR)"
        await pilot.press("y")
        await settle(app, pilot)
        written = imports_of(demo)["payment-intents"]
        assert written["resolved_version"] == "2.3.0" and written["status"] == "current"
        assert any(sev == "information" and "resolved" in text and "2.3.0" in text for sev, text in notes)
        assert "commerce/acme-checkout/imports/payment-intents" not in stale_keys(app)
        assert "commerce/acme-checkout/imports/webhook-events" in stale_keys(app)


async def test_R_cancelled_or_without_actor_writes_nothing(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BD_ACTOR", raising=False)
    before = (demo / CHECKOUT_IMPORTS).read_text()
    app, notes = make_app(demo)
    app.settings.actor = None  # type: ignore[attr-defined]
    async with app.run_test(size=(120, 40)) as pilot:
        await open_stale_on(app, pilot, INTENTS)
        await pilot.press("R")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert notes and notes[-1][0] == "error" and "BD_ACTOR" in notes[-1][1]
        monkeypatch.setenv("BD_ACTOR", ACTOR)
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(app, pilot)
    assert (demo / CHECKOUT_IMPORTS).read_text() == before


async def test_B_bumps_the_export_the_import_uses(demo: Path, actor: str) -> None:
    from tui.screens.fields import FieldsScreen

    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_stale_on(app, pilot, INTENTS)
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen)
        await pilot.press(*"two", "enter", "enter")  # no change line: refused, the modal stays
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen)
        assert "is required" in str(app.screen.query_one("#fields-error").render())
        await pilot.press(*"x", "enter")  # not a version: refused too
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen)
        assert "not a version" in str(app.screen.query_one("#fields-error").render())
        first, second = app.screen.inputs
        first.value, second.value = "2.4.0", "Added refunds"
        first.focus()
        await pilot.press("enter", "enter")
        await pilot.pause()
        rows = confirm_rows(app)
        assert rows["export"] == "realm://commerce/globex-payments/payment-intents"
        assert rows["version"] == "2.3.0 -> 2.4.0" and rows["change"] == "Added refunds"
        await pilot.press("y")
        await settle(app, pilot)
        data = yaml.safe_load((demo / PAYMENTS_EXPORTS).read_text())
        export = next(e for e in data["exports"] if e["name"] == "payment-intents")
        assert export["version"] == "2.4.0"
        assert export["changelog"][0]["version"] == "2.4.0" and export["changelog"][0]["changes"] == ["Added refunds"]
        assert any(sev == "information" and "bumped" in text for sev, text in notes)
        pane.table.move_to(INTENTS)
        await pilot.pause()
        assert pane.table.current_key == INTENTS
        row = next(r for r in pane.table.visible_rows() if r[2] == "commerce/acme-checkout/imports/payment-intents")
        assert "2.4.0" in str(row[3])


ROOT = "hop://acme.dev/storefront/checkout/co-8f2"
WEB = "hop://acme.dev/storefront/web"
WEB_ISSUES = "towns/acme-storefront/web/.beads/issues.jsonl"


def last_bead(demo: Path) -> dict[str, Any]:
    import json

    return json.loads((demo / WEB_ISSUES).read_text().splitlines()[-1])


async def fill_delegate(app: CrossdeckApp, pilot, to: str, title: str) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.fields import FieldsScreen

    await pilot.press("D")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, FieldsScreen)
    target, title_input = screen.inputs
    assert title_input.value == "Launch one-click checkout for returning customers"  # prefilled
    target.value, title_input.value = to, title
    target.focus()
    await pilot.press("enter", "enter")
    await pilot.pause()


async def test_D_in_the_chains_pane_delegates_the_highlighted_item(demo: Path, actor: str) -> None:
    from tui.panes.chains.pane import ChainsPane

    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        pane = app.query_one(ChainsPane)
        await fill_delegate(app, pilot, WEB, "Saved-card picker")
        rows = confirm_rows(app)
        assert rows["item"] == ROOT and rows["to"] == WEB and rows["child title"] == "Saved-card picker"
        await pilot.press("y")
        await settle(app, pilot)
        bead = last_bead(demo)
        assert bead["title"] == "Saved-card picker"
        assert bead["metadata"]["delegated_from"]["parent"] == ROOT
        assert bead["metadata"]["delegated_from"]["delegated_by"] == ACTOR
        assert any(sev == "information" and "delegated" in text for sev, text in notes)
        assert any(f"{WEB}/{bead['id']}: Saved-card picker" in label for label in pane.tree.labels())


async def test_D_in_the_explorer_delegates_the_selected_item(demo: Path, actor: str) -> None:
    from tui.panes.explorer.pane import ExplorerPane

    app, _notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.show_item(ROOT)
        await settle(app, pilot)
        pane = app.query_one(ExplorerPane)
        assert pane.selected == ROOT
        await fill_delegate(app, pilot, WEB, "Saved-card picker")
        await pilot.press("y")
        await settle(app, pilot)
        bead = last_bead(demo)
        assert bead["metadata"]["delegated_from"]["parent"] == ROOT
        child = f"{WEB}/{bead['id']}"
        assert child in app.data.graph  # type: ignore[union-attr]  # re-read from disk
        assert pane.selected == ROOT
        app.show_item(child)
        await settle(app, pilot)
        assert pane.selected == child


async def test_D_on_something_that_is_not_a_work_unit_is_refused(demo: Path, actor: str) -> None:
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.show_item(WEB)
        await settle(app, pilot)
        await pilot.press("D")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen) and app.screen is app.screen_stack[0]
        assert notes[-1][0] == "warning" and "not a loaded work unit" in notes[-1][1]


async def test_Q_in_the_explorer_sends_an_outgoing_request(demo: Path, actor: str) -> None:
    import json

    from tui.screens.fields import FieldsScreen

    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.show_item(ROOT)
        await settle(app, pilot)
        await pilot.press("Q")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FieldsScreen)
        remote, title = screen.inputs
        assert title.value == "Launch one-click checkout for returning customers"
        remote.value, title.value = "kestrel", "Card-scan on Android"
        remote.focus()
        await pilot.press("enter", "enter")
        await pilot.pause()
        rows = confirm_rows(app)
        assert rows["from"] == "hop://acme.dev/storefront" and rows["to"] == "kestrel"
        assert rows["type"] == "create_issue" and rows["title"] == "Card-scan on Android"
        await pilot.press("y")
        await settle(app, pilot)
        sent = [json.loads(line) for f in (demo / "towns" / "acme-storefront").rglob("requests.jsonl")
                for line in f.read_text().splitlines() if line.strip()]
        line = next(r for r in sent if r.get("payload", {}).get("title") == "Card-scan on Android")
        assert line["request_type"] == "create_issue" and line["status"] == "pending"
        assert line["payload"]["requester"] == ACTOR
        assert line["payload"]["relationships"] == [{"type": "discovered-from", "remote_ref": ROOT}]
        assert any(sev == "information" and line["request_id"] in text for sev, text in notes)
        outgoing = app.data.approvals.outgoing  # type: ignore[union-attr]  # re-read from disk
        assert any(r.request_id == line["request_id"] and r.title == "Card-scan on Android" for r in outgoing)


async def test_Q_to_an_unknown_remote_is_refused_and_writes_nothing(demo: Path, actor: str) -> None:
    before = sorted((p, p.read_text()) for p in demo.rglob("requests.jsonl"))
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.show_item(ROOT)
        await settle(app, pilot)
        await pilot.press("Q")
        await pilot.pause()
        remote, _title = app.screen.inputs  # type: ignore[attr-defined]
        remote.value = "nowhere"
        remote.focus()
        await pilot.press("enter", "enter", "y")
        await settle(app, pilot)
        assert notes[-1][0] == "error" and "nowhere" in notes[-1][1]
    assert sorted((p, p.read_text()) for p in demo.rglob("requests.jsonl")) == before
