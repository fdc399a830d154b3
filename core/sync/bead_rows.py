"""Writing beads where a Dolt-backed folder keeps them: rows of its database on the town's server.

beads never reads its JSONL files back, so a change to a Dolt-backed bead is made in the database
or not at all. Each action's change is one SQL transaction (the ``issues`` row, its ``labels``,
its dependencies in whichever layout the server has, and an ``events`` row naming the actor); on
Dolt the transaction is then committed to Dolt's history with the actor as author
(``core.dolt.dolt_sql``). Columns are named from ``information_schema``, never by position; a
column crossdeck must write that the table lacks is refused before anything is written.

A bead created for a request carries it in ``metadata.created_from_request`` as in the file form,
so a retry after a crash finds it (``find_by_request``) instead of creating a second one; ids are
derived from the request, so two processes approving the same request at once collide on the
primary key and the second finds the first's bead.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

import msgspec

from core.dolt import dolt_sql
from core.dolt.session import DoltUnavailable, connect, describe
from core.dolt.tables import SHAPE_SQL, SPLIT_TABLES, Shape, quote, shape_from_rows
from core.dolt.target import DoltTarget
from core.sync import SyncError
from core.timeutil import UTC, parse_ts

if TYPE_CHECKING:
    import pymysql

ORIGIN = "created_from_request"
_TEXT = frozenset({"char", "varchar", "text", "tinytext", "mediumtext", "longtext", "json", "enum", "set"})
_TIMES = frozenset({"datetime", "timestamp", "date"})
_WRITTEN = ("id", "title", "status", "metadata")  # what every bead crossdeck writes needs a column for


class RowsError(SyncError):
    """The database could not be written; nothing of the action was."""


class BeadRows:
    """A connection to one Dolt-backed folder's database, for one action (a context manager)."""

    def __init__(self, target: DoltTarget):
        self.target = target
        self._conn: pymysql.Connection[Any] | None = None
        self._shape: Shape | None = None
        self.dolt = False

    def __enter__(self) -> BeadRows:
        try:
            self._conn = connect(self.target)
        except DoltUnavailable as exc:
            raise RowsError(f"{exc}; its beads live there, so nothing was written") from None
        try:
            self._conn.select_db(self.target.database)
            self.dolt = dolt_sql.is_dolt(self._conn)
            with self._conn.cursor() as cursor:
                cursor.execute(SHAPE_SQL, (self.target.database,))
                self._shape = shape_from_rows(self.target.database, cursor.fetchall())
        except Exception as exc:  # noqa: BLE001 - any driver failure: report it, write nothing
            self.close()
            raise RowsError(f"{self.target.address} cannot be written: {describe(exc)}; nothing was written") from None
        missing = [c for c in _WRITTEN if c not in self._shape.columns("issues")]
        if missing:
            self.close()
            raise RowsError(f"{self.target.address}: table issues has no column {missing[0]!r}, which crossdeck "
                            "writes (is this a beads database?); nothing was written")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001, S110 - closing a broken connection
                pass
            self._conn = None

    @property
    def conn(self) -> pymysql.Connection[Any]:
        assert self._conn is not None, "use BeadRows as a context manager"
        return self._conn

    @property
    def shape(self) -> Shape:
        assert self._shape is not None, "use BeadRows as a context manager"
        return self._shape

    # -- reading what a write needs ------------------------------------------------------------
    def taken_ids(self, prefix: str) -> set[str]:
        """The ids starting with ``prefix`` in use (beads and wisps)."""
        pattern = _like_prefix(prefix)
        ids: set[str] = set()
        for table in ("issues", "wisps"):
            if "id" in self.shape.columns(table):
                ids.update(str(row[0]) for row in self._select(f"SELECT id FROM {quote(table)} WHERE id LIKE %s",
                                                               (pattern,)))
        return ids

    def find_by_request(self, request_id: str) -> str | None:
        """The id of a bead created for ``request_id`` by an earlier attempt, if there is one."""
        rows = self._select("SELECT id, CAST(metadata AS CHAR) FROM issues WHERE CAST(metadata AS CHAR) LIKE %s",
                            ("%" + _like_escape(request_id) + "%",))
        for ident, text in rows:
            try:
                metadata = msgspec.json.decode(text) if text else None
            except msgspec.DecodeError:
                continue
            origin = metadata.get(ORIGIN) if isinstance(metadata, dict) else None
            if isinstance(origin, dict) and origin.get("request_id") == request_id:
                return str(ident)
        return None

    def has(self, ident: str) -> bool:
        return bool(self._select("SELECT 1 FROM issues WHERE id = %s", (ident,)))

    # -- writing -------------------------------------------------------------------------------
    def insert(self, record: dict[str, Any], actor: str) -> bool:
        """Insert a bead given in the export form (``labels`` and ``dependencies`` inline), with
        its ``created`` event, in one transaction; False when its id is taken already (the caller
        looks again: another process may have created it for the same request)."""
        import pymysql

        fields = {k: v for k, v in record.items() if k not in ("labels", "dependencies", "comments")}
        ident = record["id"]
        statements = [self._insert_sql("issues", self._row("issues", fields))]
        statements += [self._insert_sql("labels", {"issue_id": ident, "label": label})
                       for label in record.get("labels") or [] if "label" in self.shape.columns("labels")]
        statements += [self._dependency(dep) for dep in record.get("dependencies") or []]
        statements += self._event(ident, "created", actor, record.get("created_at"), {"title": record.get("title")})
        try:
            self._transaction(statements)
        except pymysql.err.IntegrityError as exc:
            if exc.args and exc.args[0] == 1062:  # duplicate key: the id is in use
                return False
            raise RowsError(f"{self.target.address} refused {ident}: {describe(exc)}; nothing was written") from None
        return True

    def update(self, ident: str, changes: dict[str, Any], actor: str, when: str | None) -> None:
        """Set ``changes`` (export-form fields) on bead ``ident``, with an event, in one transaction."""
        columns = self.shape.columns("issues")
        fields = {k: v for k, v in changes.items() if k != "labels"}
        unknown = [k for k in fields if k not in columns]
        if "labels" in changes and "label" not in self.shape.columns("labels"):
            unknown.append("labels.label")
        if unknown:
            raise RowsError(f"{self.target.address}: table issues has no column {unknown[0]!r}, which this change "
                            "sets; nothing was written")
        if not self.has(ident):
            raise RowsError(f"{ident} is no longer in {self.target.address}")
        row = self._row("issues", fields, fill=False)
        statements = [(f"UPDATE issues SET {', '.join(f'{quote(k)} = %s' for k in row)} WHERE id = %s",
                       (*row.values(), ident))] if row else []
        if "labels" in changes:  # a bead's labels are rows of their own table: replaced whole
            statements.append(("DELETE FROM labels WHERE issue_id = %s", (ident,)))
            statements += [self._insert_sql("labels", {"issue_id": ident, "label": label})
                           for label in dict.fromkeys(changes["labels"] or [])]
        event = "closed" if changes.get("status") == "closed" else "status_changed" if "status" in changes else "updated"
        self._transaction([*statements, *self._event(ident, event, actor, when, changes)])

    def commit(self, message: str, actor: str, email: str) -> None:
        """On Dolt, commit the working set to Dolt's history as ``actor <email>``."""
        if not self.dolt:
            return
        try:
            dolt_sql.commit(self.conn, message, actor, email)
        except Exception as exc:  # noqa: BLE001
            raise RowsError(f"the change is in {self.target.address}, but Dolt refused to commit it: "
                            f"{describe(exc)}") from None

    # -- helpers -------------------------------------------------------------------------------
    def _transaction(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        import pymysql

        conn = self.conn
        try:
            conn.begin()
            with conn.cursor() as cursor:
                for sql, args in statements:
                    cursor.execute(sql, args)
            conn.commit()
        except pymysql.err.IntegrityError:
            _rollback(conn)
            raise
        except (pymysql.err.MySQLError, OSError) as exc:
            _rollback(conn)
            raise RowsError(f"{self.target.address} could not be written: {describe(exc)}; nothing was "
                            "written") from None

    def _select(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import pymysql

        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        except (pymysql.err.MySQLError, OSError) as exc:
            raise RowsError(f"{self.target.address} could not be read: {describe(exc)}; nothing was written") from None

    def _row(self, table: str, fields: dict[str, Any], fill: bool = True) -> dict[str, Any]:
        """``fields`` as column values of ``table`` (times as DATETIME, objects as JSON), only
        the columns it has; with ``fill``, an empty value for each column that needs one."""
        columns = self.shape.columns(table)
        row = {k: _sql_value(v, columns[k]) for k, v in fields.items() if k in columns}
        if fill:
            for column in sorted(self.shape.needs_value.get(table, set()) - row.keys()):
                row[column] = "" if columns[column] in _TEXT else 0
        return row

    def _insert_sql(self, table: str, row: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
        row = self._row(table, row)
        names = ", ".join(quote(k) for k in row)
        marks = ", ".join(["%s"] * len(row))
        return f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", tuple(row.values())

    def _dependency(self, dep: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
        """A dependency row in the server's layout: a target that is a bead here goes to the
        issue table (or column), any other (another rig, town or repo) to the external one."""
        target = dep["depends_on_id"]
        local = "/" not in target and "#" not in target and ":" not in target and self.has(target)
        common = {k: v for k, v in dep.items() if k not in ("issue_id", "depends_on_id")}
        layout = self.shape.dependency_layout
        if layout == "split":
            table = "issue_issue_dependencies" if local else "issue_external_dependencies"
            return self._insert_sql(table, {"source_id": dep["issue_id"], SPLIT_TABLES[table]: target, **common})
        if layout == "targeted":
            column = "depends_on_issue_id" if local else "depends_on_external"
            return self._insert_sql("dependencies", {"issue_id": dep["issue_id"], column: target, **common})
        if layout == "legacy":
            return self._insert_sql("dependencies", dep)
        raise RowsError(f"{self.target.address} has no dependency table crossdeck knows; nothing was written")

    def _event(self, ident: str, kind: str, actor: str, when: str | None,
               values: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
        columns = self.shape.columns("events")
        if not {"issue_id", "event_type"} <= columns.keys():
            return []
        row: dict[str, Any] = {"issue_id": ident, "event_type": kind, "actor": actor,
                               "new_value": msgspec.json.encode(values).decode()}
        if when:
            row["created_at"] = when
        return [self._insert_sql("events", row)]


def _sql_value(value: Any, data_type: str) -> Any:
    if data_type in _TIMES and isinstance(value, str):
        when = parse_ts(value)
        return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if when else value
    if isinstance(value, (dict, list)):
        return msgspec.json.encode(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_prefix(prefix: str) -> str:
    return _like_escape(prefix) + "%"


def _rollback(conn: Any) -> None:
    try:
        conn.rollback()
    except Exception:  # noqa: BLE001, S110 - the connection is gone: nothing was committed
        pass


def replay_op(op: dict[str, Any]) -> None:
    """Make a journaled Dolt write (``core.sync.journal``) unless it is made already: insert a bead
    not there yet (by id, or by the request it was created for), or set changes on one; then, on
    Dolt, commit."""
    target = DoltTarget(**op["target"])
    with BeadRows(target) as rows:
        if op["kind"] == "insert":
            record = op["record"]
            origin = (record.get("metadata") or {}).get(ORIGIN)
            request_id = origin.get("request_id") if isinstance(origin, dict) else None
            there = rows.has(record["id"]) or (request_id is not None and rows.find_by_request(request_id) is not None)
            if not there and not rows.insert(record, op["actor"]):
                raise RowsError(f"{target.address} already holds another bead {record['id']}; nothing was written")
        else:
            rows.update(op["id"], op["changes"], op["actor"], op["changes"].get("updated_at"))
        rows.commit(op["message"], op["actor"], op["email"])
