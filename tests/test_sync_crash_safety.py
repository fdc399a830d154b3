"""Crash safety of syncs: a process syncing a git remote in a loop (while the remote gains
commits) is SIGKILLed at random moments, over and over; afterwards the bare cache passes
``git fsck``, the state store passes SQLite's integrity check, and the next sync succeeds and
holds the remote's newest commit."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import git

from tests.conftest import PROJECT

KILLS = 20
SEED = 20261127
AUTHOR = git.Actor("carol", "carol@globex.io")

# One process's life: sync the one remote of the workspace again and again.
WORKER = """
import sys
from pathlib import Path
from core.federation import load_federation
from core.sync.fetch_pool import contact_all, targets_of
fed = load_federation([Path(sys.argv[1])])
print("ready", flush=True)
while True:
    contact_all("sync", targets_of(fed.workspaces), force=True)
"""


def _upstream(root: Path) -> tuple[git.Repo, Path]:
    work = git.Repo.init(root / "upstream", initial_branch="main")
    (root / "upstream" / "notes.txt").write_text("0\n")
    work.index.add(["notes.txt"])
    work.index.commit("first", author=AUTHOR, committer=AUTHOR)
    return work, root / "upstream"


def _workspace(root: Path, url: str) -> Path:
    town = root / "town"
    (town / "mayor").mkdir(parents=True)
    (town / "mayor" / "town.json").write_text('{"type":"town","version":2,"name":"t","owner":"kim@kestrel.works"}')
    (town / ".crossdeck").mkdir()
    (town / ".crossdeck" / "remotes.json").write_text(
        f'{{"remotes":[{{"name":"upstream","url":"{url}","trust_level":"trusted"}}]}}')
    return town


def _commit(work: git.Repo, path: Path, n: int) -> str:
    (path / "notes.txt").write_text(f"{n}\n")
    work.index.add(["notes.txt"])
    return work.index.commit(f"change {n}", author=AUTHOR, committer=AUTHOR).hexsha


def test_killing_a_syncing_process_leaves_cache_and_store_sound(tmp_path: Path, crossdeck_home: Path) -> None:
    work, upstream = _upstream(tmp_path)
    town = _workspace(tmp_path, f"file://{upstream}")
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(crossdeck_home)}
    rng = random.Random(SEED)
    newest = work.head.commit.hexsha
    for n in range(KILLS):
        newest = _commit(work, upstream, n + 1)
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(town)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    caches = list((crossdeck_home / "cache" / "remotes").glob("*"))
    bare = [c for c in caches if c.is_dir()]
    assert len(bare) == 1, caches
    fsck = subprocess.run(["git", "fsck", "--no-progress"], cwd=bare[0], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    state = crossdeck_home / "state" / "state.db"
    if state.exists():  # on a loaded machine every kill may land before the first write of it
        with sqlite3.connect(state) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The next sync (no kill) works and holds the remote's newest commit.
    from core.federation import load_federation
    from core.sync.fetch_pool import contact_all, targets_of

    outcomes = contact_all("sync", targets_of(load_federation([town]).workspaces), force=True)
    assert [o.result for o in outcomes] == ["ok"], outcomes
    assert git.Repo(bare[0]).rev_parse("refs/crossdeck/fetched").hexsha == newest
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
