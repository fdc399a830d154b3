"""Two independent workspaces, each a git repository in tmp with its own crossdeck home (two
users, two processes): what the round-trip tests drive with the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import git

from tests.conftest import PROJECT, write_json, write_jsonl

NOW = "2026-11-20T12:00:00Z"
PERMISSIONS = {"query": True, "mutate": {"allowed": True,
                                         "operations": ["create_issue", "create_spec", "delegate", "update_issue"]},
               "subscribe": True}


class Side:
    """One workspace and the person working in it: their own CROSSDECK_HOME and actor."""

    def __init__(self, root: Path, home: Path, actor: str):
        self.root, self.home, self.actor = root, home, actor
        home.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(self.home), "BD_ACTOR": self.actor,
               "CROSSDECK_NOW": NOW}
        done = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, cwd=self.root,
                              env=env, timeout=120)
        if check:
            assert done.returncode == 0, f"crossdeck {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def head(self) -> git.Commit:
        return git.Repo(self.root).head.commit


def commit_all(root: Path, message: str = "setup") -> None:
    repo = git.Repo.init(root)
    repo.git.add("-A")
    who = git.Actor("setup", "setup@example.com")
    repo.index.commit(message, author=who, committer=who)
    repo.close()


def remote_record(url: str, git_path: Path, trust: str = "trusted") -> dict[str, Any]:
    return {"url": url, "git_url": str(git_path), "trust_level": trust, "permissions": PERMISSIONS}


def sudocode_side(root: Path, url: str, remotes: list[dict[str, Any]], issues: list[dict[str, Any]]) -> Path:
    write_json(root / ".sudocode" / "federation.config.json",
               {"local_identity": {"url": url, "display_name": url.rsplit("/", 1)[-1]}, "remote_repos": remotes})
    write_jsonl(root / ".sudocode" / "issues.jsonl", issues)
    write_jsonl(root / ".sudocode" / "specs.jsonl", [])
    commit_all(root)
    return root


def sudocode_issue(ident: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "uuid": f"uuid-{ident}", "title": title, "content": "", "status": "open", "priority": 2,
            "assignee": None, "archived": 0, "created_at": "2026-11-01 10:00:00", "updated_at": "2026-11-01 10:00:00",
            "closed_at": None, "relationships": [], "tags": [], **fields}


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Serving:
    """``crossdeck serve ROOT --port 0`` as its own process, with the side's home."""

    def __init__(self, side: Side):
        env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(side.home), "CROSSDECK_NOW": NOW}
        self.process = subprocess.Popen([sys.executable, "-m", "tui", "serve", str(side.root), "--port", "0"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("serving "):
            self.stop()
            raise AssertionError(f"crossdeck serve did not start: {line!r} {self.process.stderr.read()}")
        self.url = line.rsplit(" on ", 1)[1].strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def give_token(issuer: Side, caller_remote: str, holder: Side, issuer_remote: str) -> None:
    """``token issue`` on the serving side for the remote that calls it, ``token add`` (from
    stdin) on the calling side."""
    token = issuer.run("token", "issue", caller_remote).stdout.strip()
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(holder.home)}
    added = subprocess.run([sys.executable, "-m", "tui", "token", "add", issuer_remote], input=token + "\n",
                           capture_output=True, text=True, cwd=holder.root, env=env, timeout=60)
    assert added.returncode == 0, added.stderr
