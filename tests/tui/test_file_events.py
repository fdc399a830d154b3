"""Live reload by the OS's file events: a change on disk reaches the dashboard without any poll
interval passing; where the events cannot start the dashboard says so once and polls; what the
dashboard wrote itself is still not "changed on disk"."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.dashboard import load_dashboard
from tests.test_dashboard_reread import assert_same
from tests.tui.conftest import NOW, settle
from tests.tui.test_first_hour_dashboard import Notes, approve
from tui.app import CrossdeckApp
from tui.messages import FilesChanged

pytestmark = pytest.mark.anyio

GATEWAY = Path("towns") / "globex-payments" / "gateway" / ".beads" / "issues.jsonl"
BEAD = {"id": "gw-9zz", "title": "Added while the dashboard was open", "status": "open", "priority": 2,
        "created_at": "2026-11-20T11:00:00Z", "updated_at": "2026-11-20T11:00:00Z"}


def seen_by(seen: list[FilesChanged]) -> Callable[[object], None]:
    """A message hook keeping every FilesChanged the app posts."""
    def hook(message: object) -> None:
        if isinstance(message, FilesChanged):
            seen.append(message)
    return hook


def events_app(root: Path, poll_seconds: float) -> tuple[CrossdeckApp, Notes, list[FilesChanged]]:
    """The dashboard following its files (not its HTTP remotes nor Dolt servers), with a poll
    interval of ``poll_seconds`` should it ever poll."""
    app = CrossdeckApp([root], now=lambda: NOW, watch=True, live=False)
    app.watch_dolt = False
    app.watch_seconds = poll_seconds
    return app, Notes(app), []


async def until(pilot: Any, condition: Callable[[], object], seconds: float = 60.0) -> None:
    """Wait for ``condition``, at most ``seconds`` (a busy CI machine is slow, never this slow)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


def unit_ids(app: CrossdeckApp) -> set[str]:
    return {u.id for ws in app.data.federation.workspaces for u in ws.work_units} if app.data else set()


def following(app: CrossdeckApp) -> bool:
    """The dashboard follows its files' events and holds their stamps to compare with."""
    events = getattr(app, "_events", None)
    return events is not None and events.running and app._files is not None


def append_bead(demo: Path, bead: dict[str, Any]) -> None:
    with (demo / GATEWAY).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(bead) + "\n")


async def test_a_change_arrives_by_the_file_event_with_no_poll(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.app.WATCH_SECONDS", 3600, raising=False)  # where polling was all there was
    app, notes, seen = events_app(demo, poll_seconds=3600)  # a poll would come after an hour
    async with app.run_test(size=(120, 40), message_hook=seen_by(seen)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: following(app))
        append_bead(demo, BEAD)
        await until(pilot, lambda: "gw-9zz" in unit_ids(app))
        assert [m.roots for m in seen] == [[str(demo / "towns" / "globex-payments")]]
        assert not app._polling
        assert notes.titled("reload") == [("towns/globex-payments changed on disk: hop://globex.io/payments: "
                                           "+1 work unit; work units: 1 more open")]


async def test_without_file_events_it_says_so_once_and_polls(demo: Path) -> None:
    class NoEvents:
        def __init__(self, roots: Any, on_change: Any, on_error: Any) -> None:
            self.roots = roots

        def start(self) -> None:
            raise OSError("OS file watch limit reached")

    app, notes, seen = events_app(demo, poll_seconds=0.2)
    app.file_events = NoEvents
    async with app.run_test(size=(120, 40), message_hook=seen_by(seen)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: app._files is not None)
        assert notes.titled("file events unavailable") == [
            "OS file watch limit reached: looking at every file every 0.2 s instead"]
        append_bead(demo, BEAD)
        await until(pilot, lambda: "gw-9zz" in unit_ids(app))
        assert [m.roots for m in seen] == [[str(demo / "towns" / "globex-payments")]]
        assert len(notes.titled("file events unavailable")) == 1  # the reload did not say it again


async def test_our_own_action_is_no_file_event_to_announce(demo: Path, actor: str) -> None:
    app, notes, seen = events_app(demo, poll_seconds=3600)
    async with app.run_test(size=(120, 40), message_hook=seen_by(seen)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: following(app))
        await approve(app, pilot, "req-7c2e41")  # writes the api-service's request log and audit
        assert notes.titled("Request approved"), notes.text()
        assert "req-7c2e41" not in {row.request_id for row in app.data.approvals.pending}  # type: ignore[union-attr]
        assert_same(app.data, load_dashboard([demo], app.settings, NOW))  # only api-service was read again
        app.own_writes_begin()  # an action quicker than its file event: the event comes after its end
        with (demo / "towns" / "kestrel" / ".events.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps({"ts": "2026-11-20T11:59:00Z", "type": "nudge", "actor": "deacon"}) + "\n")
        app.own_writes_end()
        append_bead(demo, BEAD)  # someone else's change, after ours: its event comes after ours
        await until(pilot, lambda: "gw-9zz" in unit_ids(app))
        await settle(app, pilot)
        assert [m.roots for m in seen] == [[str(demo / "towns" / "globex-payments")]], notes.text()
        assert not any("api-service" in m for m in notes.titled("reload")), notes.text()
