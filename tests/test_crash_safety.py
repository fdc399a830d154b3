"""Crash safety of the actions: a process deciding requests in a loop is SIGKILLed at random
moments, over and over, on a real git repository; then no JSON Lines file is torn, no request is
lost or applied twice, and the repository passes ``git fsck``. And two processes approving the
same request at once: exactly one approval and one created issue."""

from __future__ import annotations

import collections
import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import git
import pytest

from core.federation import load_federation
from core.sync.decisions import DecisionError, decide
from core.timeutil import UTC
from tests.conftest import PROJECT
from tests.test_approvals import remote, request, sudocode_repo

NOW = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
KILLS = 30
REQUESTS = 80
SEED = 20261120

# One process's life: load the federation, say so, then decide every request in order (approve
# the even ones, reject the odd ones); a request already decided changes nothing.
WORKER = """
import datetime as dt, sys
from pathlib import Path
from core.federation import load_federation
from core.sync.decisions import decide
root, actor, ids = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
now = dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone.utc)
fed = load_federation([root])
print("ready", flush=True)
for rid in ids:
    even = int(rid.rsplit("-", 1)[1]) % 2 == 0
    decide(fed, rid, "approve" if even else "reject", actor, None if even else "not now", now)
print("done", flush=True)
"""


def repository(root: Path, ids: list[str]) -> Path:
    sudocode_repo(root, [remote()], [request(rid) for rid in ids])
    repo = git.Repo.init(root)
    repo.git.add("-A")
    setup = git.Actor("setup", "setup@example.com")
    repo.index.commit("setup", author=setup, committer=setup)
    repo.close()
    return root


def start(root: Path, actor: str, ids: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(root), actor, *ids], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def jsonl_rows(root: Path) -> dict[Path, list[dict[str, Any]]]:
    """Every JSON Lines file of the workspace, each line parsed (a torn line fails here)."""
    rows = {}
    for path in sorted(root.rglob("*.jsonl")):
        if ".git" in path.parts:
            continue
        text = path.read_text()
        assert text.endswith("\n"), f"{path} ends in the middle of a line"
        rows[path] = [json.loads(line) for line in text.splitlines() if line.strip()]
    return rows


def test_killing_a_deciding_process_at_random_never_tears_loses_or_doubles(tmp_path: Path) -> None:
    ids = [f"req-{n:03d}" for n in range(REQUESTS)]
    root = repository(tmp_path / "api", ids)
    rng = random.Random(SEED)
    started = time.monotonic()
    kills = 0
    for life in range(KILLS):
        proc = start(root, f"worker/crew/life{life}", ids[:-1])  # the last request is left for the final run
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n", proc.communicate()[1]
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        kills += proc.returncode == -signal.SIGKILL
        assert "Traceback" not in err, err
    final = start(root, "worker/crew/final", ids)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0 and out.endswith("done\n"), err
    assert kills >= KILLS - 3  # (a life that finished before its kill does not count)
    assert time.monotonic() - started < 90

    rows = jsonl_rows(root)
    requests = rows[root / ".sudocode" / "federation" / "requests.jsonl"]
    issues = rows.get(root / ".sudocode" / "issues.jsonl", [])
    history: dict[str, list[str]] = collections.defaultdict(list)
    for row in requests:
        history[row["request_id"]].append(row["status"])
    created = collections.Counter(row["created_from_request"]["request_id"] for row in issues)
    by_id = {row["id"]: row for row in issues}
    for rid in ids:
        last = [row for row in requests if row["request_id"] == rid][-1]
        if int(rid[-3:]) % 2 == 0:
            # one decision, one completion, one item: the one the result names
            assert history[rid] == ["pending", "approved", "completed"], (rid, history[rid])
            assert created[rid] == 1, rid
            made = by_id[last["result"]["created"]["id"]]
            assert made["created_from_request"]["request_id"] == rid and made["title"] == f"work {rid}"
        else:
            assert history[rid] == ["pending", "rejected"] and last["rejection_reason"] == "not now", rid
            assert created[rid] == 0, rid
    audit = rows[root / ".sudocode" / "federation" / "audit.jsonl"]
    assert collections.Counter(entry["request_id"] for entry in audit) == {rid: 1 for rid in ids}

    fsck = subprocess.run(["git", "-C", str(root), "fsck", "--no-progress"], capture_output=True, text=True, check=False)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert "error" not in (fsck.stdout + fsck.stderr).lower()
    # the final run committed whatever an interrupted one had written; no git lock is left behind
    assert subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True,
                          check=True).stdout == ""
    assert not list((root / ".git").rglob("*.lock"))
    authors = subprocess.run(["git", "-C", str(root), "log", "--format=%an"], capture_output=True, text=True,
                             check=True).stdout.split()
    assert authors[-1] == "setup" and all(a.startswith("worker/crew/") for a in authors[:-1])
    assert "worker/crew/final" in authors


def _approve_in_a_process(root: str, rid: str, actor: str, barrier: Any, results: Any) -> None:
    fed = load_federation([Path(root)])  # both load while the request is pending
    barrier.wait(timeout=60)
    try:
        result = decide(fed, rid, "approve", actor, None, NOW)
        results.put((rid, actor, result.changed, result.created.id if result.created else None))
    except DecisionError as exc:  # pragma: no cover - would fail the assertions below
        results.put((rid, actor, None, str(exc)))


@pytest.mark.parametrize("rid", ["req-000", "req-002", "req-004"])
def test_two_processes_approving_the_same_request_create_one_issue(tmp_path: Path, rid: str) -> None:
    root = repository(tmp_path / "api", ["req-000", "req-002", "req-004"])
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_approve_in_a_process, args=(str(root), rid, actor, barrier, results))
             for actor in ("alice@acme.dev", "bob@acme.dev")]
    for proc in procs:
        proc.start()
    outcomes = sorted((results.get(timeout=120) for _ in procs), key=lambda o: not o[2])
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    (_, winner, changed, item), (_, _, unchanged, none) = outcomes
    assert (changed, unchanged, none) == (True, False, None) and item is not None
    rows = jsonl_rows(root)
    statuses = [r["status"] for r in rows[root / ".sudocode" / "federation" / "requests.jsonl"] if r["request_id"] == rid]
    assert statuses == ["pending", "approved", "completed"]
    assert [r["id"] for r in rows[root / ".sudocode" / "issues.jsonl"]] == [item]
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%an %s"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert [line for line in log if " approve " in f" {line} "] == [
        f"{winner} approve {rid} from github.com/acme/web: created acme/api#{item}"]
