"""Provenance from Dolt: the commits of each Dolt-backed ``.beads`` folder's database, as audit events.

A folder read live from a Dolt server (``BeadsSource.read_from == "server"`` and ``dolt``)
contributes the committed changes of its beads to the audit timeline (``crossdeck audit``): one
event of type ``commit``, origin ``dolt-commit``, per bead a commit changed, at the commit's time,
by its committer, with the commit, its message, the change (added, modified, removed), the fields
it changed and the database as payload (``core.dolt.history.database_commits``). At most
``max_commits`` of the newest changes per database, none older than ``since``.

Without duplicates: beads writes an ``events`` row in the same command that makes the commit, so
a change of a bead whose events already hold an event of that bead at the commit's time (to the
second, or up to ``SAME_CHANGE_SECONDS`` before it) is that event, and is left out; so is a second
row of one (commit, bead). A folder shown from its export or backup contributes nothing; one on a
server that is not Dolt contributes nothing and says, in a warning, that history needs a Dolt
server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from core.diagnostics import Diagnostics
from core.model import AuditEvent, BeadsSource, Workspace

ORIGIN = "dolt-commit"
SAME_CHANGE_SECONDS = 2


def commit_events(workspaces: Iterable[Workspace], *, max_commits: int = 1000, since: dt.datetime | None = None,
                  diags: Diagnostics | None = None, connect: Callable[..., Any] | None = None) -> list[AuditEvent]:
    """The Dolt commits of every live Dolt-backed folder of ``workspaces`` (see the module)."""
    events: list[AuditEvent] = []
    for ws in workspaces:
        for source in ws.sources:
            if source.server is not None and source.database and source.read_from == "server":
                events += _source_events(ws, source, max_commits, since, diags, connect)
    return events


def _source_events(ws: Workspace, source: BeadsSource, max_commits: int, since: dt.datetime | None,
                   diags: Diagnostics | None, connect: Callable[..., Any] | None) -> list[AuditEvent]:
    import pymysql

    from core.dolt import history, session
    from core.dolt.servers import town_target

    target = town_target(source.server or "", ws.name, user=source.user, database=source.database or "")
    where = f"{target.address} ({source.folder})"
    if source.dolt is False:
        if diags is not None:
            diags.warning(where, f"{_needs(target.server)}: its commits are not in the audit")
        return []
    bound = (since.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if since is not None
             else "1970-01-01 00:00:00")
    try:
        conn = (connect or session.connect)(target, database=target.database)
    except session.DoltUnavailable as exc:
        if diags is not None:
            diags.warning(where, f"{exc}: its commits are not in the audit")
        return []
    try:
        from core.dolt.dolt_sql import is_dolt

        found = history.database_commits(conn, dolt=is_dolt(conn), server=target.server, since=bound,
                                         limit=max_commits)
    except history.NeedsDolt as exc:
        if diags is not None:
            diags.warning(where, f"{exc}: its commits are not in the audit")
        return []
    except (pymysql.err.MySQLError, OSError) as exc:
        if diags is not None:
            diags.warning(where, f"its Dolt commits could not be read: {session.describe(exc)}")
        return []
    finally:
        with contextlib.suppress(Exception):  # a broken connection: nothing to close
            conn.close()
    return _events(ws, source, target.address, found)


def _needs(server: str) -> str:
    return f"history needs a Dolt server: {server} speaks MySQL but is not Dolt"


def _events(ws: Workspace, source: BeadsSource, address: str, found: list[tuple[str, Any]]) -> list[AuditEvent]:
    keys = {unit.id: unit.key for unit in ws.work_units if unit.kind == "bead" and unit.rig == source.rig}
    told = {(e.subject, moment) for e in ws.audit if e.origin == "beads-events" and e.subject
            for moment in [_second(e.ts)] if moment is not None}
    seen: set[tuple[str, str]] = set()
    out = []
    for bead, commit in found:
        if (commit.commit, bead) in seen:
            continue
        seen.add((commit.commit, bead))
        subject = keys.get(bead)
        when = _second(commit.time)
        if subject is not None and when is not None and any(
                (subject, when - dt.timedelta(seconds=back)) in told for back in range(SAME_CHANGE_SECONDS + 1)):
            continue  # beads' own event of this change is in the timeline already
        out.append(AuditEvent(ts=commit.time or "", actor=commit.author or None, type="commit", workspace=ws.name,
                              subject=subject, origin=ORIGIN, source=address, line=None,
                              payload={"commit": commit.commit, "message": commit.message, "change": commit.change,
                                       "fields": commit.fields, "bead": bead, "database": source.database,
                                       "email": commit.email}))
    return out


def _second(ts: str | None) -> dt.datetime | None:
    if not ts:
        return None
    try:
        moment = dt.datetime.fromisoformat(ts)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0)
