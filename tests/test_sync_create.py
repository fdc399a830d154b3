"""Approving a request that asks for a new item creates it in the approving workspace's own
format (core.sync.decisions + core.sync.requests + core.sync.create), commits it as the actor,
and the requester's graph sees it: on the demo (each workspace its own git repository) and on
purpose-built towns."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from core.analysis.blocking import blockers, why_blocked
from core.analysis.delegation import delegation_chains
from core.demo_git import make_repositories
from core.federation import load_federation
from core.graph import build_graph
from core.graph_kinds import EdgeKind
from core.model import RequestStatus
from core.sync.appendlog import encode_line
from core.sync.decisions import DecisionError, decide
from core.timeutil import UTC
from tests.conftest import PROJECT, real_town, write_json, write_jsonl
from tests.schema_check import assert_matches_schema
from tests.test_approvals import remote, request, sudocode_repo
from tests.test_cli_summary import crossdeck

NOW = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
STAMP = "2026-11-20T10:00:00Z"
BOB = "web/crew/bob"
API = "acme-dev/api-service"
TOWN = "hop://steve@example.com/main-town"


def demo_copy(tmp_path: Path) -> Path:
    """A copy of the demo federation, each workspace a git repository with its history."""
    root = Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))
    make_repositories(root, NOW.date())
    return root


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


def api(demo: Path) -> Path:
    return demo / "sudocode" / "api-service"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def add_line(path: Path, record: dict[str, Any]) -> None:
    """Append a line as another process would (crossdeck's own appends need the workspace lock)."""
    with path.open("ab") as handle:
        handle.write(encode_line(record))


def for_request(path: Path, request_id: str) -> list[dict[str, Any]]:
    return [row for row in lines(path) if row.get("request_id") == request_id]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def by_author(repo: Path, actor: str) -> list[str]:
    """``subject | email | files`` of each commit ``git log --author=ACTOR`` finds, newest first."""
    out = git(repo, "log", f"--author={actor}", "--format=%x00%s | %ae", "--name-only")
    return [" | ".join([head, ",".join(sorted(f for f in rest if f))])
            for head, *rest in (block.strip("\n").split("\n") for block in out.split("\x00") if block.strip())]


def approve(root: Path, ref: str, actor: str = BOB) -> Any:
    return decide(load_federation([root]), ref, "approve", actor, None, NOW)


def created_for(path: Path, request_id: str) -> list[dict[str, Any]]:
    """The items of ``path`` created for ``request_id`` (a bead keeps the mark in its metadata)."""
    return [row for row in lines(path)
            if (row.get("created_from_request") or (row.get("metadata") or {}).get("created_from_request") or {})
            .get("request_id") == request_id]


# -- sudocode: the demo's api-service approving the frontend's request ---------------------------

def test_approving_creates_the_issue_in_sudocode_format_and_commits_it(demo: Path) -> None:
    requests = api(demo) / ".sudocode" / "federation" / "requests.jsonl"
    issues = api(demo) / ".sudocode" / "issues.jsonl"
    audit = requests.parent / "audit.jsonl"
    result = approve(demo, "req-7c2e41")

    assert (result.changed, result.before, result.after) == (True, RequestStatus.PENDING, RequestStatus.COMPLETED)
    created = result.created
    assert created is not None and re.fullmatch(r"i-[0-9a-f]{4,}", created.id)
    assert (created.key, created.kind, created.existed) == (f"{API}#{created.id}", "issue", False)
    item = lines(issues)[-1]
    assert item["id"] == created.id and str(uuid.UUID(item["uuid"])) == item["uuid"]
    assert {k: item[k] for k in ("title", "content", "status", "priority", "tags", "created_at", "relationships")} == {
        "title": "Add avatar upload endpoint", "content": "POST /api/v1/users/:id/avatar (multipart, 2 MB max)",
        "status": "open", "priority": 2, "tags": ["api", "frontend-request"], "created_at": "2026-11-20 10:00:00",
        "relationships": [{"from": created.id, "from_type": "issue", "to": "acme-dev/frontend#i-8b4c",
                           "to_type": "issue", "type": "discovered-from"}]}
    assert item["created_from_request"] == {"request_id": "req-7c2e41", "from_repo": "github.com/acme-dev/frontend"}

    approved, completed = for_request(requests, "req-7c2e41")[-2:]
    assert (approved["status"], approved["approved_by"], approved.get("result")) == ("approved", BOB, None)
    assert completed == {**approved, "status": "completed", "completed_at": STAMP,
                         "result": {"created": {"id": created.id, "canonical_ref": created.key}}}
    entry = lines(audit)[-1]
    assert (entry["operation_type"], entry["actor"], entry["request_id"]) == ("approve", BOB, "req-7c2e41")
    assert entry["result"] == {"status": "completed", "created": {"id": created.id, "canonical_ref": created.key}}
    assert result.files == [str(requests), str(issues), str(audit)]

    # one commit, by the actor, with the api-service's org as email, holding exactly those files
    assert result.commit is not None and result.commit.sha is not None
    assert by_author(api(demo), BOB) == [
        (f"approve req-7c2e41 from github.com/acme-dev/frontend: created {created.key} | acme-dev | "
        ".sudocode/federation/audit.jsonl,.sudocode/federation/requests.jsonl,.sudocode/issues.jsonl")]
    assert git(api(demo), "rev-parse", "HEAD").strip() == result.commit.sha
    assert git(api(demo), "status", "--porcelain") == ""

    graph = build_graph(load_federation([demo]))
    assert graph.nodes[created.key]["record"].title == "Add avatar upload endpoint"
    assert EdgeKind.DISCOVERED_FROM.value in graph[created.key]["acme-dev/frontend#i-8b4c"]


def test_a_request_that_says_blocks_gives_the_requester_a_new_blocker(demo: Path) -> None:
    """Use case 1 of the sudocode federation design: the new item blocks the requester's item."""
    requests = api(demo) / ".sudocode" / "federation" / "requests.jsonl"
    wanted = {**for_request(requests, "req-9d4b17")[-1], "request_id": "req-b10c45"}
    wanted["payload"] = {**wanted["payload"], "title": "camelCase behind a flag", "blocks": True}
    add_line(requests, wanted)
    avatar = "acme-dev/frontend#i-4e0c"  # not blocked by anything yet
    assert not blockers(build_graph(load_federation([demo])), avatar).is_blocked

    result = approve(demo, "req-b10c45")
    assert result.created is not None
    assert [(link.type, link.ref) for link in result.created.links] == [("discovered-from", avatar),
                                                                        ("blocks", avatar)]
    report = blockers(build_graph(load_federation([demo])), avatar)
    assert report.is_blocked and [step.key for step in report.direct] == [result.created.key]
    assert report.direct[0].cross and report.direct[0].edge == "blocks"
    assert f"{avatar} is blocked by 1 open item: {result.created.key} (in {API}) [open]" in why_blocked(
        build_graph(load_federation([demo])), avatar)


def test_approving_again_changes_nothing(demo: Path) -> None:
    first = approve(demo, "req-7c2e41")
    files = {p: p.read_bytes() for p in api(demo).rglob("*.jsonl")}
    head = git(api(demo), "rev-parse", "HEAD")
    again = approve(demo, "req-7c2e41", "api-service/crew/maya")  # another maintainer
    assert (again.changed, again.after, again.created, again.commit, again.files) == (
        False, RequestStatus.COMPLETED, None, None, [])
    assert again.decided_by == BOB and first.created is not None
    assert {p: p.read_bytes() for p in api(demo).rglob("*.jsonl")} == files
    assert git(api(demo), "rev-parse", "HEAD") == head


def test_an_approval_cut_short_after_the_decision_is_finished_by_the_next(demo: Path) -> None:
    requests = api(demo) / ".sudocode" / "federation" / "requests.jsonl"
    issues = api(demo) / ".sudocode" / "issues.jsonl"
    approved = {**for_request(requests, "req-7c2e41")[-1], "status": "approved", "approved_by": "alice@acme.dev",
                "approved_at": "2026-11-20T09:00:00Z"}
    add_line(requests, approved)  # as a process killed right after the decision leaves it
    with pytest.raises(DecisionError, match="is already approved .*cannot be rejected"):
        decide(load_federation([demo]), "req-7c2e41", "reject", BOB, "too late", NOW)

    result = approve(demo, "req-7c2e41")
    assert (result.changed, result.before, result.after) == (True, RequestStatus.APPROVED, RequestStatus.COMPLETED)
    assert (result.decided_by, result.decided_at, result.verdict) == (BOB, "2026-11-20T09:00:00Z", None)
    assert [row["status"] for row in for_request(requests, "req-7c2e41")[-2:]] == ["approved", "completed"]
    assert for_request(requests, "req-7c2e41")[-1]["approved_by"] == "alice@acme.dev"  # the decision stands
    assert len(created_for(issues, "req-7c2e41")) == 1


def test_an_approval_cut_short_after_the_item_finds_it_instead_of_creating_another(demo: Path) -> None:
    requests = api(demo) / ".sudocode" / "federation" / "requests.jsonl"
    issues = api(demo) / ".sudocode" / "issues.jsonl"
    first = approve(demo, "req-7c2e41")
    assert first.created is not None
    # roll the request log back to "approved": the item is there, its completion line is not
    kept = [row for row in lines(requests) if not (row["request_id"] == "req-7c2e41" and row["status"] == "completed")]
    write_jsonl(requests, kept)

    again = approve(demo, "req-7c2e41")
    assert again.changed and again.created is not None
    assert (again.created.id, again.created.existed, again.created.files) == (first.created.id, True, [])
    assert len(created_for(issues, "req-7c2e41")) == 1
    assert for_request(requests, "req-7c2e41")[-1]["result"] == {
        "created": {"id": first.created.id, "canonical_ref": first.created.key}}


def test_a_create_spec_request_creates_a_spec(tmp_path: Path) -> None:
    root = sudocode_repo(tmp_path / "api", [remote(operations=["create_spec"])],
                         [request("req-1", kind="create_spec", from_item="i-7")])
    result = approve(root, "req-1")
    assert result.created is not None and result.created.id.startswith("s-") and result.created.kind == "spec"
    line = lines(root / ".sudocode" / "specs.jsonl")[-1]
    assert (line["id"], line["title"], line["relationships"]) == (result.created.id, "work req-1", [
        {"from": result.created.id, "from_type": "spec", "to": "acme/web#i-7", "to_type": "issue",
         "type": "discovered-from"}])  # a bare id is the requester's
    assert "status" not in line
    assert [u.kind for u in load_federation([root]).workspaces[0].work_units] == ["spec"]


def test_a_request_without_a_title_cannot_be_approved(demo: Path) -> None:
    requests = api(demo) / ".sudocode" / "federation" / "requests.jsonl"
    bare = {**for_request(requests, "req-7c2e41")[-1], "request_id": "req-0b1a2c", "payload": {"priority": 2}}
    add_line(requests, bare)
    before = {p: p.read_bytes() for p in api(demo).rglob("*.jsonl")}
    with pytest.raises(DecisionError, match="req-0b1a2c cannot be approved: it asks for a new issue but its "
                                            "payload has no title"):
        approve(demo, "req-0b1a2c")
    assert {p: p.read_bytes() for p in api(demo).rglob("*.jsonl")} == before


def test_reject_records_the_reason_and_commits_as_the_actor(demo: Path) -> None:
    result = decide(load_federation([demo]), "req-e85a30", "reject", "bob@acme.dev", "use the price feed", NOW)
    assert (result.after, result.created) == (RequestStatus.REJECTED, None)
    assert result.commit is not None and result.commit.sha is not None
    assert by_author(api(demo), "bob@acme.dev")[0] == (  # bob has commits in the demo's history too
        "reject req-e85a30 from github.com/hackday/price-scraper | bob@acme.dev | "
        ".sudocode/federation/audit.jsonl,.sudocode/federation/requests.jsonl")
    assert "Reason: use the price feed" in git(api(demo), "log", "-1", "--format=%b")


def test_the_cli_prints_the_item_and_the_commit(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    result = crossdeck("approve", "req-7c2e41", str(demo), "--actor", BOB)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == f"approved {API}:req-7c2e41 (pending -> completed) as {BOB}"
    assert re.fullmatch(rf"  created {API}#i-[0-9a-f]+: Add avatar upload endpoint", out[1])
    assert out[2] == "    discovered-from acme-dev/frontend#i-8b4c"
    assert re.fullmatch(rf"  committed [0-9a-f]{{12}} in {re.escape(str(api(demo)))}", out[-1])
    again = crossdeck("approve", "req-7c2e41", str(demo), "--actor", BOB, "--json")
    doc = json.loads(again.stdout)
    assert_matches_schema("approve", doc)
    assert (doc["changed"], doc["created"], doc["commit"]) == (False, None, None)


def test_the_json_of_an_approval_that_creates(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    doc = json.loads(crossdeck("approve", "req-7c2e41", str(demo), "--actor", BOB, "--json").stdout)
    assert_matches_schema("approve", doc)
    assert (doc["after"], doc["created"]["kind"], doc["commit"]["note"]) == ("completed", "issue", "committed")
    rejected = json.loads(crossdeck("reject", "req-e85a30", str(demo), "--actor", BOB, "--reason", "no",
                                    "--json").stdout)
    assert_matches_schema("reject", rejected)


# -- towns ---------------------------------------------------------------------------------------

def town_receiving(tmp_path: Path, *requests: dict[str, Any]) -> Path:
    root = real_town(tmp_path / "town", {"web": "web", "api": "api"})
    write_json(root / ".crossdeck" / "remotes.json", {"remotes": [
        remote("github.com/acme/web", operations=["create_issue", "delegate"])]})
    write_jsonl(root / "web" / ".beads" / "issues.jsonl", [{"id": "web-1", "title": "existing", "status": "open",
                                                             "priority": 2, "created_at": STAMP, "updated_at": STAMP}])
    write_jsonl(root / ".crossdeck" / "requests.jsonl", list(requests))
    return root


def test_a_town_creates_a_bead_in_the_rig_with_its_prefix(tmp_path: Path) -> None:
    root = town_receiving(tmp_path, request("req-1", rig="web", blocks=True,
                                            relationships=[{"type": "discovered-from", "remote_ref": "acme/web#i-9"}]))
    result = approve(root, "req-1")
    created = result.created
    assert created is not None and re.fullmatch(r"web-[0-9a-z]{3,}", created.id)
    assert created.key == f"{TOWN}/web/{created.id}" and created.kind == "bead"
    bead = lines(root / "web" / ".beads" / "issues.jsonl")[-1]
    assert bead["dependencies"] == [{"issue_id": created.id, "depends_on_id": "acme/web#i-9", "type": "discovered-from",
                                     "created_at": STAMP, "created_by": BOB}]
    assert (bead["issue_type"], bead["created_by"], bead["metadata"]["blocks"]) == ("task", BOB, ["acme/web#i-9"])
    assert created.notes == [(f"beads state a dependency on the dependent item only: that {created.id} blocks "
                             "acme/web#i-9 is kept in its metadata.blocks")]
    graph = build_graph(load_federation([root]))
    assert graph.nodes[created.key]["record"].title == "work req-1"
    assert EdgeKind.DISCOVERED_FROM.value in graph[created.key]["acme/web#i-9"]
    assert result.commit is not None and result.commit.sha is None  # the town is in no repository


def test_without_a_rig_the_bead_is_town_level(tmp_path: Path) -> None:
    root = town_receiving(tmp_path, request("req-1"))
    created = approve(root, "req-1").created
    assert created is not None and created.id.startswith("hq-") and created.key == f"{TOWN}/{created.id}"
    assert lines(root / ".beads" / "issues.jsonl")[-1]["id"] == created.id


def test_an_unknown_rig_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = town_receiving(tmp_path, request("req-1", rig="nope"))
    with pytest.raises(DecisionError, match="req-1 cannot be approved: .* has no rig 'nope' \\(its rigs: api, web\\)"):
        approve(root, "req-1")
    assert len(lines(root / ".crossdeck" / "requests.jsonl")) == 1


def test_a_delegate_request_creates_the_child_in_its_stored_form(tmp_path: Path) -> None:
    parent = "hop://acme.dev/storefront/checkout/co-8f2"
    terms = {"portion": "tokenization", "deadline": "2026-12-04"}
    root = town_receiving(tmp_path, request("req-2", kind="delegate", rig="api", parent=parent, terms=terms,
                                            requester="checkout/crew/alice"))
    result = approve(root, "req-2")
    child = result.created
    assert child is not None and child.id.startswith("api-")
    fields = {"parent": parent, "terms": terms, "delegated_by": "checkout/crew/alice",
              "delegated_to": "steve@example.com"}
    assert child.delegated_from == fields
    assert lines(root / "api" / ".beads" / "issues.jsonl")[-1]["metadata"]["delegated_from"] == fields
    assert lines(root / ".beads" / "federation.jsonl") == [{"type": "delegation", "parent": parent,
                                                            "child": child.key, **{k: v for k, v in fields.items()
                                                                                   if k != "parent"}}]
    assert child.files == [str(root / "api" / ".beads" / "issues.jsonl"), str(root / ".beads" / "federation.jsonl")]
    graph = build_graph(load_federation([root]))
    edge = graph[parent][child.key][EdgeKind.DELEGATION.value]
    assert sorted(edge["forms"]) == ["federation", "metadata"] and edge["terms"] == terms
    chains = delegation_chains(graph, NOW.date())
    assert [(c.key, [k.key for k in c.children]) for c in chains.chains] == [(parent, [child.key])]


def test_a_sudocode_repo_takes_a_delegation_as_an_issue_and_a_record(tmp_path: Path) -> None:
    """sudocode has no field for a delegation: the child states ``implements`` to the parent and
    the delegation goes into .sudocode/federation/delegations.jsonl; a ``kind: spec`` asks for a spec."""
    parent = "hop://acme.dev/storefront/checkout/co-8f2"
    as_spec = request("req-2", kind="delegate", parent=parent)
    as_spec["payload"]["kind"] = "spec"
    root = sudocode_repo(tmp_path / "api", [remote(operations=["delegate"])], [
        request("req-1", kind="delegate", parent=parent, terms={"portion": "api", "deadline": "2026-12-01"}),
        as_spec])
    result = approve(root, "req-1")
    assert result.created is not None and result.created.kind == "issue"
    issue = lines(root / ".sudocode" / "issues.jsonl")[-1]
    assert {"from": issue["id"], "from_type": "issue", "to": parent, "to_type": "issue",
            "type": "implements"} in issue["relationships"]
    [record] = lines(root / ".sudocode" / "federation" / "delegations.jsonl")
    assert record == {"type": "delegation", "parent": parent, "child": result.created.key,
                      "terms": {"portion": "api", "deadline": "2026-12-01"}, "delegated_by": "github.com/acme/web",
                      "delegated_to": "acme"}
    ws = load_federation([root]).workspaces[0]
    assert [(d.parent_key, d.child_key, d.terms["portion"]) for d in ws.delegations] == [
        (parent, result.created.key, "api")]
    spec = approve(root, "req-2")
    assert spec.created is not None and spec.created.kind == "spec"
    assert lines(root / ".sudocode" / "specs.jsonl")[-1]["id"] == spec.created.id


