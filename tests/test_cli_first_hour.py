"""The rough edges of a first hour with the command line: the dashboard verb in the help, a
mistyped verb, a reader that goes away, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("json_out", [False, True])
def test_ctrl_c_stops_a_verb_quietly(json_out: bool) -> None:
    """Ctrl-C while a verb works: ``crossdeck: interrupted`` on stderr and exit 130, as other
    tools do, not a traceback; with ``--json`` stdout is still one JSON document that says so.
    The verb is held mid-work (a stand-in that waits) so that the signal surely lands in it."""
    script = ("import sys, time\nimport core.cli\n"
              "def working(argv):\n    sys.stderr.write('working\\n'); sys.stderr.flush(); time.sleep(60)\n"
              "core.cli._run = working\nfrom tui.__main__ import main\n"
              f"raise SystemExit(main(['summary'{', ' + repr('--json') if json_out else ''}]))\n")
    verb = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=PROJECT)
    try:
        assert verb.stderr.readline() == "working\n"  # type: ignore[union-attr]
        verb.send_signal(signal.SIGINT)
        out, err = verb.communicate(timeout=30)
    finally:
        verb.kill()
    assert verb.returncode == 130
    assert err == "crossdeck: interrupted\n"
    if json_out:
        # the error says what the verb wrote to stderr before it (here the stand-in's line), then this
        assert json.loads(out)["error"].splitlines()[-1] == "crossdeck: interrupted"
    else:
        assert out == ""
