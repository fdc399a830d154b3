"""Sending cross-repo requests (core.sync.requests, crossdeck request create): the outgoing line,
the incoming copy when the receiver is loaded here, audit entries and commits on both sides, and
the round trip: the receiver approves, the requester's item is blocked by what was created."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.analysis.approvals import Verdict, approvals_of
from core.analysis.blocking import blockers
from core.federation import Federation, load_federation
from core.graph import build_graph
from core.model import RequestStatus
from core.sync import SyncError
from core.sync.decisions import decide
from core.sync.requests import compose, send_request
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_sync_create import NOW, STAMP, by_author, demo_copy, lines

FRONTEND = "acme-dev/frontend"
API_URL = "github.com/acme-dev/api-service"
ALICE = "alice@acme.dev"

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)



def frontend(demo: Path) -> Path:
    return demo / "sudocode" / "frontend"


def api(demo: Path) -> Path:
    return demo / "sudocode" / "api-service"


def send(fed: Federation, to: str, request_type: str = "create_issue", actor: str = ALICE, **fields):  # type: ignore[no-untyped-def]
    sender, payload = compose(fed, build_graph(fed), to=to, request_type=request_type, actor=actor,
                              today=NOW.date(), **{"title": "Saved cards endpoint", **fields})
    return send_request(fed, sender, to, request_type, payload, actor, NOW)


def test_a_request_to_a_workspace_loaded_here_lands_on_both_sides(demo: Path) -> None:
    sent = send(load_federation([demo]), API_URL, from_item="i-6d2a", blocks=["i-6d2a"], labels=["api"])
    assert re.fullmatch(r"req-[0-9a-f]{6,}", sent.request_id)
    assert (sent.sender, sent.from_repo, sent.to_repo, sent.receiver, sent.queued) == (
        FRONTEND, "github.com/acme-dev/frontend", API_URL, "acme-dev/api-service", True)
    assert sent.payload == {"title": "Saved cards endpoint", "priority": 2, "labels": ["api"],
                            "relationships": [{"type": "discovered-from", "remote_ref": f"{FRONTEND}#i-6d2a"}],
                            "blocks": [f"{FRONTEND}#i-6d2a"], "requester": ALICE}
    assert (sent.verdict, sent.verdict_reason) == (
        "auto-approvable", ("every auto-approve condition of acme-dev/frontend holds: priority >= 2; "
                           "!labels.includes('breaking-change')"))
    out_log = frontend(demo) / ".sudocode" / "federation" / "requests.jsonl"
    in_log = api(demo) / ".sudocode" / "federation" / "requests.jsonl"
    outgoing = lines(out_log)[-1]
    assert outgoing == {"request_id": sent.request_id, "direction": "outgoing", "from_repo": "github.com/acme-dev/frontend",
                        "to_repo": API_URL, "request_type": "create_issue", "payload": sent.payload,
                        "status": "pending", "approved_by": None, "approved_at": None, "rejection_reason": None,
                        "result": None, "created_at": STAMP, "updated_at": STAMP}
    assert lines(in_log)[-1] == {**outgoing, "direction": "incoming"}
    for log, direction in ((out_log, "outgoing"), (in_log, "incoming")):
        entry = lines(log.parent / "audit.jsonl")[-1]
        assert (entry["operation_type"], entry["direction"], entry["request_id"], entry["actor"], entry["status"]) == (
            "mutate", direction, sent.request_id, ALICE, "pending")
    # each side committed its own files, by the requester
    assert by_author(frontend(demo), ALICE)[0] == (
        f"request {sent.request_id}: create_issue to {API_URL} | {ALICE} | "
        ".sudocode/federation/audit.jsonl,.sudocode/federation/requests.jsonl")
    assert by_author(api(demo), ALICE)[0].startswith(f"request {sent.request_id}: create_issue from ")
    assert [c.sha is not None for c in sent.commits] == [True, True]
    pending = {row.request_id: row for row in approvals_of(load_federation([demo]).workspaces, NOW.date()).pending}
    assert pending[sent.request_id].verdict is Verdict.AUTO_APPROVABLE


def test_the_round_trip_gives_the_requester_a_blocker(demo: Path) -> None:
    item = f"{FRONTEND}#i-4e0c"
    sent = send(load_federation([demo]), API_URL, from_item=item, blocks=[item])
    result = decide(load_federation([demo]), sent.request_id, "approve", "bob@acme.dev", None, NOW)
    assert result.after is RequestStatus.COMPLETED and result.created is not None
    report = blockers(build_graph(load_federation([demo])), item)
    assert [step.key for step in report.direct] == [result.created.key]


def test_a_request_to_a_remote_not_loaded_is_queued_in_the_sender_only(demo: Path) -> None:
    fed = load_federation([demo])
    sent = send(fed, "initech-risk", from_item="fr-7cd", title="Expose risk model rm-42 scores")
    assert (sent.sender, sent.to_repo, sent.receiver, sent.verdict) == (
        "hop://globex.io/payments", "hop://initech.com/risk", None, None)
    globex = demo / "towns" / "globex-payments"
    assert sent.files == [str(globex / ".crossdeck" / "requests.jsonl"), str(globex / ".crossdeck" / "audit.jsonl")]
    assert len(sent.commits) == 1 and sent.commits[0].sha is not None
    assert lines(globex / ".crossdeck" / "requests.jsonl")[-1]["direction"] == "outgoing"


def test_a_delegate_request_carries_the_parent_and_terms_and_is_approved_into_a_child(demo: Path) -> None:
    parent = "hop://acme.dev/storefront/checkout/co-8f2"
    sent = send(load_federation([demo]), "hop://globex.io/payments", "delegate", actor="checkout/crew/alice",
                from_item="co-8f2", title="Refunds by token", portion="refund API", deadline="2026-12-18",
                rig="gateway")
    assert sent.payload["parent"] == parent and sent.payload["terms"] == {"portion": "refund API",
                                                                          "deadline": "2026-12-18"}
    assert sent.verdict == "auto-approvable"
    audit = lines(demo / "towns" / "acme-storefront" / ".crossdeck" / "audit.jsonl")[-1]
    assert audit["operation_type"] == "delegate"
    approved = decide(load_federation([demo]), sent.request_id, "approve", "carol@globex.io", None, NOW)
    child = approved.created
    assert child is not None and child.key.startswith("hop://globex.io/payments/gateway/gw-")
    assert child.delegated_from == {"parent": parent, "terms": sent.payload["terms"],
                                    "delegated_by": "checkout/crew/alice", "delegated_to": "globex.io"}
    graph = build_graph(load_federation([demo]))
    assert sorted(graph[parent][child.key]["delegation"]["forms"]) == ["federation", "metadata"]


@pytest.mark.parametrize(("to", "kind", "fields", "message"), [
    ("github.com/nobody/else", "create_issue", {"from_item": "i-6d2a"},
     ("github.com/nobody/else is neither a loaded workspace nor a remote of acme-dev/frontend "
     "(its remotes: acme-dev/api-service)")),
    ("hop://globex.io/payments", "delegate", {"sender": "hop://acme.dev/storefront"},
     "a delegate request needs --from-item: the parent item it delegates from"),
    ("hop://globex.io/payments", "create_issue", {}, "say which workspace sends it: --from WORKSPACE or --from-item"),
    ("hop://globex.io/payments", "create_issue", {"sender": FRONTEND, "from_item": "co-8f2"},
     "--from-item hop://acme.dev/storefront/checkout/co-8f2 is in hop://acme.dev/storefront, not in acme-dev/frontend"),
    (API_URL, "create_issue", {"from_item": "i-6d2a", "title": "  "}, "a request needs a --title"),
    (API_URL, "delegate", {"from_item": "i-6d2a", "deadline": "soon"}, "--deadline 'soon' is not a date"),
    (API_URL, "update_issue", {"from_item": "i-6d2a"}, "unknown request type 'update_issue'"),
])
def test_requests_that_are_refused_write_nothing(demo: Path, to: str, kind: str, fields: dict[str, str],
                                                 message: str) -> None:
    before = {p: p.read_bytes() for p in demo.rglob("*.jsonl")}
    with pytest.raises(SyncError, match=re.escape(message)):
        send(load_federation([demo]), to, kind, **fields)
    assert {p: p.read_bytes() for p in demo.rglob("*.jsonl")} == before


def test_the_sender_is_the_one_workspace_that_knows_the_receiver(demo: Path) -> None:
    sent = send(load_federation([demo]), API_URL)
    assert sent.sender == FRONTEND and "relationships" not in sent.payload


def test_the_cli_sends_a_request(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    monkeypatch.delenv("BD_ACTOR", raising=False)
    none = crossdeck("request", "create", "--to", API_URL, "--type", "create_issue", "--title", "x", str(demo))
    assert none.returncode == 2 and "no actor" in none.stderr
    result = crossdeck("request", "create", str(demo), "--to", API_URL, "--type", "create_issue", "--title",
                       "Saved cards endpoint", "--from-item", "i-6d2a", "--blocks", "i-6d2a", "--label", "api",
                       "--actor", ALICE)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert re.fullmatch(rf"sent req-[0-9a-f]+ \(create_issue\) from {FRONTEND} to {API_URL} as {ALICE}: "
                        "Saved cards endpoint", out[0])
    assert out[1].startswith("  delivered to acme-dev/api-service (loaded here) as incoming; its policy says "
                             "auto-approvable: ")
    assert len([line for line in out if line.startswith("  committed ")]) == 2
    doc = json.loads(crossdeck("request", "create", str(demo), "--to", "initech-risk", "--type", "create_issue",
                               "--title", "Scores", "--from", "hop://globex.io/payments", "--actor", ALICE,
                               "--json").stdout)
    assert_matches_schema("request-create", doc)
    assert (doc["receiver"], doc["to_repo"], doc["queued"]) == (None, "hop://initech.com/risk", True)
    refused = crossdeck("request", "create", str(demo), "--to", "nowhere", "--type", "create_issue", "--title", "x",
                        "--from", FRONTEND, "--actor", ALICE)
    assert refused.returncode == 1 and refused.stderr.splitlines()[-1].startswith(
        "crossdeck request create: nowhere is neither a loaded workspace nor a remote of acme-dev/frontend")
