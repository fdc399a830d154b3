"""Event streams are bounded (issue "Hostile world II", item 9): at most so many open streams per
caller and per subscription (429 beyond, with Retry-After), and each stream buffers a bounded
number of bytes: a stream whose client stops reading is closed once it is over its bound (its
connection too), and its client resumes with ``Last-Event-ID`` and misses nothing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from core.sync.http_remote import HttpRemote
from tests.http_fixtures import FRONTEND, Served
from tests.test_server_events import stream, subscribe

BIG = 200_000


def big_events(served: Served, count: int, tag: str = "big") -> list[int]:
    """Publish ``count`` events of about 200 KB each, as a huge item's changes would be; their ids."""
    published = served.running.state.hub.publish(
        {"type": "item.updated", "workspace": served.workspace, "key": f"acme-dev/api-service#i-{tag}{n}",
         "id": f"i-{tag}{n}", "entity": "issue", "status": "open",
         "item": {"key": f"acme-dev/api-service#i-{tag}{n}", "description": "x" * BIG, "relationships": []},
         "previous": {}, "at": "2026-12-01T00:00:00Z"} for n in range(count))
    return [event["event_id"] for event in published]


@contextmanager
def held(served: Served, token: str, subscription: str) -> Iterator[None]:
    """An open stream, closed (by its client) on leaving."""
    with served.client(token) as client, client.stream("GET", "/events", params={"subscription": subscription}) as answer:
        assert answer.status_code == 200
        lines = answer.iter_lines()  # kept: a reader dropped half-way closes the connection
        assert next(lines).startswith(":")
        yield


def open_streams(served: Served) -> int:
    return served.running.state.streams.open


def wait_for(check: Any, timeout: float = 60.0) -> bool:  # generous: a busy CI machine
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def test_streams_are_capped_per_subscription_and_per_caller(sudocode_copy: Path, start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service", max_streams_per_caller=3, max_streams_per_subscription=2)
    token = served.token(FRONTEND)
    first = subscribe(served, token, "sub-a").json()["subscription_id"]
    second = subscribe(served, token, "sub-b").json()["subscription_id"]
    with held(served, token, first), held(served, token, first):
        with served.client(token) as client:
            over = client.get("/events", params={"subscription": first})
        assert over.status_code == 429
        assert "2 open streams" in over.json()["error"]["message"]
        assert int(over.headers["retry-after"]) >= 1
        with held(served, token, second):
            with served.client(token) as client:
                caller = client.get("/events", params={"subscription": second})
            assert caller.status_code == 429
            assert "3 open streams" in caller.json()["error"]["message"]
    assert wait_for(lambda: open_streams(served) == 0)
    with held(served, token, second), held(served, token, second):
        assert open_streams(served) == 2  # closed streams gave their places back


def test_a_stream_that_stops_reading_is_closed_and_its_client_resumes(sudocode_copy: Path,
                                                                       start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service", stream_buffer=512 * 1024)
    token = served.token(FRONTEND)
    sub = subscribe(served, token).json()["subscription_id"]
    where = httpx.URL(served.url)
    sock = socket.create_connection((where.host, where.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET /api/v1/federation/events?subscription={sub} HTTP/1.1\r\nHost: {where.host}:{where.port}\r\n"
                 f"Authorization: Bearer {token}\r\n\r\n".encode())
    assert b"200" in sock.recv(64)
    assert wait_for(lambda: open_streams(served) == 1)
    ids = big_events(served, 80)  # ~16 MB for a client that reads nothing
    assert wait_for(lambda: open_streams(served) == 0), "the stalled stream is still open"
    received = b""
    sock.settimeout(10)
    try:
        while chunk := sock.recv(1 << 20):
            received += chunk
    except ConnectionResetError:
        pass  # closed hard: what it had not read is gone, which is why it resumes
    sock.close()
    seen = [int(line[4:]) for line in received.split(b"\n") if line.startswith(b"id: ")]
    assert len(seen) < len(ids)
    last = seen[-2] if len(seen) > 1 else 0  # the last one may have been cut short: resume before it
    with stream(served, token, sub, last_event_id=last) as got:
        replayed: list[int] = []
        while len(replayed) < len([i for i in ids if i > last]):
            item = got.get(timeout=10)
            if isinstance(item, tuple) and isinstance(item[0], int):
                replayed.append(item[0])
    assert replayed == [i for i in ids if i > last]


def test_the_client_resumes_after_the_server_closes_its_stream(sudocode_copy: Path, start_server: Any) -> None:
    """crossdeck's own client (HttpRemote.events, which watch and the dashboard use): a consumer
    that stalls gets its stream closed, then reconnects with Last-Event-ID and gets every event
    once, in order."""
    served = start_server(sudocode_copy / "api-service", stream_buffer=512 * 1024)
    token = served.token(FRONTEND)
    sub = subscribe(served, token).json()["subscription_id"]
    stop, stalled, release = threading.Event(), threading.Event(), threading.Event()
    got: list[int] = []
    drops: list[str] = []

    def consume() -> None:
        with HttpRemote(served.base, token) as client:
            for event in client.events(sub, stop, on_drop=drops.append):
                if event.event == "item.updated":
                    got.append(int(event.id or 0))
                    if len(got) == 1:
                        stalled.set()
                        release.wait(30)
                    if len(got) >= 81:
                        return

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    assert wait_for(lambda: open_streams(served) == 1)
    ids = big_events(served, 1, "first")
    assert stalled.wait(10)
    ids += big_events(served, 80)
    assert wait_for(lambda: open_streams(served) == 0), "the stalled stream is still open"
    release.set()
    reader.join(60)
    stop.set()
    assert got == ids
    assert drops  # it was dropped, and came back
