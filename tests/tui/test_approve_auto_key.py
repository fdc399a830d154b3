"""``A`` in the Approvals pane, on a temp copy of the demo federation: one confirm modal listing
every auto-approvable request, then each approved on its own (what ``crossdeck approve
--auto-approvable`` writes) and the pane re-read; nothing auto-approvable: a notification, no
modal; cancelling writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.tui.conftest import ACTOR, make_app, settle
from tui.app import CrossdeckApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

API = "sudocode/api-service/.sudocode/federation"
FRONTEND = "sudocode/frontend/.sudocode/federation"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def pending_ids(app: CrossdeckApp) -> list[str]:
    return [row[2] for row in app.query_one("#approvals-pending", FastTable).visible_rows()]


def files(demo: Path) -> dict[str, str]:
    return {str(p): p.read_text() for p in (demo / API / "requests.jsonl", demo / API / "audit.jsonl",
                                             demo / FRONTEND / "requests.jsonl", demo / FRONTEND / "audit.jsonl")}


async def press_A(app: CrossdeckApp, pilot: Any) -> None:
    """``A`` on the Approvals pane once the data is loaded."""
    await settle(app, pilot)
    await pilot.press("4", "A")
    await pilot.pause()


def maintain_both(demo: Path) -> None:
    """The actor a maintainer of frontend too (the demo names Bob for api-service only), so that
    both auto-approvable requests are its to approve."""
    config = demo / "sudocode" / "frontend" / ".sudocode" / "federation.config.json"
    document = json.loads(config.read_text())
    document["maintainers"] = [*document["maintainers"], ACTOR]
    config.write_text(json.dumps(document, indent=2) + "\n")


async def test_A_lists_every_auto_approvable_request_then_approves_each(demo: Path, actor: str) -> None:
    maintain_both(demo)
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await press_A(app, pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.title_text == "Approve every auto-approvable request?"
        assert screen.confirm_label == "Approve 2"
        assert [(label, str(value)) for label, value in screen.rows] == [
            ("requests", "2 auto-approvable, each approved on its own (own audit entry, own commit)"),
            ("req-7c2e41", "acme-dev/api-service · Add avatar upload endpoint · from github.com/acme-dev/frontend · "
                           "creates an issue here"),
            ("req-3a6d55", "acme-dev/frontend · Profile endpoint is on staging · from github.com/acme-dev/api-service · "
                           "changes the item it names here"),
            ("actor", f"{ACTOR} (from BD_ACTOR)"),
            ("change", "each: status pending -> approved, and completed once its item is created or changed")]
        await pilot.press("y")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        for folder, rid in ((API, "req-7c2e41"), (FRONTEND, "req-3a6d55")):
            last = [r for r in lines(demo / folder / "requests.jsonl") if r["request_id"] == rid][-1]
            assert (last["status"], last["approved_by"]) == ("completed", ACTOR)
            entry = lines(demo / folder / "audit.jsonl")[-1]
            assert (entry["operation_type"], entry["request_id"], entry["actor"]) == ("approve", rid, ACTOR)
            assert entry["payload"]["reason"].startswith("auto-approvable: every auto-approve condition of ")
        assert ("information", f"approved 2 auto-approvable requests as {ACTOR}: req-7c2e41, req-3a6d55") in notes
        # the pane re-read the disk: both left the queue, and A now has nothing to do
        assert pending_ids(app) == ["req-e85a30", "req-f0b162", "req-9d4b17"]
        await pilot.press("A")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert notes[-1] == ("information", "nothing is auto-approvable: no pending request's policy verdict allows it")


async def test_cancelling_A_writes_nothing(demo: Path, actor: str) -> None:
    before = files(demo)
    app, _ = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await press_A(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(app, pilot)
        assert "req-7c2e41" in pending_ids(app)
    assert files(demo) == before


async def test_A_without_an_actor_asks_nothing(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BD_ACTOR", raising=False)
    before = files(demo)
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await press_A(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert notes[-1][0] == "error" and notes[-1][1].startswith("Nobody to approve as")
    assert files(demo) == before


async def test_the_pane_help_lists_A(demo: Path, actor: str) -> None:
    app, _ = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("4", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "  A  Approve every auto-approvable request" in app.screen.plain_text
