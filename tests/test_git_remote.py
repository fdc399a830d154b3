"""Git remotes end to end, on real repositories made in tmp_path: a workspace names a remote, the
remote is synced (fetched into a bare cache), its workspace is read at the fetched commit and
joins the graph; stale after the TTL, unreachable (a missing path, a closed port), and recovery.
Commits are made with an explicit actor: no global git configuration is needed."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

import git
import pytest

from core import store
from core.analysis.reach import remotes_report
from core.federation import Federation, load_federation
from core.graph import build_graph
from core.graph_kinds import NodeKind
from core.settings import dirs
from core.sync.fetch_pool import Outcome, RetryPolicy, SyncPolicy, contact_all, targets_of
from core.sync.git_remote import FETCHED_REF, cache_repo
from core.sync.remote_workspaces import checkout_dir, include_remote_workspaces, remote_caches
from tests.conftest import write_json, write_jsonl

ACTOR = git.Actor("web/crew/bob", "acme.dev")
T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
FAST = SyncPolicy(retry=RetryPolicy(initial=0))  # retries without waiting


# -- building repositories ---------------------------------------------------------------------
def commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    return repo.index.commit(message, author=ACTOR, committer=ACTOR, skip_hooks=True).hexsha


def sudocode_repo(path: Path, name: str, issues: list[dict[str, Any]]) -> git.Repo:
    """A sudocode workspace ``ORG/REPO`` that is its own git repository, committed."""
    write_json(path / ".sudocode" / "federation.config.json", {"local_identity": {"url": f"github.com/{name}"}})
    write_jsonl(path / ".sudocode" / "issues.jsonl", issues)
    repo = git.Repo.init(path)
    (Path(repo.git_dir) / "HEAD").write_text("ref: refs/heads/main\n")
    commit_all(repo, f"Set up {name}")
    return repo


def bare_remote(path: Path, source: git.Repo) -> Path:
    """A bare repository at ``path`` holding ``source``'s main branch (HEAD -> main)."""
    bare = git.Repo.init(path, bare=True)
    (Path(bare.git_dir) / "HEAD").write_text("ref: refs/heads/main\n")
    bare.close()
    push(source, path)
    return path


def push(source: git.Repo, bare: Path) -> None:
    source.git.push(str(bare), "main:main")


def closed_port_url() -> str:
    """An http URL on a port of 127.0.0.1 that was free a moment ago (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/x.git"


def local_workspace(root: Path, remotes: list[dict[str, Any]]) -> Path:
    """The local sudocode workspace acme/web, naming ``remotes``; i-1 depends on acme/api#i-1."""
    write_json(root / ".sudocode" / "federation.config.json",
               {"local_identity": {"url": "github.com/acme/web"}, "remote_repos": remotes})
    write_jsonl(root / ".sudocode" / "issues.jsonl", [
        {"id": "i-1", "title": "page", "status": "open",
         "relationships": [{"from": "i-1", "to": "acme/api#i-1", "type": "depends-on"}]}])
    return root


def api_remote(tmp_path: Path) -> tuple[git.Repo, Path]:
    source = sudocode_repo(tmp_path / "api-src", "acme/api", [{"id": "i-1", "title": "endpoint", "status": "open"}])
    return source, bare_remote(tmp_path / "remotes" / "api.git", source)


def federation_with(tmp_path: Path, **remote: Any) -> Federation:
    entry = {"url": "github.com/acme/api", "trust_level": "trusted", **remote}
    return load_federation([local_workspace(tmp_path / "web", [entry])])


def sync(fed: Federation, at: dt.datetime = T0, policy: SyncPolicy = FAST, **kwargs: Any) -> Outcome:
    [outcome] = contact_all("sync", targets_of(fed.workspaces), policy=policy, now=lambda: at, **kwargs)
    return outcome


def state() -> store.RemoteState:
    return store.remote_states()[("acme/web", "acme/api")]


# -- add, sync, read at the fetched ref --------------------------------------------------------
def test_sync_fetches_into_a_bare_cache_and_the_remote_joins_the_graph(tmp_path: Path) -> None:
    source, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri())
    outcome = sync(fed)
    assert (outcome.result, outcome.fetched_ref, outcome.changed, outcome.attempts) == (
        "ok", source.head.commit.hexsha, True, 1)
    assert [(w.kind, w.path) for w in outcome.workspaces] == [("sudocode", ".")]
    cache = git.Repo(cache_repo(outcome.location or "", dirs().cache))
    assert cache.bare and cache.commit(FETCHED_REF).hexsha == outcome.fetched_ref
    cache.close()
    recorded = state()
    assert (recorded.status, recorded.fetched_ref, recorded.last_sync_at, recorded.circuit_state) == (
        "synced", outcome.fetched_ref, "2026-11-20T12:00:00Z", "closed")

    added = include_remote_workspaces(fed, now=T0)
    assert [(w.name, w.remote_cache, [u.id for u in w.work_units]) for w in added] == [("acme/api", True, ["i-1"])]
    graph = build_graph(fed)
    assert graph.nodes["acme/api#i-1"]["kind"] is NodeKind.WORK_UNIT  # no longer a stub
    assert graph.has_edge("acme/web#i-1", "acme/api#i-1")


def test_a_commit_pushed_after_a_sync_shows_after_the_next_sync(tmp_path: Path) -> None:
    source, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri())
    first = sync(fed)
    checkout = checkout_dir(first.location or "", first.fetched_ref or "", dirs().cache)
    assert (checkout / ".sudocode" / "issues.jsonl").is_file()
    assert not (checkout / ".sudocode" / "issues.jsonl").stat().st_mode & 0o222  # read-only

    write_jsonl(Path(source.working_dir) / ".sudocode" / "issues.jsonl",
                [{"id": "i-1", "title": "endpoint", "status": "closed"}, {"id": "i-2", "title": "docs"}])
    second_commit = commit_all(source, "Close i-1, add i-2")
    push(source, bare)
    reread = federation_with(tmp_path, git_url=bare.as_uri())
    [before] = include_remote_workspaces(reread, now=T0)
    assert [u.id for u in before.work_units] == ["i-1"]  # the cache still holds the first commit

    again = sync(fed, T0 + dt.timedelta(minutes=1))
    assert (again.fetched_ref, again.previous_ref, again.changed) == (second_commit, first.fetched_ref, True)
    fresh = federation_with(tmp_path, git_url=bare.as_uri())
    [after] = include_remote_workspaces(fresh, now=T0)
    assert {u.id: u.status for u in after.work_units} == {"i-1": "closed", "i-2": "open"}

    unchanged = sync(fed, T0 + dt.timedelta(minutes=2))
    assert (unchanged.changed, unchanged.fetched_ref) == (False, second_commit)


def test_the_checkout_of_an_unchanged_commit_is_reused(tmp_path: Path) -> None:
    _, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri())
    outcome = sync(fed)
    checkout = checkout_dir(outcome.location or "", outcome.fetched_ref or "", dirs().cache)
    marker = checkout.stat().st_ino
    include_remote_workspaces(federation_with(tmp_path, git_url=bare.as_uri()), now=T0)
    sync(fed, T0 + dt.timedelta(minutes=1))
    assert checkout.stat().st_ino == marker


def test_relative_paths_are_relative_to_the_workspace_root_and_git_url_wins(tmp_path: Path) -> None:
    _, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url="../remotes/api.git")  # from tmp_path/web
    assert sync(fed).result == "ok"
    plain = load_federation([local_workspace(tmp_path / "web2", [{"name": "api", "url": "../remotes/api.git"}])])
    [outcome] = contact_all("sync", targets_of(plain.workspaces), policy=FAST, now=lambda: T0)
    assert outcome.result == "ok" and outcome.location == str(bare)


def test_symbolic_links_in_the_remote_are_not_written(tmp_path: Path) -> None:
    source, _ = api_remote(tmp_path)
    (Path(source.working_dir) / "escape").symlink_to("/etc/passwd")
    commit_all(source, "a link")
    bare = bare_remote(tmp_path / "remotes" / "linked.git", source)
    outcome = sync(federation_with(tmp_path, git_url=bare.as_uri()))
    checkout = checkout_dir(outcome.location or "", outcome.fetched_ref or "", dirs().cache)
    assert (checkout / ".sudocode").is_dir() and not (checkout / "escape").exists()


def test_a_git_hook_environment_does_not_redirect_the_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = git.Repo.init(tmp_path / "outer")
    _, bare = api_remote(tmp_path)
    monkeypatch.setenv("GIT_DIR", outer.git_dir)
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path / "outer"))
    assert sync(federation_with(tmp_path, git_url=bare.as_uri())).result == "ok"
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    assert not list(git.Repo(tmp_path / "outer").references)  # nothing fetched into it


# -- stale, unreachable, recovery --------------------------------------------------------------
def test_stale_once_the_ttl_has_passed(tmp_path: Path) -> None:
    _, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri())
    sync(fed)
    states = store.remote_states()
    for seconds, expected in ((299, "synced"), (300, "synced"), (301, "stale")):
        moment = T0 + dt.timedelta(seconds=seconds)
        [report] = remotes_report(fed.workspaces, states, moment, 300).remotes
        [cache] = remote_caches(fed, states, moment, 300)
        assert report.state == cache.status == expected, seconds
    include_remote_workspaces(fed, now=T0 + dt.timedelta(hours=3), ttl_seconds=300)
    assert fed.workspace("acme/api") is not None  # a stale cache is still read: the last state known


def test_unreachable_when_the_path_does_not_exist(tmp_path: Path) -> None:
    fed = federation_with(tmp_path, git_url=str(tmp_path / "nowhere.git"))
    outcome = sync(fed)
    assert (outcome.result, outcome.attempts) == ("failed", 1)  # nothing there: not retried
    assert outcome.error == f"no repository at {tmp_path / 'nowhere.git'}"
    recorded = state()
    assert (recorded.status, recorded.failures, recorded.failing_since, recorded.last_error) == (
        "unreachable", 1, "2026-11-20T12:00:00Z", outcome.error)
    assert include_remote_workspaces(fed, now=T0) == []


def test_unreachable_on_a_closed_port_after_bounded_retries(tmp_path: Path) -> None:
    url = closed_port_url()
    fed = federation_with(tmp_path, git_url=url)
    waits: list[float] = []
    outcome = sync(fed, policy=SyncPolicy(), sleep=waits.append)
    assert (outcome.result, outcome.attempts) == ("failed", 3)
    assert waits == RetryPolicy().waits() == [0.25, 0.5]
    assert "127.0.0.1" in (outcome.error or "") and "connect" in (outcome.error or "").lower()
    assert state().status == "unreachable"
    [check] = contact_all("check", targets_of(fed.workspaces), policy=FAST, now=lambda: T0)
    assert (check.result, check.attempts) == ("failed", 3)
    assert len(store.reachability_history("acme/web", "acme/api")) == 2


def test_recovery_when_the_remote_comes_back(tmp_path: Path) -> None:
    where = tmp_path / "remotes" / "late.git"
    fed = federation_with(tmp_path, git_url=where.as_uri())
    for minute in range(3):
        assert sync(fed, T0 + dt.timedelta(minutes=minute)).result == "failed"
    assert (state().status, state().failures, state().circuit_state) == ("unreachable", 3, "open")

    source = sudocode_repo(tmp_path / "late-src", "acme/api", [{"id": "i-1", "title": "endpoint"}])
    bare_remote(where, source)
    back = sync(fed, T0 + dt.timedelta(minutes=10))  # after the cool-down: one trial, and it answers
    assert (back.result, back.circuit_state, back.attempts) == ("ok", "closed", 1)
    recovered = state()
    assert (recovered.status, recovered.failures, recovered.failing_since, recovered.circuit_state) == (
        "synced", 0, None, "closed")
    assert recovered.last_ok_at == "2026-11-20T12:10:00Z"
    assert recovered.last_error is not None  # the last error stays readable after recovery
    assert [w.name for w in include_remote_workspaces(fed, now=T0)] == ["acme/api"]


def test_identity_remotes_are_skipped_not_failed_and_http_ones_are_contacted(tmp_path: Path) -> None:
    remotes = [{"url": "http://127.0.0.1:9/api/v1/federation", "name": "partner"},
               {"url": "github.com/acme/other"}]
    fed = load_federation([local_workspace(tmp_path / "web", remotes)])
    outcomes = contact_all("sync", targets_of(fed.workspaces), policy=FAST, now=lambda: T0)
    assert [(o.name, o.transport, o.result, o.attempts) for o in outcomes] == [
        ("partner", "http", "failed", 3), ("acme/other", "git", "skipped", 0)]
    assert "127.0.0.1:9" in (outcomes[0].error or "")
    assert "git_url" in (outcomes[1].reason or "")
    assert list(store.remote_states()) == [(fed.workspaces[0].name, "partner")]  # only the contact is recorded


def test_a_remote_workspace_loaded_locally_is_not_read_again(tmp_path: Path) -> None:
    source, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri())
    sync(fed)
    both = load_federation([tmp_path / "web", Path(source.working_dir)])
    assert include_remote_workspaces(both, now=T0) == []
    assert [w.remote_cache for w in both.workspaces] == [False, False]


def test_a_cache_that_is_gone_is_a_warning(tmp_path: Path) -> None:
    import shutil

    _, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri())
    sync(fed)
    shutil.rmtree(dirs().cache)
    assert include_remote_workspaces(fed, now=T0) == []
    assert any("sync the remote again" in d.message for d in fed.diagnostics)


def test_the_sample_remote_config_shape_is_kept(tmp_path: Path) -> None:
    """The record shape docs/formats.md gives round-trips through the loader."""
    _, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri(), workspace="acme/api", sync={"auto_sync": True})
    [remote] = fed.workspaces[0].remotes
    assert (remote.name, store.served_workspace(remote), remote.extra["git_url"]) == (
        "acme/api", "acme/api", bare.as_uri())
    assert json.loads(json.dumps(remote.sync)) == {"auto_sync": True}


# -- timeouts and what a killed fetch leaves ---------------------------------------------------
def test_a_fetch_that_hangs_is_killed_after_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    hang = tmp_path / "hang.sh"
    hang.write_text("#!/bin/sh\nsleep 30\n")
    hang.chmod(0o755)
    monkeypatch.setenv("GIT_SSH_COMMAND", str(hang))  # an ssh remote that never answers
    fed = federation_with(tmp_path, git_url="ssh://example.invalid/acme/api.git")
    start = time.perf_counter()
    outcome = sync(fed, policy=SyncPolicy(fetch_timeout=0.5, retry=RetryPolicy(attempts=2, initial=0)))
    assert (outcome.result, outcome.attempts, outcome.error) == ("failed", 2, "timed out after 0.5 s")
    assert time.perf_counter() - start < 10


def test_the_lock_files_of_a_killed_fetch_do_not_block_the_next(tmp_path: Path) -> None:
    source, bare = api_remote(tmp_path)
    fed = federation_with(tmp_path, git_url=bare.as_uri())
    first = sync(fed)
    cache = cache_repo(first.location or "", dirs().cache)
    for leftover in ("shallow.lock", "packed-refs.lock", "refs/crossdeck/fetched.lock"):
        (cache / leftover).write_text("")  # what git leaves when it is SIGKILLed mid-fetch
    write_jsonl(Path(source.working_dir) / ".sudocode" / "issues.jsonl", [{"id": "i-9", "title": "new"}])
    head = commit_all(source, "more")
    push(source, bare)
    again = sync(fed, T0 + dt.timedelta(minutes=1))
    assert (again.result, again.fetched_ref) == ("ok", head)


def test_a_file_url_with_escaped_characters(tmp_path: Path) -> None:
    source = sudocode_repo(tmp_path / "src", "acme/api", [{"id": "i-1", "title": "x"}])
    bare = bare_remote(tmp_path / "Application Support" / "api.git", source)
    assert "%20" in bare.as_uri()
    assert sync(federation_with(tmp_path, git_url=bare.as_uri())).result == "ok"


def test_a_folder_that_is_no_repository_fails_at_once(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    waits: list[float] = []
    outcome = sync(federation_with(tmp_path, git_url=str(tmp_path / "plain")), policy=SyncPolicy(), sleep=waits.append)
    assert (outcome.result, outcome.attempts, waits) == ("failed", 1, [])
    assert outcome.error == f"'{tmp_path / 'plain'}' does not appear to be a git repository"
