"""Requests arriving together at a served workspace are committed together: each is written and
journaled at once, under the lock, and answered once the one commit of its burst holds it."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import git

from core.federation import load_federation
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
