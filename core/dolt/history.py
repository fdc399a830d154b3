"""A bead's history on a Dolt server: its commits, the fields each changed, and the polecat
branches whose rows touch it. Only Dolt keeps history; on any other MySQL-protocol server every
function here raises ``NeedsDolt``, whose message says so plainly.

The statements, and the result shapes Dolt documents for what they read (docs.dolthub.com,
"System Tables" and "Table Functions"):

- ``dolt_diff_issues``: one row per change of a row of ``issues`` between a commit and its
  parent, with ``to_<column>`` and ``from_<column>`` for every column, ``to_commit``,
  ``to_commit_date``, ``from_commit``, ``from_commit_date`` and ``diff_type`` (added, modified,
  removed); ``to_commit`` is ``WORKING`` for changes not yet committed.
- ``dolt_log``: ``commit_hash``, ``committer``, ``email``, ``date``, ``message``; joined on
  ``to_commit`` for each change's author and message.
- ``dolt_branches``: ``name``, ``hash``, ``latest_committer``, ``latest_commit_date``,
  ``latest_commit_message``; Gas Town's polecats write on ``polecat-<name>-<timestamp>``
  branches, merged into ``main`` when their work is done.
- ``DOLT_DIFF('main...BRANCH', 'issues')``: the rows a branch changed since it left ``main``
  (three dots: from the merge base), shaped as ``dolt_diff_issues``.
- ``SELECT ... FROM issues AS OF 'REF'``: the table as of a commit, a branch or a time.

None of these has run against a real Dolt server here (there is no Dolt binary where the tests
run): tests/test_dolt_history.py holds each function to the statements it sends and parses results
recorded in the documented shapes; docs/formats.md ("Dolt-backed beads") lists what has run where.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import msgspec

BRANCH_PREFIX = "polecat-"
_POLECAT = re.compile(r"^polecat-(?P<name>.+)-(?P<stamp>\d[\d_T:-]*)$")
# Columns whose change says nothing a reader wants (bookkeeping beads rewrites itself)
_UNTOLD = frozenset({"content_hash", "updated_at"})

ITEM_COMMITS_SQL = (
    "SELECT d.*, l.committer AS log_committer, l.email AS log_email, l.message AS log_message "
    "FROM dolt_diff_issues AS d JOIN dolt_log AS l ON l.commit_hash = d.to_commit "
    "WHERE d.to_id = %s OR d.from_id = %s ORDER BY d.to_commit_date DESC")
DATABASE_COMMITS_SQL = (
    "SELECT d.*, l.committer AS log_committer, l.email AS log_email, l.message AS log_message "
    "FROM dolt_diff_issues AS d JOIN dolt_log AS l ON l.commit_hash = d.to_commit "
    "WHERE d.to_commit_date >= %s ORDER BY d.to_commit_date DESC LIMIT %s")
BRANCHES_SQL = ("SELECT name, hash, latest_committer, latest_commit_date, latest_commit_message "
                "FROM dolt_branches WHERE name LIKE 'polecat-%%' ORDER BY name")
BRANCH_TOUCHES_SQL = ("SELECT COUNT(*) FROM DOLT_DIFF(%s, 'issues') AS d WHERE d.to_id = %s OR d.from_id = %s")
AS_OF_SQL = "SELECT JSON_OBJECT('id', id) FROM issues AS OF %s LIMIT 0"


class NeedsDolt(Exception):
    """History was asked of a server that is not Dolt."""


class ItemCommit(msgspec.Struct, frozen=True, kw_only=True):
    """One Dolt commit that changed a bead's row."""

    commit: str
    parent: str | None
    author: str
    email: str | None
    time: str | None  # UTC ISO 8601
    message: str
    change: str  # added | modified | removed
    fields: list[str]  # the columns it changed (added: every column it set)


class PolecatBranch(msgspec.Struct, frozen=True, kw_only=True):
    """An open polecat branch whose rows touch a bead (not yet merged into main)."""

    branch: str
    polecat: str
    head: str
    committer: str | None
    time: str | None
    message: str | None


class BeadHistory(msgspec.Struct, frozen=True, kw_only=True):
    """What a bead's Dolt server says of its past (``read_bead_history``): its commits and the open
    polecat branches touching it, or why they could not be read."""

    server: str  # HOST:PORT
    database: str
    commits: list[ItemCommit] = []
    branches: list[PolecatBranch] = []
    problem: str | None = None  # not Dolt, unreachable, a read that failed: in words


def read_bead_history(fed: Any, record: Any, *, timeout: float | None = None) -> BeadHistory | None:
    """The history of bead ``record`` of federation ``fed`` on its town's Dolt server; None when it
    is not a bead of a Dolt-backed folder. Never raises for the server's sake: a server down, not
    Dolt or failing says so in ``problem``. One connection, closed before returning."""
    import pymysql

    from core.dolt.dolt_sql import is_dolt
    from core.dolt.servers import item_source, town_target
    from core.dolt.session import DoltUnavailable, connect, describe

    get = record.get if isinstance(record, dict) else lambda name: getattr(record, name, None)
    source = item_source(fed, record)
    if source is None or source.server is None or source.database is None:
        return None
    target = town_target(source.server, get("workspace"), user=source.user, database=source.database,
                         timeout=timeout)
    found = BeadHistory(server=target.server, database=target.database)
    bead = str(get("id"))
    try:
        conn = connect(target, database=target.database)
    except DoltUnavailable as exc:
        return msgspec.structs.replace(found, problem=str(exc))
    try:
        dolt = is_dolt(conn)
        return msgspec.structs.replace(
            found, commits=item_commits(conn, bead, dolt=dolt, server=target.server),
            branches=polecat_branches(conn, bead, dolt=dolt, server=target.server))
    except NeedsDolt as exc:
        return msgspec.structs.replace(found, problem=str(exc))
    except (pymysql.err.MySQLError, OSError) as exc:
        return msgspec.structs.replace(found, problem=f"Dolt server {target.server} failed while the history of "
                                                     f"{bead} was read: {describe(exc)}")
    finally:
        with contextlib.suppress(Exception):  # a broken connection: nothing to close
            conn.close()


def needs_dolt(server: str, dolt: bool) -> None:
    if not dolt:
        raise NeedsDolt(f"history needs a Dolt server: {server} speaks MySQL but is not Dolt "
                        "(no dolt_log, dolt_history or dolt_diff tables)")


def item_commits(conn: Any, issue_id: str, *, dolt: bool, server: str) -> list[ItemCommit]:
    """The committed changes of bead ``issue_id``'s row, newest first."""
    needs_dolt(server, dolt)
    with conn.cursor() as cursor:
        cursor.execute(ITEM_COMMITS_SQL, (issue_id, issue_id))
        names = [d[0] for d in cursor.description or ()]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    return [commit_from_diff(row) for row in rows]


def database_commits(conn: Any, *, dolt: bool, server: str, since: str = "1970-01-01 00:00:00",
                     limit: int = 1000) -> list[tuple[str, ItemCommit]]:
    """The newest ``limit`` committed changes of any bead of the current database since ``since``
    (a UTC ``YYYY-MM-DD HH:MM:SS``): (bead id, commit), newest first."""
    needs_dolt(server, dolt)
    with conn.cursor() as cursor:
        cursor.execute(DATABASE_COMMITS_SQL, (since, limit))
        names = [d[0] for d in cursor.description or ()]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    return [(str(row.get("to_id") or row.get("from_id")), commit_from_diff(row)) for row in rows]


def commit_from_diff(row: dict[str, Any]) -> ItemCommit:
    """One ``dolt_diff_issues`` row (joined with its ``dolt_log`` entry) as an ``ItemCommit``."""
    columns = sorted({name[3:] for name in row if name.startswith("to_") and name not in
                      ("to_commit", "to_commit_date")})
    change = str(row.get("diff_type") or "modified")
    if change == "added":
        changed = [c for c in columns if row.get(f"to_{c}") not in (None, "") and c not in _UNTOLD]
    elif change == "removed":
        changed = []
    else:
        changed = [c for c in columns if row.get(f"to_{c}") != row.get(f"from_{c}") and c not in _UNTOLD]
    parent = row.get("from_commit")
    return ItemCommit(commit=str(row.get("to_commit")), parent=str(parent) if parent else None,
                      author=str(row.get("log_committer") or ""), email=_text(row.get("log_email")),
                      time=_time(row.get("to_commit_date")), message=str(row.get("log_message") or ""),
                      change=change, fields=changed)


def polecat_branches(conn: Any, issue_id: str, *, dolt: bool, server: str,
                     base: str = "main") -> list[PolecatBranch]:
    """The polecat branches whose changes since they left ``base`` touch bead ``issue_id``."""
    needs_dolt(server, dolt)
    with conn.cursor() as cursor:
        cursor.execute(BRANCHES_SQL)
        branches = list(cursor.fetchall())
    out = []
    for name, head, committer, when, message in branches:
        found = _POLECAT.match(str(name))
        if found is None:
            continue
        with conn.cursor() as cursor:
            cursor.execute(BRANCH_TOUCHES_SQL, (f"{base}...{name}", issue_id, issue_id))
            (count,) = cursor.fetchone() or (0,)
        if count:
            out.append(PolecatBranch(branch=str(name), polecat=found["name"], head=str(head),
                                     committer=_text(committer), time=_time(when), message=_text(message)))
    return out


def check_ref(conn: Any, ref: str, *, dolt: bool, server: str) -> None:
    """Raise ``NeedsDolt``, or the server's own error, unless ``ref`` (a commit, a branch or a
    time) names a state of the database (``AS OF``)."""
    needs_dolt(server, dolt)
    with conn.cursor() as cursor:
        cursor.execute(AS_OF_SQL, (ref,))
        cursor.fetchall()


_AS_OF: contextvars.ContextVar[str | None] = contextvars.ContextVar("crossdeck_dolt_as_of", default=None)


@contextlib.contextmanager
def reading_as_of(ref: str | None) -> Iterator[None]:
    """Within the block, Dolt-backed folders are read as of ``ref`` (``--as-of``; None: now)."""
    token = _AS_OF.set(ref)
    try:
        yield
    finally:
        _AS_OF.reset(token)


def as_of_ref() -> str | None:
    """The ``--as-of`` reference of the read in progress, or None."""
    return _AS_OF.get()


def at_ref(sql: str, table: str, ref: str | None) -> str:
    """``sql`` (``SELECT ... FROM `table` ...``) reading ``table`` as of ``ref`` (None: unchanged)."""
    if ref is None:
        return sql
    from core.dolt.tables import quote

    name = quote(table)
    return sql.replace(f" FROM {name}", f" FROM {name} {as_of_clause(ref)}", 1)


def as_of_problem(fed: Any, ref: str) -> str | None:
    """Why ``--as-of REF`` cannot be answered for federation ``fed`` (None: every Dolt-backed folder
    was read as of ``ref``): no town keeps its beads on a Dolt server, or one could not be read so
    (not Dolt, down, ``ref`` unknown)."""
    sources = [s for ws in fed.workspaces if not ws.remote_cache for s in ws.sources if s.server is not None]
    if not sources:
        return (f"--as-of {ref} reads a town's beads on its Dolt server, and no workspace loaded keeps its "
                "beads on one (.beads/metadata.json: backend dolt, dolt_mode server)")
    failed = next((s for s in sources if s.read_from != "server"), None)
    if failed is not None:
        return f"{failed.problem or 'not read from its Dolt server'} ({failed.folder})"
    return None


def as_of_clause(ref: str) -> str:
    """``AS OF 'REF'`` for the reads of ``--as-of`` (quotes doubled)."""
    return "AS OF '" + ref.replace("\\", "\\\\").replace("'", "''") + "'"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, (bytes, bytearray)) else str(value)


def _time(value: Any) -> str | None:
    """A DATETIME (UTC, no zone) as ISO 8601 with Z."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    text = _text(value) or ""
    return text.replace(" ", "T", 1) + ("" if text.endswith("Z") else "Z") if text else None
