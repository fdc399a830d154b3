"""A bead's Dolt history (core/dolt/history.py), held to the statements it sends and parsed from
results recorded in the shapes Dolt documents (no Dolt server runs here); on a MySQL-protocol
server that is not Dolt (the MariaDB fixture) it says plainly that history needs Dolt."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dolt import history
from core.dolt.dolt_sql import is_dolt
from tests.dolt_helpers import Recording
from tests.dolt_server import MariaDB

# dolt_diff_issues joined with dolt_log, as documented: to_/from_ per column, then the commit columns
DIFF_NAMES = ["to_id", "to_title", "to_status", "to_assignee", "to_updated_at", "to_commit", "to_commit_date",
              "from_id", "from_title", "from_status", "from_assignee", "from_updated_at", "from_commit",
              "from_commit_date", "diff_type", "log_committer", "log_email", "log_message"]
T1, T2 = dt.datetime(2026, 12, 1, 9, 30), dt.datetime(2026, 12, 3, 16, 5, 7)
DIFF_ROWS = [
    ("gt-1", "Fix the gate", "closed", "gastown/polecats/nux", T2, "c2hash", T2,
     "gt-1", "Fix the gate", "in_progress", "gastown/polecats/nux", T1, "c1hash", T1, "modified",
     "gastown/polecats/nux", "nux@example.com", "bd close gt-1"),
    ("gt-1", "Fix the gate", "open", None, T1, "c1hash", T1,
     None, None, None, None, None, "c0hash", dt.datetime(2026, 11, 30), "added",
     "mayor", "mayor@example.com", "bd create gt-1"),
]


def test_item_commits_sends_one_join_and_reads_author_time_message_and_fields() -> None:
    conn = Recording([(DIFF_NAMES, DIFF_ROWS)])
    commits = history.item_commits(conn, "gt-1", dolt=True, server="127.0.0.1:3307")
    assert conn.sent == [(history.ITEM_COMMITS_SQL, ("gt-1", "gt-1"))]
    assert "FROM dolt_diff_issues AS d JOIN dolt_log AS l ON l.commit_hash = d.to_commit" in history.ITEM_COMMITS_SQL
    assert [(c.commit, c.parent, c.author, c.time, c.message, c.change, c.fields) for c in commits] == [
        ("c2hash", "c1hash", "gastown/polecats/nux", "2026-12-03T16:05:07Z", "bd close gt-1", "modified", ["status"]),
        ("c1hash", "c0hash", "mayor", "2026-12-01T09:30:00Z", "bd create gt-1", "added", ["id", "status", "title"]),
    ]


def test_polecat_branches_that_touch_the_item() -> None:
    branches = [("polecat-nux-20261203T1600", "b1hash", "gastown/polecats/nux", T2, "wip: gate"),
                ("polecat-toast-20261202T0900", "b2hash", "gastown/polecats/toast", T1, "wip: other"),
                ("main-backup", "b3hash", "mayor", T1, "not a polecat's")]
    conn = Recording([(["name", "hash", "latest_committer", "latest_commit_date", "latest_commit_message"], branches),
                      (["COUNT(*)"], [(2,)]), (["COUNT(*)"], [(0,)])])
    found = history.polecat_branches(conn, "gt-1", dolt=True, server="127.0.0.1:3307")
    assert conn.sent == [(history.BRANCHES_SQL, None),
                         (history.BRANCH_TOUCHES_SQL, ("main...polecat-nux-20261203T1600", "gt-1", "gt-1")),
                         (history.BRANCH_TOUCHES_SQL, ("main...polecat-toast-20261202T0900", "gt-1", "gt-1"))]
    assert [(b.branch, b.polecat, b.head, b.time) for b in found] == [
        ("polecat-nux-20261203T1600", "nux", "b1hash", "2026-12-03T16:05:07Z")]


def test_as_of_names_a_commit_branch_or_time() -> None:
    conn = Recording([([], [])])
    history.check_ref(conn, "polecat-nux-20261203T1600", dolt=True, server="127.0.0.1:3307")
    assert conn.sent == [("SELECT JSON_OBJECT('id', id) FROM issues AS OF %s LIMIT 0", ("polecat-nux-20261203T1600",))]
    assert history.as_of_clause("2026-12-01 09:30:00") == "AS OF '2026-12-01 09:30:00'"
    assert history.as_of_clause("it's") == "AS OF 'it''s'"


def test_without_dolt_history_says_it_needs_dolt_and_sends_nothing() -> None:
    conn = Recording([])
    for call in (history.item_commits, history.polecat_branches, history.check_ref):
        with pytest.raises(history.NeedsDolt, match=r"^history needs a Dolt server: 10\.0\.0\.5:3307 speaks MySQL "
                                                     r"but is not Dolt"):
            call(conn, "gt-1", dolt=False, server="10.0.0.5:3307")
    assert conn.sent == []


def test_on_mariadb_history_needs_dolt(mariadb: MariaDB) -> None:
    with mariadb.connect() as conn:
        dolt = is_dolt(conn)
        assert dolt is False
        with pytest.raises(history.NeedsDolt, match="history needs a Dolt server"):
            history.item_commits(conn, "gt-1", dolt=dolt, server=f"127.0.0.1:{mariadb.port}")
