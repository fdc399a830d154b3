"""The server commits the requests that arrive together in one commit, and a request that arrives
alone does not wait for company: the group's leader waits only for the writers still writing
(at most the committer's window), not the whole window every time. Its writer threads take turns
on the workspace's lock within the process."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.http_fixtures import FRONTEND, SCRAPER, Served
from tests.test_server_pending_memory import pending

WINDOW = 30.0  # seconds: a leader that waited its whole window would fail every bound below


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def committed(sudocode_copy: Path, start_server: Any) -> Served:
    """api-service as a git repository, served with a long commit window."""
    root = sudocode_copy / "api-service"
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "start")
    served: Served = start_server(root)
    served.running.state.served.committer.window = WINDOW
    return served


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip()) - 1  # less the start


def test_a_lone_request_is_committed_without_waiting_for_the_window(committed: Served) -> None:
    with committed.client(committed.token(FRONTEND), timeout=WINDOW * 2) as client:
        started = time.monotonic()
        answer = client.post("/mutate", json=pending("req-alone"))
        took = time.monotonic() - started
    assert answer.status_code == 202, answer.text
    assert took < WINDOW / 2
    assert commits(committed.root) == 1
    assert "req-alone" in git(committed.root, "show", "HEAD", "--", ".sudocode/federation/requests.jsonl")


def test_requests_arriving_together_share_commits_and_none_waits_the_window(committed: Served) -> None:
    tokens = {FRONTEND: committed.token(FRONTEND), SCRAPER: committed.token(SCRAPER)}
    answers: list[tuple[int, float]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def send(n: int) -> None:
        sender = FRONTEND if n % 2 else SCRAPER
        with committed.client(tokens[sender], timeout=WINDOW * 4) as client:
            start.wait()
            began = time.monotonic()
            status = client.post("/mutate", json=pending(f"req-burst-{n}", sender)).status_code
            with lock:
                answers.append((status, time.monotonic() - began))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WINDOW * 8)
    assert sorted(status for status, _ in answers) == [202] * 8
    assert max(took for _, took in answers) < WINDOW / 2
    assert 1 <= commits(committed.root) < 8
    assert git(committed.root, "status", "--porcelain") == ""


def test_writers_of_one_process_take_turns_on_the_workspace_lock(tmp_path: Path, crossdeck_home: Path) -> None:
    """The server's writer threads wait for each other in the process (core/sync/lock.py), one
    at a time, and a writer that waits too long is told which workspace is locked, as a process
    waiting for another process is."""
    from core.sync.lock import WorkspaceLocked, workspace_lock

    inside: list[int] = []
    most = [0]
    guard = threading.Lock()

    def writer() -> None:
        for _ in range(20):
            with workspace_lock(tmp_path, timeout=WINDOW * 2):
                with guard:
                    inside.append(1)
                    most[0] = max(most[0], len(inside))
                with guard:
                    inside.pop()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WINDOW * 4)
    assert most[0] == 1 and not any(thread.is_alive() for thread in threads)

    refused: list[BaseException] = []

    def late() -> None:
        try:
            with workspace_lock(tmp_path, timeout=0.2):
                pass
        except WorkspaceLocked as exc:
            refused.append(exc)

    with workspace_lock(tmp_path):
        other = threading.Thread(target=late)
        other.start()
        other.join(WINDOW)
    assert len(refused) == 1 and f"the workspace at {tmp_path} is locked" in str(refused[0])
    other = threading.Thread(target=late)
    other.start()
    other.join(WINDOW)
    assert len(refused) == 1  # let go: the next writer takes it


def test_a_replay_is_answered_while_every_writer_slot_is_taken(served: Served) -> None:
    """A mutate sent again with its request_id gets its first answer at once, not after the
    writers queued for the workspace's lock (a replay writes nothing)."""
    from core.sync.lock import workspace_lock

    token = served.token(FRONTEND)
    with served.client(token, timeout=WINDOW * 4) as client:
        assert client.post("/mutate", json=pending("req-first")).status_code == 202
    writers = served.running.state.writers
    assert writers is not None
    finished: list[int] = []

    def write(n: int) -> None:
        with served.client(token, timeout=WINDOW * 4) as client:
            finished.append(client.post("/mutate", json=pending(f"req-queued-{n}")).status_code)

    with workspace_lock(served.root):  # another writer holds the workspace: the server's writers wait
        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + WINDOW
        while not writers.locked() and time.monotonic() < deadline:  # every writer slot taken
            time.sleep(0.01)
        assert writers.locked()
        with served.client(token, timeout=WINDOW * 4) as client:
            again = client.post("/mutate", json=pending("req-first"))
        assert (again.status_code, again.headers.get("Idempotent-Replay")) == (202, "true")
        assert finished == []  # the writers are still waiting
    for thread in threads:
        thread.join(WINDOW * 4)
    assert finished == [202] * 4
