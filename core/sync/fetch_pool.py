"""Checking and syncing many remotes at once: a bounded thread pool, retries with exponential
backoff, and a circuit breaker per remote, each contact recorded in the state store.

One **contact** is one check or one sync of one remote, retries included: it is one row of
reachability history. The transport picks the operation, everything else is shared: a git
remote is checked with ``git ls-remote`` and synced by a fetch into its cache
(``core.sync.git_remote``); an HTTP remote is checked with ``GET info`` and synced by querying its
work units into a snapshot (``core.sync.http_sync``), after which its pending outgoing requests
are followed (``core.sync.outgoing_http``). Transient failures (a refused connection, a timeout,
a server error) are retried up to ``RetryPolicy.attempts`` times in all, waiting ``initial``,
``2 x initial``, ... (at most ``max_wait``) seconds in between (``core.sync.retry``); a permanent
one (no repository at the location, a 4xx answer) is not retried.

The **circuit** of a remote (per workspace and remote name, kept in the store) is ``closed``
while it answers. After ``CircuitPolicy.threshold`` failed contacts in a row it is ``open``:
contacts are skipped, not attempted, until ``cooldown_seconds`` have passed since the last
failure. Then it is ``half-open``: one contact is tried, without retries; success closes it,
failure opens it again for another cool-down. ``force`` (an explicit ``--force``) tries an open
circuit anyway.

The clock (``now``) and the sleep between retries are parameters, so tests set both.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

import msgspec

from core import store, timeutil
from core.model import Remote, Workspace
from core.store import RemoteState, iso
from core.sync.git_remote import (
    CHECK_TIMEOUT,
    FETCH_TIMEOUT,
    Contact,
    NotFetchable,
    fetch,
    fetched_commit,
    location,
    ls_remote,
)
from core.sync.retry import ContactFailure, RetryPolicy, with_retries

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
DOLT = "dolt"  # core.dolt.servers.DOLT: a town's Dolt server, checked by connecting
MAX_WORKERS = 4
Action = Literal["check", "sync"]
T = TypeVar("T")
R = TypeVar("R")


class CircuitPolicy(msgspec.Struct, kw_only=True, frozen=True):
    threshold: int = 3  # failed contacts in a row that open the circuit
    cooldown_seconds: float = 60.0


class SyncPolicy(msgspec.Struct, kw_only=True, frozen=True):
    max_workers: int = MAX_WORKERS
    fetch_timeout: float = FETCH_TIMEOUT
    check_timeout: float = CHECK_TIMEOUT
    retry: RetryPolicy = RetryPolicy()
    circuit: CircuitPolicy = CircuitPolicy()


DEFAULT_POLICY = SyncPolicy()


class Target(NamedTuple):
    """A remote to contact, and the root of the workspace whose config names it (a relative
    location is relative to it)."""

    remote: Remote
    root: Path
    ws: Workspace | None = None  # the workspace itself (HTTP syncs follow its outgoing requests)


class Found(msgspec.Struct, kw_only=True, frozen=True):
    kind: str  # town | realm | sudocode | beads
    path: str  # the folder inside the remote's repository ("." for its root)


class Outcome(msgspec.Struct, kw_only=True):
    """What one contact did. ``result``: ok, failed, or skipped (not fetchable, or an open
    circuit: nothing was attempted and nothing recorded)."""

    action: str  # check | sync
    workspace: str
    name: str
    remote_workspace: str
    url: str
    location: str | None
    transport: str
    result: str  # ok | failed | skipped
    reason: str | None = None  # why it was skipped
    error: str | None = None
    attempts: int = 0
    latency_ms: float | None = None
    head: str | None = None  # check: the commit the remote's HEAD names
    fetched_ref: str | None = None  # sync: the commit now in the cache
    previous_ref: str | None = None  # sync: the commit the cache held before
    changed: bool = False  # sync: the cache moved to another commit
    circuit_state: str = CLOSED  # after the contact
    at: str | None = None  # when it was recorded
    workspaces: list[Found] = []  # sync: the workspaces the fetched commit holds
    read_error: str | None = None  # sync: fetched, but the commit could not be read
    caller: dict[str, Any] | None = None  # HTTP: who we are as the server sees us (remote, trust_level, permissions)
    items: int | None = None  # HTTP sync: the work units fetched
    requests: list[Any] = []  # HTTP sync: our outgoing requests followed (core.sync.outgoing_http.Followed)


class ContactReport(Outcome, kw_only=True):
    """An outcome with what the store says of the remote afterwards (``remote check``, ``sync``)."""

    status: str  # never-checked | synced | stale | unreachable (store.effective_status)
    last_success_at: str | None = None  # the last successful contact, check or sync
    last_sync_at: str | None = None
    last_error: str | None = None
    failing_since: str | None = None
    failures: int = 0


def report(outcome: Outcome, state: RemoteState | None, now: dt.datetime, ttl_seconds: int) -> ContactReport:
    extra = {} if state is None else {
        "last_success_at": state.last_ok_at, "last_sync_at": state.last_sync_at, "last_error": state.last_error,
        "failing_since": state.failing_since, "failures": state.failures}
    return ContactReport(**msgspec.structs.asdict(outcome), status=store.effective_status(state, now, ttl_seconds),
                         **extra)


def circuit_before(state: RemoteState | None, now: dt.datetime, policy: CircuitPolicy) -> str:
    """The circuit of a remote before a contact: closed, open (in its cool-down) or half-open."""
    if state is None or state.failures < policy.threshold:
        return CLOSED
    last = timeutil.parse_ts(state.last_check_at)
    if last is not None and (now - last).total_seconds() < policy.cooldown_seconds:
        return OPEN
    return HALF_OPEN


def reopens_at(state: RemoteState | None, policy: CircuitPolicy) -> str | None:
    last = timeutil.parse_ts(state.last_check_at) if state else None
    return iso(last + dt.timedelta(seconds=policy.cooldown_seconds)) if last else None


def run_bounded(items: Sequence[T], work: Callable[[T], R], max_workers: int = MAX_WORKERS,
                on_done: Callable[[R], None] | None = None) -> list[R]:
    """``work`` on every item, at most ``max_workers`` at a time; results in the items' order.
    ``on_done`` is called in the calling thread as each one finishes (progress)."""
    if not items:
        return []
    results: dict[int, R] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(items))), thread_name_prefix="crossdeck-sync") as pool:
        futures = {pool.submit(work, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if on_done is not None:
                on_done(result)
    return [results[i] for i in range(len(items))]


def contact_all(action: Action, targets: Sequence[Target], *, cache_dir: Path | None = None,
                policy: SyncPolicy = DEFAULT_POLICY, states: Mapping[tuple[str, str], RemoteState] | None = None,
                now: Callable[[], dt.datetime] = timeutil.now, sleep: Callable[[float], None] = time.sleep,
                force: bool = False, store_path: Path | None = None,
                on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Check or sync every target in parallel (bounded), each recorded in the store."""
    from core.settings import dirs

    cache = cache_dir or dirs().cache
    known = states if states is not None else store.remote_states(store_path)

    def work(target: Target) -> Outcome:
        state = known.get((target.remote.workspace, target.remote.name))
        return contact(action, target, state, cache_dir=cache, policy=policy, now=now, sleep=sleep, force=force,
                       store_path=store_path)

    return run_bounded(targets, work, policy.max_workers, on_done)


def contact(action: Action, target: Target, state: RemoteState | None, *, cache_dir: Path, policy: SyncPolicy,
            now: Callable[[], dt.datetime], sleep: Callable[[float], None], force: bool = False,
            store_path: Path | None = None) -> Outcome:
    """One contact of one remote, through its circuit and with retries; recorded unless skipped."""
    remote = target.remote
    outcome = Outcome(action=action, workspace=remote.workspace, name=remote.name,
                      remote_workspace=store.served_workspace(remote), url=remote.url, location=None,
                      transport=remote.transport, result="skipped",
                      circuit_state=(state.circuit_state or CLOSED) if state else CLOSED)
    try:
        where = _endpoint(remote) if remote.transport == "http" else \
            remote.url if remote.transport == DOLT else location(remote, target.root)
    except NotFetchable as exc:
        outcome.reason = str(exc)
        return outcome
    outcome.location = where
    circuit = circuit_before(state, now(), policy.circuit)
    if circuit == OPEN and not force:
        outcome.circuit_state = OPEN
        outcome.reason = (f"circuit open after {state.failures if state else 0} failures in a row; "
                          f"next try after {reopens_at(state, policy.circuit)}")
        return outcome
    operation = _operation(action, target, where, cache_dir, policy, outcome, store_path)
    retry = policy.retry if circuit == CLOSED else RetryPolicy(attempts=1)
    try:
        got = with_retries(operation, retry, sleep, on_attempt=partial(_count, outcome))
    except ContactFailure as exc:
        outcome.result, outcome.error = "failed", str(exc)
        failures = (state.failures if state else 0) + 1
        opened = circuit == HALF_OPEN or failures >= policy.circuit.threshold
        outcome.circuit_state = OPEN if opened else CLOSED
    else:
        outcome.result, outcome.latency_ms, outcome.circuit_state = "ok", round(got.latency_ms, 1), CLOSED
        if got.seen is not None and remote.transport == "http":
            outcome.caller, outcome.items = got.seen.caller, got.seen.items
        if remote.transport == DOLT:
            pass  # live: nothing to fetch (core.dolt.servers)
        elif action == "sync":
            outcome.fetched_ref = got.commit
            outcome.changed = got.commit != outcome.previous_ref
            if remote.transport == "http":
                from core.sync.outgoing_http import follow_outgoing

                outcome.requests = follow_outgoing(target, where)
            else:
                _read_checkout(outcome, where, cache_dir)
        else:
            outcome.head = got.commit
    _record(outcome, remote, now(), store_path)
    return outcome


def _operation(action: Action, target: Target, where: str, cache_dir: Path, policy: SyncPolicy, outcome: Outcome,
               store_path: Path | None) -> Callable[[], Contact]:
    """One attempt of the contact, by transport; a sync notes what the cache held before."""
    from core.sync import http_sync

    if target.remote.transport == DOLT:
        from core.dolt.servers import check_server

        return partial(check_server, target.remote, policy.check_timeout)
    if target.remote.transport == "http":
        if action == "check":
            return partial(http_sync.check, target.remote, where, policy.check_timeout)
        per_call = min(policy.fetch_timeout, http_sync.READ_TIMEOUT)
        known = store.http_snapshots(store_path).get((target.remote.workspace, target.remote.name))
        outcome.previous_ref = known.digest if known else None
        return partial(http_sync.fetch, target.remote, where, per_call, store_path)
    if action == "check":
        return partial(ls_remote, where, policy.check_timeout)
    outcome.previous_ref = fetched_commit(where, cache_dir)
    return partial(fetch, where, cache_dir, policy.fetch_timeout)


def _endpoint(remote: Remote) -> str:
    from core.sync.http_remote import endpoint  # httpx is imported only when an HTTP remote is contacted

    return endpoint(remote)


def _count(outcome: Outcome) -> None:
    outcome.attempts += 1


def _read_checkout(outcome: Outcome, where: str, cache_dir: Path) -> None:
    """Write the fetched commit's tree to the cache (core.sync.remote_workspaces) and say what
    workspaces it holds."""
    from core.diagnostics import Diagnostics
    from core.sources.discover import discover
    from core.sync.remote_workspaces import CheckoutError, materialise

    if outcome.fetched_ref is None:
        return
    try:
        checkout = materialise(where, outcome.fetched_ref, cache_dir)
    except CheckoutError as exc:
        outcome.read_error = str(exc)
        return
    base = checkout.resolve()
    outcome.workspaces = [Found(kind=found.kind.value, path=Path(found.path).resolve().relative_to(base).as_posix())
                          for found in discover([checkout], Diagnostics())]


def _record(outcome: Outcome, remote: Remote, at: dt.datetime, store_path: Path | None) -> None:
    ok = outcome.result == "ok"
    outcome.at = iso(at)
    common = {"ok": ok, "latency_ms": outcome.latency_ms, "error": outcome.error, "at": at,
              "circuit_state": outcome.circuit_state, "path": store_path}
    if outcome.action == "sync" or remote.transport == DOLT:  # a Dolt server's data is live: a sync
        store.record_sync(remote, fetched_ref=outcome.fetched_ref, **common)  # type: ignore[arg-type]
    else:
        store.record_check(remote, **common)  # type: ignore[arg-type]


def targets_of(workspaces: Iterable[Workspace], name: str | None = None, dolt: bool = False) -> list[Target]:
    """The remotes of the local workspaces (not of cached remote ones) that ``name`` picks: a
    remote's name, ``WORKSPACE:NAME``, or the workspace it serves; every one when None. ``dolt``:
    the towns' Dolt servers too (``core.dolt.servers``), which are checked, never synced."""
    from core.dolt.servers import server_remotes

    return [Target(remote, Path(ws.root), ws) for ws in workspaces if not ws.remote_cache
            for remote in [*ws.remotes, *(server_remotes(ws) if dolt else ())]
            if name is None or name in (remote.name, f"{ws.name}:{remote.name}", store.served_workspace(remote))]


def auto_sync_due(workspaces: Iterable[Workspace], states: Mapping[tuple[str, str], RemoteState],
                  now: dt.datetime) -> list[Target]:
    """The remotes whose ``sync.auto_sync`` is set and whose last sync is ``interval_minutes``
    (default 15) old or older, or missing: what the dashboard syncs on its timer."""
    due = []
    for target in targets_of(workspaces):
        settings = target.remote.sync
        if settings.get("auto_sync") is not True:
            continue
        interval = settings.get("interval_minutes")
        minutes = interval if isinstance(interval, int) and not isinstance(interval, bool) and interval > 0 else 15
        state = states.get((target.remote.workspace, target.remote.name))
        synced = timeutil.parse_ts(state.last_sync_at) if state else None
        if synced is None or now - synced >= dt.timedelta(minutes=minutes):
            due.append(target)
    return due

