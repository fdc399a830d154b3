"""Committing an action's change (core.sync.gitcommit) on real repositories made in tmp_path: the
actor as author and committer, the owner as email, explicit dates, exactly the changed paths, no
global git configuration, recovery after a commit killed midway, and reads that never commit."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import git
import pytest

from core.federation import load_federation
from core.model import Realm, SudocodeRepo, Town, Workspace, WorkspaceKind
from core.sync.gitcommit import MARKER, CommitError, author_email, commit_change, workspace_owner
from core.timeutil import UTC
from tests.conftest import PROJECT
from tests.test_cli_summary import crossdeck

NOW = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """As on CI: no user name or email anywhere in git's configuration."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "no-gitconfig"))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)


def run_git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def init_repo(root: Path, files: dict[str, str]) -> Path:
    """A repository holding ``files`` (and whatever ``root`` holds already) in one first commit
    (by a setup author, on main)."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root)
    (Path(repo.git_dir) / "HEAD").write_text("ref: refs/heads/main\n")
    repo.git.add("-A")
    setup = git.Actor("setup", "setup@example.com")
    repo.index.commit("setup", author=setup, committer=setup)
    repo.close()
    return root


def commits(repo: Path) -> list[str]:
    """``author <email> | committer <email> | date | subject`` of each commit, newest first."""
    return run_git(repo, "log", "--format=%an <%ae> | %cn <%ce> | %aI | %s").splitlines()


def test_the_actor_is_author_and_committer_and_the_owner_the_email(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "ws", {".crossdeck/audit.jsonl": "{}\n"})
    (root / ".crossdeck" / "audit.jsonl").write_text("{}\n{}\n")
    outcome = commit_change(root, [root / ".crossdeck" / "audit.jsonl"], "web/crew/bob", "approve req-1",
                            "acme.dev", NOW)
    assert outcome.sha is not None and outcome.note == "committed" and not outcome.failed
    assert outcome.repository == str(root.resolve())
    assert commits(root)[0] == "web/crew/bob <acme.dev> | web/crew/bob <acme.dev> | 2026-11-20T10:00:00+00:00 | approve req-1"
    assert run_git(root, "log", "--author=web/crew/bob", "--format=%H").split() == [outcome.sha]
    assert run_git(root, "status", "--porcelain") == ""


def test_an_actor_that_is_an_email_is_its_own_email() -> None:
    assert author_email("bob@acme.dev", "acme.dev") == "bob@acme.dev"
    assert author_email("web/crew/bob", "acme.dev") == "acme.dev"
    assert author_email("mayor", "steve@example.com") == "steve@example.com"


def test_only_the_changed_paths_are_committed(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "ws", {"log.jsonl": "1\n", "staged.txt": "a\n", "dirty.txt": "a\n"})
    (root / "staged.txt").write_text("staged by the user\n")
    run_git(root, "add", "staged.txt")
    (root / "dirty.txt").write_text("edited, not staged\n")
    (root / "untracked.txt").write_text("new\n")
    (root / "log.jsonl").write_text("1\n2\n")
    (root / "deep" / "new").mkdir(parents=True)
    (root / "deep" / "new" / "file.jsonl").write_text("x\n")
    outcome = commit_change(root, [root / "log.jsonl", root / "deep" / "new" / "file.jsonl"], "bob@acme.dev",
                            "two files", "acme.dev", NOW)
    assert outcome.sha is not None
    assert sorted(run_git(root, "show", "--name-only", "--format=", "HEAD").split()) == [
        "deep/new/file.jsonl", "log.jsonl"]
    # what the user had staged is still staged and not committed; the rest is as it was
    assert sorted(run_git(root, "status", "--porcelain").splitlines()) == [
        " M dirty.txt", "?? untracked.txt", "M  staged.txt"]
    assert run_git(root, "show", "HEAD:staged.txt") == "a\n"
    assert run_git(root, "fsck").strip() == ""


def test_nothing_to_commit_makes_no_commit(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "ws", {"log.jsonl": "1\n"})
    before = commits(root)
    outcome = commit_change(root, [root / "log.jsonl"], "bob", "nothing", "acme.dev", NOW)
    assert (outcome.sha, outcome.note) == (None, "nothing to commit: the files are as HEAD has them")
    assert commits(root) == before


def test_a_workspace_outside_any_repository_is_written_not_committed(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text("1\n")
    outcome = commit_change(tmp_path, [tmp_path / "log.jsonl"], "bob", "x", "acme.dev", NOW)
    assert (outcome.sha, outcome.repository, outcome.failed) == (None, None, False)
    assert "not in a git repository" in outcome.note
    assert (tmp_path / "log.jsonl").read_text() == "1\n"


def test_a_workspace_inside_a_bigger_repository_commits_there(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "mono", {"README": "x\n"})
    ws = root / "services" / "api"
    (ws / ".sudocode").mkdir(parents=True)
    (ws / ".sudocode" / "issues.jsonl").write_text("{}\n")
    outcome = commit_change(ws, [ws / ".sudocode" / "issues.jsonl"], "bob", "new", "acme", NOW)
    assert outcome.repository == str(root.resolve())
    assert run_git(root, "show", "--name-only", "--format=", "HEAD").split() == ["services/api/.sudocode/issues.jsonl"]


def test_the_first_commit_of_an_empty_repository(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    git.Repo.init(root).close()
    (root / "a.jsonl").write_text("1\n")
    outcome = commit_change(root, [root / "a.jsonl"], "mayor", "first", "steve@example.com", NOW)
    assert outcome.sha is not None
    assert commits(root) == ["mayor <steve@example.com> | mayor <steve@example.com> | 2026-11-20T10:00:00+00:00 | first"]
    assert run_git(root, "status", "--porcelain") == ""


def test_a_path_outside_the_repository_is_refused(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "ws", {"a": "1\n"})
    (tmp_path / "elsewhere.txt").write_text("x\n")
    with pytest.raises(CommitError, match="outside the repository"):
        commit_change(root, [tmp_path / "elsewhere.txt"], "bob", "x", "acme", NOW)


def test_a_commit_killed_midway_is_cleaned_up_by_the_next(tmp_path: Path) -> None:
    """What a SIGKILL can leave: the marker, git's lock files, a branch moved past the index."""
    root = init_repo(tmp_path / "ws", {"log.jsonl": "1\n", "other.txt": "o\n"})
    git_dir = root / ".git"
    (root / "log.jsonl").write_text("1\n2\n")
    (git_dir / MARKER).write_text(json.dumps({"pid": 1, "paths": ["log.jsonl"]}))
    for lock in ("index.lock", "HEAD.lock", "refs/heads/main.lock", "logs/HEAD.lock"):
        (git_dir / lock).parent.mkdir(parents=True, exist_ok=True)
        (git_dir / lock).write_text("")
    (root / "log.jsonl").write_text("1\n2\n3\n")
    outcome = commit_change(root, [root / "log.jsonl"], "bob", "after the crash", "acme", NOW)
    assert outcome.sha is not None
    assert not list(git_dir.rglob("*.lock")) and not (git_dir / MARKER).exists()
    assert run_git(root, "show", "HEAD:log.jsonl") == "1\n2\n3\n"
    assert run_git(root, "status", "--porcelain") == "" and run_git(root, "fsck").strip() == ""


def test_the_lock_files_of_a_live_git_are_left_alone(tmp_path: Path) -> None:
    """Without crossdeck's marker, an index.lock is someone else's: git's refusal is reported."""
    root = init_repo(tmp_path / "ws", {"log.jsonl": "1\n"})
    (root / ".git" / "index.lock").write_text("")
    (root / "log.jsonl").write_text("1\n2\n")
    with pytest.raises(CommitError, match="could not be committed"):
        commit_change(root, [root / "log.jsonl"], "bob", "x", "acme", NOW)
    assert (root / ".git" / "index.lock").exists()
    assert (root / "log.jsonl").read_text() == "1\n2\n"


def test_workspace_owner_by_kind() -> None:
    def ws(kind: WorkspaceKind, info: object, root: str = "/x/folder") -> Workspace:
        return Workspace(kind=kind, name="n", root=root, info=info)  # type: ignore[arg-type]

    assert workspace_owner(ws(WorkspaceKind.TOWN, Town(name="t", owner="acme.dev"))) == "acme.dev"
    assert workspace_owner(ws(WorkspaceKind.SUDOCODE, SudocodeRepo(name="acme-dev/api"))) == "acme-dev"
    assert workspace_owner(ws(WorkspaceKind.REALM, Realm(name="r", layout="draft",
                                                         governance={"approvers": ["alice@acme.dev"]}))) == "alice@acme.dev"
    assert workspace_owner(ws(WorkspaceKind.REALM, Realm(name="commerce", layout="draft"))) == "commerce"
    assert workspace_owner(ws(WorkspaceKind.BEADS, None)) == "folder"


def test_reads_never_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = init_repo(Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo")), {})
    before = commits(demo)
    monkeypatch.setenv("BD_ACTOR", "web/crew/bob")  # an actor is set, and still nothing commits
    load_federation([demo])
    for args in (["summary"], ["approvals", "--all"], ["stale"], ["chains"], ["audit"], ["show", "i-6d2a"]):
        result = crossdeck(*args, str(demo))
        assert result.returncode in (0, 1), result.stderr
    assert commits(demo) == before
    assert run_git(demo, "status", "--porcelain") == ""
