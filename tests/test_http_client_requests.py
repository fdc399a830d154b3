"""``crossdeck request create --to`` an HTTP remote, as a user runs it against a real federation
server on 127.0.0.1: the request is recorded here and sent as a mutate; the answer (pending
there, completed there by its policy) is a new snapshot of our outgoing record; a remote that
cannot be reached leaves it pending, and the next sync delivers it, exactly once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.http_client_helpers import API_REMOTE, closed_port, set_http_url
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck


def ask(frontend: Path, title: str, priority: int, *extra: str) -> dict[str, Any]:
    result = crossdeck("request", "create", str(frontend), "--to", API_REMOTE, "--type", "create_issue",
                       "--title", title, "--priority", str(priority), "--actor", "alice", "--json", *extra)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert_matches_schema("request-create", sent)
    return sent


def lines_of(root: Path, request_id: str) -> list[dict[str, Any]]:
    """Every line of ``root``'s requests.jsonl about ``request_id``, in order."""
    path = root / ".sudocode" / "federation" / "requests.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [row for row in rows if row.get("request_id") == request_id]


def test_a_request_that_needs_a_human_is_pending_on_the_other_side(frontend: Path, served: Any) -> None:
    sent = ask(frontend, "Add user profile endpoint", 1, "--blocks", "i-8b4c")
    assert (sent["transport"], sent["delivered"], sent["remote_status"], sent["status"], sent["verdict"]) == (
        "http", True, "pending_approval", "pending", "needs-human")
    [there] = lines_of(served.root, sent["request_id"])
    assert (there["direction"], there["status"], there["payload"]["blocks"]) == (
        "incoming", "pending", ["acme-dev/frontend#i-8b4c"])
    mine = lines_of(frontend, sent["request_id"])
    assert [(m["status"], m.get("remote_status")) for m in mine] == [("pending", None), ("pending", "pending_approval")]
    assert "delivered_at" in mine[-1]
    text = crossdeck("request", "create", str(frontend), "--to", API_REMOTE, "--type", "create_issue",
                     "--title", "Another", "--priority", "0", "--actor", "alice")
    assert "delivered over HTTP: pending_approval there" in text.stdout


def test_a_request_its_policy_auto_approves_completes_at_once(frontend: Path, served: Any) -> None:
    sent = ask(frontend, "Small endpoint", 3)
    assert (sent["remote_status"], sent["status"]) == ("completed", "completed")
    created = sent["result"]["created"]
    assert created.startswith("acme-dev/api-service#i-")
    issues = (served.root / ".sudocode" / "issues.jsonl").read_text()
    assert created.rpartition("#")[2] in issues
    assert lines_of(frontend, sent["request_id"])[-1]["result"]["created"] == created


def test_an_unreachable_remote_leaves_it_pending_and_the_next_sync_delivers_it_once(frontend: Path,
                                                                                    served: Any) -> None:
    set_http_url(frontend, "github.com/acme-dev/api-service", f"http://127.0.0.1:{closed_port()}")
    sent = ask(frontend, "Offline ask", 1)
    assert (sent["delivered"], sent["status"], sent["remote_status"]) == (False, "pending", None)
    assert "Connection refused" in sent["delivery_error"] or "127.0.0.1" in sent["delivery_error"]
    assert lines_of(served.root, sent["request_id"]) == []
    assert len(lines_of(frontend, sent["request_id"])) == 1

    set_http_url(frontend, "github.com/acme-dev/api-service", served.url)  # the remote is back
    followed = []
    for _ in range(2):
        synced = crossdeck("sync", API_REMOTE, str(frontend), "--json")
        assert synced.returncode == 0, synced.stderr
        data = json.loads(synced.stdout)
        assert_matches_schema("sync", data)
        followed.append({f["request_id"]: f for f in data["results"][0]["requests"]})
    assert followed[0][sent["request_id"]]["delivered"] and followed[0][sent["request_id"]]["changed"]
    assert not followed[1][sent["request_id"]]["delivered"] and not followed[1][sent["request_id"]]["changed"]
    [there] = lines_of(served.root, sent["request_id"])  # delivered exactly once
    assert there["status"] == "pending"
    mine = lines_of(frontend, sent["request_id"])
    assert [m.get("remote_status") for m in mine] == [None, "pending_approval"]  # one delivery noted, no repeats
