"""Live updates in the dashboard, against a real federation server on 127.0.0.1: the app follows
the frontend's HTTP remote (api-service) after its first load, an event changes what the panes
show and is noted; an HTTP remote nothing listens on never slows the UI."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import ContentSwitcher

from tests.http_client_helpers import API_REMOTE, FRONTEND_WS, closed_port, set_http_url, wire_frontend
from tests.tui.conftest import make_app, settle
from tui.app import CrossdeckApp
from tui.widgets.master_detail import MasterDetail
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

LIVE_KEY = f"{FRONTEND_WS}\t{API_REMOTE}"
WAIT = 60.0  # seconds: the bound on every wait for the server's events (generous: a busy CI machine)
KEY_BOUND = 0.5  # seconds a pane key may take beyond the same key with no follower (its retries alone take ~1 s)
KEYS = 12  # pane keys timed while the follower retries the closed port


async def until(app: CrossdeckApp, pilot: Any, what: str, check: Any, timeout: float = WAIT) -> None:
    """Let the app run until ``check()`` holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await pilot.pause(0.05)
        await app.workers.wait_for_complete()


def outgoing_status(app: CrossdeckApp, request_id: str) -> str | None:
    table = app.query_one("#approvals-outgoing", FastTable)
    return next((str(row[4]) for row in table.visible_rows() if row[2] == request_id), None)


def remote_row(app: CrossdeckApp) -> list[str]:
    table = app.query_one("#remotes-table", FastTable)
    return next([str(cell) for cell in row] for row in table.visible_rows() if row[2] == API_REMOTE)


def live_column(app: CrossdeckApp) -> str:
    return remote_row(app)[-1]


@pytest.fixture
def frontend(sudocode_copy: Path, served: Any) -> Path:
    root = sudocode_copy / "frontend"
    wire_frontend(root, served)
    return root


def live_app(root: Path) -> tuple[CrossdeckApp, list[tuple[str, str]]]:
    app, notes = make_app(root)
    app.live_updates = True
    return app, notes


async def test_an_approval_over_there_shows_here_as_it_happens(frontend: Path, served: Any) -> None:
    app, notes = live_app(frontend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("6")
        await until(app, pilot, "the stream connected", lambda: app.live.states.get(LIVE_KEY) == "connected")
        assert live_column(app) == "connected"
        await pilot.press("4")
        await until(app, pilot, "the outgoing table", lambda: outgoing_status(app, "req-7c2e41") == "pending")
        # api-service's maintainer approves frontend's request there
        with served.client(served.token(maintainer="api-service/crew/ann")) as client:
            answer = client.post("/requests/req-7c2e41/approve", json={"reason": None})
        assert answer.status_code == 200, answer.text
        created = answer.json()["decision"]["created"]["key"]
        await until(app, pilot, "the outgoing row completed",
                    lambda: (outgoing_status(app, "req-7c2e41") or "").startswith("completed"))
        assert outgoing_status(app, "req-7c2e41") == f"completed: created {created.rpartition('#')[2]}"
        await until(app, pilot, "the note", lambda: any("req-7c2e41 completed by" in text for _, text in notes))
        assert (f"req-7c2e41 completed by {API_REMOTE}: created {created}") in [text for _, text in notes]


async def test_a_blocker_closed_over_there_is_noted_and_unblocks(frontend: Path, served: Any) -> None:
    app, notes = live_app(frontend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await until(app, pilot, "the stream connected", lambda: app.live.states.get(LIVE_KEY) == "connected")
        await until(app, pilot, "the snapshot loaded",
                    lambda: app.data is not None and "acme-dev/api-service#i-3c1d" in app.data.graph)
        issues = served.root / ".sudocode" / "issues.jsonl"
        lines = issues.read_text().splitlines()
        at = next(i for i, line in enumerate(lines) if '"id":"i-3c1d"' in line)
        record = json.loads(lines[at])
        record["status"] = "closed"
        lines[at] = json.dumps(record)
        issues.write_text("\n".join(lines) + "\n")
        served.rescan()
        want = "blocker acme-dev/api-service#i-3c1d in_progress -> closed: Add user profile endpoint " \
               "(blocks acme-dev/frontend#i-7f3a)"
        await until(app, pilot, "the blocker note", lambda: want in [text for _, text in notes])
        assert app.data.graph.nodes["acme-dev/api-service#i-3c1d"]["record"].status == "closed"


async def switch(app: CrossdeckApp, key: str, pane: str) -> float:
    """Seconds from a pane key being sent to the pane being on screen (the UI thread's latency,
    without the Pilot's wait for idle CPU and animations)."""
    switcher = app.query_one("#panes", ContentSwitcher)
    started = time.monotonic()
    app.post_message(events.Key(key, key))
    while switcher.current != f"slot-{pane}":
        if time.monotonic() - started > WAIT:
            raise AssertionError(f"{key} was not handled within {WAIT} s")
        await asyncio.sleep(0.002)
    return time.monotonic() - started


PANE_KEYS = (("4", "approvals"), ("6", "remotes"), ("1", "overview"))


async def pane_keys(app: CrossdeckApp, count: int, while_: Any = lambda: True) -> list[float]:
    """The seconds each of ``count`` pane keys took, pressed while ``while_()`` holds."""
    timed: list[float] = []
    deadline = time.monotonic() + WAIT
    while len(timed) < count and time.monotonic() < deadline:
        held = while_()
        key, pane = PANE_KEYS[len(timed) % len(PANE_KEYS)]
        seconds = await switch(app, key, pane)
        if held:
            timed.append(seconds)
    return timed


def p80(seconds: list[float]) -> float:
    return sorted(seconds)[int(len(seconds) * 0.8)]


async def test_an_unreachable_http_remote_never_slows_the_ui(frontend: Path) -> None:
    """While the follower retries a port nothing listens on (in its own thread, with backoff),
    pane keys are handled as fast as with no follower at all (within a bound: a follower on the
    UI thread would hold keys ~1 s); the Remotes pane says it is not connected. Timed against the
    same keys in the same app with no follower, so a busy machine slows both alike."""
    set_http_url(frontend, "github.com/acme-dev/api-service", f"http://127.0.0.1:{closed_port()}")
    quiet, _ = make_app(frontend)  # no follower
    async with quiet.run_test(size=(120, 40)):
        for pane in ("approvals", "remotes"):
            await quiet.ensure_pane(pane)
        baseline = await pane_keys(quiet, KEYS)
    app, _ = live_app(frontend)
    async with app.run_test(size=(120, 40)) as pilot:
        for pane in ("approvals", "remotes"):  # mounted now: a first show's mount is not what is timed
            await app.ensure_pane(pane)
        await until(app, pilot, "the follower started", lambda: app.live.states.get(LIVE_KEY) is not None)
        retrying = await pane_keys(app, KEYS, lambda: app.live.states.get(LIVE_KEY) in ("connecting", "reconnecting"))
        assert len(retrying) == KEYS, f"only {len(retrying)} keys were pressed while the follower retried"
        assert p80(retrying) < p80(baseline) + KEY_BOUND, (
            f"keys took {p80(retrying):.2f} s (80th percentile) while the follower retried, "
            f"{p80(baseline):.2f} s with no follower")
        # what the last try said, for the detail (a loaded machine may still be on the first try)
        await until(app, pilot, "the follower's error noted", lambda: app.live.errors.get(LIVE_KEY))
        await switch(app, "6", "remotes")
        await until(app, pilot, "the LIVE column says the stream is down",
                    lambda: live_column(app) in ("reconnecting", "off"))
        await until(app, pilot, "the first sync's failure shown", lambda: remote_row(app)[0] == "unreachable")
        app.query_one("#remotes-table", FastTable).move_to(LIVE_KEY)
        await pilot.pause()
        text = app.query_one("#remotes-view", MasterDetail).detail_text
        assert "live error" in text and "127.0.0.1" in text


async def test_a_burst_of_events_is_one_or_two_reloads_and_each_note_once(sudocode_copy: Path) -> None:
    """Twenty events about the same request while a reload runs: at most two more reloads, one
    note (the reload is what shows it, so a note waits for the last one)."""
    from types import SimpleNamespace

    from tui.live import LiveEvent

    root = sudocode_copy / "frontend"
    app, notes = make_app(root)
    loads = 0
    load = app.load_data

    def counting_load() -> Any:
        nonlocal loads
        loads += 1
        return load()

    app.load_data = counting_load  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        loads = 0
        event = SimpleNamespace(workspace=FRONTEND_WS, remote=API_REMOTE, type="request.updated", key=None,
                                request_id="req-a41c07", status="completed", previous={}, applied=["request"],
                                error=None)
        for _ in range(20):
            app.post_message(LiveEvent(event))
        await settle(app, pilot)
        assert 1 <= loads <= 2
        assert [text for _, text in notes if "req-a41c07" in text] == [
            f"req-a41c07 completed by {API_REMOTE}: created acme-dev/api-service#i-3c1d"]
        assert app.live.states[LIVE_KEY] == "connected"  # an event is proof of a live stream


async def test_a_note_waits_for_a_load_that_began_after_its_event(sudocode_copy: Path) -> None:
    """A load that began before an event can be shown after it (its DataLoaded was on its way):
    the event's note must not be judged on that older data (where the request is still pending,
    so there is nothing to say) and lost; it waits for the load the event asked for."""
    from types import SimpleNamespace

    from tui.live import LiveEvent
    from tui.messages import DataLoaded

    root = sudocode_copy / "frontend"
    app, notes = make_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        older = app.data  # req-7c2e41 is pending in it
        # the follower applies api-service's answer: a completed line for our outgoing request
        log = root / ".sudocode" / "federation" / "requests.jsonl"
        line = next(json.loads(text) for text in log.read_text().splitlines() if '"req-7c2e41"' in text)
        line.update(status="completed", result={"created": {"id": "i-fe9e", "canonical_ref":
                                                            "acme-dev/api-service#i-fe9e"}})
        with log.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        event = SimpleNamespace(workspace=FRONTEND_WS, remote=API_REMOTE, type="request.updated", key=None,
                                request_id="req-7c2e41", status="completed", previous={"status": "pending"},
                                applied=["request"], error=None)
        app.live.states[LIVE_KEY] = "connected"  # a stream that was already connected
        app.post_message(LiveEvent(event))
        app.post_message(DataLoaded(older, 0))  # a load from before the event, shown after it
        await settle(app, pilot)
        assert [text for _, text in notes if "req-7c2e41" in text] == [
            f"req-7c2e41 completed by {API_REMOTE}: created acme-dev/api-service#i-fe9e"]
