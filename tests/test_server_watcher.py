"""The server's background work survives a bad workspace (issue "Hostile world II", item 4): a
re-read that raises is reported (a line on stderr, a ``server.error`` event on every stream), the
last good copy of the workspace goes on answering, and once the file is fixed the next re-read
picks it up: the watcher never dies silently."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

import core.server.served as served_module
from tests.http_fixtures import FRONTEND, Served
from tests.test_server_events import next_event, stream, subscribe

BOOM = "i-boom"


def issues(root: Path) -> Path:
    return root / ".sudocode" / "issues.jsonl"


def add_issue(root: Path, ident: str, title: str) -> None:
    with issues(root).open("a") as out:
        out.write(json.dumps({"id": ident, "title": title, "status": "open", "priority": 2,
                              "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z"}) + "\n")


@pytest.fixture
def fragile(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that raises on the record i-boom, as a reader with a bug would on a bad record."""
    real = served_module.load_workspace

    def load(path: Path, kind: Any, *args: Any, **kwargs: Any) -> Any:
        if BOOM in issues(Path(path)).read_text():
            raise ValueError(f"cannot read the record {BOOM}")
        return real(path, kind, *args, **kwargs)

    monkeypatch.setattr(served_module, "load_workspace", load)


def keys(served: Served, token: str) -> set[str]:
    with served.client(token) as client:
        answer = client.post("/query", json={"type": "query", "entity": "issue", "limit": 500})
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


def test_a_reread_that_raises_is_reported_and_the_fix_is_picked_up(served: Served, fragile: None,
                                                                   capfd: pytest.CaptureFixture[str]) -> None:
    token = served.token(FRONTEND)
    sub = subscribe(served, token).json()["subscription_id"]
    before = keys(served, token)
    with stream(served, token, sub) as got:
        add_issue(served.root, BOOM, "a record the reader cannot take")
        _, _, error = next_event(got, "server.error")
        assert error["type"] == "server.error"
        assert error["task"] == "watcher"
        assert "last good copy" in error["message"]
        assert keys(served, token) == before  # the last good copy answers
        text = issues(served.root).read_text()
        issues(served.root).write_text("".join(line + "\n" for line in text.splitlines() if BOOM not in line))
        add_issue(served.root, "i-fixed", "after the fix")
        _, _, created = next_event(got, "item.created")
        assert created["id"] == "i-fixed"
    assert "i-fixed" in keys(served, token)
    assert "watcher" in capfd.readouterr().err


def test_the_watcher_keeps_going_after_a_failure_outside_the_reread(served: Served,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever raises in a background task (here: publishing), the task starts again."""
    hub = served.running.state.hub
    real = hub.publish
    failures = {"left": 2}

    def publish(events: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("publishing failed")
        return real(events)

    monkeypatch.setattr(hub, "publish", publish)
    token = served.token(FRONTEND)
    add_issue(served.root, "i-one", "first")
    deadline = time.monotonic() + 60  # generous bounds: a busy CI machine
    while failures["left"] and time.monotonic() < deadline:
        time.sleep(0.05)
    add_issue(served.root, "i-two", "second")
    deadline = time.monotonic() + 60
    while "i-two" not in keys(served, token) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert {"i-one", "i-two"} <= keys(served, token)
