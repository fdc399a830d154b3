"""The beads tables of a Dolt server, written for MariaDB (tests/dolt_server.py), in three layouts
of the dependency tables, and loaders that put real beads files into them.

Layouts (``ddl(layout)``), named after beads' schema migrations:

- ``legacy``: one ``dependencies`` table, ``issue_id -> depends_on_id`` (0002), FK on the source only
- ``targeted``: one ``dependencies`` table with a uuid ``id`` and the target split into
  ``depends_on_issue_id`` / ``depends_on_wisp_id`` / ``depends_on_external``, exactly one set
  (after 0041 + 0043: no ``depends_on_id`` column any more)
- ``split``: three tables, ``issue_issue_dependencies``, ``issue_wisp_dependencies``,
  ``issue_external_dependencies`` (0050), keyed ``(source_id, depends_on_*)``; no ``dependencies``

Every layout also has ``issues`` (0001's columns with 0023 no_history, 0027 started_at, 0046
is_blocked, 0049 LONGTEXT; 0038 dropped quality_score and crystallizes), ``wisps`` (the same
columns: Dolt keeps them out of its history, crossdeck leaves them out), ``labels``, ``comments``,
``events`` and ``config``. Left out: beads' other tables (metadata, child_counters, snapshots,
routes, interactions, federation_peers, custom types, wisp_labels/wisp_dependencies/...) and the
ready/blocked views.

Where MariaDB differs from Dolt (each is marked ``MariaDB:`` where it shows):

- JSON is an alias of LONGTEXT with a ``CHECK (JSON_VALID(col))``: the text is kept as written,
  and the column reads back as LONGTEXT (information_schema, result metadata). Dolt stores a JSON
  document and returns it re-serialised (its own spacing and key order). Both arrive as str.
- ``DEFAULT (UUID())`` and ``DEFAULT (JSON_OBJECT())`` work as in Dolt (MariaDB >= 10.2), but
  MariaDB's UUID() is time-based (v1): never rely on a uuid's form or order.
- No ``dolt_*`` system tables (dolt_ignore, dolt_nonlocal_tables, dolt_log, dolt_diff_*), no
  ``DOLT_COMMIT()``/``DOLT_*`` procedures, no ``AS OF``: wisps are an ordinary table here, where
  Dolt lists ``wisps`` and ``wisp_%`` in dolt_ignore (0019) so they never enter its history.
- DATETIME has no time zone in either; the server runs at UTC (tests/dolt_server.py). Loaders
  convert every time to UTC and cut it to whole seconds (DATETIME(0)).
- InnoDB keys are at most 3072 bytes: ``spec_id VARCHAR(1024)`` (4096 bytes in utf8mb4) is
  indexed on a 255-character prefix; Dolt indexes the whole column.
- information_schema.columns.COLUMN_DEFAULT is NULL for "no default" but the string 'NULL' for
  ``DEFAULT NULL`` (MySQL 8 and Dolt show NULL for both): ``insert_rows`` relies on MariaDB's form.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pymysql

LAYOUTS = ("legacy", "targeted", "split")
DEPENDENCY_TABLES = {
    "legacy": ("dependencies",),
    "targeted": ("dependencies",),
    "split": ("issue_issue_dependencies", "issue_wisp_dependencies", "issue_external_dependencies"),
}
BACKUP_TABLES = ("issues", "labels", "comments", "events", "config")  # + dependencies, loaded last

# MariaDB: JSON means LONGTEXT CHECK (JSON_VALID(...)); Dolt has a real JSON type.
_JSON = "JSON DEFAULT (JSON_OBJECT())"
_TEXT_LARGE = ("description", "design", "acceptance_criteria", "notes")
_ISSUE_COLUMNS = (
    "id VARCHAR(255) NOT NULL PRIMARY KEY",
    "content_hash VARCHAR(64)",
    "title VARCHAR(500) NOT NULL",
    *(f"{name} LONGTEXT NOT NULL{{text_default}}" for name in _TEXT_LARGE),  # LONGTEXT since 0049
    "status VARCHAR(32) NOT NULL DEFAULT 'open'",
    "priority INT NOT NULL DEFAULT 2",
    "issue_type VARCHAR(32) NOT NULL DEFAULT 'task'",
    "assignee VARCHAR(255)",
    "estimated_minutes INT",
    "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "created_by VARCHAR(255) DEFAULT ''",
    "owner VARCHAR(255) DEFAULT ''",
    "updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
    "started_at DATETIME",
    "closed_at DATETIME",
    "closed_by_session VARCHAR(255) DEFAULT ''",
    "close_reason LONGTEXT DEFAULT ''",
    "external_ref VARCHAR(255)",
    "spec_id VARCHAR(1024)",
    "compaction_level INT DEFAULT 0",
    "compacted_at DATETIME",
    "compacted_at_commit VARCHAR(64)",
    "original_size INT",
    "sender VARCHAR(255) DEFAULT ''",
    *(f"{flag} TINYINT(1) DEFAULT 0" for flag in ("ephemeral", "pinned", "is_template", "no_history")),
    "is_blocked TINYINT(1) NOT NULL DEFAULT 0",
    "wisp_type VARCHAR(32) DEFAULT ''",
    "mol_type VARCHAR(32) DEFAULT ''",
    "work_type VARCHAR(32) DEFAULT 'mutex'",
    "source_system VARCHAR(255) DEFAULT ''",
    "source_repo VARCHAR(512) DEFAULT ''",
    f"metadata {_JSON}",
    # event beads
    "event_kind VARCHAR(32) DEFAULT ''",
    "actor VARCHAR(255) DEFAULT ''",
    "target VARCHAR(255) DEFAULT ''",
    "payload TEXT DEFAULT ''",
    # gates
    "await_type VARCHAR(32) DEFAULT ''",
    "await_id VARCHAR(255) DEFAULT ''",
    "timeout_ns BIGINT DEFAULT 0",
    "waiters TEXT DEFAULT ''",
    # agent beads
    "hook_bead VARCHAR(255) DEFAULT ''",
    "role_bead VARCHAR(255) DEFAULT ''",
    "agent_state VARCHAR(32) DEFAULT ''",
    "last_activity DATETIME",
    "role_type VARCHAR(32) DEFAULT ''",
    "rig VARCHAR(255) DEFAULT ''",
    "due_at DATETIME",
    "defer_until DATETIME",
)
_ISSUE_INDEXES = ("status", "priority", "issue_type", "assignee", "created_at", "external_ref",
                  "is_blocked, status",
                  "spec_id(255)")  # MariaDB: a 3072-byte key limit, so a prefix; Dolt indexes it whole
# The dependency columns after the target, as 0002 has them.
_EDGE_COLUMNS = (
    "type VARCHAR(32) NOT NULL DEFAULT 'blocks'",
    "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "created_by VARCHAR(255) NOT NULL",
    f"metadata {_JSON}",
    "thread_id VARCHAR(255) DEFAULT ''",
)


def _fk(column: str, on_update: bool = True) -> str:
    """A foreign key onto issues(id), cascading as beads' do (ON UPDATE CASCADE since 0042)."""
    return (f"FOREIGN KEY ({column}) REFERENCES issues(id) ON DELETE CASCADE"
            + (" ON UPDATE CASCADE" if on_update else ""))


def _table(name: str, *parts: Iterable[str]) -> str:
    body = ",\n  ".join(part for group in parts for part in group)
    return f"CREATE TABLE `{name}` (\n  {body}\n)"


def _issue_table(name: str) -> str:
    # Beads gave wisps' large text columns DEFAULT '' (0020) and issues' none (0001).
    text_default = " DEFAULT ''" if name == "wisps" else ""
    columns = (column.replace("{text_default}", text_default) for column in _ISSUE_COLUMNS)
    indexes = (f"INDEX idx_{name}_{cols.split('(')[0].replace(', ', '_')} ({cols})" for cols in _ISSUE_INDEXES)
    return _table(name, columns, indexes)


def _common() -> list[str]:
    return [
        _issue_table("issues"),
        _issue_table("wisps"),  # MariaDB: an ordinary table; Dolt lists it in dolt_ignore (0019)
        _table("labels", ("issue_id VARCHAR(255) NOT NULL", "label VARCHAR(255) NOT NULL",
                          "PRIMARY KEY (issue_id, label)", "INDEX idx_labels_label (label)", _fk("issue_id"))),
        # MariaDB: DEFAULT (UUID()) gives a v1 uuid; beads' old backups carry integer ids, kept as text.
        _table("comments", ("id CHAR(36) NOT NULL DEFAULT (UUID()) PRIMARY KEY", "issue_id VARCHAR(255) NOT NULL",
                            "author VARCHAR(255) NOT NULL", "text LONGTEXT NOT NULL",
                            "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP",
                            "INDEX idx_comments_issue (issue_id)", "INDEX idx_comments_created_at (created_at)",
                            _fk("issue_id"))),
        _table("events", ("id CHAR(36) NOT NULL DEFAULT (UUID()) PRIMARY KEY", "issue_id VARCHAR(255) NOT NULL",
                          "event_type VARCHAR(32) NOT NULL", "actor VARCHAR(255) NOT NULL",
                          "old_value LONGTEXT", "new_value LONGTEXT", "comment TEXT",  # LONGTEXT since 0048
                          "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP",
                          "INDEX idx_events_issue (issue_id)", "INDEX idx_events_created_at (created_at)",
                          _fk("issue_id"))),
        _table("config", ("`key` VARCHAR(255) NOT NULL PRIMARY KEY", "value TEXT NOT NULL")),
    ]


def _dependencies(layout: str) -> list[str]:
    if layout == "legacy":
        return [_table("dependencies", ("issue_id VARCHAR(255) NOT NULL", "depends_on_id VARCHAR(255) NOT NULL"),
                       _EDGE_COLUMNS,
                       ("PRIMARY KEY (issue_id, depends_on_id)", "INDEX idx_dep_target_type (depends_on_id, type)",
                        "INDEX idx_dep_thread (thread_id)", _fk("issue_id")))]
    if layout == "targeted":
        targets = ("issue_id", "wisp_id", "external")
        return [_table("dependencies",
                       ("id CHAR(36) NOT NULL DEFAULT (UUID()) PRIMARY KEY", "issue_id VARCHAR(255) NOT NULL"),
                       (f"depends_on_{t} VARCHAR(255) NULL" for t in targets),
                       _EDGE_COLUMNS,
                       (f"UNIQUE KEY uk_dep_{t} (issue_id, depends_on_{t})" for t in targets),
                       (f"INDEX idx_dep_type_{t} (type, depends_on_{t})" for t in targets),
                       # MariaDB: a column in a CHECK may not be changed by an FK's ON UPDATE CASCADE
                       # (error 1901), so the target's key only cascades deletes; Dolt's cascades both.
                       ("INDEX idx_dep_thread (thread_id)", _fk("issue_id"), _fk("depends_on_issue_id", on_update=False),
                        ("CONSTRAINT ck_dep_one_target CHECK ((depends_on_issue_id IS NOT NULL)"
                         " + (depends_on_wisp_id IS NOT NULL) + (depends_on_external IS NOT NULL) = 1)")))]
    if layout == "split":
        tables = []
        for kind in ("issue", "wisp", "external"):
            target = f"depends_on_{kind}_id"
            keys = [f"PRIMARY KEY (source_id, {target})", f"INDEX idx_{kind}_dep_target ({target}, type)",
                    f"INDEX idx_{kind}_dep_thread (thread_id)", _fk("source_id", on_update=False)]
            if kind == "issue":
                keys.append(_fk(target, on_update=False))
            tables.append(_table(f"issue_{kind}_dependencies",
                                 ("source_id VARCHAR(255) NOT NULL", f"{target} VARCHAR(255) NOT NULL"),
                                 _EDGE_COLUMNS, keys))
        return tables
    raise ValueError(f"unknown beads layout {layout!r} (one of {', '.join(LAYOUTS)})")


def ddl(layout: str) -> list[str]:
    """The CREATE TABLE statements of a layout, in an order the foreign keys accept."""
    return _common() + _dependencies(layout)


# ---------------------------------------------------------------- loading files


@dataclass
class Loaded:
    """What a loader put in: rows per table, and the file's columns that no table column took."""

    rows: Counter[str] = field(default_factory=Counter)
    dropped: dict[str, set[str]] = field(default_factory=dict)
    targets: Counter[str] = field(default_factory=Counter)  # dependency targets: issue / wisp / external

    def add(self, table: str, count: int, dropped: set[str]) -> None:
        self.rows[table] += count
        if dropped:
            self.dropped.setdefault(table, set()).update(dropped)


@dataclass(frozen=True)
class _Column:
    name: str
    data_type: str
    nullable: bool
    has_default: bool

    @property
    def textual(self) -> bool:
        return self.data_type in ("char", "varchar", "tinytext", "text", "mediumtext", "longtext")

    def value(self, raw: Any) -> Any:
        if isinstance(raw, (dict, list)):
            return json.dumps(raw)
        if isinstance(raw, bool):
            return int(raw)
        if self.data_type in ("datetime", "timestamp") and isinstance(raw, str):
            return utc_seconds(raw)
        return raw


def _columns(conn: pymysql.Connection[Any], table: str) -> dict[str, _Column]:
    with conn.cursor() as cur:
        cur.execute("SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns"
                    " WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position", (table,))
        found = {name: _Column(name, kind.lower(), nullable == "YES", default is not None)
                 for name, kind, nullable, default in cur.fetchall()}
    if not found:
        raise LookupError(f"no table {table!r} in the current database")
    return found


def insert_rows(conn: pymysql.Connection[Any], table: str, rows: list[dict[str, Any]]) -> set[str]:
    """Insert ``rows`` into ``table`` by column name; return the row keys the table has no column for.

    A column a row lacks, or has as null where the column is NOT NULL, takes the column's default;
    a NOT NULL text column without one takes ''. Dicts and lists are written as JSON, booleans as
    0/1, times as UTC DATETIME. Rows are grouped by the columns they fill and each group goes in
    with one ``executemany`` (PyMySQL sends multi-row INSERTs of up to ~1 MB), not a round trip per row.
    """
    if not rows:
        return set()
    columns = _columns(conn, table)
    dropped: set[str] = set()
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        dropped.update(key for key in row if key not in columns)
        values: dict[str, Any] = {}
        for name, column in columns.items():
            value = column.value(row.get(name))
            if value is None and not column.nullable:
                if column.has_default:
                    continue
                if column.textual:
                    value = ""
            if value is not None or name in row:
                values[name] = value
        groups.setdefault(tuple(values), []).append(tuple(values.values()))
    with conn.cursor() as cur:
        for names, params in groups.items():
            quoted = ", ".join(f"`{name}`" for name in names)
            cur.executemany(f"INSERT INTO `{table}` ({quoted}) VALUES ({', '.join(['%s'] * len(names))})", params)
    return dropped


_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?$")


def utc_seconds(text: str) -> datetime | str | None:
    """``2025-11-02T21:58:07.295058-08:00`` -> 2025-11-03 05:58:07 (naive UTC, fraction cut).

    No zone means UTC already; '' is no time (NULL); anything else is passed on for the server to refuse.
    """
    if not text:
        return None
    match = _TIME.match(text)
    if match is None:
        return text
    day, clock, zone = match.groups()
    when = datetime.fromisoformat(f"{day}T{clock}")
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        when -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return when


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _ids(conn: pymysql.Connection[Any], table: str) -> set[str]:
    with conn.cursor() as cur:
        cur.execute(f"SELECT id FROM `{table}`")
        return {ident for (ident,) in cur.fetchall()}


def _target_kind(target: str, issues: set[str], wisps: set[str]) -> str:
    """As beads' 0041 sorted them: ``external:...``, a wisp, an issue; anything else is external too."""
    if target.startswith("external:"):
        return "external"
    if target in wisps:
        return "wisp"
    return "issue" if target in issues else "external"


def _dependency_rows(conn: pymysql.Connection[Any], layout: str, deps: list[dict[str, Any]],
                     targets: Counter[str]) -> dict[str, list[dict[str, Any]]]:
    """File rows ``{issue_id, depends_on_id, ...}`` as rows of the layout's dependency table(s)."""
    if layout == "legacy":
        return {"dependencies": deps}
    issues, wisps = _ids(conn, "issues"), _ids(conn, "wisps")
    tables: dict[str, list[dict[str, Any]]] = {table: [] for table in DEPENDENCY_TABLES[layout]}
    for dep in deps:
        row = dict(dep)
        target = row.pop("depends_on_id", None) or next(
            (row[k] for k in ("depends_on_issue_id", "depends_on_wisp_id", "depends_on_external") if row.get(k)), "")
        kind = _target_kind(target, issues, wisps)
        targets[kind] += 1
        if layout == "targeted":
            row.update({"depends_on_issue_id": None, "depends_on_wisp_id": None, "depends_on_external": None})
            row["depends_on_external" if kind == "external" else f"depends_on_{kind}_id"] = target
            tables["dependencies"].append(row)
        else:
            row["source_id"] = row.pop("issue_id")
            row[f"depends_on_{kind}_id"] = target
            tables[f"issue_{kind}_dependencies"].append(row)
    return tables


def _load(conn: pymysql.Connection[Any], layout: str, tables: dict[str, list[dict[str, Any]]],
          deps: list[dict[str, Any]]) -> Loaded:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown beads layout {layout!r} (one of {', '.join(LAYOUTS)})")
    loaded = Loaded()
    for table, rows in tables.items():
        loaded.add(table, len(rows), insert_rows(conn, table, rows))
    for table, rows in _dependency_rows(conn, layout, deps, loaded.targets).items():
        loaded.add(table, len(rows), insert_rows(conn, table, rows))
    return loaded


def insert_backup(conn: pymysql.Connection[Any], backup_dir: Path, layout: str) -> Loaded:
    """Load beads' backup form: ``.beads/backup/<table>.jsonl``, one flat table dump per file.

    A missing file is an empty table. Dependencies go in last, sorted into the layout's tables.
    """
    def rows(name: str) -> list[dict[str, Any]]:
        path = backup_dir / f"{name}.jsonl"
        return list(read_jsonl(path)) if path.is_file() else []

    return _load(conn, layout, {table: rows(table) for table in BACKUP_TABLES}, rows("dependencies"))


def insert_export(conn: pymysql.Connection[Any], issues_jsonl: Path, layout: str) -> Loaded:
    """Load beads' export form: ``.beads/issues.jsonl``, an issue a line with its ``labels``,
    ``dependencies`` and ``comments`` inline. Fields with no column (a tombstone's deleted_at,
    deleted_by, delete_reason, original_type) are dropped and named in ``Loaded.dropped``.
    """
    issues: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    deps: list[dict[str, Any]] = []
    for line in read_jsonl(issues_jsonl):
        issue = dict(line)
        ident = issue["id"]
        labels += ({"issue_id": ident, "label": label} for label in issue.pop("labels", None) or [])
        comments += ({**comment, "issue_id": comment.get("issue_id") or ident}
                     for comment in issue.pop("comments", None) or [])
        deps += ({**dep, "issue_id": dep.get("issue_id") or ident} for dep in issue.pop("dependencies", None) or [])
        issues.append(issue)
    return _load(conn, layout, {"issues": issues, "labels": labels, "comments": comments}, deps)
