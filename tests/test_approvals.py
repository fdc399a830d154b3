"""The approvals analysis and ``crossdeck approvals``: each request's verdict, the rule that
decided it and why, on purpose-built sudocode repos and towns, and on the demo federation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from core.analysis.approvals import ApprovalsReport, IncomingRequest, Verdict, approvals, approvals_of, judge
from core.federation import load_federation
from core.graph import build_graph
from core.model import TrustLevel
from tests.conftest import real_town, write_json, write_jsonl
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck

TODAY = dt.date(2026, 11, 20)
WEB = "github.com/acme/web"  # the requester most tests use
POLICY = "policies.incoming_requests.mutate"


def remote(url: str = WEB, trust: str = "trusted", **mutate: Any) -> dict[str, Any]:
    return {"url": url, "trust_level": trust,
            "permissions": {"query": True, "mutate": {"allowed": True, "operations": ["create_issue", "update_issue"],
                                                      **mutate}}}


def request(rid: str, from_repo: str = WEB, *, kind: str = "create_issue", status: str = "pending",
            created: str = "2026-11-19T10:00:00Z", direction: str = "incoming", **payload: Any) -> dict[str, Any]:
    payload = {"title": f"work {rid}", "priority": 2, "labels": ["api"], **payload}
    return {"request_id": rid, "direction": direction, "from_repo": from_repo, "to_repo": "github.com/acme/api",
            "request_type": kind, "payload": payload, "status": status, "created_at": created}


def sudocode_repo(root: Path, remotes: list[dict[str, Any]], requests: list[dict[str, Any]],
                  mutate_policy: Any = None) -> Path:
    config: dict[str, Any] = {"local_identity": {"url": "github.com/acme/api", "display_name": "API"},
                              "remote_repos": remotes}
    if mutate_policy is not None:
        config["policies"] = {"incoming_requests": {"query": {"allowed": True}, "mutate": mutate_policy}}
    write_json(root / ".sudocode" / "federation.config.json", config)
    write_jsonl(root / ".sudocode" / "federation" / "requests.jsonl", requests)
    return root


def report_of(root: Path, today: dt.date = TODAY) -> ApprovalsReport:
    fed = load_federation([root])
    # a broken policy condition is an error at load too (tests/test_maintainers.py); nothing else is
    assert not [d for d in fed.errors if not d.message.startswith("policy condition ")], fed.errors
    return approvals_of(fed.workspaces, today)


def verdict_of(root: Path, rid: str = "req-1", today: dt.date = TODAY) -> IncomingRequest:
    rows = {row.request_id: row for row in report_of(root, today).pending}
    return rows[rid]


def single(tmp_path: Path, remote_record: dict[str, Any] | None = None, mutate_policy: Any = None,
           **payload: Any) -> IncomingRequest:
    """The verdict on one pending request ``req-1`` from WEB."""
    root = sudocode_repo(tmp_path / "api", [remote_record or remote()], [request("req-1", **payload)], mutate_policy)
    return verdict_of(root)


# -- 1. denied ---------------------------------------------------------------------------------

def test_denied_when_the_requester_is_not_a_remote(tmp_path: Path) -> None:
    row = single(tmp_path, remote("github.com/other/repo"))
    assert (row.verdict, row.rule, row.trust_level, row.remote) == (
        Verdict.DENIED, "remote_repos", TrustLevel.UNTRUSTED, None)
    assert row.reason == "github.com/acme/web is not among the remotes of acme/api"


@pytest.mark.parametrize(("mutate", "rule", "reason"), [
    ({"allowed": False}, "remote_repos[0].permissions.mutate.allowed", "acme/web may not mutate: its mutate.allowed is false"),
    ({"operations": ["create_issue"]}, "remote_repos[0].permissions.mutate.allowed",
     "acme/web may not mutate: its mutate.allowed is null"),
    (False, "remote_repos[0].permissions.mutate", "acme/web may not mutate: its permissions.mutate is false"),
    (None, "remote_repos[0].permissions.mutate", "acme/web may not mutate: its permissions.mutate is null"),
])
def test_denied_when_its_permissions_do_not_allow_mutate(tmp_path: Path, mutate: Any, rule: str, reason: str) -> None:
    record = {"url": WEB, "trust_level": "trusted", "permissions": {"query": True}}
    if mutate is not None:
        record["permissions"]["mutate"] = mutate
    row = single(tmp_path, record)
    assert (row.verdict, row.rule, row.reason) == (Verdict.DENIED, rule, reason)
    assert row.trust_level is TrustLevel.TRUSTED and row.remote == "acme/web"


def test_mutate_true_allows_every_operation(tmp_path: Path) -> None:
    record = {"url": WEB, "trust_level": "trusted", "permissions": {"mutate": True}}
    row = single(tmp_path, record, {"auto_approve": [{"condition": "operation == 'delete_everything'"}]})
    assert row.verdict is Verdict.NEEDS_HUMAN  # not denied: no operations list to be outside of


def test_denied_when_the_operation_is_not_allowed(tmp_path: Path) -> None:
    root = sudocode_repo(tmp_path / "api", [remote(operations=["update_issue"])], [request("req-1", kind="create_spec")])
    row = verdict_of(root)
    assert (row.verdict, row.rule) == (Verdict.DENIED, "remote_repos[0].permissions.mutate.operations")
    assert row.reason == "create_spec is not among the operations acme/web may request (update_issue)"


def test_denied_when_max_creates_per_day_is_reached(tmp_path: Path) -> None:
    today, yesterday = "2026-11-20T08:00:00Z", "2026-11-19T08:00:00Z"
    history = [
        request("done-1", status="approved", created=today),
        request("done-2", "acme/web", status="completed", created=today),  # the same remote, by its name
        request("old", status="completed", created=yesterday),  # not today
        request("refused", status="rejected", created=today),  # not approved
        request("update", kind="update_issue", status="approved", created=today),  # not a create
        request("other", "github.com/acme/docs", status="approved", created=today),  # another remote
    ]
    pending = [request("req-1", created=today), request("req-2", kind="update_issue", created=today)]
    remotes = [remote(max_creates_per_day=2), remote("github.com/acme/docs")]
    root = sudocode_repo(tmp_path / "api", remotes, history + pending)
    rows = {row.request_id: row for row in report_of(root).pending}
    assert (rows["req-1"].verdict, rows["req-1"].rule) == (
        Verdict.DENIED, "remote_repos[0].permissions.mutate.max_creates_per_day")
    assert rows["req-1"].reason == "acme/web reached its max_creates_per_day: 2 of 2 approved today"
    assert rows["req-2"].verdict is not Verdict.DENIED  # an update is not a create
    # the next day the count starts again
    assert verdict_of(root, today=TODAY + dt.timedelta(days=1)).verdict is not Verdict.DENIED


def test_below_max_creates_per_day_is_not_denied(tmp_path: Path) -> None:
    history = [request("done-1", status="approved", created="2026-11-20T08:00:00Z")]
    root = sudocode_repo(tmp_path / "api", [remote(max_creates_per_day=2)], history + [request("req-1")])
    assert verdict_of(root).verdict is Verdict.NEEDS_HUMAN  # no auto rule configured, but not denied


@pytest.mark.parametrize("mutate_policy", [{"allowed": False}, False])
def test_denied_when_the_workspace_policy_disallows_mutate(tmp_path: Path, mutate_policy: Any) -> None:
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 2"]), mutate_policy)
    assert (row.verdict, row.rule, row.reason) == (
        Verdict.DENIED, f"{POLICY}.allowed", "the policy of acme/api disallows mutate")


def test_the_first_denial_reason_wins(tmp_path: Path) -> None:
    # operation not allowed and the workspace disallows mutate: the remote's rule comes first
    root = sudocode_repo(tmp_path / "api", [remote(operations=[])], [request("req-1")], {"allowed": False})
    row = verdict_of(root)
    assert row.rule == "remote_repos[0].permissions.mutate.operations"
    assert row.reason.endswith("(none)")


# -- 2. needs a human --------------------------------------------------------------------------

def test_a_require_approval_condition_wins_over_auto_approval(tmp_path: Path) -> None:
    policy = {"auto_approve": [{"condition": "priority >= 2"}],
              "require_approval": [{"condition": "labels.includes('security')", "notify": ["@sec"]},
                                   {"condition": "labels.includes('breaking-change')"}]}
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 1"]), policy, labels=["breaking-change"])
    assert (row.verdict, row.rule) == (Verdict.NEEDS_HUMAN, f"{POLICY}.require_approval[1]")
    assert row.reason == "approval required when labels.includes('breaking-change')"


def test_an_untrusted_requester_needs_a_human(tmp_path: Path) -> None:
    row = single(tmp_path, remote(trust="untrusted", auto_approve_conditions=["priority >= 2"]),
                 {"auto_approve": [{"condition": "true"}]})
    assert (row.verdict, row.rule, row.reason) == (
        Verdict.NEEDS_HUMAN, "remote_repos[0].trust_level", "acme/web is untrusted")
    assert row.trust_level is TrustLevel.UNTRUSTED


def test_a_broken_condition_never_auto_approves(tmp_path: Path) -> None:
    # the remote's own conditions all hold, but a workspace rule does not parse
    policy = {"auto_approve": [{"condition": "priority >= 2"}, {"condition": "prioritty >= 2"}]}
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 2"]), policy)
    assert (row.verdict, row.rule) == (Verdict.NEEDS_HUMAN, f"{POLICY}.auto_approve[1]")
    assert row.reason.startswith(f"{POLICY}.auto_approve[1]: unknown name 'prioritty'")
    assert row.reason.endswith("at column 1")


def test_a_broken_remote_condition_names_its_rule(tmp_path: Path) -> None:
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 2", "labels.push('x')"]))
    assert row.verdict is Verdict.NEEDS_HUMAN
    assert row.reason.startswith("remote_repos[0].permissions.mutate.auto_approve_conditions[1]: unknown method")


def test_a_condition_that_fails_to_evaluate_needs_a_human(tmp_path: Path) -> None:
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 2"]), priority=None)
    assert row.verdict is Verdict.NEEDS_HUMAN
    assert row.reason == ("remote_repos[0].permissions.mutate.auto_approve_conditions[0]: "
                          "cannot order null and a number with '>=' at column 10")


def test_a_broken_require_approval_rule_needs_a_human(tmp_path: Path) -> None:
    row = single(tmp_path, remote(auto_approve_conditions=["true"]), {"require_approval": [{"notify": ["@x"]}]})
    assert (row.verdict, row.rule) == (Verdict.NEEDS_HUMAN, f"{POLICY}.require_approval[0]")
    assert row.reason == f"{POLICY}.require_approval[0]: a condition should be a string, not null"


def test_hostile_conditions_give_a_verdict_not_an_exception(tmp_path: Path) -> None:
    policy = {"auto_approve": [{"condition": "(" * 10_000 + "true" + ")" * 10_000},
                               {"condition": "__import__('os').system('true')"}]}
    row = single(tmp_path, remote(), policy)
    assert row.verdict is Verdict.NEEDS_HUMAN and "parentheses nested too deeply" in row.reason


def test_odd_payload_values_give_a_verdict(tmp_path: Path) -> None:
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 2", "labels.length < 3"]),
                 priority="high", labels="api")
    assert row.verdict is Verdict.NEEDS_HUMAN and "cannot order a string and a number" in row.reason


# -- 3. auto-approvable, 4. otherwise needs a human --------------------------------------------

def test_every_remote_condition_holds(tmp_path: Path) -> None:
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 2", "!labels.includes('breaking-change')"]))
    assert (row.verdict, row.rule) == (Verdict.AUTO_APPROVABLE, "remote_repos[0].permissions.mutate.auto_approve_conditions")
    assert row.reason == ("every auto-approve condition of acme/web holds: "
                          "priority >= 2; !labels.includes('breaking-change')")


def test_a_workspace_auto_approve_rule_holds(tmp_path: Path) -> None:
    policy = {"auto_approve": [{"condition": "priority >= 3"},
                               {"condition": "trust_level === 'trusted' && priority >= 2", "notify": []}]}
    row = single(tmp_path, remote(auto_approve_conditions=["priority >= 4"]), policy)
    assert (row.verdict, row.rule) == (Verdict.AUTO_APPROVABLE, f"{POLICY}.auto_approve[1]")
    assert row.reason == "auto-approve rule holds: trust_level === 'trusted' && priority >= 2"


def test_otherwise_a_human_decides(tmp_path: Path) -> None:
    row = single(tmp_path, remote(trust="verified", auto_approve_conditions=["priority >= 2", "priority >= 3"]),
                 {"auto_approve": [{"condition": "trust_level === 'trusted'"}]})
    assert (row.verdict, row.rule) == (Verdict.NEEDS_HUMAN, "remote_repos[0].permissions.mutate.auto_approve_conditions[1]")
    assert row.reason == "no auto-approve rule holds (priority >= 3 does not)"
    bare = single(tmp_path / "bare", remote())
    assert (bare.verdict, bare.rule, bare.reason) == (Verdict.NEEDS_HUMAN, None, "no auto-approve rule is configured")


def test_the_context_a_condition_sees(tmp_path: Path) -> None:
    conditions = ["operation === 'create_spec'", "entity_type === 'spec'", "type === 'feature'",
                  "requester === 'claude-code-agent'", "from_repo === 'github.com/acme/web'",
                  "title.includes('login')", "trust_level === 'verified'"]
    root = sudocode_repo(tmp_path / "api", [remote(trust="verified", operations=["create_spec"],
                                                   auto_approve_conditions=conditions)],
                         [request("req-1", kind="create_spec", title="Fix login", issue_type="feature",
                                  requester="claude-code-agent"),
                          request("req-2", kind="create_spec", title="Fix login", type="feature",
                                  entity_type="issue")])
    rows = {row.request_id: row for row in report_of(root).pending}
    assert rows["req-1"].verdict is Verdict.AUTO_APPROVABLE, rows["req-1"].reason
    assert rows["req-2"].reason == "no auto-approve rule holds (entity_type === 'spec' does not)"


@pytest.mark.parametrize("requester", ["acme/web", "Acme Web", "https://github.com/acme/web.git", WEB])
def test_the_requester_matches_its_remote_by_name_display_name_or_url(tmp_path: Path, requester: str) -> None:
    record = {**remote(auto_approve_conditions=["true"]), "display_name": "Acme Web"}
    root = sudocode_repo(tmp_path / "api", [record], [request("req-1", requester)])
    row = verdict_of(root)
    assert (row.remote, row.verdict, row.requester) == ("acme/web", Verdict.AUTO_APPROVABLE, requester)


# -- towns, ordering, outgoing, the graph ------------------------------------------------------

def test_a_town_has_only_the_remotes_conditions(tmp_path: Path) -> None:
    town = real_town(tmp_path / "globex", {"gateway": "gw"}, owner="globex.io", name="payments")
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [
        {"name": "acme-storefront", "url": "../acme", "workspace": "hop://acme.dev/storefront", "trust_level": "trusted",
         "permissions": {"mutate": {"allowed": True, "operations": ["delegate"],
                                    "auto_approve_conditions": ["priority >= 2"]}}}]})
    write_jsonl(town / ".crossdeck" / "requests.jsonl", [
        request("req-1", "hop://acme.dev/storefront", kind="delegate"),
        request("req-2", "hop://acme.dev/storefront", kind="delegate", priority=1),
        request("req-3", "hop://acme.dev/storefront", kind="update_issue")])
    rows = {row.request_id: row for row in report_of(town).pending}
    assert rows["req-1"].workspace == "hop://globex.io/payments"
    assert (rows["req-1"].verdict, rows["req-1"].rule) == (
        Verdict.AUTO_APPROVABLE, "remotes[0].permissions.mutate.auto_approve_conditions")
    assert rows["req-2"].verdict is Verdict.NEEDS_HUMAN
    assert (rows["req-3"].verdict, rows["req-3"].rule) == (Verdict.DENIED, "remotes[0].permissions.mutate.operations")


def test_oldest_first_and_decided_and_outgoing_apart(tmp_path: Path) -> None:
    root = sudocode_repo(tmp_path / "api", [remote()], [
        request("newer", created="2026-11-19T10:00:00Z"),
        request("undated", created=""),
        request("older", created="2026-11-02 09:53:37"),
        request("done", status="completed", created="2026-11-01T10:00:00Z"),
        request("sent", direction="outgoing", status="rejected", created="2026-11-03T10:00:00Z"),
    ])
    report = report_of(root)
    assert [row.request_id for row in report.pending] == ["older", "newer", "undated"]
    assert [row.age_days for row in report.pending] == [18, 1, None]
    assert [(row.request_id, row.status.value, row.verdict) for row in report.decided] == [("done", "completed", None)]
    assert [(row.request_id, row.status.value) for row in report.outgoing] == [("sent", "rejected")]


def test_through_the_graph_and_for_one_request(tmp_path: Path) -> None:
    root = sudocode_repo(tmp_path / "api", [remote(auto_approve_conditions=["true"])], [request("req-1")])
    fed = load_federation([root])
    assert [row.verdict for row in approvals(build_graph(fed), TODAY).pending] == [Verdict.AUTO_APPROVABLE]
    ws = fed.workspaces[0]
    assert judge(ws, ws.requests[0], TODAY).verdict is Verdict.AUTO_APPROVABLE


# -- the demo federation -----------------------------------------------------------------------

SAMPLES = Path(__file__).parents[1] / "sample_workspaces"
API, FRONTEND = "acme-dev/api-service", "acme-dev/frontend"


@pytest.fixture(scope="module")
def demo() -> ApprovalsReport:
    anchor = dt.date.fromisoformat(json.loads((SAMPLES / "demo.json").read_text())["anchor"])
    return approvals_of(load_federation([SAMPLES]).workspaces, anchor)


def test_the_demo_queue_as_its_readme_tells_it(demo: ApprovalsReport) -> None:
    rows = [(r.workspace, r.request_id, r.requester, r.trust_level.value, r.verdict.value if r.verdict else None)
            for r in demo.pending]
    assert rows == [
        (API, "req-e85a30", "github.com/hackday/price-scraper", "untrusted", "needs-human"),
        (API, "req-f0b162", "github.com/globex-io/merchant-portal", "verified", "denied"),
        (API, "req-7c2e41", "github.com/acme-dev/frontend", "trusted", "auto-approvable"),
        (API, "req-9d4b17", "github.com/acme-dev/frontend", "trusted", "needs-human"),
        (FRONTEND, "req-3a6d55", "github.com/acme-dev/api-service", "verified", "auto-approvable"),
    ]
    why = {r.request_id: (r.rule, r.reason) for r in demo.pending}
    assert why["req-e85a30"] == ("remote_repos[2].trust_level", "hackday/price-scraper is untrusted")
    assert why["req-f0b162"][0] == "remote_repos[1].permissions.mutate.allowed"
    assert why["req-7c2e41"][0] == "remote_repos[0].permissions.mutate.auto_approve_conditions"
    assert why["req-9d4b17"] == (f"{POLICY}.require_approval[0]",
                                 "approval required when priority <= 1 || labels.includes('breaking-change')")
    assert why["req-3a6d55"][1] == ("every auto-approve condition of acme-dev/api-service holds: "
                                    "operation === 'update_issue'; priority >= 2")


def test_the_demo_history_and_outgoing_requests(demo: ApprovalsReport) -> None:
    decided = {r.request_id: (r.workspace, r.status.value, r.approved_by) for r in demo.decided}
    assert decided == {"req-a41c07": (API, "completed", "bob@acme.dev"),
                       "req-b7e210": (API, "rejected", None),
                       "req-5b90d1": ("hop://globex.io/payments", "completed", "carol@globex.io")}
    assert next(r for r in demo.decided if r.request_id == "req-b7e210").rejection_reason
    outgoing = {(r.workspace, r.request_id, r.status.value) for r in demo.outgoing}
    assert outgoing == {(FRONTEND, "req-a41c07", "completed"), (FRONTEND, "req-7c2e41", "pending"),
                        (FRONTEND, "req-9d4b17", "pending"), (API, "req-3a6d55", "pending"),
                        ("hop://acme.dev/storefront", "req-5b90d1", "completed")}


# -- the command -------------------------------------------------------------------------------

def test_cli_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T12:00:00Z")
    result = crossdeck("approvals", str(SAMPLES))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "5 pending incoming requests: 2 auto-approvable, 2 need a human, 1 denied"
    assert lines[2].split() == ["AGE", "WORKSPACE", "REQUEST", "REQUESTER", "TRUST", "TYPE", "TITLE", "VERDICT", "WHY"]
    first = lines[3]
    # ages in whole units before now (core.timeutil.age), as the dashboard shows them
    assert first.startswith("3d ") and "req-e85a30" in first and "untrusted" in first
    assert "needs a human" in first and first.endswith("hackday/price-scraper is untrusted")
    assert lines[-1].startswith("4h ") and "req-3a6d55" in lines[-1]
    assert "decided" not in result.stdout and "outgoing" not in result.stdout


def test_cli_all_adds_decided_and_outgoing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T12:00:00Z")
    result = crossdeck("approvals", str(SAMPLES), "--all")
    assert result.returncode == 0, result.stderr
    assert "decided incoming requests: 3" in result.stdout and "outgoing requests: 5" in result.stdout
    rejected = next(line for line in result.stdout.splitlines() if "req-b7e210" in line)
    assert "rejected" in rejected and "Rate limits protect checkout" in rejected


@pytest.mark.parametrize("flags", [(), ("--all",)])
def test_cli_json_matches_its_schema(monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T12:00:00Z")
    result = crossdeck("approvals", str(SAMPLES), "--json", *flags)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema("approvals", data)
    assert data["today"] == "2026-11-20" and data["all"] is bool(flags)
    assert data["counts"] == {"auto-approvable": 2, "needs-human": 2, "denied": 1}
    assert [row["age_days"] for row in data["pending"]] == [4, 3, 2, 1, 0]
    assert (len(data["decided"]), len(data["outgoing"])) == ((3, 5) if flags else (0, 0))


def test_cli_exit_codes(tmp_path: Path) -> None:
    root = sudocode_repo(tmp_path / "api", [remote()], [request("req-1")])
    with (root / ".sudocode" / "federation" / "requests.jsonl").open("a") as file:
        file.write("{not json\n")
    result = crossdeck("approvals", str(root), "--json")
    assert result.returncode == 1 and "requests.jsonl" in result.stderr
    assert [row["request_id"] for row in json.loads(result.stdout)["pending"]] == ["req-1"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert crossdeck("approvals", str(empty)).returncode == 2
    quiet = sudocode_repo(tmp_path / "quiet", [], [])
    result = crossdeck("approvals", str(quiet))
    assert (result.returncode, result.stdout) == (0, "no pending incoming requests\n")
