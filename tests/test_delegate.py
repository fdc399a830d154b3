"""Delegating work and closing it (core.sync.delegate, crossdeck delegate / close): the child in
its real stored form and in the chains, the completion cascade to a local parent, and the
update_issue request a parent elsewhere gets instead; on the demo and on a purpose-built town,
each a git repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.analysis.approvals import approvals_of
from core.analysis.blocking import blockers
from core.analysis.delegation import delegation_chains
from core.commands.delegate import describe_close
from core.federation import load_federation
from core.graph import build_graph
from core.graph_kinds import EdgeKind
from core.sync import SyncError
from core.sync.delegate import close, delegate
from core.sync.requests import queue_update
from tests.conftest import bead, commit_everything, real_town, write_jsonl
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_sync_create import NOW, STAMP, by_author, demo_copy, lines
from tests.test_sync_create import git as run_git

GW = "hop://globex.io/payments/gateway/gw-4tk"
KESTREL = "hop://kim@kestrel.works/kestrel"
CAROL = "gateway/crew/carol"

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)



def kestrel(demo: Path) -> Path:
    return demo / "towns" / "kestrel"


def chain_under(root: Path, key: str) -> list[str]:
    """The children the delegation chains show under ``key``."""
    def find(nodes):  # type: ignore[no-untyped-def]
        for node in nodes:
            if node.key == key:
                return node
            found = find(node.children)
            if found is not None:
                return found
        return None

    node = find(delegation_chains(build_graph(load_federation([root])), NOW.date()).chains)
    return [child.key for child in node.children] if node is not None else []


# -- delegate ------------------------------------------------------------------------------------

def test_delegating_to_another_town_writes_the_real_stored_form(demo: Path) -> None:
    result = delegate(load_federation([demo]), "gw-4tk", f"{KESTREL}/paysdk", "Network tokens in the SDK", CAROL,
                      NOW, portion="network token support", deadline="2026-12-10", to_entity="kim@kestrel.works")
    child = result.child
    assert result.changed and re.fullmatch(r"ps-[0-9a-z]{3,}", child.id) and child.key == f"{KESTREL}/paysdk/{child.id}"
    fields = {"parent": GW, "terms": {"portion": "network token support", "deadline": "2026-12-10"},
              "delegated_by": CAROL, "delegated_to": "kim@kestrel.works"}
    issues = kestrel(demo) / "paysdk" / ".beads" / "issues.jsonl"
    written = lines(issues)[-1]
    assert (written["id"], written["title"], written["status"], written["created_by"]) == (
        child.id, "Network tokens in the SDK", "open", CAROL)
    assert written["metadata"] == {"delegated_from": fields}
    assert lines(kestrel(demo) / ".beads" / "federation.jsonl")[-1] == {
        "type": "delegation", "parent": GW, "child": child.key, "terms": fields["terms"], "delegated_by": CAROL,
        "delegated_to": "kim@kestrel.works"}

    graph = build_graph(load_federation([demo]))
    edge = graph[GW][child.key][EdgeKind.DELEGATION.value]
    assert sorted(edge["forms"]) == ["federation", "metadata"] and edge["delegated_by"] == CAROL
    assert child.key in chain_under(demo, GW)
    entry = lines(kestrel(demo) / ".crossdeck" / "audit.jsonl")[-1]
    assert (entry["operation_type"], entry["direction"], entry["remote_repo"], entry["actor"]) == (
        "delegate", "incoming", "hop://globex.io/payments", CAROL)
    # committed in Kestrel's repository by the actor, with the town's owner as email
    assert by_author(kestrel(demo), CAROL) == [
        (f"delegate {GW} -> {child.key}: Network tokens in the SDK | kim@kestrel.works | "
        ".beads/federation.jsonl,.crossdeck/audit.jsonl,paysdk/.beads/issues.jsonl")]
    assert run_git(kestrel(demo), "status", "--porcelain") == ""


def test_delegating_within_a_town_needs_no_federation_record(demo: Path) -> None:
    acme = demo / "towns" / "acme-storefront"
    before = (acme / ".beads" / "federation.jsonl").read_text()
    result = delegate(load_federation([demo]), "co-8f2", "hop://acme.dev/storefront/web", "Saved-card picker",
                      "checkout/crew/alice", NOW, portion="picker UI")
    assert result.child.id.startswith("web-") and result.child.delegated_from is not None
    assert result.child.delegated_from["delegated_to"] == "acme.dev"  # the town's owner
    assert (acme / ".beads" / "federation.jsonl").read_text() == before
    assert result.child.key in chain_under(demo, "hop://acme.dev/storefront/checkout/co-8f2")
    assert lines(acme / ".crossdeck" / "audit.jsonl")[-1]["direction"] == "local"


def test_delegating_the_same_work_again_changes_nothing(demo: Path) -> None:
    first = delegate(load_federation([demo]), "gw-4tk", f"{KESTREL}/paysdk", "Network tokens", CAROL, NOW)
    head = run_git(kestrel(demo), "rev-parse", "HEAD")
    again = delegate(load_federation([demo]), "gw-4tk", f"{KESTREL}/paysdk", "Network tokens", CAROL, NOW)
    assert (again.changed, again.child.key, again.commit, again.files) == (False, first.child.key, None, [])
    assert run_git(kestrel(demo), "rev-parse", "HEAD") == head


@pytest.mark.parametrize(("parent", "to", "kwargs", "message"), [
    ("gw-4tk", "acme-dev/api-service/web", {}, "acme-dev/api-service is a sudocode repo: it has no rigs ('web')"),
    ("gw-4tk", "realm://commerce", {}, "realm://commerce is a realm: it holds contracts, not work"),
    ("gw-4tk", "hop://initech.com/risk", {}, "no local town or beads folder hop://initech.com/risk is loaded"),
    ("co-1mz", "hop://acme.dev/storefront/web", {}, "co-1mz is closed: there is nothing left to delegate"),
    ("gw-4tk", f"{KESTREL}/nope", {}, f"{KESTREL} has no rig 'nope'"),
    ("gw-4tk", f"{KESTREL}/paysdk", {"deadline": "next week"}, "--deadline 'next week' is not a date"),
    ("zz-404", f"{KESTREL}/paysdk", {}, "nothing matches 'zz-404'"),
    ("co-8f2", f"{KESTREL}/paysdk", {}, (f"{KESTREL} does not take delegations from hop://acme.dev/storefront: "
                                       f"hop://acme.dev/storefront is not among the remotes of {KESTREL} (remotes); "
                                       "send it a request instead: crossdeck request create --type delegate")),
])
def test_delegations_that_are_refused(demo: Path, parent: str, to: str, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(SyncError, match=re.escape(message)):
        delegate(load_federation([demo]), parent, to, "Some work", CAROL, NOW, **kwargs)
    assert run_git(kestrel(demo), "status", "--porcelain") == ""


# -- close and the cascade -----------------------------------------------------------------------

def cascade_town(tmp_path: Path) -> Path:
    """G (hq-1) delegated P (a-1); P delegated b-1 and b-2; a git repository."""
    root = real_town(tmp_path / "town", {"a": "a", "b": "b"})
    parent = "hop://steve@example.com/main-town"
    write_jsonl(root / ".beads" / "issues.jsonl", [bead("hq-1", "launch")])
    write_jsonl(root / "a" / ".beads" / "issues.jsonl", [
        bead("a-1", "payments", metadata={"delegated_from": {"parent": f"{parent}/hq-1"}})])
    write_jsonl(root / "b" / ".beads" / "issues.jsonl", [
        bead("b-1", "card form", metadata={"delegated_from": {"parent": f"{parent}/a/a-1", "terms": {"portion": "x"}}}),
        bead("b-2", "ledger", dependencies=[{"issue_id": "b-2", "depends_on_id": "external:a:a-1",
                                             "type": "delegated-from"}])])
    return commit_everything(root)


def status(root: Path, rig: str, ident: str) -> dict[str, str]:
    row = next(r for r in lines(root / rig / ".beads" / "issues.jsonl") if r["id"] == ident)
    return {k: row.get(k) for k in ("status", "closed_at", "close_reason")}


def test_closing_the_last_delegated_child_closes_the_parents_with_attribution(tmp_path: Path) -> None:
    root = cascade_town(tmp_path)
    first = close(load_federation([root]), "b-1", "shipped", "b/crew/kim", NOW)
    assert (first.closed, [(s.parent.rsplit("/", 1)[1], s.outcome) for s in first.cascade]) == (
        ["hop://steve@example.com/main-town/b/b-1"], [("a-1", "waiting")])
    assert status(root, "a", "a-1")["status"] == "open"

    last = close(load_federation([root]), "b-2", None, "b/crew/kim", NOW)
    assert [key.rsplit("/", 1)[1] for key in last.closed] == ["b-2", "a-1", "hq-1"]
    assert [(s.parent.rsplit("/", 1)[1], s.outcome) for s in last.cascade] == [("a-1", "closed"), ("hq-1", "closed")]
    assert status(root, "b", "b-2") == {"status": "closed", "closed_at": STAMP, "close_reason": "closed by b/crew/kim"}
    assert status(root, "a", "a-1") == {"status": "closed", "closed_at": STAMP, "close_reason": (
        "all delegated work complete: hop://steve@example.com/main-town/b/b-2 closed by b/crew/kim "
        "(crossdeck close cascade)")}
    assert status(root, ".", "hq-1")["close_reason"] == (
        "all delegated work complete: hop://steve@example.com/main-town/a/a-1 closed by b/crew/kim "
        "(crossdeck close cascade)")
    audit = [e for e in lines(root / ".crossdeck" / "audit.jsonl") if e["operation_type"] == "close"]
    assert [(e["payload"]["item"].rsplit("/", 1)[1], e["payload"].get("cascade_from", "").rsplit("/", 1)[-1],
             e["actor"]) for e in audit] == [("b-1", "", "b/crew/kim"), ("b-2", "", "b/crew/kim"),
                                              ("a-1", "b-2", "b/crew/kim"), ("hq-1", "a-1", "b/crew/kim")]
    assert by_author(root, "b/crew/kim") == [
        ("close hop://steve@example.com/main-town/b/b-2 (and hop://steve@example.com/main-town/a/a-1, "
        "hop://steve@example.com/main-town/hq-1 by cascade): closed by b/crew/kim | steve@example.com | "
        ".beads/issues.jsonl,.crossdeck/audit.jsonl,a/.beads/issues.jsonl,b/.beads/issues.jsonl"),
        ("close hop://steve@example.com/main-town/b/b-1: shipped | steve@example.com | "
        ".crossdeck/audit.jsonl,b/.beads/issues.jsonl")]
    chains = delegation_chains(build_graph(load_federation([root])), NOW.date())
    assert [(c.key.rsplit("/", 1)[1], c.complete, c.done) for c in chains.chains] == [("hq-1", True, True)]


def test_closing_twice_or_without_the_cascade(tmp_path: Path) -> None:
    root = cascade_town(tmp_path)
    close(load_federation([root]), "b-1", None, "kim", NOW)
    again = close(load_federation([root]), "b-1", None, "kim", NOW)
    assert (again.changed, again.closed, again.commit, again.files) == (False, [], None, [])
    alone = close(load_federation([root]), "b-2", None, "kim", NOW, cascade=False)
    assert (len(alone.closed), alone.cascade) == (1, [])
    assert status(root, "a", "a-1")["status"] == "open"


def test_a_parent_in_another_workspace_gets_an_update_request_instead(demo: Path) -> None:
    globex_requests = demo / "towns" / "globex-payments" / ".crossdeck" / "requests.jsonl"
    result = close(load_federation([demo]), "ps-3vk", "shipped", "paysdk/crew/kim", NOW)
    step, = result.cascade
    assert (step.parent, step.outcome, step.child) == (GW, "update requested", f"{KESTREL}/paysdk/ps-3vk")
    sent, = result.requests
    assert (sent.request_id, sent.request_type, sent.from_repo, sent.to_repo, sent.receiver) == (
        step.request_id, "update_issue", KESTREL, "hop://globex.io/payments", "hop://globex.io/payments")
    assert sent.payload["changes"] == {"status": "closed"} and sent.payload["ref"] == GW
    outgoing = lines(kestrel(demo) / ".crossdeck" / "requests.jsonl")[-1]
    assert (outgoing["request_id"], outgoing["direction"], outgoing["status"]) == (sent.request_id, "outgoing", "pending")
    assert lines(globex_requests)[-1] == {**outgoing, "direction": "incoming"}
    assert next(r for r in lines(demo / "towns" / "globex-payments" / "gateway" / ".beads" / "issues.jsonl")
                if r["id"] == "gw-4tk")["status"] == "in_progress"  # another workspace: asked, not changed
    pending = approvals_of(load_federation([demo]).workspaces, NOW.date()).pending
    assert sent.request_id in {row.request_id for row in pending if row.workspace == "hop://globex.io/payments"}
    # asking again while it is pending sends nothing
    fed = load_federation([demo])
    ws = fed.workspace(KESTREL)
    assert ws is not None
    twice = queue_update(fed, ws, GW, {"status": "closed"}, "again", "paysdk/crew/kim", NOW)
    assert (twice.queued, twice.request_id, twice.files) == (False, sent.request_id, [])


# -- the cascade waits for blockers --------------------------------------------------------------

MAIN = "hop://steve@example.com/main-town"


def blocked_cascade_town(tmp_path: Path, **a1: object) -> Path:
    """``cascade_town`` with more fields on P (a-1): a blocking dependency, a reference; and b-3, open."""
    root = cascade_town(tmp_path)
    rows = lines(root / "a" / ".beads" / "issues.jsonl")
    rows[0].update(a1)
    write_jsonl(root / "a" / ".beads" / "issues.jsonl", rows)
    write_jsonl(root / "b" / ".beads" / "issues.jsonl", [*lines(root / "b" / ".beads" / "issues.jsonl"),
                                                         bead("b-3", "PCI review")])
    return commit_everything(root, "blocker")


def chain_nodes(root: Path) -> dict[str, object]:
    """Every node of the chains, by its id."""
    found: dict[str, object] = {}
    stack = list(delegation_chains(build_graph(load_federation([root])), NOW.date()).chains)
    while stack:
        node = stack.pop()
        found[node.key.rsplit("/", 1)[1]] = node
        stack.extend(node.children)
    return found


def test_closing_the_last_child_leaves_a_blocked_parent_open_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = blocked_cascade_town(tmp_path, dependencies=[{"issue_id": "a-1", "depends_on_id": "b-3", "type": "blocks"}])
    blocker = f"{MAIN}/b/b-3"
    close(load_federation([root]), "b-1", None, "b/crew/kim", NOW)
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    closed = crossdeck("close", "b-2", str(root), "--actor", "b/crew/kim")
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.splitlines()[:2] == [
        f"closed {MAIN}/b/b-2 as b/crew/kim: closed by b/crew/kim",
        f"  {MAIN}/a/a-1: blocked by {blocker} (its delegated work is complete; left open: close it once they "
        "are closed)"]
    assert status(root, "a", "a-1")["status"] == "open" and status(root, ".", "hq-1")["status"] == "open"
    assert by_author(root, "b/crew/kim")[0] == (
        f"close {MAIN}/b/b-2: closed by b/crew/kim | steve@example.com | .crossdeck/audit.jsonl,b/.beads/issues.jsonl")
    # completion is computed as before (complete), and the chain says what holds it open
    nodes = chain_nodes(root)
    assert [(nodes[k].complete, nodes[k].done, nodes[k].blocked_by) for k in ("a-1", "hq-1")] == [  # type: ignore[attr-defined]
        (True, False, [blocker]), (True, False, [])]
    text = crossdeck("chains", str(root))
    assert f"  (children complete, blocked by {blocker})" in next(
        line for line in text.stdout.splitlines() if "a-1" in line)
    doc = json.loads(crossdeck("chains", str(root), "--json").stdout)
    assert_matches_schema("chains", doc)
    assert doc["chains"][0][1]["blocked_by"] == [blocker]
    shown = json.loads(crossdeck("show", "a-1", str(root), "--json").stdout)
    assert_matches_schema("show", shown)
    assert shown["delegation"]["blocked_by"] == [blocker]

    # closing the blocker unblocks the parent but does not close it: nothing a blocker's close does
    # finishes what it blocked; the parent is closed by hand (and cascades up from there)
    unblocked = close(load_federation([root]), "b-3", None, "b/crew/kim", NOW)
    assert (unblocked.closed, unblocked.cascade) == ([blocker], [])
    assert status(root, "a", "a-1")["status"] == "open"
    nodes = chain_nodes(root)
    assert (nodes["a-1"].complete, nodes["a-1"].blocked_by) == (True, [])  # type: ignore[attr-defined]
    by_hand = close(load_federation([root]), "a-1", None, "a/crew/ann", NOW)
    assert [key.rsplit("/", 1)[1] for key in by_hand.closed] == ["a-1", "hq-1"]


def test_the_close_json_names_the_blocked_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = blocked_cascade_town(tmp_path, dependencies=[{"issue_id": "a-1", "depends_on_id": "b-3", "type": "blocks"}])
    close(load_federation([root]), "b-1", None, "b/crew/kim", NOW)
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    doc = json.loads(crossdeck("close", "b-2", str(root), "--actor", "b/crew/kim", "--json").stdout)
    assert_matches_schema("close", doc)
    assert doc["cascade"] == [{"parent": f"{MAIN}/a/a-1", "child": f"{MAIN}/b/b-2", "outcome": "blocked",
                               "request_id": None, "blocked_by": [f"{MAIN}/b/b-3"]}]
    assert doc["closed"] == [f"{MAIN}/b/b-2"] and doc["requests"] == []


def test_a_parent_whose_only_blocker_is_an_unresolved_stub_is_closed_as_before(tmp_path: Path) -> None:
    elsewhere = "hop://kim@kestrel.works/kestrel/paysdk/ps-9zz"  # a town not loaded, nothing cached
    root = blocked_cascade_town(tmp_path, references=[{"type": "depends_on", "target": elsewhere}])
    graph = build_graph(load_federation([root]))
    assert [step.key for step in blockers(graph, f"{MAIN}/a/a-1").unresolved] == [elsewhere]
    close(load_federation([root]), "b-1", None, "b/crew/kim", NOW)
    last = close(load_federation([root]), "b-2", None, "b/crew/kim", NOW)
    assert [(s.parent.rsplit("/", 1)[1], s.outcome) for s in last.cascade] == [("a-1", "closed"), ("hq-1", "closed")]


def test_a_blocked_parent_elsewhere_gets_no_update_request(demo: Path) -> None:
    globex = demo / "towns" / "globex-payments"
    issues = globex / "gateway" / ".beads" / "issues.jsonl"
    rows = lines(issues)
    next(r for r in rows if r["id"] == "gw-4tk")["dependencies"] = [
        {"issue_id": "gw-4tk", "depends_on_id": "gw-3xe", "type": "blocks"}]
    write_jsonl(issues, rows)
    commit_everything(globex, "blocker")
    before = {path: path.read_text() for path in (globex / ".crossdeck" / "requests.jsonl",
                                                  kestrel(demo) / ".crossdeck" / "requests.jsonl") if path.exists()}
    result = close(load_federation([demo]), "ps-3vk", "shipped", "paysdk/crew/kim", NOW)
    step, = result.cascade
    blocker = "hop://globex.io/payments/gateway/gw-3xe"
    assert (step.parent, step.outcome, step.request_id, step.blocked_by, result.requests) == (
        GW, "blocked", None, [blocker], [])
    assert {path: path.read_text() for path in before} == before
    assert run_git(globex, "status", "--porcelain") == ""
    assert describe_close(result)[1] == (
        f"  {GW}: blocked by {blocker} (its delegated work is complete; no update_issue request to "
        "hop://globex.io/payments while it is blocked)")


# -- the CLI -------------------------------------------------------------------------------------

def test_the_cli_delegates_and_closes(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    monkeypatch.setenv("BD_ACTOR", CAROL)
    made = crossdeck("delegate", "gw-4tk", str(demo), "--to", f"{KESTREL}/paysdk", "--title", "Network tokens",
                     "--portion", "SDK part", "--deadline", "2026-12-10")
    assert made.returncode == 0, made.stderr
    out = made.stdout.splitlines()
    assert re.fullmatch(rf"delegated {re.escape(GW)} -> {re.escape(KESTREL)}/paysdk/ps-[0-9a-z]+ as {CAROL}", out[0])
    assert "    terms: portion SDK part, deadline 2026-12-10; delegated to kim@kestrel.works" in out
    assert re.fullmatch(r"  committed [0-9a-f]{12} in .*/towns/kestrel", out[-1])
    doc = json.loads(crossdeck("delegate", "gw-4tk", str(demo), "--to", f"{KESTREL}/paysdk", "--title",
                               "Network tokens", "--json").stdout)
    assert_matches_schema("delegate", doc)
    assert doc["changed"] is False

    closed = crossdeck("close", "ps-3vk", str(demo), "--reason", "shipped", "--actor", "paysdk/crew/kim")
    assert closed.returncode == 0, closed.stderr
    lines_out = closed.stdout.splitlines()
    assert lines_out[0] == f"closed {KESTREL}/paysdk/ps-3vk as paysdk/crew/kim: shipped"
    assert lines_out[1] == f"  {GW}: waiting (other delegated work is still open)"  # the new child is open
    doc = json.loads(crossdeck("close", doc["child"]["id"], str(demo), "--json").stdout)
    assert_matches_schema("close", doc)
    assert [(s["parent"], s["outcome"]) for s in doc["cascade"]] == [(GW, "update requested")]
    assert_matches_schema("request-create", doc["requests"][0])
    again = crossdeck("close", "ps-3vk", str(demo), "--json")
    assert json.loads(again.stdout)["changed"] is False
    assert_matches_schema("close", json.loads(again.stdout))
