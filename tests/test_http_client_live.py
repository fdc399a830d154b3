"""Following an HTTP remote's event stream (core.sync.live.follow) across the remote going away:
the stream is said to be reconnecting while it is down, and once it is back the remote is synced
again, so a change made while it was down (which no event will ever carry: a restarted server
starts a new replay ring) is not missed; and the restarted server's events still reach it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from core import store
from core.federation import load_federation
from core.server.app import Options
from core.server.runner import Running
from core.server.served import pick
from core.sync.fetch_pool import targets_of
from core.sync.live import CONNECTED, RECONNECTING, follow
from tests.http_client_helpers import wire_frontend

WAIT = 15.0


def until(what: str, check: Any) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT} s: {what}")
        time.sleep(0.05)


def snapshot_status(key: str, field: str = "status") -> Any:
    snapshots = list(store.http_snapshots().values())
    items = json.loads(snapshots[0].body)["items"] if snapshots else []
    return next((item[field] for item in items if item["key"] == key), None)


def edit_issue(issues: Path, ident: str, **changes: Any) -> None:
    records = [json.loads(line) for line in issues.read_text().splitlines()]
    for record in records:
        if record["id"] == ident:
            record.update(changes)
    issues.write_text("".join(json.dumps(record) + "\n" for record in records))


def test_a_change_made_while_the_remote_was_down_arrives_once_it_is_back(sudocode_copy: Path,
                                                                           start_server: Any) -> None:
    api = sudocode_copy / "api-service"
    served = start_server(api)
    frontend = sudocode_copy / "frontend"
    wire_frontend(frontend, served)
    targets = [t for t in targets_of(load_federation([frontend]).workspaces) if t.remote.transport == "http"]
    states: list[str] = []
    stop = threading.Event()
    following = follow(targets, lambda applied: None, stop, on_state=lambda target, state: states.append(state))
    restarted = None
    try:
        until("the stream connected", lambda: CONNECTED in states)
        key, other = "acme-dev/api-service#i-3c1d", "acme-dev/api-service#i-5e2b"
        assert snapshot_status(key) == "in_progress"
        issues = api / ".sudocode" / "issues.jsonl"
        edit_issue(issues, "i-5e2b", priority=0)  # an event of the first run: the stream has its id
        served.rescan()
        until("the first run's event applied", lambda: snapshot_status(other, "priority") == 0)
        port = int(served.url.rsplit(":", 1)[1])
        served.stop()
        until("the drop is told", lambda: states[-1] == RECONNECTING)
        edit_issue(issues, "i-3c1d", status="closed")
        connected_before = states.count(CONNECTED)
        restarted = Running(pick([api]), "127.0.0.1", port, Options(poll_seconds=0.1))
        until("connected again", lambda: states.count(CONNECTED) > connected_before)
        assert snapshot_status(key) == "closed"
        # and the restarted server's own events reach the stream (its ids go on from the last run's)
        edit_issue(issues, "i-5e2b", status="closed")
        restarted.state.watcher.rescan()
        until("the event after the restart applied", lambda: snapshot_status(other) == "closed")
    finally:
        stop.set()
        following.close()
        if restarted is not None:
            restarted.stop()
