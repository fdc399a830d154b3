"""What the Remotes pane says about a ``RemoteReport``: its row, the headline, its detail.

Ages (``5m ago``) are measured from the moment the data was loaded (``DashboardData.loaded_at``,
the app's clock), never from the wall clock, so a picture of the pane is the same on every run.
"""

from __future__ import annotations

import datetime as dt

from core.analysis.reach import STATES, RemoteReport, RemotesSummary
from core.timeutil import ago
from core.store import Check
from tui.safe import shorten_path
from tui.widgets.master_detail import DetailText
from tui.widgets.table import Column

COLUMNS = [Column("STATE", whole=True), Column("WORKSPACE"), Column("REMOTE"), Column("VIA", whole=True),
           Column("TRUST", whole=True), Column("CHECKED"), Column("SYNCED"), Column("LATENCY"), Column("LIVE")]

_STYLE = {"unreachable": "bold $error", "stale": "bold $warning", "never checked": "$foreground-muted",
          "synced": "bold $success"}


_LIVE_TEXT = {"connecting": "connecting: subscribing to its events", "connected": "connected: events arrive as they happen",
              "reconnecting": "reconnecting: the event stream dropped", "off": "off: no event stream (sync shows changes)"}


def state_word(state: str) -> str:
    """``never checked``, ``synced``, ``stale``, ``unreachable``."""
    return state.replace("-", " ")


def row_key(workspace: str, remote: str) -> str:
    """A row's key: a remote is named by the workspace whose config names it, and its name."""
    return f"{workspace}\t{remote}"


def key_of(report: RemoteReport) -> str:
    return row_key(report.workspace, report.name)


def latency(report: RemoteReport) -> str:
    return "-" if report.latency_ms is None else f"{report.latency_ms:.0f} ms"


def live_state(report: RemoteReport, states: dict[str, str]) -> str:
    """An HTTP remote's event stream: ``connecting``, ``connected``, ``reconnecting`` or ``off``
    (``tui.live``); ``-`` for a git remote, which has none."""
    return states.get(key_of(report), "off") if report.transport == "http" else "-"


def row(report: RemoteReport, moment: dt.datetime, live: dict[str, str]) -> list[str]:
    """The table row (the circuit state, which the LIVE column displaced, is in the detail)."""
    return [state_word(report.state), report.workspace, report.name, report.transport, report.trust_level,
            ago(report.last_check_at, moment), ago(report.last_sync_at, moment), latency(report),
            live_state(report, live)]


def headline(summary: RemotesSummary) -> str:
    total = len(summary.remotes)
    counts = " · ".join(f"{summary.counts.get(state, 0)} {state_word(state)}" for state in STATES)
    return f"{total} remote{'s' if total != 1 else ''}: {counts} · stale after {summary.ttl_seconds}s without a sync"


def detail(report: RemoteReport, moment: dt.datetime, ttl_seconds: int, roots: list[str],
           history: list[Check] | None = None, live: dict[str, str] | None = None,
           live_error: str | None = None) -> DetailText:
    word = state_word(report.state)
    out = DetailText().title(report.name, report.display_name or "")
    out.line((word, _STYLE.get(word, "")), f" · {report.trust_level} · {report.transport}", indent=2)
    out.section("Where")
    out.field("url", report.url)
    out.field("serves", report.remote_workspace)
    out.field("named by", report.workspace)
    out.field("config", shorten_path(report.source, roots) or "-")
    out.section("State")
    out.field("last check", _when(report.last_check_at, moment))
    out.field("last sync", _when(report.last_sync_at, moment))
    out.field("latency", latency(report))
    out.field("circuit", report.circuit_state or "-")
    if report.transport == "http":
        state = live_state(report, live or {})
        out.field("live", _LIVE_TEXT.get(state, "-"))
        if live_error and state != "connected":
            out.field("live error", live_error, "$error")
    if report.failing_since:
        out.field("failing since", f"{_when(report.failing_since, moment)}, {report.failures} failed in a row",
                  "bold $error")
    if report.last_error:
        out.field("last error", report.last_error, "$error" if report.state == "unreachable" else "")
    if report.fetched_ref:
        out.field("fetched ref", report.fetched_ref)
    if report.state == "never-checked":
        out.line(("no check or sync recorded for this remote yet", "$foreground-muted italic"), indent=2)
    if report.databases is not None:  # a town's Dolt server (core.dolt.servers)
        out.section("Databases")
        for served in report.databases:
            where = f"{served.database}" + (f" (rig {served.rig})" if served.rig else "")
            out.field(where, served.note or "read live: the dashboard checks it every few seconds",
                      "$warning" if served.note else "")
    if history:
        out.section("Recent checks")
        for check in history:
            result = "ok" if check.ok else "failed"
            took = f" {check.latency_ms:.0f} ms" if check.latency_ms is not None else ""
            out.field(_when(check.checked_at, moment), result + took + (f": {check.error}" if check.error else ""),
                      "" if check.ok else "$error")
    if report.databases is not None:
        return out  # no permissions or sync: crossdeck reads it live, as the town's own
    _permissions(out, report)
    sync = report.sync
    out.section("Sync")
    if sync.auto_sync:
        every = f" every {sync.interval_minutes} min" if sync.interval_minutes else ""
        out.field("auto-sync", "on" + every)
    else:
        out.field("auto-sync", "off: manual sync")
    out.field("stale after", f"{ttl_seconds}s without a sync")
    return out


def _permissions(out: DetailText, report: RemoteReport) -> None:
    perms = report.permissions
    out.section("Permissions")
    out.field("query", _allowed(perms.query), "" if perms.query else "$foreground-muted")
    if perms.mutate:
        out.field("mutate", "allowed: " + (", ".join(perms.operations) if perms.operations else "any operation"),
                  "$warning")
        if perms.auto_approve_conditions:
            out.field("auto-approve", "when every condition holds:")
            out.items(perms.auto_approve_conditions)
        else:
            out.field("auto-approve", "no conditions set", "$foreground-muted")
        out.field("daily cap", "none" if perms.max_creates_per_day is None
                  else f"{perms.max_creates_per_day} creates a day")
    else:
        out.field("mutate", "denied", "$foreground-muted")
    out.field("subscribe", _allowed(perms.subscribe), "" if perms.subscribe else "$foreground-muted")


def _allowed(value: bool) -> str:
    return "allowed" if value else "denied"


def _when(stamp: str | None, moment: dt.datetime) -> str:
    return "never" if stamp is None else f"{stamp} ({ago(stamp, moment)})"
