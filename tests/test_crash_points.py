"""A process killed at any named write point of an action (``CROSSDECK_CRASH_AT``, core.sync.journal)
leaves a workspace that the next run of the same action brings to exactly what one clean run
leaves: the same files and the same git history (trees, authors and messages; not hashes), and
``git fsck`` clean. For approve, delegate, close (with its cascade) and a server's mutate."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import httpx
import pytest

from tests.conftest import PROJECT, commit_everything
from tests.test_delegate import cascade_town
from tests.test_sync_create import demo_copy

NOW = "2026-11-20T10:00:00Z"
_DURATION = re.compile(rb'"duration_ms":\d+')


def crossdeck(root: Path, home: Path, *args: str, crash: str | None = None,
              points: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(home), "CROSSDECK_NOW": NOW}
    env.pop("CROSSDECK_CRASH_AT", None)
    if crash:
        env["CROSSDECK_CRASH_AT"] = crash
    if points:
        env["CROSSDECK_CRASH_POINTS"] = str(points)
    return subprocess.run([sys.executable, "-m", "tui", *args, str(root)], capture_output=True, text=True,
                          cwd=PROJECT, env=env, timeout=120, check=False)


def _files(root: Path) -> dict[str, bytes]:
    """Every file of the workspaces below ``root`` (not .git), with the one thing that differs
    between two clean runs (an audit entry's measured duration) blanked."""
    return {str(p.relative_to(root)): _DURATION.sub(b'"duration_ms":0', p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def _history(repo_root: Path) -> list[tuple[str, str, dict[str, bytes]]]:
    """Each commit, oldest first: author, message, and its tree (durations blanked)."""
    repo = git.Repo(repo_root)
    out = []
    for commit in reversed(list(repo.iter_commits())):
        tree = {blob.path: _DURATION.sub(b'"duration_ms":0', blob.data_stream.read())
                for blob in commit.tree.traverse() if blob.type == "blob"}
        out.append((commit.author.name, commit.message, tree))
    return out


def _repositories(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob(".git") if p.is_dir())


def _fsck(repo_root: Path) -> None:
    done = subprocess.run(["git", "fsck", "--full"], cwd=repo_root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _check_every_point(make: Callable[[Path], Path], args: tuple[str, ...], tmp_path: Path,
                       actor: str, expected_verb: str) -> None:
    clean_root = make(tmp_path / "clean")
    listing = tmp_path / "points.txt"
    first = crossdeck(clean_root, tmp_path / "home-clean", *args, "--actor", actor, points=listing)
    assert first.returncode == 0, first.stderr
    points = list(dict.fromkeys(listing.read_text().split()))
    assert points and all(p.startswith(f"{expected_verb}:") for p in points), points
    clean = _files(clean_root)
    clean_history = {str(r.relative_to(clean_root)): _history(r) for r in _repositories(clean_root)}
    for number, point in enumerate(points):
        root = make(tmp_path / f"run{number}")
        home = tmp_path / f"home{number}"
        killed = crossdeck(root, home, *args, "--actor", actor, crash=point)
        assert killed.returncode == 137, (point, killed.stderr)
        again = crossdeck(root, home, *args, "--actor", actor)
        assert again.returncode == 0, (point, again.stderr)
        assert _files(root) == clean, point
        assert {str(r.relative_to(root)): _history(r) for r in _repositories(root)} == clean_history, point
        for repo in _repositories(root):
            _fsck(repo)


def _demo(where: Path) -> Path:
    return demo_copy(where)


def test_approve_killed_at_every_write_point(tmp_path: Path) -> None:
    _check_every_point(_demo, ("approve", "req-7c2e41"), tmp_path, "bob@acme.dev", "approve")


def test_delegate_killed_at_every_write_point(tmp_path: Path) -> None:
    _check_every_point(_demo, ("delegate", "gw-4tk", "--to", "hop://kim@kestrel.works/kestrel/paysdk",
                               "--title", "3-D Secure step", "--portion", "3DS"), tmp_path, "gateway/crew/carol",
                       "delegate")


def test_close_and_its_cascade_killed_at_every_write_point(tmp_path: Path) -> None:
    def town(where: Path) -> Path:
        root = cascade_town(where)
        from core.federation import load_federation
        from core.sync.delegate import close
        from tests.test_sync_create import NOW as FIXED

        close(load_federation([root]), "b-1", "shipped", "b/crew/kim", FIXED)  # b-2 closes the rest
        return root

    _check_every_point(town, ("close", "b-2", "--reason", "done"), tmp_path, "b/crew/kim", "close")


SERVE_ENV = {"PYTHONPATH": str(PROJECT), "CROSSDECK_NOW": NOW}


class _Server:
    def __init__(self, root: Path, home: Path, crash: str | None = None, points: Path | None = None):
        env = {**os.environ, **SERVE_ENV, "CROSSDECK_HOME": str(home)}
        env.pop("CROSSDECK_CRASH_AT", None)
        if crash:
            env["CROSSDECK_CRASH_AT"] = crash
        if points:
            env["CROSSDECK_CRASH_POINTS"] = str(points)
        self.process = subprocess.Popen([sys.executable, "-m", "tui", "serve", str(root), "--port", "0"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("serving "), line + self.process.stderr.read()  # type: ignore[union-attr]
        self.base = line.rsplit(" on ", 1)[1].strip() + "/api/v1/federation"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _served_api(where: Path) -> Path:
    root = Path(shutil.copytree(PROJECT / "sample_workspaces" / "sudocode" / "api-service", where / "api-service"))
    return commit_everything(root)


def _token(root: Path, home: Path) -> str:
    env = {**os.environ, **SERVE_ENV, "CROSSDECK_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "tui", "token", "issue", "github.com/acme-dev/frontend", str(root)],
                          capture_output=True, text=True, env=env, cwd=PROJECT, check=True)
    return done.stdout.strip()


BODY = {"type": "mutate", "request_id": "req-crash1", "operation": "create_issue",
        "data": {"title": "Rate-limit headers", "priority": 1, "labels": ["api"]}}  # priority 1: waits for a human


def _mutate(server: _Server, token: str) -> httpx.Response:
    return httpx.post(f"{server.base}/mutate", json=BODY, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_server_mutate_killed_at_every_write_point(tmp_path: Path) -> None:
    clean_root = _served_api(tmp_path / "clean")
    home = tmp_path / "home-clean"
    listing = tmp_path / "points.txt"
    server = _Server(clean_root, home, points=listing)
    try:
        assert _mutate(server, _token(clean_root, home)).status_code == 202
    finally:
        server.stop()
    points = [p for p in dict.fromkeys(listing.read_text().split()) if p.startswith("deliver:")]
    assert points
    clean, clean_history = _files(clean_root), _history(clean_root)
    for number, point in enumerate(points):
        root = _served_api(tmp_path / f"run{number}")
        home = tmp_path / f"home{number}"
        token = _token(root, home)
        dying = _Server(root, home, crash=point)
        try:
            with pytest.raises(httpx.HTTPError):
                _mutate(dying, token)
            assert dying.process.wait(10) == 137
        finally:
            dying.stop()
        again = _Server(root, home)
        try:
            answer = _mutate(again, token)  # the remote sends it again: the same request id
            assert answer.status_code == 202, (point, answer.text)
        finally:
            again.stop()
        assert _files(root) == clean, point
        assert _history(root) == clean_history, point
        _fsck(root)
