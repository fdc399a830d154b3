"""``--as-of REF`` on the read verbs: Dolt-backed towns read as of a Dolt commit, branch or time
(each table's statement gets ``AS OF 'REF'``; no Dolt server runs here), and a clear error, exit 2,
for a town not on Dolt or on a MySQL server that is not Dolt (the MariaDB fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.dolt import history
from core.dolt.tables import json_rows
from tests.conftest import bead, real_town, write_jsonl
from tests.dolt_server import MariaDB
from tests.dolt_town import dolt_town, rig_beads
from tests.test_cli_summary import crossdeck

TOWN = "hop://steve@example.com/main-town"
VERBS = (("summary",), ("list",), ("show", f"{TOWN}/gastown/ga-1"), ("blockers", f"{TOWN}/gastown/ga-1"))


def test_each_table_is_read_as_of_the_ref() -> None:
    sql = json_rows("issues", {"id": "varchar", "updated_at": "datetime"}, where="ephemeral = 0")
    assert history.at_ref(sql, "issues", "polecat-nux-20261203T1600") == (
        "SELECT JSON_OBJECT('id', `id`, 'updated_at', DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%sZ')) "
        "FROM `issues` AS OF 'polecat-nux-20261203T1600' WHERE ephemeral = 0")
    assert history.at_ref(sql, "issues", None) == sql
    assert history.at_ref(json_rows("labels", {"label": "varchar"}), "labels", "it's") == (
        "SELECT JSON_OBJECT('label', `label`) FROM `labels` AS OF 'it''s'")


@pytest.mark.parametrize("verb", VERBS, ids=[v[0] for v in VERBS])
def test_as_of_on_a_server_that_is_not_dolt_is_an_error(tmp_path: Path, mariadb: MariaDB,
                                                         verb: tuple[str, ...]) -> None:
    database = mariadb.fresh_database()
    town = dolt_town(tmp_path / "town", mariadb, {"gastown": (database, rig_beads("ga"))})
    result = crossdeck(*verb, str(town), "--as-of", "main")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert (f"crossdeck {verb[0]}: --as-of main: history needs a Dolt server: 127.0.0.1:{mariadb.port} "
            "speaks MySQL but is not Dolt") in result.stderr
    assert crossdeck(*verb, str(town)).returncode == 0


def test_as_of_for_a_town_not_on_dolt_is_an_error(tmp_path: Path) -> None:
    town = real_town(tmp_path / "town", {"gastown": "ga"})
    write_jsonl(town / "gastown" / ".beads" / "issues.jsonl", [bead("ga-1")])
    result = crossdeck("list", str(town), "--as-of", "2026-12-01 09:30:00")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().endswith(
        "crossdeck list: --as-of 2026-12-01 09:30:00 reads a town's beads on its Dolt server, and no workspace "
        "loaded keeps its beads on one (.beads/metadata.json: backend dolt, dolt_mode server)")


def test_a_dolt_database_is_read_as_of_the_ref() -> None:
    from core.diagnostics import Diagnostics
    from core.dolt.session import ServerSession
    from core.model import Workspace, WorkspaceKind
    from core.sources.beads import BeadsLoad
    from core.sources.beads_server import read_from_server
    from core.sources.files import ReadLimits
    from core.sources.keys import FolderKeys
    from tests.test_dolt_statements import ISSUE_COLUMNS, TARGET, _dolt

    rows = [(json.dumps({"id": "gt-1", "title": "as it was", "status": "open", "priority": 1,
                         "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"}),)]
    conn = _dolt([("SELECT TABLE_NAME", ISSUE_COLUMNS), ("SELECT JSON_OBJECT('id', id)", []),
                  ("SELECT JSON_OBJECT", rows)])
    session = ServerSession()
    session._open[(TARGET.host, TARGET.port, TARGET.user)] = conn  # the pretend Dolt server's connection
    ws = Workspace(kind=WorkspaceKind.BEADS, name="beads://local/gastown", root="/tmp/gastown")
    with history.reading_as_of("c1hash"):
        read = read_from_server(BeadsLoad(ws, FolderKeys("gastown"), Diagnostics(), ReadLimits()), TARGET, session)
    assert (read.dolt, read.token) == (True, "dolt-as-of:c1hash")
    assert [(u.id, u.title) for u in ws.work_units] == [("gt-1", "as it was")]
    sent = [(sql, args) for sql, args in conn.sent if "JSON_OBJECT" in sql]
    assert sent[0] == (history.AS_OF_SQL, ("c1hash",))
    assert sent[1][0].endswith(" FROM `issues` AS OF 'c1hash'")
    assert not any(sql.startswith("SELECT commit_hash") for sql, _ in conn.sent)
