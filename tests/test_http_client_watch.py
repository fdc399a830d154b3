"""``crossdeck watch`` as a user runs it against a real federation server on 127.0.0.1: an item
closed in the served workspace (by another process, with ``crossdeck close``) arrives as one JSON
line, is applied to the remote's snapshot (so the read verbs see it without a sync), and Ctrl+C
unsubscribes and exits 0."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from core import store
from core.server.db import db_path as server_db
from tests.http_client_helpers import (
    API_REMOTE,
    FRONTEND_WS,
    closed_port,
    interrupt,
    set_http_url,
    watch,
    wire_frontend,
)
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck

ITEM = "acme-dev/api-service#i-3c1d"


def test_watch_prints_an_event_applies_it_and_stops_on_ctrl_c(sudocode_copy: Path, served: Any) -> None:
    frontend = sudocode_copy / "frontend"
    wire_frontend(frontend, served)
    process, out, _ = watch(str(frontend), "--json")
    try:
        closed = crossdeck("close", ITEM, str(served.root), "--actor", "bob", "--reason", "shipped")
        assert closed.returncode == 0, closed.stderr
        line = out.next(30, lambda text: ITEM in text)
    finally:
        code = interrupt(process)
    event = json.loads(line)
    assert_matches_schema("watch", event)
    assert (event["type"], event["key"], event["status"], event["previous"].get("status")) == (
        "item.updated", ITEM, "closed", "in_progress")
    assert event["applied"] == ["snapshot"] and event["remote"] == API_REMOTE
    assert code == 0
    body = json.loads(store.http_snapshots()[(FRONTEND_WS, API_REMOTE)].body)
    assert next(i for i in body["items"] if i["key"] == ITEM)["status"] == "closed"
    with closing(sqlite3.connect(server_db())) as conn:  # Ctrl+C unsubscribed
        ended = conn.execute("SELECT ended_at FROM subscriptions").fetchall()
    assert len(ended) == 1 and ended[0][0] is not None


def test_watch_without_an_http_remote_says_so(sudocode_copy: Path) -> None:
    result = crossdeck("watch", str(sudocode_copy / "frontend"))
    assert result.returncode == 2 and "no HTTP remote" in result.stderr


def test_watch_keeps_trying_an_unreachable_remote_and_ctrl_c_still_stops_it(sudocode_copy: Path) -> None:
    frontend = sudocode_copy / "frontend"
    set_http_url(frontend, "github.com/acme-dev/api-service", f"http://127.0.0.1:{closed_port()}")
    process, _, err = watch(str(frontend))
    err.next(30, lambda line: "crossdeck watch: acme-dev/frontend -> acme-dev/api-service:" in line)
    assert interrupt(process, timeout=30.0) == 0  # its retries do not hold Ctrl+C up (a generous bound: busy CI)


def test_watch_refused_by_the_remote_exits_1(sudocode_copy: Path, served: Any) -> None:
    frontend = sudocode_copy / "frontend"
    set_http_url(frontend, "github.com/acme-dev/api-service", served.url)  # and no token kept for it
    result = crossdeck("watch", str(frontend))
    assert result.returncode == 1
    assert "401 unauthorized" in result.stderr and "Traceback" not in result.stderr
