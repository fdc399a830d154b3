"""Remotes: every configured remote of every workspace, what it is allowed to do, and what the
state store last saw of it (DESIGN "Analyses": Remotes). Each town's Dolt server is one of them
(``core.dolt.servers``: transport ``dolt``, derived from the load, with the databases it holds).

A remote the store knows nothing of is ``never-checked``; otherwise it is ``unreachable`` (its
last contact failed; ``failing_since`` says since when), ``synced`` (last sync within the TTL) or
``stale`` (reachable, but its cache is older than the TTL or was never filled). Pure: the states,
the clock and the TTL are passed in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping

import msgspec

from core.dolt.servers import DOLT, ServedDatabase, server_remotes, served_databases
from core.model import Remote, Workspace
from core.store import NEVER_CHECKED, STALE, SYNCED, UNREACHABLE, RemoteState, effective_status, served_workspace
from core.timeutil import parse_ts

STATES = (UNREACHABLE, STALE, NEVER_CHECKED, SYNCED)  # worst first: the order remotes are listed in


class Permissions(msgspec.Struct, kw_only=True, frozen=True):
    """What the workspace lets the remote do (sudocode's ``permissions``; absent means denied)."""

    query: bool
    mutate: bool
    operations: list[str]  # mutate operations allowed (empty: any, when mutate is allowed)
    auto_approve_conditions: list[str]
    max_creates_per_day: int | None
    subscribe: bool


class SyncSettings(msgspec.Struct, kw_only=True, frozen=True):
    auto_sync: bool
    interval_minutes: int | None


class RemoteReport(msgspec.Struct, kw_only=True):
    workspace: str  # the workspace whose config names the remote
    name: str
    remote_workspace: str  # the workspace it serves, as keys name it
    display_name: str | None
    url: str
    transport: str
    trust_level: str
    permissions: Permissions
    sync: SyncSettings
    state: str  # never-checked | synced | stale | unreachable
    last_check_at: str | None = None
    last_sync_at: str | None = None
    sync_age_seconds: int | None = None  # now - last_sync_at
    latency_ms: float | None = None
    last_error: str | None = None
    failing_since: str | None = None
    failures: int = 0  # consecutive failed contacts
    circuit_state: str | None = None
    fetched_ref: str | None = None
    source: str = ""  # the config file that names it
    databases: list[ServedDatabase] | None = None  # a Dolt server: what it holds for the workspace


class RemotesSummary(msgspec.Struct, kw_only=True):
    remotes: list[RemoteReport]
    counts: dict[str, int]  # by state, every state present
    ttl_seconds: int


def remotes_report(workspaces: Iterable[Workspace], states: Mapping[tuple[str, str], RemoteState],
                   now: dt.datetime, ttl_seconds: int) -> RemotesSummary:
    """Every remote of every workspace, worst state first, then by workspace and name."""
    reports = []
    for ws in workspaces:
        for remote in [*ws.remotes, *server_remotes(ws)]:
            report = remote_report(remote, states.get((remote.workspace, remote.name)), now, ttl_seconds)
            if remote.transport == DOLT:
                report.databases = served_databases(ws, remote.url.removeprefix("dolt://"))
            reports.append(report)
    order = {state: index for index, state in enumerate(STATES)}
    reports.sort(key=lambda r: (order.get(r.state, len(order)), r.workspace, r.name))
    counts = Counter(r.state for r in reports)
    return RemotesSummary(remotes=reports, counts={s: counts.get(s, 0) for s in STATES}, ttl_seconds=ttl_seconds)


def remote_report(remote: Remote, state: RemoteState | None, now: dt.datetime, ttl_seconds: int) -> RemoteReport:
    report = RemoteReport(
        workspace=remote.workspace, name=remote.name, remote_workspace=served_workspace(remote),
        display_name=remote.display_name, url=remote.url, transport=remote.transport,
        trust_level=remote.trust_level.value, permissions=permissions(remote.permissions),
        sync=sync_settings(remote.sync), state=effective_status(state, now, ttl_seconds), source=remote.source)
    if state is None:
        return report
    synced = parse_ts(state.last_sync_at)
    report.last_check_at = state.last_check_at
    report.last_sync_at = state.last_sync_at
    report.sync_age_seconds = int((now - synced).total_seconds()) if synced else None
    report.latency_ms = state.latency_ms
    report.last_error = state.last_error
    report.failing_since = state.failing_since
    report.failures = state.failures
    report.circuit_state = state.circuit_state
    report.fetched_ref = state.fetched_ref
    return report


def permissions(raw: Mapping[str, object]) -> Permissions:
    mutate = raw.get("mutate")
    mutate_map = mutate if isinstance(mutate, dict) else {}
    limit = mutate_map.get("max_creates_per_day")
    return Permissions(
        query=allowed(raw.get("query")), mutate=allowed(mutate),
        operations=_strings(mutate_map.get("operations")),
        auto_approve_conditions=_strings(mutate_map.get("auto_approve_conditions")),
        max_creates_per_day=limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        subscribe=allowed(raw.get("subscribe")))


def sync_settings(raw: Mapping[str, object]) -> SyncSettings:
    interval = raw.get("interval_minutes")
    return SyncSettings(auto_sync=raw.get("auto_sync") is True,
                        interval_minutes=interval if isinstance(interval, int) and not isinstance(interval, bool) else None)


def allowed(value: object) -> bool:
    """``true``, or an object with ``allowed: true``."""
    if isinstance(value, dict):
        return value.get("allowed") is True
    return value is True


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
