"""Requests arriving together at a served workspace are committed together: each is written and
journaled at once, under the lock, and answered once the one commit of its burst holds it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
import time
from pathlib import Path

import git
import pytest

from core.federation import load_federation
from core.sync import loose_objects
from core.sync.group_commit import GroupCommitter
from core.sync.journal import journals
from core.sync.requests import deliver, incoming_record
from tests.conftest import commit_everything
from tests.test_approvals import remote, sudocode_repo

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def test_a_burst_of_requests_is_one_commit_per_burst(tmp_path: Path) -> None:
    root = commit_everything(sudocode_repo(tmp_path / "api", [remote()], []))
    ws = load_federation([root]).workspaces[0]
    committer = GroupCommitter(root, window=0.2)
    outcomes: dict[int, object] = {}
    start = threading.Barrier(8)

    def send(n: int) -> None:
        record = incoming_record(f"req-{n:04d}", "github.com/acme/web", "github.com/acme/api", "create_issue",
                                 {"title": f"work {n}", "priority": 2, "labels": []}, "2026-11-20T10:00:00Z")
        start.wait()
        outcomes[n] = deliver(ws, record, "acme/web", NOW, group=committer).commit

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    repo = git.Repo(root)
    commits = list(repo.iter_commits())[:-1]  # less the setup
    assert 1 <= len(commits) < 8
    assert all(getattr(o, "sha", None) for o in outcomes.values()) and len(outcomes) == 8
    held = {r.request_id for r in load_federation([root]).workspaces[0].requests}
    assert held == {f"req-{n:04d}" for n in range(8)}
    assert not repo.is_dirty(untracked_files=True)
    assert journals(root) == []
    assert {c.author.name for c in commits} == {"acme/web"}  # one requester: it is the author


def test_a_log_committed_again_and_again_is_packed_as_it_goes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile world II, 8: each commit stores the whole request log again (a new blob); on 0717a2d
    nothing packed them, so .git grew as the log's size times the calls. Now the loose objects are
    packed once they pile up, and the repository grows by about what changed."""
    monkeypatch.setattr(loose_objects, "LOOSE_LIMIT", 24)
    root = commit_everything(sudocode_repo(tmp_path / "api", [remote()], []))
    filler = "x" * 300  # a log of ~150 KB before the calls begin: what a busy server's grows to
    with (root / ".sudocode" / "federation" / "requests.jsonl").open("a") as log:
        for n in range(500):
            log.write(json.dumps({"request_id": f"old-{n:04d}", "direction": "incoming", "from_repo": "github.com/acme/web",
                                  "to_repo": "github.com/acme/api", "request_type": "create_issue", "status": "rejected",
                                  "payload": {"title": f"old {n} {filler}"}, "created_at": "2026-11-01T10:00:00Z",
                                  "updated_at": "2026-11-01T10:00:00Z"}, separators=(",", ":")) + "\n")
    commit_everything(root)
    committer = GroupCommitter(root, window=0.0)
    calls = 80
    for n in range(calls):
        ws = load_federation([root]).workspaces[0]
        record = incoming_record(f"req-{n:04d}", "github.com/acme/web", "github.com/acme/api", "create_issue",
                                 {"title": f"work {n}", "priority": 2, "labels": []}, "2026-11-20T10:00:00Z")
        assert deliver(ws, record, "acme/web", NOW, group=committer).commit.sha
        _wait_for_packing()
    figures = dict(line.split(": ") for line in subprocess.run(
        ["git", "-C", str(root), "count-objects", "-v"], capture_output=True, text=True, check=True).stdout.splitlines())
    log_kib = (root / ".sudocode" / "federation" / "requests.jsonl").stat().st_size / 1024
    stored_kib = int(figures["size"]) + int(figures["size-pack"])
    assert int(figures["count"]) <= 3 * 24 + 3, figures  # the loose objects of the last calls only
    # whole blobs for every call would be ~calls x the log, zlib'd (well over 1 MB here)
    assert stored_kib < 4 * log_kib + calls * 4, (figures, log_kib)


def _wait_for_packing(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while loose_objects._running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not loose_objects._running, "git gc --auto did not finish"
