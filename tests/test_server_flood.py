"""Callers without a valid token (issue "Hostile world II", item 6): they are rate-limited per
client address (the IP alone: a new connection is the same client) before anything else, so a
flood of them costs neither an authentication nor a row in the call log; callers with a token
from the same address keep their own rate. The call log is bounded (oldest rows dropped) and
private: ``server.db`` is 0600 in a 0700 folder, and existing ones are tightened."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import httpx

from core.server.db import ServerDB, db_path
from tests.http_fixtures import FRONTEND, Served

QUERY = {"type": "query", "entity": "issue", "limit": 1}


def test_calls_without_a_valid_token_are_limited_per_address_and_not_all_logged(served: Served) -> None:
    rows_before = len(ServerDB(served.workspace).calls(100_000))
    statuses: list[int] = []
    retry_after: list[str] = []
    started = time.monotonic()
    with httpx.Client(base_url=served.base, timeout=10) as client:
        for n in range(300):
            headers = {"Authorization": "Bearer cdt_" + "x" * 43} if n % 2 else {}
            answer = client.post("/query", json=QUERY, headers=headers)
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                retry_after.append(answer.headers["retry-after"])
    refilled = int(time.monotonic() - started) + 1  # the bucket refills one call a second
    assert statuses.count(401) <= 60 + refilled
    assert statuses.count(429) >= 300 - 60 - refilled and statuses.count(429) > 0  # (slow calls: more refilled)
    assert all(1 <= int(wait) <= 60 for wait in retry_after)
    rows = len(ServerDB(served.workspace).calls(100_000)) - rows_before
    assert rows <= 60 + refilled + 10, rows  # the 401s (and a note of the refusals), not one row per refused call
    # A caller with a valid token, from the same address, is not held back by the flood.
    with served.client(served.token(FRONTEND)) as client:
        assert client.post("/query", json=QUERY).status_code == 200


def test_the_anonymous_limit_is_per_address_not_per_connection(served: Served) -> None:
    """Calls on new connections (a new port each) until one is refused: the 60 a minute of the
    address are used up first, whatever the ports. On a busy machine the calls are slower and
    the bucket refills (one a second) meanwhile, so it takes more calls: counted, not assumed."""
    statuses: list[int] = []
    started = time.monotonic()
    while 429 not in statuses and len(statuses) < 1000:
        with httpx.Client(base_url=served.base, timeout=30) as client:  # a new connection, a new port, each time
            statuses.append(client.get("/info").status_code)
    refilled = int(time.monotonic() - started) + 1  # the bucket refills one call a second
    assert statuses[-1] == 429, f"never refused in {len(statuses)} calls over {refilled} s"
    assert 60 <= statuses.count(200) <= 60 + refilled


def test_the_call_log_is_bounded_oldest_dropped(sudocode_copy: Path, start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service", call_log_rows=50)
    with served.client(served.token(FRONTEND)) as client:
        for n in range(60):
            client.post("/query", json={**QUERY, "request_id": f"q-{n}"})
    calls = ServerDB(served.workspace).calls(1000)
    assert len(calls) <= 50
    assert calls[0]["request_id"] == "q-59"  # newest first: the newest is kept


def test_the_server_state_is_private(sudocode_copy: Path, start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service")
    with served.client() as client:
        client.get("/info")
    path = db_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if extra.exists():
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0, extra


def test_an_existing_loose_server_db_is_tightened(sudocode_copy: Path, start_server: Any) -> None:
    ServerDB("someone/else")  # created as an older version left it: then loosened
    path = db_path()
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o755)
    start_server(sudocode_copy / "api-service")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
