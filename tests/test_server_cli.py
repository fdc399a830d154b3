"""``crossdeck serve`` and ``crossdeck token`` as real processes: the line printed once
listening, one log line per call without the token, clean shutdown on SIGINT / SIGTERM; tokens
issued once and stored hashed, kept on the calling side in a private, gitignored file."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from core import tokens
from tests.conftest import PROJECT
from tests.schema_check import assert_matches_schema

API = "github.com/acme-dev/api-service"


def crossdeck(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], check=False, capture_output=True, text=True,
                          cwd=PROJECT, input=stdin, timeout=60, env={**os.environ, "PYTHONPATH": str(PROJECT)})


@contextmanager
def serving(root: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``crossdeck serve ROOT --port 0 ARGS`` running: the process, and the URL its first line names
    (the line checked: ``serving WORKSPACE on http://127.0.0.1:PORT``); killed if still running."""
    process = subprocess.Popen([sys.executable, "-m", "tui", "serve", str(root), "--port", "0", *args], cwd=PROJECT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(PROJECT)})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"serving acme-dev/api-service on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_where_it_listens_logs_calls_and_stops_cleanly(sudocode_copy: Path, sig: int) -> None:
    root = sudocode_copy / "api-service"
    token = crossdeck("token", "issue", "acme-dev/frontend", str(root)).stdout.strip()
    with serving(root) as (process, url):
        url += "/api/v1/federation"
        assert httpx.get(url + "/info", timeout=10).json()["identity"]["url"] == API
        answer = httpx.post(url + "/query", json={"type": "query", "entity": "issue"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 200
        process.send_signal(sig)
        assert process.wait(timeout=60) == 0
    assert process.stderr is not None
    log = process.stderr.read()
    assert "GET /api/v1/federation/info " in log
    assert re.search(r"POST /api/v1/federation/query acme-dev/frontend 200 \d+\.\dms", log)
    assert token not in log and "cdt_" not in log


def test_serve_refuses_an_ambiguous_root_and_a_taken_port(sudocode_copy: Path) -> None:
    both = crossdeck("serve", str(sudocode_copy), "--port", "0")
    assert both.returncode == 2
    assert "say which with --workspace" in both.stderr
    assert "Traceback" not in both.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = crossdeck("serve", str(sudocode_copy / "api-service"), "--port", str(port))
    assert refused.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "warning" not in refused.stderr  # loopback: nothing to warn about


def test_serve_warns_before_binding_beyond_loopback(sudocode_copy: Path) -> None:
    """Plain HTTP on an address other machines reach: the tokens would cross the network in clear.
    (The port is taken, so nothing is served: only the warning is looked at.)"""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = crossdeck("serve", str(sudocode_copy / "api-service"), "--host", "0.0.0.0", "--port", str(port))
    assert refused.returncode == 2
    assert "warning: 0.0.0.0 is reachable beyond this machine" in refused.stderr
    assert "TLS" in refused.stderr


def test_token_issue_prints_the_token_once_and_stores_only_its_hash(sudocode_copy: Path,
                                                                     crossdeck_home: Path) -> None:
    root = sudocode_copy / "api-service"
    issued = crossdeck("token", "issue", "Acme Frontend", str(root))
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert re.fullmatch(r"cdt_[A-Za-z0-9_-]{43}", token)
    assert "acme-dev/frontend of acme-dev/api-service" in issued.stderr
    assert "error" not in issued.stderr  # REMOTE is not read as a root too
    stored = tokens.server_file()
    assert stored.is_relative_to(crossdeck_home)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert token not in stored.read_text()
    assert tokens.digest(token) in stored.read_text()
    as_json = crossdeck("token", "issue", "--maintainer", "api/crew/ann", str(root), "--json")
    assert as_json.stderr == ""
    document = json.loads(as_json.stdout)
    assert_matches_schema("token-issue", document)
    assert document["maintainer"] == "api/crew/ann"
    listed = json.loads(crossdeck("token", "list", "--json").stdout)
    assert_matches_schema("token-list", listed)
    assert [t["remote"] for t in listed["tokens"]] == ["acme-dev/frontend", None]
    assert "cdt_" not in json.dumps(listed)
    revoked = crossdeck("token", "revoke", document["id"], "--json")
    assert_matches_schema("token-revoke", json.loads(revoked.stdout))
    assert tokens.verify("acme-dev/api-service", document["token"]) is None
    assert tokens.verify("acme-dev/api-service", token) is not None
    text = crossdeck("token", "list").stdout
    assert "maintainer api/crew/ann" in text and document["id"] in text


def test_token_issue_refuses_an_unknown_remote(sudocode_copy: Path) -> None:
    refused = crossdeck("token", "issue", "github.com/evil/corp", str(sudocode_copy / "api-service"))
    assert refused.returncode == 1
    assert "not a remote of acme-dev/api-service" in refused.stderr
    assert refused.stdout == ""
    assert crossdeck("token", "revoke", "tok-00000000").returncode == 1


def test_token_add_keeps_it_privately_and_forget_drops_it(sudocode_copy: Path, crossdeck_home: Path) -> None:
    root = sudocode_copy / "frontend"
    secret = "cdt_" + "A" * 43
    added = crossdeck("token", "add", "github.com/acme-dev/api-service", str(root), "--json", stdin=secret + "\n")
    assert added.returncode == 0, added.stderr
    document = json.loads(added.stdout)
    assert_matches_schema("token-add", document)
    kept = Path(document["file"])
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert (kept.parent / ".gitignore").read_text() == "*\n"
    assert tokens.secret_for("acme-dev/frontend", "acme-dev/api-service") == secret
    assert crossdeck("token", "add", "acme-dev/api-service", str(root), stdin="not a token\n").returncode == 1
    forgot = crossdeck("token", "forget", "acme-dev/api-service", str(root), "--json")
    assert_matches_schema("token-forget", json.loads(forgot.stdout))
    assert json.loads(forgot.stdout)["forgotten"] is True
    assert tokens.secret_for("acme-dev/frontend", "acme-dev/api-service") is None
