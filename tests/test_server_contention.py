"""Many writers at once (issue "Hostile world II", item 10): a 503 never follows a write. Once a
request is in the workspace its caller gets its answer (and a retry with the same request_id
gets that one answer); the lock is waited for with a generous bound before anything is written."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from typing import Any

import pytest

import core.server.mutate as mutating
from tests.http_fixtures import FRONTEND, Served
from tests.test_server_mutate import requests_of

WRITERS = 16


def create(request_id: str) -> dict[str, Any]:
    return {"type": "mutate", "request_id": request_id, "operation": "create_issue",
            "data": {"title": f"Contention {request_id}", "priority": 2, "labels": ["api"]}}


@pytest.fixture
def committed(served: Served) -> Served:
    """A git repository, so every write also commits (the slow part under the lock), and a daily
    create limit that the load does not reach."""
    import json

    config = served.root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["remote_repos"][0]["permissions"]["mutate"]["max_creates_per_day"] = 10_000
    doc["policies"]["incoming_requests"]["query"]["rate_limit"]["requests_per_minute"] = 100_000
    config.write_text(json.dumps(doc))
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "start"]):
        subprocess.run(["git", *args], cwd=served.root, check=True, capture_output=True)
    served.rescan()
    return served


def siege(served: Served, each: int) -> dict[str, int]:
    """WRITERS threads, each sending ``each`` mutates with its own request_ids; the status of each."""
    token = served.token(FRONTEND)
    answers: dict[str, int] = {}
    barrier = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        with served.client(token, timeout=300.0) as client:
            barrier.wait(10)
            for k in range(each):
                ident = f"req-w{n}-{k}"
                answers[ident] = client.post("/mutate", json=create(ident)).status_code

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return answers


def written(served: Served) -> Counter[str]:
    """How many times each request was written (its first line: pending)."""
    return Counter(r["request_id"] for r in requests_of(served)
                   if r["status"] == "pending" and r["request_id"].startswith("req-w"))


def test_a_503_never_follows_a_write_even_when_the_lock_is_scarce(committed: Served,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    served = committed
    monkeypatch.setattr(mutating, "LOCK_TIMEOUT", 0.2)  # waiting before a write gives up quickly here
    answers = siege(served, 2)
    lines = written(served)
    assert len(answers) == WRITERS * 2
    for ident, status in answers.items():
        if status == 503:
            assert lines[ident] == 0, f"{ident} was written, then answered 503"
        else:
            assert status == 200, (ident, status)
            assert lines[ident] == 1, ident
    # A retry of each refused one goes through, once.
    with served.client(served.token(FRONTEND), timeout=300.0) as client:
        for ident in [i for i, status in answers.items() if status == 503]:
            for _ in range(50):
                status = client.post("/mutate", json=create(ident)).status_code
                if status != 503:
                    break
            assert status == 200
    assert set(written(served).values()) == {1}


def test_sixteen_writers_get_no_503_with_the_default_wait(committed: Served) -> None:
    answers = siege(committed, 2)
    assert Counter(answers.values()) == Counter({200: WRITERS * 2})
    assert set(written(committed).values()) == {1}
    assert len(written(committed)) == WRITERS * 2
