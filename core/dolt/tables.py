"""What a beads database holds, read by name from ``information_schema``, and the statements that
read its rows.

Real servers span many versions of the beads schema: columns come and go (``wisp_type``,
``is_blocked``, ``quality_score``), and dependencies have had three layouts:

- ``legacy``: one ``dependencies`` table with ``issue_id`` and ``depends_on_id`` (beads'
  migration 0002; 0041 kept a generated ``depends_on_id`` beside the split target columns);
- ``targeted``: one ``dependencies`` table whose target is one of ``depends_on_issue_id``,
  ``depends_on_wisp_id``, ``depends_on_external`` (migrations 0041 and 0043);
- ``split``: three tables by target kind, ``issue_issue_dependencies``,
  ``issue_wisp_dependencies``, ``issue_external_dependencies``, each keyed ``source_id`` and
  ``depends_on_<kind>_id`` (migration 0050).

Columns are always named, never taken by position: each row is built on the server as one JSON
object (``JSON_OBJECT('id', id, ...)``, which MariaDB and Dolt both have) with the backup form's
field names, so it decodes in one call and reads exactly like a line of ``.beads/backup/``. Times
come back as the exports write them (``DATE_FORMAT`` to ``YYYY-MM-DDTHH:MM:SSZ``: beads stores
UTC in ``DATETIME``, which keeps no offset, so sub-second digits are not there to keep).
"""

from __future__ import annotations

from typing import Any

import msgspec

# Columns crossdeck cannot do without, by table; any other column is read when it is there.
REQUIRED = {"issues": ("id", "title"), "labels": ("issue_id", "label"), "comments": ("issue_id",),
            "events": ("event_type", "created_at")}
SPLIT_TABLES = {"issue_issue_dependencies": "depends_on_issue_id",
                "issue_wisp_dependencies": "depends_on_wisp_id",
                "issue_external_dependencies": "depends_on_external_id"}
_TARGETS = ("depends_on_issue_id", "depends_on_wisp_id", "depends_on_external")
_TIMES = frozenset({"datetime", "timestamp", "date"})
TIME_FORMAT = "%Y-%m-%dT%H:%i:%sZ"


class MissingColumn(Exception):
    """A table lacks a column crossdeck needs; the message names both."""


class Shape(msgspec.Struct, kw_only=True):
    """The tables of one database and their columns (name -> data type, in table order), and
    which columns an insert must give a value (NOT NULL, no default, not generated)."""

    database: str
    tables: dict[str, dict[str, str]]
    needs_value: dict[str, set[str]] = {}

    def columns(self, table: str) -> dict[str, str]:
        return self.tables.get(table, {})

    @property
    def dependency_layout(self) -> str | None:
        if any(t in self.tables for t in SPLIT_TABLES):
            return "split"
        deps = self.tables.get("dependencies")
        if deps is None:
            return None
        if "depends_on_id" in deps:
            return "legacy"
        return "targeted" if any(c in deps for c in _TARGETS) else None

    def require(self, table: str) -> None:
        """Raise ``MissingColumn`` when ``table`` lacks a column crossdeck reads from it."""
        have = self.columns(table)
        for column in REQUIRED.get(table, ()):
            if column not in have:
                raise MissingColumn(f"table {table} of database {self.database} has no column {column!r}, "
                                    "which crossdeck needs (is this a beads database?)")


SHAPE_SQL = ("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
             "FROM information_schema.columns WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION")


def shape_from_rows(database: str, rows: Any) -> Shape:
    tables: dict[str, dict[str, str]] = {}
    needs: dict[str, set[str]] = {}
    for table, column, data_type, nullable, default, extra in rows:
        name, col = _text(table).lower(), _text(column).lower()
        tables.setdefault(name, {})[col] = _text(data_type).lower()
        generated = any(word in _text(extra or "").lower() for word in ("auto_increment", "generated", "virtual",
                                                                         "stored"))
        if _text(nullable).upper() == "NO" and default is None and not generated:
            needs.setdefault(name, set()).add(col)
    return Shape(database=database, tables=tables, needs_value=needs)


def quote(name: str) -> str:
    """An identifier quoted for MySQL (backticks doubled inside)."""
    return "`" + name.replace("`", "``") + "`"


def json_rows(table: str, columns: dict[str, str], renames: dict[str, str] | None = None,
              computed: dict[str, str] | None = None, where: str | None = None) -> str:
    """``SELECT JSON_OBJECT(...) FROM table``: every column under its own name (or its name in
    ``renames``), times formatted as the exports write them, plus ``computed`` fields (name ->
    SQL expression)."""
    renames = renames or {}
    parts = []
    for column, data_type in columns.items():
        expr = quote(column)
        if data_type in _TIMES:
            expr = f"DATE_FORMAT({expr}, '{TIME_FORMAT}')"
        parts.append(f"'{_literal(renames.get(column, column))}', {expr}")
    for name, expr in (computed or {}).items():
        parts.append(f"'{_literal(name)}', {expr}")
    sql = f"SELECT JSON_OBJECT({', '.join(parts)}) FROM {quote(table)}"
    return sql + (f" WHERE {where}" if where else "")


def dependency_queries(shape: Shape) -> list[tuple[str, str]]:
    """``(table, SELECT)`` for each table holding dependencies, each row named as the backup form
    names it (``issue_id``, ``depends_on_id``, ``type``, ...), whatever the layout."""
    layout = shape.dependency_layout
    if layout == "split":
        out = []
        for table, target in SPLIT_TABLES.items():
            columns = shape.columns(table)
            if "source_id" in columns and target in columns:
                out.append((table, json_rows(table, columns, {"source_id": "issue_id", target: "depends_on_id"})))
        return out
    columns = dict(shape.columns("dependencies"))
    if layout == "legacy":
        for target in _TARGETS:  # 0041's generated depends_on_id already says which
            columns.pop(target, None)
        return [("dependencies", json_rows("dependencies", columns))]
    if layout == "targeted":
        present = [c for c in _TARGETS if c in columns]
        for target in present:
            columns.pop(target)
        columns.pop("id", None)  # a surrogate key (0043), not the backup form's
        coalesce = f"COALESCE({', '.join(quote(c) for c in present)})"
        return [("dependencies", json_rows("dependencies", columns, computed={"depends_on_id": coalesce}))]
    return []


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "''")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, (bytes, bytearray)) else str(value)
