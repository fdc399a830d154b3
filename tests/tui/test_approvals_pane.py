"""The Approvals pane from the keyboard, on a temp copy of the demo federation: approve and reject
write what core writes, the pane shows what is on disk afterwards, and every refusal writes
nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.tui.conftest import ACTOR, make_app, settle
from tui.app import CrossdeckApp
from tui.panes.approvals.pane import ApprovalsPane
from tui.screens.confirm import ConfirmScreen
from tui.screens.raw import RawScreen
from tui.screens.reason import EMPTY_REASON, ReasonScreen
from tui.widgets.table import FastTable

PROJECT = Path(__file__).resolve().parents[2]
API = "sudocode/api-service/.sudocode/federation"

pytestmark = pytest.mark.anyio






def pane(app: CrossdeckApp) -> ApprovalsPane:
    return app.query_one(ApprovalsPane)


def table(app: CrossdeckApp, which: str = "pending") -> FastTable:
    return app.query_one(f"#approvals-{which}", FastTable)


def ids(app: CrossdeckApp, which: str = "pending") -> list[str]:
    return [row[2] for row in table(app, which).visible_rows()]


async def open_on(app: CrossdeckApp, pilot: Any, request_id: str) -> None:
    """Show the pane and move the cursor to ``request_id`` with the arrow keys."""
    await settle(app, pilot)
    await pilot.press("4")
    await pilot.press("home", *["down"] * ids(app).index(request_id))
    assert table(app).current_key == f"acme-dev/api-service:{request_id}"


def text_of(node: Any, selector: str) -> str:
    """The plain text a Static shows."""
    content = node.query_one(selector, Static).content
    return content.plain if hasattr(content, "plain") else str(content)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def confirm_rows(app: CrossdeckApp) -> dict[str, str]:
    assert isinstance(app.screen, ConfirmScreen)
    return {label: str(value) for label, value in app.screen.rows}


async def test_pane_shows_the_queue_oldest_first_with_verdicts(demo: Path, actor: str) -> None:
    app, _ = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        rows = table(app).visible_rows()
        assert [(r[2], r[4], r[6]) for r in rows] == [
            ("req-e85a30", "untrusted", "needs a human"), ("req-f0b162", "verified", "denied"),
            ("req-7c2e41", "trusted", "auto-approvable"), ("req-9d4b17", "trusted", "needs a human"),
            ("req-3a6d55", "verified", "auto-approvable")]
        assert rows[0][0] == "3d"  # from the load's clock, not the wall clock
        headline = text_of(app, "#approvals-headline")
        assert "5 pending incoming requests: 2 auto-approvable · 2 need a human · 1 denied" in headline
        assert f"acting as {ACTOR} (BD_ACTOR)" in headline
        detail = text_of(app, "#approvals-detail")
        assert "github.com/hackday/price-scraper" in detail and "untrusted" in detail
        assert "remote_repos[2].trust_level" in detail and "One call for all prices, hourly." in detail
        assert table(app, "outgoing").display and not table(app, "decided").display
        await pilot.press("h")
        assert table(app, "decided").display and not table(app, "outgoing").display
        assert "req-b7e210" in ids(app, "decided")
        assert "hop://globex.io/payments:req-5b90d1" in text_of(app, "#approvals-detail")  # the history row
        await pilot.press("h")
        assert not table(app, "decided").display and not table(app, "outgoing").display
        await pilot.press("o")
        assert ids(app, "outgoing")[:2] == ["req-5b90d1", "req-a41c07"]


async def test_approve_from_the_keyboard_writes_and_reloads(demo: Path, actor: str) -> None:
    requests, audit = demo / API / "requests.jsonl", demo / API / "audit.jsonl"
    audit_before = len(lines(audit))
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-7c2e41")
        await pilot.press("a")
        rows = confirm_rows(app)
        assert rows["workspace"] == "acme-dev/api-service"
        assert rows["request"].startswith("req-7c2e41") and rows["item"] == "Add avatar upload endpoint"
        assert rows["requester"] == "github.com/acme-dev/frontend (trusted)"
        assert rows["actor"] == f"{ACTOR} (from BD_ACTOR)" and rows["change"] == "status pending -> completed, creating an issue here"
        await pilot.press("y")
        await settle(app, pilot)
        # a create_issue request: approving creates the issue, then the request is completed
        approved, last = lines(requests)[-2:]
        assert (approved["request_id"], approved["status"], approved["approved_by"]) == ("req-7c2e41", "approved", ACTOR)
        assert (last["request_id"], last["status"], last["approved_by"]) == ("req-7c2e41", "completed", ACTOR)
        assert last["approved_at"] == "2026-11-20T12:00:00Z" and last["result"]["created"]["id"].startswith("i-")
        entries = lines(audit)
        assert len(entries) == audit_before + 1
        assert (entries[-1]["operation_type"], entries[-1]["request_id"], entries[-1]["actor"]) == \
            ("approve", "req-7c2e41", ACTOR)
        # the pane re-read the disk: the request left the queue, the cursor is on the next one
        assert "req-7c2e41" not in ids(app)
        assert table(app).current_key == "acme-dev/api-service:req-9d4b17"
        assert "4 pending incoming requests" in text_of(app, "#approvals-headline")
        await pilot.press("h")
        decided = {row[2]: row for row in table(app, "decided").visible_rows()}
        assert decided["req-7c2e41"][4] == "completed" and decided["req-7c2e41"][5] == f"by {ACTOR}"
        assert any(sev == "information" and text.startswith(f"approved req-7c2e41 as {ACTOR}; created acme-dev/api-service#i-")
                   for sev, text in notes)


async def test_reject_asks_for_a_reason_then_writes_it(demo: Path, actor: str) -> None:
    requests, audit = demo / API / "requests.jsonl", demo / API / "audit.jsonl"
    audit_before = len(lines(audit))
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-e85a30")
        await pilot.press("r")
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press("enter")  # empty: refused, the modal stays
        assert isinstance(app.screen, ReasonScreen)
        error = app.screen.query_one("#reason-error")
        assert error.display and EMPTY_REASON in text_of(app.screen, "#reason-error")
        await pilot.press(*"no scraping, sorry")
        await pilot.press("enter")
        rows = confirm_rows(app)
        assert rows["change"] == "status pending -> rejected: no scraping, sorry"
        assert rows["item"] == "Add a bulk price export endpoint"
        await pilot.press("y")
        await settle(app, pilot)
        last = lines(requests)[-1]
        assert (last["request_id"], last["status"]) == ("req-e85a30", "rejected")
        assert (last["rejected_by"], last["rejection_reason"]) == (ACTOR, "no scraping, sorry")
        entries = lines(audit)
        assert len(entries) == audit_before + 1
        assert entries[-1]["operation_type"] == "reject" and entries[-1]["payload"]["reason"] == "no scraping, sorry"
        assert "req-e85a30" not in ids(app)
        assert table(app).current_key == "acme-dev/api-service:req-f0b162"
        await pilot.press("h")
        decided = {row[2]: row for row in table(app, "decided").visible_rows()}
        assert decided["req-e85a30"][4:6] == ("rejected", "no scraping, sorry")
        assert any(text.startswith(f"rejected req-e85a30 as {ACTOR}") for _, text in notes)


@pytest.mark.parametrize("keys", [("a", "n"), ("a", "escape"), ("r", "escape"), ("r", *"why", "enter", "n")])
async def test_cancel_leaves_the_files_unchanged(demo: Path, actor: str, keys: tuple[str, ...]) -> None:
    files = [demo / API / "requests.jsonl", demo / API / "audit.jsonl"]
    before = [f.read_bytes() for f in files]
    app, _ = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-9d4b17")
        await pilot.press(*keys)
        await settle(app, pilot)
        assert not isinstance(app.screen, (ConfirmScreen, ReasonScreen))
        assert "req-9d4b17" in ids(app)
    assert [f.read_bytes() for f in files] == before


async def test_a_denied_request_cannot_be_approved(demo: Path, actor: str) -> None:
    before = (demo / API / "requests.jsonl").read_bytes()
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-f0b162")
        await pilot.press("a")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert notes[-1][0] == "warning"
        assert "cannot be approved" in notes[-1][1] and "mutate.allowed is false" in notes[-1][1]
    assert (demo / API / "requests.jsonl").read_bytes() == before


async def test_without_an_actor_nothing_is_decided(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BD_ACTOR", raising=False)
    before = (demo / API / "requests.jsonl").read_bytes()
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-7c2e41")
        assert "no actor set" in text_of(app, "#approvals-headline")
        for key in ("a", "r"):
            await pilot.press(key)
            await settle(app, pilot)
            assert not isinstance(app.screen, (ConfirmScreen, ReasonScreen))
            severity, text = notes[-1]
            assert severity == "error" and "BD_ACTOR" in text and "config.toml" in text
    assert (demo / API / "requests.jsonl").read_bytes() == before


async def test_an_actor_core_would_refuse_is_refused_before_asking(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BD_ACTOR", "bob the builder")
    before = (demo / API / "requests.jsonl").read_bytes()
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-7c2e41")
        await pilot.press("a")
        assert not isinstance(app.screen, ConfirmScreen)
        severity, text = notes[-1]
        assert severity == "error" and "is not an actor name" in text and "BD_ACTOR" in text
    assert (demo / API / "requests.jsonl").read_bytes() == before


async def test_a_refusal_from_core_is_shown_and_the_disk_state_reloaded(demo: Path, actor: str) -> None:
    requests = demo / API / "requests.jsonl"
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-7c2e41")
        # someone else approves it after the dashboard loaded
        latest = next(r for r in reversed(lines(requests)) if r["request_id"] == "req-7c2e41")
        latest.update(status="approved", approved_by="catalog/crew/bob", approved_at="2026-11-20T11:00:00Z")
        with requests.open("a") as out:
            out.write(json.dumps(latest) + "\n")
        before = requests.read_bytes()
        await pilot.press("r", *"late", "enter", "y")
        await settle(app, pilot)
        severity, text = notes[-1]
        assert severity == "error" and "already approved" in text and "catalog/crew/bob" in text
        assert requests.read_bytes() == before
        assert "req-7c2e41" not in ids(app)  # what the disk says now


async def test_view_raw_shows_the_request_json(demo: Path, actor: str) -> None:
    app, _ = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-9d4b17")
        await pilot.press("v")
        assert isinstance(app.screen, RawScreen)
        raw = text_of(app.screen, "#raw-json")
        assert '"request_id": "req-9d4b17"' in raw and '"breaking-change"' in raw
        await pilot.press("escape")
        assert not isinstance(app.screen, RawScreen)


async def test_one_action_at_a_time_through_the_shared_action_flow(
        demo: Path, actor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Approve runs through tui.acting: while its worker writes, a second decision is refused
    before it asks; once written, the next one goes through."""
    import threading

    from core.sync import decisions

    release, entered = threading.Event(), threading.Event()
    real = decisions.decide

    def slow_decide(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(decisions, "decide", slow_decide)
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-7c2e41")
        await pilot.press("a", "y")
        assert entered.wait(10)
        assert any(w.group == "sync-action" and not w.is_finished for w in app.workers)
        await pilot.press("down", "a")
        assert not isinstance(app.screen, ConfirmScreen)
        assert notes[-1] == ("warning", "an action is still being recorded: wait for it")
        release.set()
        await settle(app, pilot)
        assert "req-7c2e41" not in ids(app)
        assert any(text.startswith(f"approved req-7c2e41 as {ACTOR}") for _, text in notes)


FRONTEND_LOG = "sudocode/frontend/.sudocode/federation/requests.jsonl"


def outgoing_rows(app: CrossdeckApp) -> dict[str, list[str]]:
    """Request id -> its row in the outgoing table (AGE, WORKSPACE, REQUEST, TO REMOTE, STATUS, TITLE)."""
    return {str(row[2]): [str(cell) for cell in row] for row in table(app, "outgoing").visible_rows()}


async def test_outgoing_requests_show_their_live_status(demo: Path, actor: str) -> None:
    """The sender's rows say what the receiver's log says: approving req-7c2e41 here (as
    api-service) turns frontend's outgoing row to completed with the created item; a rejection
    shows its reason; the / filter narrows the outgoing table too."""
    rejected = {"request_id": "req-c0ffee", "direction": "outgoing", "from_repo": "github.com/acme-dev/frontend",
                "to_repo": "github.com/acme-dev/api-service", "request_type": "create_issue",
                "payload": {"title": "Bulk avatar export"}, "status": "rejected", "rejected_by": "api/crew/ann",
                "rejection_reason": "use the CDN", "created_at": "2026-11-20T09:00:00Z",
                "updated_at": "2026-11-20T10:00:00Z"}
    with (demo / FRONTEND_LOG).open("a") as log:
        log.write(json.dumps(rejected) + "\n")
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-7c2e41")
        rows = outgoing_rows(app)
        assert rows["req-a41c07"][3:5] == ["acme-dev/api-service", "completed: created i-3c1d"]
        assert rows["req-c0ffee"][0] == "3h" and rows["req-c0ffee"][4] == "rejected: use the CDN"
        assert rows["req-7c2e41"][4] == "pending"
        await pilot.press("a", "y")
        await settle(app, pilot)
        created = next(text for _, text in notes if text.startswith("approved req-7c2e41")).rpartition("#")[2]
        assert outgoing_rows(app)["req-7c2e41"][4] == f"completed: created {created}"
        await pilot.press("o")  # the outgoing table: hidden, then shown and focused
        await pilot.press("o")
        assert table(app, "outgoing").has_focus
        table(app, "outgoing").move_to("acme-dev/frontend:req-7c2e41")
        await pilot.pause()
        detail = text_of(app, "#approvals-detail")
        assert "outgoing" in detail and f"completed: created acme-dev/api-service#{created}" in detail
        assert "acme-dev/api-service's log" in detail  # where the status was read
        await pilot.press("slash", *"rejected")
        await pilot.pause()
        assert list(outgoing_rows(app)) == ["req-c0ffee"]
