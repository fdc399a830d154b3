"""The fetch pool's circuit breaker, retries and bound, on real git remotes in tmp_path with an
injected clock and an injected sleep (no waiting, no mocks of crossdeck's code)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from core import store
from core.federation import Federation
from core.sync.fetch_pool import (
    CircuitPolicy,
    Outcome,
    RetryPolicy,
    SyncPolicy,
    circuit_before,
    contact_all,
    run_bounded,
    targets_of,
)
from tests.test_git_remote import T0, bare_remote, closed_port_url, federation_with, state, sudocode_repo

POLICY = SyncPolicy(retry=RetryPolicy(attempts=3, initial=0), circuit=CircuitPolicy(threshold=3, cooldown_seconds=60))


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def history() -> int:
    return len(store.reachability_history("acme/web", "acme/api"))


def sync_at(fed: Federation, seconds: float, force: bool = False) -> Outcome:
    [outcome] = contact_all("sync", targets_of(fed.workspaces), policy=POLICY, now=lambda: at(seconds), force=force)
    return outcome


def test_the_circuit_opens_after_n_failures_and_skips_during_the_cool_down(tmp_path: Path) -> None:
    fed = federation_with(tmp_path, git_url=closed_port_url())
    circuits = [sync_at(fed, s).circuit_state for s in (0, 1, 2)]
    assert circuits == ["closed", "closed", "open"]
    assert (state().failures, state().circuit_state, history()) == (3, "open", 3)

    skipped = sync_at(fed, 30)
    assert (skipped.result, skipped.attempts, skipped.circuit_state) == ("skipped", 0, "open")
    assert "next try after 2026-11-20T12:01:02Z" in (skipped.reason or "")
    assert history() == 3 and state().failures == 3  # not attempted, not recorded

    [check] = contact_all("check", targets_of(fed.workspaces), policy=POLICY, now=lambda: at(31))
    assert (check.result, check.attempts) == ("skipped", 0)  # checks respect the circuit too


def test_half_open_after_the_cool_down_tries_once_then_opens_again(tmp_path: Path) -> None:
    fed = federation_with(tmp_path, git_url=closed_port_url())
    for s in (0, 1, 2):
        sync_at(fed, s)
    assert circuit_before(state(), at(61), POLICY.circuit) == "open"
    assert circuit_before(state(), at(62), POLICY.circuit) == "half-open"
    trial = sync_at(fed, 62)
    assert (trial.result, trial.attempts, trial.circuit_state) == ("failed", 1, "open")
    assert history() == 4
    assert sync_at(fed, 100).result == "skipped"  # a new cool-down from 62 s


def test_force_tries_an_open_circuit(tmp_path: Path) -> None:
    fed = federation_with(tmp_path, git_url=closed_port_url())
    for s in (0, 1, 2):
        sync_at(fed, s)
    forced = sync_at(fed, 5, force=True)
    assert (forced.result, forced.attempts) == ("failed", 1)
    assert history() == 4


def test_a_recovered_remote_closes_the_circuit(tmp_path: Path) -> None:
    where = tmp_path / "remotes" / "api.git"
    fed = federation_with(tmp_path, git_url=str(where))
    for s in (0, 1, 2):
        sync_at(fed, s)
    assert state().circuit_state == "open"
    bare_remote(where, sudocode_repo(tmp_path / "src", "acme/api", [{"id": "i-1", "title": "x"}]))
    assert sync_at(fed, 10).result == "skipped"  # still cooling down
    back = sync_at(fed, 70)
    assert (back.result, back.circuit_state) == ("ok", "closed")
    assert (state().failures, state().circuit_state, state().status) == (0, "closed", "synced")
    assert circuit_before(state(), at(71), POLICY.circuit) == "closed"


def test_retries_back_off_exponentially_and_are_bounded(tmp_path: Path) -> None:
    fed = federation_with(tmp_path, git_url=closed_port_url())
    waits: list[float] = []
    policy = SyncPolicy(retry=RetryPolicy(attempts=5, initial=0.5, max_wait=2.0))
    [outcome] = contact_all("check", targets_of(fed.workspaces), policy=policy, now=lambda: T0, sleep=waits.append)
    assert (outcome.result, outcome.attempts) == ("failed", 5)
    assert waits == [0.5, 1.0, 2.0, 2.0] == policy.retry.waits()
    assert history() == 1  # one contact, retries included


def test_a_permanent_failure_is_not_retried(tmp_path: Path) -> None:
    fed = federation_with(tmp_path, git_url=str(tmp_path / "missing.git"))
    waits: list[float] = []
    [outcome] = contact_all("sync", targets_of(fed.workspaces), policy=SyncPolicy(), now=lambda: T0,
                            sleep=waits.append)
    assert (outcome.result, outcome.attempts, waits) == ("failed", 1, [])


def test_the_pool_never_runs_more_than_its_bound_at_once() -> None:
    running, peak, lock = [0], [0], threading.Lock()
    done_in: list[str] = []

    def work(item: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.03)
        with lock:
            running[0] -= 1
        return item * 10

    results = run_bounded(list(range(12)), work, max_workers=3,
                          on_done=lambda r: done_in.append(threading.current_thread().name))
    assert results == [i * 10 for i in range(12)]  # in the items' order, whatever finished first
    assert peak[0] == 3
    assert done_in == [threading.main_thread().name] * 12  # progress is reported in the caller's thread


def test_remotes_are_fetched_in_parallel_within_the_bound(tmp_path: Path) -> None:
    """Real fetches: four remotes with a bound of two finish, each recorded once."""
    from core.sync.fetch_pool import Target

    fed = federation_with(tmp_path, git_url="unused")
    [ws] = fed.workspaces
    targets = []
    for n in range(4):
        src = sudocode_repo(tmp_path / f"src{n}", f"acme/r{n}", [{"id": "i-1", "title": f"r{n}"}])
        where = bare_remote(tmp_path / "remotes" / f"r{n}.git", src)
        remote = ws.remotes[0].__class__(name=f"r{n}", url=where.as_uri(), workspace=ws.name)
        targets.append(Target(remote, Path(ws.root)))
    outcomes = contact_all("sync", targets, policy=SyncPolicy(max_workers=2), now=lambda: T0)
    assert [(o.name, o.result) for o in outcomes] == [(f"r{n}", "ok") for n in range(4)]
    assert len({o.fetched_ref for o in outcomes}) == 4
    assert {name for _, name in store.remote_states()} == {"r0", "r1", "r2", "r3"}


def test_auto_sync_is_due_after_its_interval(tmp_path: Path) -> None:
    from core.federation import load_federation
    from core.sync.fetch_pool import auto_sync_due
    from tests.test_git_remote import api_remote, local_workspace

    _, bare = api_remote(tmp_path)
    fed = load_federation([local_workspace(tmp_path / "web", [
        {"name": "auto", "url": bare.as_uri(), "sync": {"auto_sync": True, "interval_minutes": 30}},
        {"name": "manual", "url": bare.as_uri(), "sync": {"auto_sync": False, "interval_minutes": 1}}])])
    assert [t.remote.name for t in auto_sync_due(fed.workspaces, {}, T0)] == ["auto"]  # never synced: due
    contact_all("sync", auto_sync_due(fed.workspaces, {}, T0), policy=POLICY, now=lambda: T0)
    states = store.remote_states()
    assert auto_sync_due(fed.workspaces, states, at(29 * 60)) == []
    assert [t.remote.name for t in auto_sync_due(fed.workspaces, states, at(30 * 60))] == ["auto"]
