"""Outgoing requests' live status (core.analysis.outgoing) on a temp copy of the demo: the
receiver's decision shows on the sender's row before the sender's line changes; a request an
HTTP remote never answered shows as not delivered; ``crossdeck approvals --all`` prints the same status."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from core.analysis.approvals import approvals_of
from core.analysis.outgoing import OutgoingRequest, outcome, receiving_remote
from core.federation import load_federation
from core.sync.decisions import decide
from tests.conftest import PROJECT
from tests.test_cli_summary import crossdeck

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
FRONTEND_LOG = "sudocode/frontend/.sudocode/federation/requests.jsonl"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


def outgoing(root: Path) -> dict[str, OutgoingRequest]:
    report = approvals_of(load_federation([root]).workspaces, NOW.date())
    return {row.request_id: row for row in report.outgoing}


def test_the_demo_rows_name_the_remote_and_the_created_item(demo: Path) -> None:
    rows = outgoing(demo)
    done = rows["req-a41c07"]
    assert (receiving_remote(done), done.state, done.seen_in) == (
        "acme-dev/api-service", "completed", "acme-dev/api-service")
    assert outcome(done) == "completed: created acme-dev/api-service#i-3c1d"
    assert outcome(rows["req-7c2e41"]) == "pending" and rows["req-7c2e41"].age_days == 2
    assert receiving_remote(rows["req-5b90d1"]) == "globex-payments"


def test_a_decision_at_the_receiver_shows_on_the_senders_row(demo: Path) -> None:
    sender_line = (demo / FRONTEND_LOG).read_bytes()
    fed = load_federation([demo])
    approved = decide(fed, "acme-dev/api-service:req-7c2e41", "approve", "api/crew/bob", None, NOW)
    decide(fed, "acme-dev/api-service:req-9d4b17", "reject", "api/crew/bob", "not before v2", NOW)
    assert (demo / FRONTEND_LOG).read_bytes() == sender_line  # the sender's own line did not change
    rows = outgoing(demo)
    assert approved.created is not None
    assert rows["req-7c2e41"].state == "completed" and rows["req-7c2e41"].decided_by == "api/crew/bob"
    assert outcome(rows["req-7c2e41"]) == f"completed: created {approved.created.key}"
    assert outcome(rows["req-9d4b17"]) == "rejected: not before v2"
    assert rows["req-9d4b17"].seen_in == "acme-dev/api-service"


SEARCH = {"url": "github.com/acme-dev/search", "transport": "http", "http_url": "http://127.0.0.1:9",
          "trust_level": "verified",
          "permissions": {"mutate": {"allowed": True}}}


def test_a_request_an_http_remote_never_answered_is_not_delivered(demo: Path) -> None:
    config = demo / "sudocode/frontend/.sudocode/federation.config.json"
    data = json.loads(config.read_text())
    data["remote_repos"].append(SEARCH)
    config.write_text(json.dumps(data))
    record = {"request_id": "req-0dd001", "direction": "outgoing", "from_repo": "github.com/acme-dev/frontend",
              "to_repo": "github.com/acme-dev/search", "request_type": "create_issue",
              "payload": {"title": "Search by avatar"}, "status": "pending",
              "created_at": "2026-11-20T11:00:00Z", "updated_at": "2026-11-20T11:00:00Z"}
    with (demo / FRONTEND_LOG).open("a") as log:
        log.write(json.dumps(record) + "\n")
    row = outgoing(demo)["req-0dd001"]
    assert (row.state, row.remote, row.seen_in) == ("not-delivered", "acme-dev/search", "acme-dev/frontend")
    assert outcome(row) == "not delivered" and receiving_remote(row) == "acme-dev/search"
    assert outgoing(demo)["req-7c2e41"].state == "pending"  # a git remote's receiver fetches: never "not delivered"
    fed = load_federation([demo])
    synced_before = {("acme-dev/frontend", "acme-dev/search"): "2026-11-20T10:59:00Z"}
    synced_after = {("acme-dev/frontend", "acme-dev/search"): "2026-11-20T11:01:00Z"}
    rows = {r.request_id: r for r in approvals_of(fed.workspaces, NOW.date(), synced_before).outgoing}
    assert rows["req-0dd001"].state == "not-delivered"  # no sync since it was made
    rows = {r.request_id: r for r in approvals_of(fed.workspaces, NOW.date(), synced_after).outgoing}
    assert rows["req-0dd001"].state == "pending"  # a sync since delivers or finds it there
    with (demo / FRONTEND_LOG).open("a") as log:  # the remote answered (core.sync.outgoing_http notes it)
        log.write(json.dumps({**record, "remote_status": "pending_approval",
                              "delivered_at": "2026-11-20T11:05:00Z"}) + "\n")
    assert outcome(outgoing(demo)["req-0dd001"]) == "pending"


def test_the_cli_prints_the_same_status(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T12:00:00Z")
    decide(load_federation([demo]), "acme-dev/api-service:req-9d4b17", "reject", "api/crew/bob", "later", NOW)
    result = crossdeck("approvals", str(demo), "--all")
    assert result.returncode == 0, result.stderr
    line = next(text for text in result.stdout.splitlines() if "req-9d4b17" in text and "frontend" in text.split()[1])
    assert line.endswith("rejected: later") and "acme-dev/api-service" in line
    data = json.loads(crossdeck("approvals", str(demo), "--all", "--json").stdout)
    row = next(r for r in data["outgoing"] if r["request_id"] == "req-9d4b17")
    assert (row["state"], row["rejection_reason"], row["seen_in"]) == ("rejected", "later", "acme-dev/api-service")
