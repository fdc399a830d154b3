"""The HTTP client's failure handling against small local servers that misbehave on purpose
(tests/http_client_helpers.Flaky counts the calls it got): 5xx, timeouts and refused
connections are retried with backoff, a 4xx never (its message shown, made printable), a 429
waits its Retry-After within a bound; the circuit breaker opens after repeated failed contacts
and closes again; an unreachable remote is given up within its bound."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from pathlib import Path

import pytest

from core import store
from core.federation import load_federation
from core.sync.fetch_pool import CircuitPolicy, SyncPolicy, contact_all, targets_of
from core.sync.http_remote import HttpFailure, HttpRemote
from core.sync.retry import RetryPolicy
from tests.http_client_helpers import closed_port, flaky
from tests.test_git_remote import local_workspace

FAST = RetryPolicy(attempts=3, initial=0)
T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def test_5xx_is_retried_until_it_answers() -> None:
    with flaky(2, 503) as server, HttpRemote(server.url, retry=FAST) as client:
        assert client.info()["workspace"] == "acme/flaky"
        assert server.attempts == 3 == client.attempts


def test_5xx_gives_up_after_the_attempts() -> None:
    with flaky(10, 500) as server, HttpRemote(server.url, retry=FAST) as client, \
            pytest.raises(HttpFailure) as failure:
        client.info()
    assert server.attempts == 3
    assert failure.value.status == 500 and "500 internal: try again" in str(failure.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_4xx_is_never_retried_and_says_what_the_server_said(status: int) -> None:
    body = {"error": {"code": "nope", "message": "refused \x1b[31mred\x1b[0m", "details": [
        {"path": "data.title", "message": "required"}]}}
    with flaky(10, status, body=body) as server, HttpRemote(server.url, retry=FAST) as client, \
            pytest.raises(HttpFailure) as failure:
        client.info()
    assert server.attempts == 1
    message = str(failure.value)
    assert failure.value.permanent and f"{status} nope: refused" in message and "(data.title: required)" in message
    assert "\x1b" not in message and "\\x1b[31m" in message  # remote text cannot drive the terminal


def test_a_timeout_is_retried() -> None:
    with flaky(2, 200, delay=1.0) as server, HttpRemote(server.url, timeout=0.2, retry=FAST) as client:
        started = time.monotonic()
        assert client.info()["workspace"] == "acme/flaky"
    assert server.attempts == 3 and time.monotonic() - started < 2.0


def test_429_waits_its_retry_after_within_a_bound() -> None:
    waits: list[float] = []
    with flaky(1, 429, headers={"Retry-After": "2"}) as server, \
            HttpRemote(server.url, retry=FAST, sleep=waits.append) as client:
        assert client.info()["workspace"] == "acme/flaky"
    assert (server.attempts, waits) == (2, [2.0])
    with flaky(5, 429, headers={"Retry-After": "3600"}) as server, \
            HttpRemote(server.url, retry=FAST, sleep=waits.append) as client, pytest.raises(HttpFailure) as failure:
        client.info()
    assert server.attempts == 1 and "longer than 10 s" in str(failure.value)


def _http_remote(tmp_path: Path, url: str) -> list:  # type: ignore[type-arg]
    fed = load_federation([local_workspace(tmp_path / "web", [{"name": "partner", "url": url}])])
    return targets_of(fed.workspaces)


def test_the_circuit_opens_after_repeated_failures_and_closes_on_recovery(tmp_path: Path) -> None:
    policy = SyncPolicy(retry=FAST, circuit=CircuitPolicy(threshold=2, cooldown_seconds=60))
    with flaky(6, 502) as server:
        targets = _http_remote(tmp_path, server.url)
        for minute in (0, 1):
            [outcome] = contact_all("check", targets, policy=policy, now=lambda m=minute: T0 + dt.timedelta(minutes=m))
            assert outcome.result == "failed"
        assert (outcome.circuit_state, server.attempts) == ("open", 6)
        [skipped] = contact_all("check", targets, policy=policy, now=lambda: T0 + dt.timedelta(minutes=1, seconds=30))
        assert (skipped.result, server.attempts) == ("skipped", 6)  # open: not even tried
        assert "circuit open after 2 failures" in (skipped.reason or "")
        # after the cool-down: half-open, one attempt; the server answers now: closed
        [recovered] = contact_all("check", targets, policy=policy, now=lambda: T0 + dt.timedelta(minutes=3))
    assert (recovered.result, recovered.attempts, recovered.circuit_state) == ("ok", 1, "closed")
    [state] = store.remote_states().values()
    assert (state.failures, state.circuit_state, state.status) == (0, "closed", "stale")


def test_a_closed_port_is_given_up_within_its_bound(tmp_path: Path) -> None:
    targets = _http_remote(tmp_path, f"http://127.0.0.1:{closed_port()}")
    policy = SyncPolicy()  # the defaults: 3 attempts, waiting 0.25 s then 0.5 s
    started = time.monotonic()
    [outcome] = contact_all("sync", targets, policy=policy)
    elapsed = time.monotonic() - started
    assert (outcome.result, outcome.attempts) == ("failed", 3)
    assert elapsed < sum(policy.retry.waits()) + 2.0
    assert "127.0.0.1" in (outcome.error or "")


def test_a_server_that_never_answers_is_given_up_within_its_bound(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        targets = _http_remote(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}")
        policy = SyncPolicy(check_timeout=0.5, retry=RetryPolicy(attempts=2, initial=0.1))
        started = time.monotonic()
        [outcome] = contact_all("check", targets, policy=policy)
        elapsed = time.monotonic() - started
    assert (outcome.result, outcome.attempts) == ("failed", 2)
    assert "timed out" in (outcome.error or "")
    assert elapsed < 2 * 0.5 + 0.1 + 1.5


def test_events_parse_reconnect_with_last_event_id_and_stop_at_once() -> None:
    """First stream: one event, then the server drops it; second stream: silent after its
    headers (as between keepalives). The client reconnects with Last-Event-ID and, told to stop,
    ends at once, not at the read timeout."""
    seen_headers: list[str] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)

        def serve() -> None:
            for index in range(2):
                conn, _ = listener.accept()
                request = conn.recv(65536).decode("latin-1")
                seen_headers.append(request)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: keepalive\n\n")
                if index == 0:
                    conn.sendall(b'id: 7\nevent: item.updated\ndata: {"type": "item.updated",\ndata:  "key": "a#i-1"}\n\n')
                    conn.close()
                else:
                    keep.append(conn)  # open and silent until the test ends

        keep: list[socket.socket] = []
        threading.Thread(target=serve, daemon=True).start()
        stop = threading.Event()
        got: list[object] = []
        with HttpRemote(f"http://127.0.0.1:{listener.getsockname()[1]}") as client:
            reader = threading.Thread(target=lambda: got.extend(client.events("sub-1", stop)), daemon=True)
            reader.start()
            deadline = time.monotonic() + 60
            while len(seen_headers) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)  # polling a plain socket server: it has no event to await
            stop.set()
            started = time.monotonic()
            reader.join(5.0)
        for conn in keep:
            conn.close()
    assert not reader.is_alive() and time.monotonic() - started < 2.0
    assert [(e.id, e.event, e.data) for e in got] == [("7", "item.updated", {"type": "item.updated", "key": "a#i-1"})]
    assert "last-event-id: 7" in seen_headers[1].lower()
