"""Use case 1 of the sudocode federation design ("Microservices Dependency Tracking") end to end
between two real federation servers on 127.0.0.1, driven through the CLI as a user would:

frontend asks api-service for an endpoint its issue needs (create_issue, blocks that issue) ->
the request waits for a human on api-service (202 pending_approval) -> a maintainer approves it
there -> the new issue exists in api-service's issues.jsonl and blocks frontend's issue ->
frontend, watching api-service's events, sees its issue blocked by it (``crossdeck blockers``) ->
api-service closes it -> frontend's issue is no longer blocked by it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from core.analysis.outgoing import created_key
from tests.http_client_helpers import API_REMOTE, cli_json, interrupt, set_http_url, watch
from tests.test_cli_summary import PROJECT, crossdeck

ISSUE = "acme-dev/frontend#i-8b4c"  # frontend's "Avatar upload widget": it needs an endpoint
TITLE = "Add avatar upload endpoint"


def exchange_token(issuer_root: Path, caller: str, holder_root: Path, issuer: str) -> None:
    """``token issue`` on the serving side, ``token add`` (from stdin) on the calling side."""
    issued = crossdeck("token", "issue", caller, str(issuer_root))
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    added = subprocess.run([sys.executable, "-m", "tui", "token", "add", issuer, str(holder_root)], input=token + "\n",
                           capture_output=True, text=True, timeout=60, check=False,
                           env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert added.returncode == 0, added.stderr
    assert token not in added.stdout + added.stderr  # never shown again


def blockers_of(frontend: Path) -> set[str]:
    return set(cli_json("blockers", "blockers", ISSUE, str(frontend))["blockers"])


def test_use_case_1_over_http(tmp_path: Path, start_server: Any) -> None:
    sample = PROJECT / "sample_workspaces" / "sudocode"
    api_root = Path(shutil.copytree(sample / "api-service", tmp_path / "api-service"))
    frontend = Path(shutil.copytree(sample / "frontend", tmp_path / "frontend"))
    api, front = start_server(api_root), start_server(frontend)
    set_http_url(frontend, "github.com/acme-dev/api-service", api.url)  # each the other's HTTP remote
    set_http_url(api_root, "github.com/acme-dev/frontend", front.url)
    exchange_token(api_root, "github.com/acme-dev/frontend", frontend, API_REMOTE)
    exchange_token(frontend, "github.com/acme-dev/api-service", api_root, "acme-dev/frontend")
    [seen_by_api] = cli_json("remote-check", "remote", "check", "acme-dev/frontend", str(api_root))["results"]
    assert (seen_by_api["result"], seen_by_api["caller"]["trust_level"]) == ("ok", "verified")

    process, events, _ = watch(API_REMOTE, str(frontend), "--json")  # syncs, then follows api-service
    try:
        before = blockers_of(frontend)
        # 1. frontend asks; priority 1 needs a human at api-service: 202 pending_approval
        sent = cli_json("request-create", "request", "create", str(frontend), "--to", API_REMOTE,
                        "--type", "create_issue", "--title", TITLE, "--priority", "1", "--label", "api",
                        "--from-item", "i-8b4c", "--blocks", "i-8b4c", "--actor", "claude-code-agent")
        request_id = sent["request_id"]
        assert (sent["remote_status"], sent["status"], sent["verdict"]) == ("pending_approval", "pending", "needs-human")
        pending = cli_json("approvals", "approvals", str(api_root))
        assert request_id in json.dumps(pending)

        # 2. approved there by a maintainer: the issue is created in api-service's own files
        approved = crossdeck("approve", request_id, str(api_root), "--actor", "bob@acme.dev")
        assert approved.returncode == 0, approved.stderr
        rows = [json.loads(line) for line in (api_root / ".sudocode" / "issues.jsonl").read_text().splitlines()]
        [created] = [row for row in rows if row["title"] == TITLE]
        key = f"acme-dev/api-service#{created['id']}"
        assert any(rel["type"] == "blocks" and rel["to"] == ISSUE for rel in created["relationships"])

        # 3. frontend hears of it: its request completed, the new issue in its cache, blocking its issue
        done = json.loads(events.next(30, lambda line: request_id in line and '"completed"' in line))
        assert done["type"] == "request.updated" and done["applied"] == ["request"]
        arrived = json.loads(events.next(30, lambda line: f'"{key}"' in line))
        assert arrived["type"] in ("item.created", "item.updated") and arrived["applied"] == ["snapshot"]
        mine = [json.loads(line) for line in (frontend / ".sudocode" / "federation" / "requests.jsonl").read_text()
                .splitlines() if request_id in line]
        assert (mine[-1]["status"], created_key(mine[-1]["result"])) == ("completed", key)
        assert blockers_of(frontend) == before | {key}
        graph = cli_json("graph", "graph", ISSUE, str(frontend))
        assert key in json.dumps(graph)

        # 4. api-service closes it: frontend's issue is no longer blocked by it
        closed = crossdeck("close", key, str(api_root), "--actor", "bob@acme.dev", "--reason", "shipped")
        assert closed.returncode == 0, closed.stderr
        update = json.loads(events.next(30, lambda line: f'"{key}"' in line and '"closed"' in line))
        assert (update["type"], update["previous"].get("status"), update["applied"]) == (
            "item.updated", "open", ["snapshot"])
        assert blockers_of(frontend) == before
    finally:
        assert interrupt(process) == 0
    # a sync afterwards agrees with what the events said: nothing left to follow or change
    [synced] = cli_json("sync", "sync", API_REMOTE, str(frontend))["results"]
    assert synced["result"] == "ok" and request_id not in json.dumps(synced["requests"])
