"""Every statement only a Dolt server understands, in one place.

The tests run against MariaDB, which speaks the same protocol but has no Dolt: ``is_dolt`` tells
the two apart (``SELECT dolt_version()``), and each caller sends the Dolt statements below only
to a Dolt server. What has run against a real Dolt server and what has not is in docs/formats.md
("Dolt-backed beads"); the statements are held to their text by tests/test_dolt_statements.py.

Dolt's documented shapes used here: ``dolt_version()``; the ``dolt_log`` system table (newest
commit first: ``commit_hash``, ``committer``, ``email``, ``date``, ``message``);
``CALL DOLT_COMMIT('-Am', message, '--author', 'Name <email>')``, which stages every changed
table and commits the working set, and fails with "nothing to commit" when nothing changed.
"""

from __future__ import annotations

from typing import Any

VERSION_SQL = "SELECT dolt_version()"
HEAD_SQL = "SELECT commit_hash FROM dolt_log LIMIT 1"
COMMIT_SQL = "CALL DOLT_COMMIT('-Am', %s, '--author', %s)"


def is_dolt(conn: Any) -> bool:
    """Whether the server behind ``conn`` is Dolt (any other MySQL-protocol server refuses the
    function)."""
    import pymysql

    try:
        with conn.cursor() as cursor:
            cursor.execute(VERSION_SQL)
            cursor.fetchall()
    except pymysql.err.MySQLError:
        return False
    return True


def head(conn: Any) -> str | None:
    """The hash of the current database's newest commit."""
    with conn.cursor() as cursor:
        cursor.execute(HEAD_SQL)
        row = cursor.fetchone()
    return str(row[0]) if row else None


def commit(conn: Any, message: str, author: str, email: str) -> None:
    """Commit the working set as ``author <email>``; a working set with nothing to commit is not
    an error (the rows were committed by an earlier attempt)."""
    import pymysql

    try:
        with conn.cursor() as cursor:
            cursor.execute(COMMIT_SQL, (message, f"{author} <{email}>"))
            cursor.fetchall()
    except pymysql.err.MySQLError as exc:
        if "nothing to commit" not in str(exc).lower():
            raise
