"""Approving every auto-approvable request at once (core.sync.auto_approve, ``crossdeck approve
--auto-approvable``): each its own decision through core.sync.decisions.decide (own audit entry,
own commit by the actor), the others left pending, ``--dry-run`` changing nothing, a refused or
locked one reported while the rest still run; and the HTTP server never taking a body's own word
for auto-approval. On purpose-built sudocode repos, each a real git repository."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from core.federation import load_federation
from core.sync.auto_approve import approve_auto_approvable
from core.sync.lock import workspace_lock
from core.timeutil import UTC
from tests.conftest import commit_everything
from tests.http_fixtures import FRONTEND, Served
from tests.schema_check import assert_matches_schema
from tests.test_approvals import remote, request, sudocode_repo
from tests.test_cli_summary import crossdeck
from tests.test_sync_create import by_author, lines
from tests.test_sync_create import git as run_git

NOW = dt.datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
STAMP = "2026-11-20T12:00:00Z"
ANN = "api/crew/ann"
WEB, OPS, NEW = "github.com/acme/web", "github.com/acme/ops", "github.com/acme/newcomer"
AUTO = ["req-1", "req-3", "req-6"]  # the auto-approvable ones, oldest first


def queue(root: Path, max_creates: int | None = None) -> Path:
    """An API repo with six pending requests: three auto-approvable (from WEB, priority >= 2), one
    whose priority keeps it for a human, one from an untrusted remote, one from a stranger; a git
    repository."""
    web = remote(WEB, auto_approve_conditions=["priority >= 2"],
                 **({"max_creates_per_day": max_creates} if max_creates is not None else {}))
    sudocode_repo(root, [web, remote(OPS, trust="untrusted")], [
        request("req-1", created="2026-11-20T08:00:00Z", title="Add avatar upload endpoint"),
        request("req-2", created="2026-11-20T08:30:00Z", priority=1),
        request("req-3", created="2026-11-20T09:00:00Z", priority=3, title="Rate-limit the search API"),
        request("req-4", OPS, created="2026-11-20T09:30:00Z"),
        request("req-5", NEW, created="2026-11-20T10:00:00Z"),
        request("req-6", created="2026-11-20T10:30:00Z", title="Paginate /users"),
    ])
    return commit_everything(root)


def state(root: Path) -> dict[str, str]:
    """Every file below ``root`` but git's own, by its digest; and the commit checked out."""
    files = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}
    return {**files, "HEAD": run_git(root, "rev-parse", "HEAD").strip()}


def statuses(root: Path) -> dict[str, str]:
    """Each request's current status (its last line)."""
    return {row["request_id"]: row["status"] for row in lines(root / ".sudocode" / "federation" / "requests.jsonl")}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    monkeypatch.delenv("BD_ACTOR", raising=False)


def test_the_cli_approves_each_auto_approvable_request_with_its_own_commit_and_audit_entry(
        tmp_path: Path, env: None) -> None:
    root = queue(tmp_path / "api")
    done = crossdeck("approve", "--auto-approvable", str(root), "--actor", ANN)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert [line.split()[:3] for line in out[:-1]] == [["approved", rid, "acme/api"] for rid in AUTO]
    assert out[0].startswith('approved          req-1  acme/api  "Add avatar upload endpoint"  created acme/api#i-')
    assert out[-1] == f"3 auto-approvable requests: 3 approved as {ANN}, 0 failed"
    assert statuses(root) == {"req-1": "completed", "req-2": "pending", "req-3": "completed", "req-4": "pending",
                              "req-5": "pending", "req-6": "completed"}
    # one commit per request, by the actor, each holding its request's lines, its item and its audit entry
    commits = by_author(root, ANN)
    assert [c.split(" | ")[0].split(":")[0] for c in commits] == [
        f"approve {rid} from {WEB}" for rid in reversed(AUTO)]
    assert all(c.endswith(".sudocode/federation/audit.jsonl,.sudocode/federation/requests.jsonl,.sudocode/issues.jsonl")
               for c in commits)
    audit = [e for e in lines(root / ".sudocode" / "federation" / "audit.jsonl") if e["operation_type"] == "approve"]
    assert [(e["request_id"], e["actor"], e["payload"]["verdict"]) for e in audit] == [
        (rid, ANN, "auto-approvable") for rid in AUTO]
    assert audit[0]["payload"]["reason"] == (
        "auto-approvable: every auto-approve condition of acme/web holds: priority >= 2 "
        "(remote_repos[0].permissions.mutate.auto_approve_conditions)")
    assert run_git(root, "status", "--porcelain") == ""
    # nothing left to do: said so, exit 0
    again = crossdeck("approve", "--auto-approvable", str(root), "--actor", ANN)
    assert (again.returncode, again.stdout) == (0, "no pending incoming request is auto-approvable: nothing to approve\n")


def test_the_json_is_one_document(tmp_path: Path, env: None) -> None:
    root = queue(tmp_path / "api")
    done = crossdeck("approve", str(root), "--auto-approvable", "--json", "--actor", ANN)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert_matches_schema("approve-auto", doc)
    assert (doc["dry_run"], doc["actor"], doc["today"], doc["approved"], doc["failed"]) == (
        False, ANN, "2026-11-20", 3, 0)
    first = doc["requests"][0]
    assert (first["request_id"], first["workspace"], first["outcome"], first["intent"], first["failed"]) == (
        "req-1", "acme/api", "approved", "creates an issue here", False)
    assert first["created"].startswith("acme/api#i-") and len(first["commit"]["sha"]) == 40
    assert len({r["commit"]["sha"] for r in doc["requests"]}) == 3


def test_dry_run_lists_what_it_would_approve_and_changes_nothing(tmp_path: Path, env: None) -> None:
    root = queue(tmp_path / "api")
    before = state(root)
    done = crossdeck("approve", "--auto-approvable", "--dry-run", str(root), "--actor", ANN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        'would approve     req-1  acme/api  "Add avatar upload endpoint"  creates an issue here',
        'would approve     req-3  acme/api  "Rate-limit the search API"  creates an issue here',
        'would approve     req-6  acme/api  "Paginate /users"  creates an issue here',
        f"3 auto-approvable requests: 3 would be approved as {ANN} (dry run: nothing written)"]
    doc = json.loads(crossdeck("approve", "--auto-approvable", "--dry-run", "--json", str(root), "--actor", ANN).stdout)
    assert_matches_schema("approve-auto", doc)
    assert doc["dry_run"] is True and [r["outcome"] for r in doc["requests"]] == ["would approve"] * 3
    assert all(r["commit"] is None and r["files"] == [] for r in doc["requests"])
    assert state(root) == before and run_git(root, "status", "--porcelain") == ""


def test_one_refused_is_reported_and_the_others_still_run(tmp_path: Path, env: None) -> None:
    """WEB may create two items a day: the third auto-approvable request is refused once the two
    before it are approved (the dry run foresees it), exit 1."""
    root = queue(tmp_path / "api", max_creates=2)
    dry = crossdeck("approve", "--auto-approvable", "--dry-run", str(root), "--actor", ANN)
    assert dry.returncode == 1
    assert dry.stdout.splitlines()[2] == (
        'would be refused  req-6  acme/api  "Paginate /users"  not approved: the policy would deny it: acme/web '
        "reached its max_creates_per_day: 2 of 2 approved today (remote_repos[0].permissions.mutate.max_creates_per_day)")
    assert dry.stdout.splitlines()[-1].endswith("2 would be approved as api/crew/ann, 1 would be refused "
                                                "(dry run: nothing written)")
    done = crossdeck("approve", "--auto-approvable", str(root), "--actor", ANN)
    assert done.returncode == 1
    out = done.stdout.splitlines()
    assert [line.split()[0] for line in out[:-1]] == ["approved", "approved", "refused"]
    assert out[2].startswith('refused           req-6  acme/api  "Paginate /users"  not approved: acme/api:req-6 cannot '
                             "be approved: the policy denies it: acme/web reached its max_creates_per_day")
    assert out[-1] == f"3 auto-approvable requests: 2 approved as {ANN}, 1 failed"
    assert "crossdeck approve: acme/api:req-6 not approved: acme/api:req-6 cannot be approved" in done.stderr
    assert statuses(root)["req-6"] == "pending" and len(by_author(root, ANN)) == 2


def test_a_locked_workspace_is_reported_and_the_other_workspaces_still_run(tmp_path: Path) -> None:
    first, second = queue(tmp_path / "api"), queue(tmp_path / "other")
    config = second / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["local_identity"]["url"] = "github.com/acme/other"
    config.write_text(json.dumps(doc))
    commit_everything(second, "rename")
    with workspace_lock(first):  # another process is writing there
        report = approve_auto_approvable(load_federation([tmp_path]), ANN, NOW, lock_timeout=0.2)
    assert sorted(f"{item.ref} {item.outcome}" for item in report.requests) == sorted(
        f"{ws}:{rid} {outcome}" for ws, outcome in (("acme/api", "refused"), ("acme/other", "approved")) for rid in AUTO)
    assert (report.approved, report.failed) == (3, 3)
    refused = [item for item in report.requests if item.outcome == "refused"]
    assert all(item.workspace == "acme/api" and "lock" in (item.error or "") for item in refused)
    assert set(statuses(first).values()) == {"pending"} and statuses(second)["req-6"] == "completed"


def test_only_the_listed_requests_are_approved(tmp_path: Path) -> None:
    root = queue(tmp_path / "api")
    report = approve_auto_approvable(load_federation([root]), ANN, NOW, only={"acme/api:req-3", "acme/api:req-2"})
    assert [(item.request_id, item.outcome) for item in report.requests] == [("req-3", "approved")]  # req-2: a human's
    assert statuses(root)["req-1"] == "pending" and statuses(root)["req-2"] == "pending"


@pytest.mark.parametrize("command", [
    ("approve", "req-1", "--dry-run"),
    ("approve", "--auto-approvable", "--reason", "because"),
    ("approve",),  # no REQUEST, no ROOT: the workspace is the current folder
])
def test_usage_errors(tmp_path: Path, env: None, command: tuple[str, ...]) -> None:
    root = queue(tmp_path / "api")
    before = state(root)
    done = crossdeck(*command, *([str(root)] if len(command) > 1 else []), "--actor", ANN, cwd=root)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert state(root) == before


def test_no_actor_no_approvals(tmp_path: Path, env: None) -> None:
    root = queue(tmp_path / "api")
    before = state(root)
    done = crossdeck("approve", "--auto-approvable", str(root))
    assert done.returncode == 2 and "no actor" in done.stderr
    assert state(root) == before


# -- the HTTP server: a body's own word never bypasses the verdict ------------------------------

def mutate_body(request_id: str, **extra: Any) -> dict[str, Any]:
    """A create_issue from FRONTEND that needs a human (priority 1: require_approval)."""
    data = {"title": "Drop the v1 users endpoint", "priority": 1, "labels": ["api"], "requester": "agent"}
    data.update(extra.pop("data", {}))
    return {"type": "mutate", "from": FRONTEND, "request_id": request_id, "operation": "create_issue", "data": data,
            **extra}


def test_a_mutate_saying_auto_approve_true_is_not_auto_approved(served: Served) -> None:
    requests = served.root / ".sudocode" / "federation" / "requests.jsonl"
    issues = served.root / ".sudocode" / "issues.jsonl"
    issues_before = issues.read_text()
    with served.client(served.token(FRONTEND)) as client:
        plain = client.post("/mutate", json=mutate_body("req-human-1"))
        # the design's message carries metadata.auto_approve; a body field saying so, anywhere, is refused
        in_metadata = client.post("/mutate", json=mutate_body("req-human-2", metadata={
            "request_id": "req-human-2", "requester": "agent", "auto_approve": True}))
        in_data = client.post("/mutate", json=mutate_body("req-human-3", data={"auto_approve": True}))
        top = client.post("/mutate", json=mutate_body("req-human-4", auto_approve=True))
    assert plain.status_code == 202 and plain.json()["status"] == "pending_approval", plain.text
    # The design's own fields (metadata.auto_approve, a top-level auto_approve) are accepted, but
    # a caller saying "approve me" never approves what the workspace's policy sends to a human.
    for answer in (in_metadata, top):
        assert answer.status_code == 202 and answer.json()["status"] == "pending_approval", answer.text
    assert in_data.status_code == 422 and in_data.json()["error"]["code"] == "invalid", in_data.text
    ids = [json.loads(line)["request_id"] for line in requests.read_text().splitlines() if line.strip()]
    assert {"req-human-1", "req-human-2", "req-human-4"} <= set(ids) and "req-human-3" not in ids
    rows = [json.loads(line) for line in requests.read_text().splitlines() if line.strip()]
    assert {row["status"] for row in rows if row["request_id"].startswith("req-human-")} == {"pending"}
    assert issues.read_text() == issues_before
