"""Who may decide (issue 15): a workspace's maintainers and a realm's approvers, from the CLI and
over HTTP; a policy condition that does not parse, reported at load; a workspace's git commits
in the audit trail, each once. The dashboard's side is tests/tui/test_maintainers_pane.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tests.http_fixtures import SCRAPER, Served
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_decisions import api_logs, last_line_for

API = "acme-dev/api-service"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo federation to decide in, its clock fixed, with no actor in the environment."""
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T10:00:00Z")  # the demo's today
    monkeypatch.delenv("BD_ACTOR", raising=False)  # each test names its actor
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


RULE = "maintainers in api-service/.sudocode/federation.config.json: bob@acme.dev, bob, */crew/bob, api-service/crew/*"


def test_a_non_maintainer_is_refused_naming_the_rule_and_nothing_is_written(demo: Path) -> None:
    requests, audit = api_logs(demo)
    before = (requests.read_text(), audit.read_text())
    for verb, extra in (("approve", []), ("reject", ["--reason", "no"])):
        result = crossdeck(verb, "req-7c2e41", str(demo), "--actor", "anybody@example.com", *extra)
        assert result.returncode == 1, result.stdout
        assert (f"crossdeck {verb}: anybody@example.com may not {verb} {API}:req-7c2e41: it is not among the "
                f"maintainers of {API}, by name or by email (config.toml gives it none): {RULE}") in result.stderr
    auto = crossdeck("approve", "--auto-approvable", str(demo), "--actor", "web/crew/eve", "--json")
    assert auto.returncode == 1
    refused = json.loads(auto.stdout)["requests"]
    assert refused and all(r["outcome"] == "refused" and "may not approve" in r["error"] for r in refused
                           if r["workspace"] == API)
    dry = json.loads(crossdeck("approve", "--auto-approvable", "--dry-run", str(demo), "--actor", "web/crew/eve",
                               "--json").stdout)
    assert {r["outcome"] for r in dry["requests"] if r["workspace"] == API} == {"would be refused"}
    assert (requests.read_text(), audit.read_text()) == before


def test_a_maintainer_decides_by_name_or_by_pattern(demo: Path) -> None:
    requests, _ = api_logs(demo)
    assert crossdeck("approve", "req-7c2e41", str(demo), "--actor", "bob").returncode == 0
    assert last_line_for(requests, "req-7c2e41")["approved_by"] == "bob"
    rejected = crossdeck("reject", "req-e85a30", str(demo), "--actor", "api-service/crew/maya", "--reason", "no")
    assert rejected.returncode == 0, rejected.stderr
    assert last_line_for(requests, "req-e85a30")["rejected_by"] == "api-service/crew/maya"


def test_a_maintainer_is_known_by_the_email_config_toml_gives_the_actor(demo: Path, crossdeck_home: Path) -> None:
    requests, _ = api_logs(demo)
    assert crossdeck("approve", "req-7c2e41", str(demo), "--actor", "desk/robert").returncode == 1
    (crossdeck_home / "config.toml").write_text('[emails]\n"desk/robert" = "Bob@acme.dev"\n')
    result = crossdeck("approve", "req-7c2e41", str(demo), "--actor", "desk/robert")
    assert result.returncode == 0, result.stderr
    assert last_line_for(requests, "req-7c2e41")["approved_by"] == "desk/robert"
    # ``email`` is the configured actor's own
    (crossdeck_home / "config.toml").write_text('actor = "desk/rob"\nemail = "bob@acme.dev"\n')
    assert crossdeck("reject", "req-e85a30", str(demo), "--reason", "later").returncode == 0


def test_the_deciding_rule_s_notify_targets_show_and_are_written(demo: Path) -> None:
    rows = json.loads(crossdeck("approvals", str(demo), "--json").stdout)["pending"]
    notify = {row["request_id"]: row["notify"] for row in rows}
    assert notify["req-9d4b17"] == ["@api-leads"]  # priority 1: require_approval[0] notifies @api-leads
    assert notify["req-7c2e41"] == []  # auto-approvable by the remote's own conditions: nobody
    text = crossdeck("approvals", str(demo)).stdout
    assert "; notify @api-leads" in next(line for line in text.splitlines() if "req-9d4b17" in line)
    result = crossdeck("reject", "req-9d4b17", str(demo), "--actor", "bob", "--reason", "not now", "--json")
    assert result.returncode == 0, result.stderr
    decided = json.loads(result.stdout)
    assert_matches_schema("reject", decided)
    assert decided["notify"] == ["@api-leads"]
    requests, audit = api_logs(demo)
    assert last_line_for(requests, "req-9d4b17")["notify"] == ["@api-leads"]  # a request.updated event carries it
    assert json.loads(audit.read_text().splitlines()[-1])["payload"]["notify"] == ["@api-leads"]


def test_realm_approvers_alone_bump_incompatibly(demo: Path, crossdeck_home: Path) -> None:
    contract = "commerce/acme-catalog/catalog-feed"
    args = ("realm", "bump", contract, "--version", "2.0.0", "--change", "dropped sku", "--incompatible", str(demo))
    refused = crossdeck(*args, "--actor", "bob@acme.dev")  # the domain's maintainer, not an approver
    assert refused.returncode == 1
    assert ("bob@acme.dev may not bump realm://commerce/acme-catalog/catalog-feed incompatibly: it is not among "
            "the approvers of realm://commerce") in refused.stderr
    assert "governance.approvers in commerce/realm.yaml: alice@acme.dev, carol@globex.io" in refused.stderr
    (crossdeck_home / "config.toml").write_text('[emails]\n"checkout/crew/alice" = "alice@acme.dev"\n')
    done = crossdeck(*args, "--actor", "checkout/crew/alice")
    assert done.returncode == 0, done.stderr
    resolve = ("realm", "resolve", "commerce/acme-checkout/imports/payment-intents", str(demo))
    assert "may not resolve" in crossdeck(*resolve, "--actor", "anybody@example.com").stderr
    assert crossdeck(*resolve, "--actor", "alice@acme.dev").returncode == 0  # the importer's maintainer


def test_over_http_a_maintainer_token_of_someone_else_is_refused(sudocode_copy: Path, start_server) -> None:  # type: ignore[no-untyped-def]
    served: Served = start_server(sudocode_copy / "api-service")
    with served.client(served.token(SCRAPER)) as client:
        sent = client.post("/mutate", json={"type": "mutate", "request_id": "req-m-1", "operation": "create_issue",
                                            "data": {"title": "Bulk export", "priority": 3}})
    assert sent.status_code == 202, sent.text
    with served.client(served.token(maintainer="anybody@example.com")) as client:
        refused = client.post("/requests/req-m-1/approve", json={"reason": None})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["message"].startswith(f"anybody@example.com may not approve {API}:req-m-1")
    assert RULE in refused.json()["error"]["message"]
    log = served.root / ".sudocode" / "federation" / "requests.jsonl"
    assert last_line_for(log, "req-m-1")["status"] == "pending"
    with served.client(served.token(maintainer="bob@acme.dev")) as client:
        approved = client.post("/requests/req-m-1/approve", json={"reason": None})
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"]["decided_by"] == "bob@acme.dev"


def test_a_broken_policy_condition_is_reported_by_summary_and_fails_check(demo: Path) -> None:
    config = demo / "sudocode" / "api-service" / ".sudocode" / "federation.config.json"
    text = config.read_text()
    config.write_text(text.replace('"labels.includes(\'security\')"', '"labels.includes(\'security\'"'))
    line = next(i for i, row in enumerate(config.read_text().splitlines(), 1) if "security'\"" in row)
    message = (f"{config}:{line}: policy condition policies.incoming_requests.mutate.require_approval[1]: "
               "unexpected end of condition at column 27")
    summary = crossdeck("summary", str(demo))
    assert summary.returncode == 1 and message in summary.stderr
    check = crossdeck("check", str(demo), "--json")
    assert check.returncode == 1
    failure = next(f for f in json.loads(check.stdout)["failures"] if f["file"] == str(config))
    assert failure["line"] == line and "require_approval[1]" in failure["reason"]


def git(root: Path, *args: str, author: str | None = None) -> None:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root),
           "GIT_AUTHOR_DATE": "2026-11-18T09:00:00Z", "GIT_COMMITTER_DATE": "2026-11-18T09:00:00Z"}
    if author:
        name, _, email = author.partition(" <")
        env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email.rstrip(">"), GIT_COMMITTER_NAME=name,
                   GIT_COMMITTER_EMAIL=email.rstrip(">"))
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def test_audit_lists_the_commits_an_actor_authored_once(demo: Path) -> None:
    api = demo / "sudocode" / "api-service"
    git(api, "init", "-q", "-b", "main")
    git(api, "add", "-A")
    git(api, "commit", "-q", "-m", "Set up api-service", author="Bob Smith <bob@acme.dev>")
    (api / "NOTES.md").write_text("rate limits\n")
    git(api, "add", "NOTES.md")
    git(api, "commit", "-q", "-m", "Notes on rate limits", author="api-service/crew/maya <acme-dev>")
    approved = crossdeck("approve", "req-7c2e41", str(demo), "--actor", "api-service/crew/maya")
    assert approved.returncode == 0 and "committed" in approved.stdout, approved.stdout + approved.stderr

    result = crossdeck("audit", str(demo), "--actor", "api-service/crew/maya", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert_matches_schema("audit", doc)
    seen = [(e["type"], e["origin"], e["payload"].get("subject")) for e in doc["events"]]
    # the approval once, as its audit line; the hand-made commit once; not the approval's commit again
    assert sorted(seen, key=str) == sorted([("approve", "federation-audit", None),
                                            ("commit", "git-commit", "Notes on rate limits")], key=str)
    by_email = json.loads(crossdeck("audit", str(demo), "--actor", "bob@acme.dev", "--workspace", "api-service",
                                    "--type", "commit", "--json").stdout)["events"]
    assert [(e["actor"], e["payload"]["subject"], e["payload"]["author"]) for e in by_email] == [
        ("bob@acme.dev", "Set up api-service", "Bob Smith <bob@acme.dev>")]
    by_org = json.loads(crossdeck("audit", str(demo), "--org", "acme.dev", "--type", "commit", "--json").stdout)
    assert [e["payload"]["subject"] for e in by_org["events"]] == ["Set up api-service"]
    text = crossdeck("audit", str(demo), "--actor", "api-service/crew/maya").stdout
    assert "Notes on rate limits" in text
    assert crossdeck("audit", str(demo), "--actor", "api-service/crew/maya", "--commits", "0",
                     "--json").stdout.count('"git-commit"') == 0
