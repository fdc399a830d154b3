"""Reading a Dolt-backed ``.beads`` folder's beads from its database on the town's server.

One query per table (never one per row), all in one transaction so the tables agree with each
other: ``issues``, ``labels``, ``comments``, the dependency table(s) of whichever layout the
server has (``core.dolt.tables``), and ``events``. Each row arrives as one JSON object named as the
backup form names its fields and goes through the very code that reads ``.beads/backup/``
(``BeadsLoad.load_tables``), so a bead read from the server and the same bead read from an export
or backup are one record, with one key. Rows are streamed (an unbuffered cursor): a 100k-bead
database is never held twice in memory.

The change token says what state was read: on Dolt, the head commit's hash; elsewhere the row
count and the newest ``updated_at`` (or ``created_at``) of each table. A server that stops
answering mid-read raises ``DoltUnavailable``; the caller reads into a scratch workspace and keeps
nothing of a read that did not finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from core.dolt import dolt_sql, history
from core.dolt.session import DoltUnavailable, ServerSession, describe
from core.dolt.tables import (
    SHAPE_SQL,
    SPLIT_TABLES,
    MissingColumn,
    Shape,
    dependency_queries,
    json_rows,
    quote,
    shape_from_rows,
)
from core.dolt.target import DoltTarget
from core.sources.beads import BeadsLoad, Table, TableSet

if TYPE_CHECKING:
    import pymysql

_decode = msgspec.json.Decoder().decode
_OPTIONAL = ("labels", "comments", "events")
_TOKEN_TABLES = frozenset({"issues", "dependencies", *_OPTIONAL, *SPLIT_TABLES})


class ServerRead(NamedTuple):
    dolt: bool
    token: str
    reused: bool = False  # the token was one ``unchanged`` knew: no row was read


def read_from_server(load: BeadsLoad, target: DoltTarget, session: ServerSession,
                     unchanged: Callable[[str], bool] | None = None) -> ServerRead:
    """Read ``target``'s database into ``load``; raises ``DoltUnavailable`` when it cannot be read
    whole (``load`` may then hold part of it: give it a scratch workspace). When ``unchanged``
    says yes to the database's change token, its rows are not read (``core.dolt.reuse``)."""
    import pymysql

    conn = session.connection(target)
    dolt = session.is_dolt(target, conn)
    try:
        try:
            conn.select_db(target.database)
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] == 1049:
                raise DoltUnavailable(f"Dolt server {target.server} has no database {target.database!r} "
                                      "(metadata.json dolt_database)") from None
            raise
        shape = _shape(conn, target.database)
        shape.require("issues")
        ref = history.as_of_ref()
        if ref is not None:
            _check_as_of(conn, target, ref, dolt)
        conn.begin()
        try:
            token = _token(conn, shape, dolt) if ref is None else f"dolt-as-of:{ref}"
            if ref is None and unchanged is not None and unchanged(token):
                return ServerRead(dolt=dolt, token=token, reused=True)
            load.load_tables(_tables(conn, target, shape, load, ref))
        finally:
            if conn.open:
                conn.rollback()
    except MissingColumn as exc:
        raise DoltUnavailable(f"Dolt server {target.server}: {exc}") from None
    except (pymysql.err.MySQLError, OSError) as exc:
        why = f"Dolt server {target.server} failed while {target.database} was read: {describe(exc)}"
        session.forget(target, why)
        raise DoltUnavailable(why) from None
    return ServerRead(dolt=dolt, token=token)


def _check_as_of(conn: pymysql.Connection[Any], target: DoltTarget, ref: str, dolt: bool) -> None:
    """Raise ``DoltUnavailable`` saying why ``--as-of REF`` cannot be read here: the server is not
    Dolt, or Dolt does not know ``ref``."""
    import pymysql

    try:
        history.check_ref(conn, ref, dolt=dolt, server=target.server)
    except history.NeedsDolt as exc:
        raise DoltUnavailable(f"--as-of {ref}: {exc}") from None
    except pymysql.err.MySQLError as exc:
        raise DoltUnavailable(f"--as-of {ref}: Dolt server {target.server} cannot read {target.database} as of "
                              f"{ref!r} (not a commit, a branch or a time it knows): {describe(exc)}") from None


def database_token(conn: pymysql.Connection[Any], database: str, dolt: bool) -> str:
    """The change token of ``database`` now (what ``read_from_server`` would return for it), without
    reading its rows: what a watcher compares with the token of what it shows. Raises
    ``DoltUnavailable`` when there is no such database; a driver error passes through."""
    import pymysql

    try:
        conn.select_db(database)
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] == 1049:
            raise DoltUnavailable(f"no database {database!r}") from None
        raise
    return _token(conn, _shape(conn, database), dolt)


def _shape(conn: pymysql.Connection[Any], database: str) -> Shape:
    with conn.cursor() as cursor:
        cursor.execute(SHAPE_SQL, (database,))
        return shape_from_rows(database, cursor.fetchall())


def _tables(conn: pymysql.Connection[Any], target: DoltTarget, shape: Shape, load: BeadsLoad,
            ref: str | None = None) -> TableSet:
    def table(name: str, sql: str) -> Table:
        return Table(f"{target.address}/{name}", _rows(conn, history.at_ref(sql, name, ref)))

    optional: dict[str, Table | None] = {}
    for name in _OPTIONAL:
        if name not in shape.tables:
            optional[name] = None
            continue
        try:
            shape.require(name)
        except MissingColumn as exc:
            load.diags.warning(f"{target.address}/{name}", f"{exc}; its rows are not read")
            optional[name] = None
            continue
        optional[name] = table(name, json_rows(name, shape.columns(name)))
    queries = dependency_queries(shape)
    dependencies = Table(f"{target.address}/{queries[0][0] if len(queries) == 1 else 'dependencies'}",
                         _chained(conn, [history.at_ref(sql, name, ref) for name, sql in queries])) if queries else None
    return TableSet(issues=table("issues", json_rows("issues", shape.columns("issues"))), dependencies=dependencies,
                    **optional)


def _rows(conn: pymysql.Connection[Any], sql: str) -> Iterator[tuple[int | None, dict[str, Any]]]:
    """Each row of ``sql`` (one JSON object per row), streamed."""
    import pymysql

    cursor = conn.cursor(pymysql.cursors.SSCursor)
    try:
        cursor.execute(sql)
        for (text,) in cursor:
            row = _decode(text)
            if isinstance(row, dict):
                yield None, row
    finally:
        try:
            cursor.close()
        except Exception:  # noqa: BLE001 - a connection lost mid-read: the error in flight says so
            cursor.connection = None  # closed: its finaliser must not try again


def _chained(conn: pymysql.Connection[Any], queries: list[str]) -> Iterator[tuple[int | None, dict[str, Any]]]:
    for sql in queries:
        yield from _rows(conn, sql)


def _token(conn: pymysql.Connection[Any], shape: Shape, dolt: bool) -> str:
    """What identifies the state read: Dolt's head commit, else counts and newest times."""
    if dolt:
        head = dolt_sql.head(conn)
        if head:
            return f"dolt:{head}"
    parts = []
    for name, columns in sorted(shape.tables.items()):
        if name not in _TOKEN_TABLES:
            continue
        newest = next((c for c in ("updated_at", "created_at") if c in columns), None)
        parts.append(f"(SELECT COUNT(*) FROM {quote(name)})")
        parts.append(f"(SELECT MAX({quote(newest)}) FROM {quote(name)})" if newest else "NULL")
    if not parts:
        return "rows:"
    with conn.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        values = cursor.fetchone() or ()
    return "rows:" + ";".join(str(v) for v in values)
