"""Deciding incoming cross-repo requests (core.sync.decisions), on a copy of the demo federation
and on purpose-built workspaces: what lands in requests.jsonl and audit.jsonl, what is refused,
the lock, torn lines, and two processes deciding the same request at once."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.analysis.approvals import Verdict, approvals_of
from core.federation import Federation, load_federation
from core.model import RequestStatus
from core.settings import dirs
from core.sync.appendlog import append_jsonl
from core.sync.decisions import DecisionError, DecisionResult, decide
from core.sync.lock import WorkspaceLocked, lock_path, workspace_lock
from core.timeutil import UTC
from tests.conftest import PROJECT, real_town, write_json, write_jsonl
from tests.test_approvals import remote, request, sudocode_repo

NOW = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
STAMP = "2026-11-20T10:00:00Z"
BOB = "web/crew/bob"
API = "acme-dev/api-service"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo federation: decisions write into it, never into the checkout."""
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


def api_logs(demo: Path) -> tuple[Path, Path]:
    folder = demo / "sudocode" / "api-service" / ".sudocode" / "federation"
    return folder / "requests.jsonl", folder / "audit.jsonl"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def last_line_for(path: Path, request_id: str) -> dict[str, Any]:
    return [row for row in lines(path) if row["request_id"] == request_id][-1]


def decide_in(root: Path, ref: str, decision: str = "approve", actor: str = BOB, reason: str | None = None,
              **kwargs: Any) -> DecisionResult:
    return decide(load_federation([root]), ref, decision, actor, reason, NOW, **kwargs)  # type: ignore[arg-type]


def refused(root: Path, ref: str, decision: str = "approve", actor: str = BOB, reason: str | None = None,
            fed: Federation | None = None) -> str:
    """The refusal's message; asserts that nothing below ``root`` changed."""
    before = snapshot_files(root)
    with pytest.raises(DecisionError) as caught:
        decide(fed or load_federation([root]), ref, decision, actor, reason, NOW)  # type: ignore[arg-type]
    assert snapshot_files(root) == before
    return str(caught.value)


def snapshot_files(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*.jsonl"))}


# -- approve and reject on the demo's pending queue ---------------------------------------------

def test_approve_appends_a_full_snapshot_and_an_audit_entry(demo: Path) -> None:
    requests, audit = api_logs(demo)
    issues = requests.parent.parent / "issues.jsonl"
    previous = last_line_for(requests, "req-7c2e41")
    count, audit_count = len(lines(requests)), len(lines(audit))

    result = decide_in(demo, "req-7c2e41")

    assert (result.workspace, result.request_id, result.ref) == (API, "req-7c2e41", f"{API}:req-7c2e41")
    # a create_issue request: approving it creates the issue, and the request is completed
    assert (result.changed, result.before, result.after) == (True, RequestStatus.PENDING, RequestStatus.COMPLETED)
    assert (result.actor, result.decided_by, result.decided_at) == (BOB, BOB, STAMP)
    assert result.verdict is Verdict.AUTO_APPROVABLE
    assert result.files == [str(requests), str(issues), str(audit)]
    assert result.created is not None
    created = {"id": result.created.id, "canonical_ref": result.created.key}
    rows = lines(requests)
    assert len(rows) == count + 2
    written, completed = rows[-2:]
    # every field of the previous line is kept, in its order; the decision's fields follow
    assert list(written)[:len(previous)] == list(previous)
    assert written == {**previous, "status": "approved", "updated_at": STAMP, "approved_by": BOB,
                       "approved_at": STAMP}
    assert completed == {**written, "status": "completed", "result": {"created": created}, "completed_at": STAMP}
    entries = lines(audit)
    assert len(entries) == audit_count + 1
    entry = entries[-1]
    assert list(entry) == ["timestamp", "operation_type", "direction", "local_repo", "remote_repo", "request_id",
                           "payload", "result", "status", "error_message", "duration_ms", "actor"]
    assert {k: v for k, v in entry.items() if k != "duration_ms"} == {
        "timestamp": STAMP, "operation_type": "approve", "direction": "incoming",
        "local_repo": "github.com/acme-dev/api-service", "remote_repo": "github.com/acme-dev/frontend",
        "request_id": "req-7c2e41", "payload": {"decision": "approved", "verdict": "auto-approvable"},
        "result": {"status": "completed", "created": created}, "status": "success", "error_message": None,
        "actor": BOB}
    assert isinstance(entry["duration_ms"], int) and entry["duration_ms"] >= 0


def test_reject_records_who_and_why(demo: Path) -> None:
    requests, audit = api_logs(demo)
    previous = last_line_for(requests, "req-e85a30")
    result = decide_in(demo, "req-e85a30", "reject", "bob@acme.dev", "  Use the public price feed (i-2d8c)  ")
    assert (result.before, result.after, result.reason) == (
        RequestStatus.PENDING, RequestStatus.REJECTED, "Use the public price feed (i-2d8c)")
    assert result.verdict is Verdict.NEEDS_HUMAN  # the price scraper is untrusted
    assert lines(requests)[-1] == {**previous, "status": "rejected", "updated_at": STAMP, "rejected_by": "bob@acme.dev",
                                   "rejection_reason": "Use the public price feed (i-2d8c)"}
    entry = lines(audit)[-1]
    assert (entry["operation_type"], entry["actor"], entry["result"]) == ("reject", "bob@acme.dev",
                                                                          {"status": "rejected"})
    assert entry["payload"] == {"decision": "rejected", "verdict": "needs-human",
                                "reason": "Use the public price feed (i-2d8c)"}


def test_the_loader_reads_the_decision_back(demo: Path) -> None:
    decide_in(demo, "req-7c2e41")
    decide_in(demo, "req-9d4b17", "reject", reason="one client at a time")
    fed = load_federation([demo])
    assert not fed.errors
    api = fed.workspace(API)
    assert api is not None
    by_id = {r.request_id: r for r in api.requests}
    assert (by_id["req-7c2e41"].status, by_id["req-7c2e41"].approved_by) == (RequestStatus.COMPLETED, BOB)
    assert (by_id["req-9d4b17"].status, by_id["req-9d4b17"].rejection_reason) == (
        RequestStatus.REJECTED, "one client at a time")
    assert by_id["req-9d4b17"].extra["rejected_by"] == BOB
    report = approvals_of(fed.workspaces, NOW.date())
    assert "req-7c2e41" not in {row.request_id for row in report.pending}
    assert {"req-7c2e41", "req-9d4b17"} <= {row.request_id for row in report.decided}
    assert [e.type for e in api.audit][-2:] == ["approve", "reject"]
    assert api.audit[-1].actor == BOB


def test_a_town_keeps_its_decisions_under_crossdeck(tmp_path: Path) -> None:
    root = real_town(tmp_path / "town", {"web": "web"})
    write_json(root / ".crossdeck" / "remotes.json", {"remotes": [remote("github.com/acme/web")]})
    write_jsonl(root / ".crossdeck" / "requests.jsonl", [request("req-1")])
    result = decide_in(root, "req-1")
    assert result.files == [str(root / ".crossdeck" / "requests.jsonl"), str(root / ".beads" / "issues.jsonl"),
                            str(root / ".crossdeck" / "audit.jsonl")]  # the new bead is town-level (no rig asked)
    assert lines(root / ".crossdeck" / "audit.jsonl")[0]["operation_type"] == "approve"
    fed = load_federation([root])
    assert fed.workspaces[0].requests[0].status is RequestStatus.COMPLETED


# -- what changes nothing, what is refused -------------------------------------------------------

def test_approving_an_approved_request_changes_nothing(demo: Path) -> None:
    decide_in(demo, "req-7c2e41", actor="api-service/crew/maya")
    before = snapshot_files(demo)
    again = decide_in(demo, "req-7c2e41")
    assert snapshot_files(demo) == before
    assert (again.changed, again.before, again.after, again.files) == (
        False, RequestStatus.COMPLETED, RequestStatus.COMPLETED, [])
    assert (again.actor, again.decided_by, again.decided_at, again.verdict) == (BOB, "api-service/crew/maya", STAMP, None)


def test_approving_a_completed_request_changes_nothing(demo: Path) -> None:
    before = snapshot_files(demo)
    result = decide_in(demo, "req-a41c07")
    assert snapshot_files(demo) == before
    assert (result.changed, result.after, result.decided_by) == (False, RequestStatus.COMPLETED, "bob@acme.dev")


def test_rejecting_a_rejected_request_changes_nothing(demo: Path) -> None:
    before = snapshot_files(demo)
    result = decide_in(demo, "req-b7e210", "reject", reason="still no")
    assert snapshot_files(demo) == before
    assert (result.changed, result.decided_by) == (False, "bob@acme.dev")
    assert result.reason is not None and result.reason.startswith("Rate limits protect checkout")


@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_rejecting_needs_a_reason(demo: Path, reason: str | None) -> None:
    assert refused(demo, "req-e85a30", "reject", reason=reason) == "rejecting needs a reason: the requester sees it"


@pytest.mark.parametrize("actor", ["", "  ", "bob smith", "bob <bob@acme.dev>", "bob\x1b[2J"])
def test_an_actor_is_required(demo: Path, actor: str) -> None:
    message = refused(demo, "req-7c2e41", actor=actor)
    assert "actor" in message and "BD_ACTOR" in message


def test_outgoing_requests_are_decided_by_their_receiver(demo: Path) -> None:
    message = refused(demo, "acme-dev/frontend:req-7c2e41")
    assert message == ("acme-dev/frontend:req-7c2e41 is an outgoing request (sent to github.com/acme-dev/api-service): "
                       "only the workspace that receives it can approve or reject it")
    assert "outgoing" in refused(demo, "hop://acme.dev/storefront:req-5b90d1", "reject", reason="no")


def test_a_bare_id_picks_the_incoming_copy_not_the_senders_outgoing_one(demo: Path) -> None:
    # req-7c2e41 is in the frontend's log (outgoing) and in api-service's (incoming)
    assert decide_in(demo, "req-7c2e41").workspace == API


def test_a_denied_request_cannot_be_approved_but_can_be_rejected(demo: Path) -> None:
    message = refused(demo, "req-f0b162")
    assert message == (f"{API}:req-f0b162 cannot be approved: the policy denies it: globex-io/merchant-portal may "
                       "not mutate: its mutate.allowed is false (remote_repos[1].permissions.mutate.allowed)")
    result = decide_in(demo, "req-f0b162", "reject", reason="not allowed to mutate")
    assert (result.after, result.verdict) == (RequestStatus.REJECTED, Verdict.DENIED)


def test_deciding_the_other_way_names_the_current_status(demo: Path) -> None:
    assert refused(demo, "req-b7e210") == (
        f"{API}:req-b7e210 is already rejected (by bob@acme.dev: Rate limits protect checkout. Use the public price "
        "feed (i-2d8c) instead.): it cannot be approved")
    assert refused(demo, "req-a41c07", "reject", reason="late") == (
        f"{API}:req-a41c07 is already completed (by bob@acme.dev): it cannot be rejected")


def test_an_unknown_request_is_named(demo: Path) -> None:
    assert refused(demo, "req-nope").startswith("no request req-nope in the 7 loaded workspaces")
    assert refused(demo, f"{API}:req-nope").startswith(f"{API} holds no request req-nope (it holds req-")


def test_workspace_colon_id_picks_one_of_two_workspaces_holding_the_id(demo: Path) -> None:
    town = real_town(demo / "towns" / "extra", {"web": "web"}, owner="acme.dev", name="extra")
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [remote("github.com/acme-dev/frontend")]})
    write_jsonl(town / ".crossdeck" / "requests.jsonl", [request("req-7c2e41", "github.com/acme-dev/frontend")])
    message = refused(demo, "req-7c2e41")
    assert message == ("2 workspaces hold an incoming request req-7c2e41: name one of "
                       f"{API}:req-7c2e41, hop://acme.dev/extra:req-7c2e41")
    api_before = api_logs(demo)[0].read_bytes()
    result = decide_in(demo, "hop://acme.dev/extra:req-7c2e41")
    assert (result.workspace, result.after) == ("hop://acme.dev/extra", RequestStatus.COMPLETED)
    assert api_logs(demo)[0].read_bytes() == api_before
    assert last_line_for(town / ".crossdeck" / "requests.jsonl", "req-7c2e41")["approved_by"] == BOB


def test_the_state_on_disk_decides_not_the_loaded_federation(demo: Path) -> None:
    stale = load_federation([demo])  # loaded while req-9d4b17 is pending
    decide_in(demo, "req-9d4b17", "reject", actor="api-service/crew/maya", reason="breaking")
    count = len(lines(api_logs(demo)[0]))
    assert refused(demo, "req-9d4b17", fed=stale) == (
        f"{API}:req-9d4b17 is already rejected (by api-service/crew/maya: breaking): it cannot be approved")
    assert len(lines(api_logs(demo)[0])) == count


def test_the_policy_is_judged_on_the_state_on_disk(tmp_path: Path) -> None:
    """Two create requests, one allowed a day: once one is approved, the other is denied, even by a
    process that loaded the federation before the first approval."""
    today = "2026-11-20T08:00:00Z"
    root = sudocode_repo(tmp_path / "api", [remote(max_creates_per_day=1)],
                         [request("req-1", created=today), request("req-2", created=today)])
    stale = load_federation([root])
    decide_in(root, "req-1")
    message = refused(root, "req-2", fed=stale)
    assert message == ("acme/api:req-2 cannot be approved: the policy denies it: acme/web reached its "
                       "max_creates_per_day: 1 of 1 approved today "
                       "(remote_repos[0].permissions.mutate.max_creates_per_day)")


# -- torn lines, the lock, two processes ---------------------------------------------------------

def test_a_torn_last_line_is_cut_off_by_the_next_decision(demo: Path) -> None:
    """A crash mid-append leaves a torn last line; the next action there cuts it off (it is no
    record: a reader cannot use it), so the file reads cleanly again."""
    requests, _ = api_logs(demo)
    before = requests.read_bytes()
    torn = b'{"request_id":"req-9d4b17","direction":"inco'
    with requests.open("ab") as handle:
        handle.write(torn)
    assert [d.line for d in load_federation([demo]).errors] != []  # the load reports it meanwhile
    decide_in(demo, "req-7c2e41")
    text = requests.read_bytes()
    assert not text[len(before):].startswith(torn)
    assert text.startswith(before) and text[len(before):].startswith(b'{"request_id":"req-7c2e41"')
    assert text.endswith(b"\n")
    fed = load_federation([demo])
    assert fed.errors == []
    api = fed.workspace(API)
    assert api is not None
    assert {r.request_id: r.status for r in api.requests}["req-7c2e41"] is RequestStatus.COMPLETED


def test_a_whole_last_line_without_its_newline_gets_one(demo: Path) -> None:
    requests, _ = api_logs(demo)
    body = requests.read_bytes().rstrip(b"\n")
    requests.write_bytes(body)  # the last record whole, its newline lost
    decide_in(demo, "req-7c2e41")
    text = requests.read_bytes()
    assert text.startswith(body + b"\n" + b'{"request_id":"req-7c2e41"')
    assert load_federation([demo]).errors == []


def test_damage_in_the_middle_of_a_file_is_reported_never_cut(demo: Path) -> None:
    requests, _ = api_logs(demo)
    lines = requests.read_bytes().split(b"\n")
    lines.insert(1, b'{"request_id": "broken')
    requests.write_bytes(b"\n".join(lines))
    decide_in(demo, "req-7c2e41")
    assert b'{"request_id": "broken\n' in requests.read_bytes()
    assert [(d.path.endswith("requests.jsonl"), d.line) for d in load_federation([demo]).errors] == [(True, 2)]


def test_the_lock_lives_in_the_state_dir_and_times_out_naming_the_workspace(demo: Path) -> None:
    root = demo / "sudocode" / "api-service"
    before = sorted(demo.rglob("*"))
    with workspace_lock(root) as held:
        assert held == lock_path(root) and held.parent == dirs().state / "locks"
        assert lock_path(root / "." / ".." / "api-service") == held  # one lock for every spelling of the root
        with pytest.raises(WorkspaceLocked) as caught, workspace_lock(root, timeout=0.2):
            pass
        assert f"the workspace at {root} is locked by another crossdeck process" in str(caught.value)
        files = snapshot_files(demo)
        with pytest.raises(DecisionError, match="locked by another crossdeck process"):
            decide_in(demo, "req-7c2e41", lock_timeout=0.2)
        assert snapshot_files(demo) == files
    assert sorted(demo.rglob("*")) == before  # nothing landed in the workspaces
    with workspace_lock(root, timeout=0.2):  # released
        pass


def _decide_in_a_process(root: str, ref: str, decision: str, reason: str | None, actor: str, barrier: Any,
                         results: Any) -> None:
    fed = load_federation([Path(root)])  # both load while the request is pending
    barrier.wait(timeout=60)
    try:
        result = decide(fed, ref, decision, actor, reason, NOW)  # type: ignore[arg-type]
        results.put((actor, "changed" if result.changed else "unchanged", ""))
    except DecisionError as exc:
        results.put((actor, "refused", str(exc)))


def _race(root: Path, *moves: tuple[str, str | None, str]) -> list[tuple[str, str, str]]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(moves)), ctx.Queue()
    procs = [ctx.Process(target=_decide_in_a_process, args=(str(root), "req-9d4b17", decision, reason, actor,
                                                            barrier, results)) for decision, reason, actor in moves]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return sorted(outcomes)


def test_two_processes_approving_and_rejecting_at_once_write_one_decision(demo: Path) -> None:
    requests, audit = api_logs(demo)
    count, audit_count = len(lines(requests)), len(lines(audit))
    outcomes = _race(demo, ("approve", None, "api-service/crew/maya"), ("reject", "breaking", "bob@acme.dev"))
    assert sorted(kind for _, kind, _ in outcomes) == ["changed", "refused"]
    winner = next(actor for actor, kind, _ in outcomes if kind == "changed")
    loser_message = next(message for _, kind, message in outcomes if kind == "refused")
    assert "is already" in loser_message and winner in loser_message
    # an approval of this create request writes two lines (approved, then completed with the
    # item it created); a rejection one
    written = 2 if winner == "api-service/crew/maya" else 1
    assert len(lines(requests)) == count + written and len(lines(audit)) == audit_count + 1
    assert lines(audit)[-1]["actor"] == winner


def test_two_processes_approving_at_once_approve_once(demo: Path) -> None:
    requests, audit = api_logs(demo)
    count, audit_count = len(lines(requests)), len(lines(audit))
    outcomes = _race(demo, ("approve", None, "api-service/crew/maya"), ("approve", None, "bob@acme.dev"))
    assert sorted(kind for _, kind, _ in outcomes) == ["changed", "unchanged"]
    # one approval (the approved line, then the completed one naming the one issue created)
    assert len(lines(requests)) == count + 2 and len(lines(audit)) == audit_count + 1
    assert [row["status"] for row in lines(requests)[-2:]] == ["approved", "completed"]
    fed = load_federation([demo])
    api = fed.workspace(API)
    assert api is not None
    approved = {r.request_id: r for r in api.requests}["req-9d4b17"]
    assert approved.approved_by == next(actor for actor, kind, _ in outcomes if kind == "changed")


# -- the append itself ---------------------------------------------------------------------------

def test_append_creates_folders_and_keeps_key_order(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "log.jsonl"
    with workspace_lock(tmp_path):  # a write lands in a workspace whose lock is held (core.workspace_paths)
        append_jsonl(path, {"z": 1, "a": "two\nlines", "m": None})
        append_jsonl(path, {"b": [1, 2]})
    assert path.read_bytes() == b'{"z":1,"a":"two\\nlines","m":null}\n{"b":[1,2]}\n'


def test_append_cuts_off_a_torn_last_line_only(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"")
    with workspace_lock(tmp_path):
        append_jsonl(path, {"n": 1})
    assert path.read_bytes() == b'{"n":1}\n'
    with path.open("ab") as handle:
        handle.write(b'{"n":')
    with workspace_lock(tmp_path):
        append_jsonl(path, {"n": 3})
    assert path.read_bytes() == b'{"n":1}\n{"n":3}\n'
