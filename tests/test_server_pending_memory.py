"""A mutate that waits for a human costs its own lines, not the workspace's size (issue 17): the
server appends the request and commits, then puts the request, as the loader reads it back, into
the workspace it holds, with no re-read of the workspace. What it holds then is what a fresh read
of the folder gives; its event goes out once; the caller sees its request at once; a change made
by someone else is still picked up by the watcher."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core.server.served as served_module
from core.federation import load_workspace
from core.model import Workspace
from tests.http_fixtures import FRONTEND, MERCHANT, SCRAPER, Served
from tests.test_server_events import WAIT, next_event, stream, subscribe

LOG = Path(".sudocode") / "federation" / "requests.jsonl"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every whole-workspace read the server makes from now on (the folder read)."""
    real = served_module.load_workspace
    calls: list[str] = []

    def counted(path: Path, kind: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(path))
        return real(path, kind, *args, **kwargs)

    monkeypatch.setattr(served_module, "load_workspace", counted)
    yield calls


@pytest.fixture
def quiet(sudocode_copy: Path, start_server: Any) -> Served:
    """api-service served with a watcher that does not look by itself during a test (the test
    makes it look: ``rescan``), so what the server holds comes from its own calls alone."""
    return start_server(sudocode_copy / "api-service", poll_seconds=3600.0)  # type: ignore[no-any-return]


def pending(request_id: str, sender: str = FRONTEND, title: str = "Needs a human") -> dict[str, Any]:
    """A create_issue at priority 1: the policy's require_approval holds it for a human."""
    return {"type": "mutate", "from": sender, "request_id": request_id, "operation": "create_issue",
            "data": {"title": title, "priority": 1, "labels": ["api"]}}


def held(served: Served) -> Workspace:
    return served.running.state.served.workspace


def on_disk(served: Served) -> Workspace:
    fresh, _ = load_workspace(served.root, held(served).kind)
    assert fresh is not None
    return fresh


def test_pending_mutates_are_held_as_a_fresh_read_has_them_without_reading_the_workspace(
        quiet: Served, loads: list[str]) -> None:
    token, other = quiet.token(FRONTEND), quiet.token(MERCHANT)
    sub = subscribe(quiet, token).json()["subscription_id"]
    sent = [f"req-mem-{n}" for n in range(6)]
    with stream(quiet, token, sub) as got, quiet.client(token) as client, quiet.client(other) as stranger:
        for n, ident in enumerate(sent):
            answer = client.post("/mutate", json=pending(ident, title=f"Needs a human {n}"))
            assert answer.status_code == 202, answer.text
            assert answer.json()["status"] == "pending_approval"
            mine = client.get(f"/requests/{ident}")  # held at once: no watcher look in between
            assert mine.status_code == 200, mine.text
            assert mine.json()["request"]["status"] == "pending"
            assert stranger.get(f"/requests/{ident}").status_code == 404  # not between it and the merchant
            _, _, event = next_event(got, "request.created")
            assert (event["request_id"], event["status"]) == (ident, "pending")
        again = client.post("/mutate", json=pending(sent[0], title="Needs a human 0"))  # a retried call
        assert again.status_code == 202, again.text
        assert again.headers.get("Idempotent-Replay") == "true"

        assert loads == []  # six requests written and held, the workspace never read again
        assert held(quiet).requests == on_disk(quiet).requests
        log = [json.loads(line) for line in (quiet.root / LOG).read_text().splitlines() if line.strip()]
        assert sorted(r["request_id"] for r in log if r["request_id"] in sent) == sorted(sent)  # each once

        # The watcher's look at the server's own writes reads the two logs alone, and finds
        # nothing it has not published: the next event is the next request's.
        quiet.rescan()
        assert loads == []
        fresh = on_disk(quiet)
        assert (held(quiet).requests, held(quiet).audit) == (fresh.requests, fresh.audit)
        assert client.post("/mutate", json=pending("req-mem-last")).status_code == 202
        assert next_event(got, "request.created")[2]["request_id"] == "req-mem-last"


def test_a_change_someone_else_makes_is_still_picked_up(quiet: Served, loads: list[str]) -> None:
    token = quiet.token(FRONTEND)
    with quiet.client(token) as client:
        assert client.post("/mutate", json=pending("req-mem-a")).status_code == 202
        # another process approves it, as `crossdeck approve` writes: a line further down the log
        line = next(json.loads(raw) for raw in (quiet.root / LOG).read_text().splitlines() if "req-mem-a" in raw)
        with (quiet.root / LOG).open("a") as out:
            out.write(json.dumps({**line, "status": "approved", "approved_by": "alice"}) + "\n")
        quiet.rescan()
        assert client.get("/requests/req-mem-a").json()["request"]["status"] == "approved"
        assert loads == []  # the request log alone was read again
        with (quiet.root / ".sudocode" / "issues.jsonl").open("a") as out:  # an editor adds an issue
            out.write(json.dumps({"id": "i-else", "title": "Added by hand", "status": "open", "priority": 2,
                                  "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z"})
                      + "\n")
        quiet.rescan()
        assert len(loads) == 1  # anything beyond the logs: the workspace is read again
        found = client.post("/query", json={"type": "query", "entity": "issue", "limit": 500})
        assert "i-else" in {item["id"] for item in found.json()["items"]}
    assert held(quiet).requests == on_disk(quiet).requests


def test_concurrent_pending_mutates_are_held_in_the_logs_order(quiet: Served, loads: list[str]) -> None:
    tokens = {FRONTEND: quiet.token(FRONTEND), SCRAPER: quiet.token(SCRAPER)}
    answers: list[int] = []
    lock = threading.Lock()

    def send(worker: int) -> None:
        sender = FRONTEND if worker % 2 else SCRAPER  # the scraper is untrusted: every create waits
        with quiet.client(tokens[sender], timeout=WAIT * 6) as client:
            for n in range(4):
                status = client.post("/mutate", json=pending(f"req-par-{worker}-{n}", sender)).status_code
                with lock:
                    answers.append(status)

    threads = [threading.Thread(target=send, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 12)
    assert answers == [202] * 24
    assert loads == []
    assert held(quiet).requests == on_disk(quiet).requests


def test_a_pending_mutate_is_not_held_up_by_a_reread_under_way(quiet: Served, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """While the watcher reads the workspace again (someone else changed an issue), a mutate that
    waits for a human is answered all the same; what the re-read then installs keeps its request."""
    real = served_module.load_workspace
    reading, release = threading.Event(), threading.Event()

    def slow(path: Path, kind: Any, *args: Any, **kwargs: Any) -> Any:
        reading.set()
        assert release.wait(WAIT * 6), "the test never let the re-read go on"
        return real(path, kind, *args, **kwargs)

    monkeypatch.setattr(served_module, "load_workspace", slow)
    with (quiet.root / ".sudocode" / "issues.jsonl").open("a") as out:  # an editor adds an issue
        out.write(json.dumps({"id": "i-while", "title": "Added while the server works", "status": "open",
                              "priority": 2, "created_at": "2026-12-01T00:00:00Z",
                              "updated_at": "2026-12-01T00:00:00Z"}) + "\n")
    rescan = threading.Thread(target=quiet.rescan)
    rescan.start()
    try:
        assert reading.wait(WAIT)
        answers: list[int] = []

        def send() -> None:
            with quiet.client(quiet.token(FRONTEND)) as client:
                answers.append(client.post("/mutate", json=pending("req-during")).status_code)

        sender = threading.Thread(target=send)
        sender.start()
        sender.join(WAIT * 3)
        assert answers == [202]  # answered while the re-read is still under way
        assert rescan.is_alive()
    finally:
        release.set()
        rescan.join(WAIT * 6)
    assert "req-during" in {r.request_id for r in held(quiet).requests}
    assert "i-while" in {unit.id for unit in held(quiet).work_units}
    assert held(quiet).requests == on_disk(quiet).requests
