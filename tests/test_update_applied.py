"""An approved ``update_issue`` request changes its target item, in the item's own stored form,
audited and committed; so a cross-workspace parent's completion shows once its workspace
approves the update the close cascade sent it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.analysis.delegation import delegation_chains
from core.federation import load_federation
from core.graph import build_graph
from core.model import RequestStatus
from core.sync.decisions import DecisionError, decide
from core.sync.delegate import close
from tests.conftest import bead, write_json, write_jsonl
from tests.test_approvals import remote, request, sudocode_repo
from tests.test_sync_create import NOW, by_author, demo_copy, lines

GW = "hop://globex.io/payments/gateway/gw-4tk"
CAROL = "gateway/crew/carol"


def _unit(root: Path, ident: str) -> Any:
    ws = load_federation([root]).workspaces
    return next(u for w in ws for u in w.work_units if u.id == ident)


def test_the_close_cascade_across_workspaces_completes_once_the_update_is_approved(tmp_path: Path) -> None:
    demo = demo_copy(tmp_path)
    globex = demo / "towns" / "globex-payments"
    sent = close(load_federation([demo]), "ps-3vk", "shipped", "paysdk/crew/kim", NOW).requests[0]
    assert _unit(demo, "gw-4tk").status == "in_progress"
    result = decide(load_federation([demo]), sent.request_id, "approve", CAROL, None, NOW)
    assert result.after is RequestStatus.COMPLETED
    assert result.updated is not None and (result.updated.key, result.updated.changes) == (GW, {"status": "closed"})
    row = next(r for r in lines(globex / "gateway" / ".beads" / "issues.jsonl") if r["id"] == "gw-4tk")
    assert (row["status"], row["closed_at"], row["updated_at"]) == ("closed", "2026-11-20T10:00:00Z",
                                                                   "2026-11-20T10:00:00Z")
    assert row["close_reason"] == f"closed by request {sent.request_id} from hop://kim@kestrel.works/kestrel, " \
                                  f"approved by {CAROL}"
    snapshot = lines(globex / ".crossdeck" / "requests.jsonl")[-1]
    assert snapshot["status"] == "completed"
    assert snapshot["result"] == {"updated": {"id": "gw-4tk", "canonical_ref": GW, "changes": {"status": "closed"}}}
    audit = lines(globex / ".crossdeck" / "audit.jsonl")[-1]
    assert (audit["operation_type"], audit["actor"], audit["result"]["updated"]["canonical_ref"]) == (
        "approve", CAROL, GW)
    commit = by_author(globex, CAROL)[0]  # the newest
    assert commit.startswith(f"approve {sent.request_id} from hop://kim@kestrel.works/kestrel: changed {GW} "
                             "(status closed) |")
    assert "gateway/.beads/issues.jsonl" in commit and ".crossdeck/requests.jsonl" in commit
    nodes = list(delegation_chains(build_graph(load_federation([demo])), NOW.date()).chains)
    while nodes and nodes[0].key != GW:  # walk the trees to the parent
        nodes = nodes[1:] + list(nodes[0].children)
    assert nodes, f"{GW} is in no chain"
    assert nodes[0].done and nodes[0].complete


def _repo_with_issue(tmp_path: Path, changes: dict[str, Any], **issue: Any) -> Path:
    root = sudocode_repo(tmp_path / "api", [remote()], [
        request("req-1", kind="update_issue", title="Update i-1", issue_id="i-1", changes=changes)])
    write_jsonl(root / ".sudocode" / "issues.jsonl", [{
        "id": "i-1", "uuid": "u-1", "title": "old title", "content": "old", "status": "open", "priority": 3,
        "assignee": None, "archived": 0, "created_at": "2026-11-01 10:00:00", "updated_at": "2026-11-01 10:00:00",
        "closed_at": None, "relationships": [], "tags": ["x"], **issue}])
    write_jsonl(root / ".sudocode" / "specs.jsonl", [{
        "id": "s-1", "uuid": "u-2", "title": "a spec", "content": "", "priority": 2, "archived": 0,
        "created_at": "2026-11-01 10:00:00", "updated_at": "2026-11-01 10:00:00", "relationships": [], "tags": []}])
    return root


def test_a_sudocode_issue_gets_every_field_in_its_own_names(tmp_path: Path) -> None:
    root = _repo_with_issue(tmp_path, {"status": "in_progress", "title": "new title", "priority": 1,
                                       "labels": ["api", "urgent"], "assignee": "bob", "description": "new"})
    decide(load_federation([root]), "req-1", "approve", "api/crew/amy", None, NOW)
    row = lines(root / ".sudocode" / "issues.jsonl")[0]
    assert {k: row[k] for k in ("status", "title", "priority", "tags", "assignee", "content", "updated_at")} == {
        "status": "in_progress", "title": "new title", "priority": 1, "tags": ["api", "urgent"], "assignee": "bob",
        "content": "new", "updated_at": "2026-11-20 10:00:00"}
    assert "labels" not in row and "description" not in row
    unit = _unit(root, "i-1")
    assert (unit.status, unit.labels, unit.title) == ("in_progress", ["api", "urgent"], "new title")


def test_closing_a_sudocode_issue_sets_closed_at(tmp_path: Path) -> None:
    root = _repo_with_issue(tmp_path, {"status": "closed"})
    decide(load_federation([root]), "req-1", "approve", "api/crew/amy", None, NOW)
    row = lines(root / ".sudocode" / "issues.jsonl")[0]
    assert (row["status"], row["closed_at"]) == ("closed", "2026-11-20 10:00:00")


@pytest.mark.parametrize(("changes", "target", "message"), [
    ({"status": "closed"}, "s-1", "is a sudocode spec, which has no status to change"),
    ({"status": "done"}, "i-1", "status 'done' is not one crossdeck sets"),
    ({"colour": "red"}, "i-1", "it asks to change colour: crossdeck changes only"),
    ({"status": "closed"}, "i-404", "it asks to change 'i-404', which"),
])
def test_an_update_that_cannot_be_carried_out_is_refused_before_anything_is_written(
        tmp_path: Path, changes: dict[str, Any], target: str, message: str) -> None:
    root = _repo_with_issue(tmp_path, changes)
    requests = root / ".sudocode" / "federation" / "requests.jsonl"
    write_jsonl(requests, [request("req-1", kind="update_issue", title="x", issue_id=target, changes=changes)])
    before = {p: p.read_bytes() for p in root.rglob("*.jsonl")}
    with pytest.raises(DecisionError, match=message):
        decide(load_federation([root]), "req-1", "approve", "api/crew/amy", None, NOW)
    assert {p: p.read_bytes() for p in root.rglob("*.jsonl")} == before


def test_an_update_cut_short_is_finished_by_approving_again(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    import git

    from tests.conftest import PROJECT, commit_everything

    root = _repo_with_issue(tmp_path, {"status": "closed"})
    commit_everything(root)
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "BD_ACTOR": "api/crew/amy",
           "CROSSDECK_CRASH_AT": "approve:1:append:requests.jsonl"}  # approved, the item not changed yet
    crashed = subprocess.run([sys.executable, "-m", "tui", "approve", "req-1", str(root)], cwd=PROJECT, env=env,
                             check=False, capture_output=True, text=True)
    assert crashed.returncode == 137, crashed.stderr
    assert lines(root / ".sudocode" / "federation" / "requests.jsonl")[-1]["status"] == "approved"
    assert lines(root / ".sudocode" / "issues.jsonl")[0]["status"] == "open"
    result = decide(load_federation([root]), "req-1", "approve", "api/crew/amy", None, NOW)
    assert not result.changed and result.after is RequestStatus.COMPLETED  # finished before it was asked again
    assert lines(root / ".sudocode" / "issues.jsonl")[0]["status"] == "closed"
    head = git.Repo(root).head.commit
    assert head.author.name == "api/crew/amy" and not git.Repo(root).is_dirty(untracked_files=True)


def test_a_bead_in_a_dolt_rig_is_changed_in_its_database(tmp_path: Path, mariadb: Any) -> None:
    from tests.conftest import real_town
    from tests.dolt_helpers import dolt_folder

    database = mariadb.fresh_database("split")
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute("INSERT INTO issues (id, title, description, design, acceptance_criteria, notes) "
                       "VALUES ('web-1', 'one', '', '', '', '')")
        cursor.execute("INSERT INTO labels (issue_id, label) VALUES ('web-1', 'old')")
    town = real_town(tmp_path / "town", {"web": "web"})
    dolt_folder(town / "web" / ".beads", database, mariadb.port)
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [remote()]})
    write_jsonl(town / ".crossdeck" / "requests.jsonl", [request(
        "req-1", kind="update_issue", title="Update web-1", ref="hop://steve@example.com/main-town/web/web-1",
        issue_id="web-1", changes={"status": "closed", "labels": ["a", "b"], "priority": 0})])
    result = decide(load_federation([town]), "req-1", "approve", "web/crew/bob", None, NOW)
    assert result.updated is not None and result.updated.files == []
    with mariadb.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT status, priority, close_reason FROM issues WHERE id = 'web-1'")
        (status, priority, reason), = cursor.fetchall()
        cursor.execute("SELECT label FROM labels WHERE issue_id = 'web-1' ORDER BY label")
        labels = [row[0] for row in cursor.fetchall()]
    assert (status, priority, labels) == ("closed", 0, ["a", "b"])
    assert reason.startswith("closed by request req-1")
    assert json.loads(json.dumps(result.updated.changes)) == {"status": "closed", "labels": ["a", "b"], "priority": 0}
