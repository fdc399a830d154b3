"""A query is answered from the files as they are when it arrives, not from the watcher's last
look: the README's `crossdeck close` (in the served folder) then `crossdeck sync` (a query) must
see the close, however long the watcher waits between looks (here: an hour)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.http_fixtures import FRONTEND, Served


def _status(served: Served, ident: str) -> str:
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/query", json={"type": "query", "entity": "issue"})
    assert answer.status_code == 200, answer.text
    return next(item["status"] for item in answer.json()["items"] if item["id"] == ident)


def test_a_change_on_disk_is_in_the_next_answer(sudocode_copy: Path, start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service", poll_seconds=3600.0)  # the watcher never looks by itself
    issues = sudocode_copy / "api-service" / ".sudocode" / "issues.jsonl"
    lines = [json.loads(line) for line in issues.read_text(encoding="utf-8").splitlines() if line.strip()]
    target = next(line for line in lines if line.get("status") == "open")
    assert _status(served, target["id"]) == "open"
    target["status"] = "closed"
    issues.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert _status(served, target["id"]) == "closed"
