"""The rough edges of a first hour with the command line: the dashboard verb in the help, a
mistyped verb, a reader that goes away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT, real_town, write_jsonl
from tests.test_cli_summary import crossdeck


def test_help_and_a_bad_verb_name_the_dashboard_verb() -> None:
    shown = crossdeck("--help")
    assert "tui       open the dashboard" in shown.stdout
    wrong = crossdeck("nosuchverb")
    assert wrong.returncode == 2 and "'tui'" in wrong.stderr


def test_a_mistyped_verb_suggests_the_nearest() -> None:
    wrong = crossdeck("aprove")
    assert wrong.returncode == 2
    assert "did you mean 'crossdeck approve' or 'crossdeck approvals'?" in wrong.stderr
    far = crossdeck("zzzzzz")
    assert "did you mean" not in far.stderr and "(crossdeck --help lists the commands)" in far.stderr


def test_a_closed_stdout_is_not_an_error(tmp_path: Path) -> None:
    """``crossdeck audit ROOT | head``: the reader goes away; crossdeck stops quietly, as a tool
    killed by SIGPIPE does (141), never with 1 ("a file could not be read") or a traceback."""
    town = real_town(tmp_path / "town", {"gastown": "gt"})
    write_jsonl(town / ".events.jsonl", [{"ts": f"2026-11-{1 + n % 28:02d}T10:00:00Z", "type": "sling",
                                          "actor": f"gastown/polecats/p{n}", "payload": {"n": n}}
                                         for n in range(5000)])  # far more than a pipe holds
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    pipeline = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m tui audit {town} | head -n 1 >/dev/null; echo ${{PIPESTATUS[0]}}"],
        capture_output=True, text=True, cwd=PROJECT, env=env, timeout=60)
    assert pipeline.stdout.strip() == "141", pipeline.stderr
    assert "Traceback" not in pipeline.stderr and "BrokenPipe" not in pipeline.stderr


def test_remote_add_and_remove_are_committed_as_the_actor(tmp_path: Path) -> None:
    import git

    from tests.conftest import commit_everything
    from tests.test_git_remote import local_workspace

    root = commit_everything(local_workspace(tmp_path / "web", []))
    unnamed = crossdeck("remote", "add", "api", "../api.git", str(root))
    assert unnamed.returncode == 2 and "no actor" in unnamed.stderr
    added = crossdeck("remote", "add", "api", "../api.git", str(root), "--actor", "web/crew/ann")
    assert added.returncode == 0, added.stderr
    repo = git.Repo(root)
    assert not repo.is_dirty(untracked_files=True)
    head = repo.head.commit
    assert (head.author.name, head.message.splitlines()[0]) == ("web/crew/ann", "remote add api (../api.git)")
    assert "committed" in added.stdout
    removed = crossdeck("remote", "remove", "api", str(root), "--actor", "web/crew/ann")
    assert removed.returncode == 0 and not repo.is_dirty(untracked_files=True)
    assert repo.head.commit.message.startswith("remote remove api")
