"""Workspaces whose beads live in the MariaDB fixture (tests/dolt_server.py): a ``.beads`` folder
whose ``metadata.json`` points at a database on it, as Gas Town writes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.beads_sql import insert_backup, insert_export
from tests.conftest import write_json

# The real datasets, as a Dolt server would hold them: how each goes in, and how many beads a
# user sees of it (gastown's backup holds 677 issues, 18 of them wisps).
DATASETS = {"gastown-backup": (insert_backup, ".beads/backup", 659),
            "beads": (insert_export, ".beads/issues.jsonl", 2640)}


class Recording:
    """A connection that records each statement and answers from a script of results."""

    def __init__(self, answers: list[tuple[list[str], list[tuple[Any, ...]]]]):
        self.sent: list[tuple[str, tuple[Any, ...] | None]] = []
        self.answers = list(answers)
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def cursor(self) -> Recording.Cursor:
        return Recording.Cursor(self)

    class Cursor:
        def __init__(self, conn: Recording) -> None:
            self.conn, self.rows, self.description = conn, [], None

        def __enter__(self) -> Recording.Cursor:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def execute(self, sql: str, params: tuple[Any, ...] | None = None) -> None:
            self.conn.sent.append((sql, params))
            names, self.rows = self.conn.answers.pop(0)
            self.description = [(n,) for n in names]

        def fetchall(self) -> list[tuple[Any, ...]]:
            return self.rows

        def fetchone(self) -> tuple[Any, ...] | None:
            return self.rows[0] if self.rows else None


def dolt_metadata(database: str, port: int | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"database": "dolt", "jsonl_export": "issues.jsonl", "backend": "dolt",
                            "dolt_mode": "server", "dolt_database": database}
    if port is not None:
        meta["dolt_server_port"] = port
    meta.update(extra)
    return meta


def dolt_folder(beads_dir: Path, database: str, port: int | None = None, **extra: Any) -> Path:
    """Make ``beads_dir`` a Dolt-backed ``.beads`` folder (server mode) of ``database``."""
    write_json(beads_dir / "metadata.json", dolt_metadata(database, port, **extra))
    return beads_dir


def served_dataset(mariadb: Any, realdata: Path, dataset: str, layout: str = "split") -> str:
    """A fresh database of ``layout`` holding real dataset ``dataset``; its name."""
    insert, where, _ = DATASETS[dataset]
    database: str = mariadb.fresh_database(layout)
    with mariadb.connect(database) as conn:
        insert(conn, realdata / dataset / where, layout)
    return database


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def point_config_at(home: Path, port: int, **values: Any) -> Path:
    """config.toml's ``[dolt]`` pointing at ``port`` (and any other values given)."""
    lines = ["[dolt]", f"port = {port}"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path = home / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path
