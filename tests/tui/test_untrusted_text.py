"""Untrusted text on screen: Rich markup and terminal escape sequences from workspace data are
shown as the characters they are, never interpreted (no red, no bold from the data, no escape
reaching the terminal). Checked on what the screen draws, not on what the widgets were given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from tests.tui.conftest import NOW, settle
from tui.app import CrossdeckApp
from tui.panes.approvals.pane import ApprovalsPane
from tui.screens.confirm import ConfirmScreen
from tui.widgets.table import FastTable

PROJECT = Path(__file__).resolve().parents[2]
MARKUP = "[bold red]x[/]"
ESCAPE_SHOWN = "\\x1b[31m"  # how the escape character is drawn: as the four characters \x1b
DIGEST = "hop://globex.io/payments/fraud/fr-2qs"  # sample_workspaces/README.md, "Untrusted text"
API_REQUESTS = "sudocode/api-service/.sudocode/federation/requests.jsonl"

pytestmark = pytest.mark.anyio



def screen_strips(app: CrossdeckApp) -> list[Strip]:
    """The lines the screen draws, as the terminal would get them."""
    return app.screen._compositor.render_strips()


def region_text(app: CrossdeckApp, widget: Widget) -> str:
    """What ``widget`` shows on screen, its lines joined and runs of spaces made one."""
    region = widget.region
    strips = screen_strips(app)[region.y: region.bottom]
    return " ".join(" ".join(strip.crop(region.x, region.right).text.split()) for strip in strips)


def shown_in_some_widget(app: CrossdeckApp, text: str) -> bool:
    return any(text in region_text(app, w) for w in app.screen.query("*") if w.display and w.region.area)


def is_red(segment: Segment) -> bool:
    color = segment.style.color if segment.style else None
    if color is None or color.is_default:
        return False
    if color.name in ("red", "bright_red") or color.number in (1, 9):
        return True
    r, g, b = color.get_truecolor()
    return r >= 150 and g <= 90 and b <= 90


def assert_not_interpreted(app: CrossdeckApp, *fragments: str) -> None:
    """No escape character reaches the terminal, and nothing near the injected text is red."""
    for strip in screen_strips(app):
        assert "\x1b" not in strip.text
        if any(fragment in strip.text for fragment in fragments):
            reds = [seg.text for seg in strip if seg.text.strip() and is_red(seg)]
            assert not reds, f"red text on {strip.text!r}: {reds}"


async def test_markup_and_escapes_in_a_work_unit_are_shown_literally() -> None:
    app = CrossdeckApp([PROJECT / "sample_workspaces"], now=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.show_item(DIGEST)
        await settle(app, pilot)
        assert shown_in_some_widget(app, f"Alert digest shows {MARKUP} instead of the merchant name")
        assert shown_in_some_widget(app, f"{ESCAPE_SHOWN}CHARGEBACK RATE")
        assert_not_interpreted(app, "[bold", "red]", "x[/]", "CHARGEBACK", ESCAPE_SHOWN)


def add_request(root: Path, request_id: str, title: str, description: str) -> None:
    """A pending incoming request from the trusted frontend, appended to api-service's queue."""
    path = root / API_REQUESTS
    template = next(json.loads(line) for line in path.read_text().splitlines() if '"req-7c2e41"' in line)
    template.update(request_id=request_id, created_at="2026-11-20T09:00:00Z", updated_at="2026-11-20T09:00:00Z")
    template["payload"] = {**template["payload"], "title": title, "description": description}
    with path.open("a") as out:
        out.write(json.dumps(template) + "\n")


async def test_markup_in_a_request_is_shown_literally_in_the_table_and_the_confirm_modal(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BD_ACTOR", "[red]web/crew/bob[/]")  # an actor is untrusted text too
    add_request(demo, "req-bad001", f"{MARKUP} \x1b[31mALERT", "[link=http://evil.example]click[/link]")
    app = CrossdeckApp([demo], now=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        table = app.query_one("#approvals-pending", FastTable)
        row = next(r for r in table.visible_rows() if r[2] == "req-bad001")
        assert row[-1] == f"{MARKUP} {ESCAPE_SHOWN}ALERT"
        assert row[6] == "auto-approvable"
        await pilot.press("end")
        assert table.current_key == "acme-dev/api-service:req-bad001"
        assert MARKUP in region_text(app, table)  # the title column, as drawn
        detail = app.query_one(ApprovalsPane).query_one("#approvals-detail")
        assert f"{MARKUP} {ESCAPE_SHOWN}ALERT" in region_text(app, detail)
        assert "[link=http://evil.example]click[/link]" in region_text(app, detail)
        assert_not_interpreted(app, MARKUP, "ALERT", "click")

        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        assert shown_in_some_widget(app, f"item {MARKUP} {ESCAPE_SHOWN}ALERT")
        assert shown_in_some_widget(app, "actor [red]web/crew/bob[/] (from BD_ACTOR)")
        assert_not_interpreted(app, MARKUP, "ALERT", "web/crew/bob")
        await pilot.press("n")


async def test_bidi_overrides_and_zero_width_characters_are_shown_as_escapes(demo: Path) -> None:
    """Hostile world I, 9: a title holding U+202E (and the other bidi, zero-width and separator
    characters) is drawn with them as escapes, in the Explorer and in the Delegation chains pane."""
    from tests.test_inert_text import HOSTILE, UNSAFE, _edit_jsonl, _title

    _edit_jsonl(demo / "towns" / "globex-payments" / "gateway" / ".beads" / "issues.jsonl", *_title("gw-4tk"))
    app = CrossdeckApp([demo], now=lambda: NOW, watch=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        app.show_item("hop://globex.io/payments/gateway/gw-4tk")
        await settle(app, pilot)
        assert shown_in_some_widget(app, "invoice_\\u202etxt.exe")
        for strip in screen_strips(app):
            assert not set(strip.text) & set(UNSAFE), strip.text
        await pilot.press("3")
        await settle(app, pilot)
        assert any("invoice_\\u202etxt.exe" in strip.text for strip in screen_strips(app))
        for strip in screen_strips(app):
            assert not set(strip.text) & set(UNSAFE), strip.text
    assert HOSTILE.startswith("invoice_\u202etxt.exe")
