"""sudocode specs have no status (null, not "open"): they load that way through both paths, are
left out of every status filter (``list --status``, the HTTP query filter), never count as
blockers (listed as a step that does not block, never walked past), and text shows their status
as ``-``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.analysis.blocking import blockers, explain
from core.analysis.delegation import delegation_chains
from core.federation import load_federation
from core.graph import build_graph
from tests.conftest import PROJECT, write_json, write_jsonl
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_typed_sudocode_lines import _typed_count, issue, rel, spec

REPO = "acme/web"
NOW = "2026-11-20T12:00:00Z"


def _key(ident: str) -> str:
    return f"{REPO}#{ident}"


def _repo(root: Path, marker: bool = False) -> Path:
    """i-1 depends on spec s-1; s-1 blocks i-2; i-3 depends on s-2, which depends on the open i-4;
    i-5 depends on s-1 and on the open i-4. Lines as sudocode writes them (the fast path), or
    each with an unknown field (``marker``: the checked path)."""
    issues = [
        issue("i-1", relationships=[rel("i-1", "s-1", "depends-on", to_type="spec")]),
        issue("i-2"),
        issue("i-3", relationships=[rel("i-3", "s-2", "depends-on", to_type="spec")]),
        issue("i-4", status="in_progress"),
        issue("i-5", relationships=[rel("i-5", "s-1", "depends-on", to_type="spec"), rel("i-5", "i-4", "depends-on")]),
        issue("i-6", status="closed", relationships=[rel("i-6", "s-1", "implements", to_type="spec")]),
        issue("i-7", status=None),  # an issue with no status is open, as ever
    ]
    specs = [
        spec("s-1", relationships=[rel("s-1", "i-2", "blocks", from_type="spec")]),
        spec("s-2", relationships=[rel("s-2", "i-4", "depends-on", from_type="spec")]),
    ]
    folder = root / ".sudocode"
    write_json(folder / "federation.config.json", {"local_identity": {"url": f"github.com/{REPO}"}})
    for name, lines in (("issues.jsonl", issues), ("specs.jsonl", specs)):
        rows = [{**line, "zz_marker": 1} if marker else line for line in lines]
        (folder / name).write_text("".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows))
    return root


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROSSDECK_NOW", NOW)
    return _repo(tmp_path / "web")


def _statuses(root: Path) -> dict[str, Any]:
    fed = load_federation([root])
    assert not fed.errors
    return {unit.id: unit.status for unit in fed.workspaces[0].work_units}


def test_a_spec_has_no_status_through_the_fast_and_the_checked_path(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _statuses(_repo(tmp_path / "checked", marker=True))
    typed = _typed_count(monkeypatch)
    fast = _statuses(_repo(tmp_path / "fast"))
    assert "s-1" in typed and "s-2" in typed  # as sudocode writes them: the fast path
    assert fast == checked
    assert fast["s-1"] is None and fast["s-2"] is None
    assert fast["i-7"] == "open" and fast["i-6"] == "closed"


def test_a_status_a_spec_line_states_is_kept_and_null_is_no_status(tmp_path: Path) -> None:
    folder = tmp_path / "web" / ".sudocode"
    write_jsonl(folder / "specs.jsonl", [spec("s-1", status="closed"), spec("s-2", status=None),
                                         {"id": "s-3", "title": "a short line"}])
    fed = load_federation([tmp_path / "web"])
    assert not fed.errors
    units = {u.id: u for u in fed.workspaces[0].work_units}
    assert (units["s-1"].status, units["s-1"].is_done) == ("closed", True)
    assert "status" not in units["s-1"].extra
    assert units["s-2"].status is None and units["s-3"].status is None
    assert not units["s-2"].is_done


def test_list_status_filters_leave_specs_out(repo: Path) -> None:
    text = crossdeck("list", str(repo), "--status", "open")
    assert text.returncode == 0, text.stderr
    assert "i-1" in text.stdout and "s-1" not in text.stdout and "s-2" not in text.stdout
    result = crossdeck("list", str(repo), "--status", "open", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema("list", data)
    assert [row["id"] for row in data["work_units"]] == ["i-1", "i-2", "i-3", "i-5", "i-7"]
    assert data["counts"]["by_status"] == {"open": 5}
    for status in ("not-done", "done", "-"):
        rows = json.loads(crossdeck("list", str(repo), "--status", status, "--json").stdout)["work_units"]
        assert not [row for row in rows if row["id"].startswith("s-")], status


def test_list_shows_a_spec_with_status_dash(repo: Path) -> None:
    result = crossdeck("list", str(repo), "--json")
    data = json.loads(result.stdout)
    assert_matches_schema("list", data)
    specs = [row for row in data["work_units"] if row["id"].startswith("s-")]
    assert [(row["status"], row["done"], row["loaded"]) for row in specs] == [(None, False, True)] * 2
    assert data["counts"]["by_status"]["-"] == 2
    text = crossdeck("list", str(repo)).stdout
    assert "2 with no status" in text.splitlines()[0]
    spec_rows = [line for line in text.splitlines() if _key("s-1") in line]
    assert spec_rows and spec_rows[0].split()[0] == "-"
    assert "None" not in text and "not loaded" not in text


@pytest.mark.parametrize("item", ["i-1", "i-2"])  # i-1 depends-on s-1; s-1 blocks i-2
def test_a_spec_is_never_a_blocker(repo: Path, item: str) -> None:
    result = crossdeck("blockers", item, str(repo))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{_key(item)}: work {item} [open]"
    assert lines[1] == "not blocked by any open item"
    assert lines[2:4] == ["no status (never a blocker, not counted): 1", f"  {_key('s-1')} [-, not a blocker]: spec s-1"]
    data = json.loads(crossdeck("blockers", item, str(repo), "--json").stdout)
    assert_matches_schema("blockers", data)
    assert (data["is_blocked"], data["blockers"], data["direct"], data["unresolved"]) == (False, [], [], [])
    assert [step["key"] for step in data["not_blocking"]] == [_key("s-1")]
    assert data["not_blocking"][0]["status"] is None and data["not_blocking"][0]["stub"] is None
    assert [(step["key"], step["reached_from"]) for step in data["steps"]] == [(_key("s-1"), _key(item))]
    assert data["kind"] == "issue"


def test_the_walk_does_not_go_past_a_spec(repo: Path) -> None:
    graph = build_graph(load_federation([repo]))
    through = blockers(graph, _key("i-3"))  # i-3 -> s-2 -> i-4 (open): i-4 does not hold i-3 up
    assert not through.is_blocked and through.blockers == []
    assert [s.key for s in through.not_blocking] == [_key("s-2")]
    assert explain(through) == (f"{_key('i-3')} is not blocked by any open item. Listed, not counted (no status): "
                                f"{_key('s-2')} [-, not a blocker].")
    beside = blockers(graph, _key("i-5"))  # the open i-4 blocks; the spec beside it does not
    assert beside.is_blocked and beside.blockers == [_key("i-4")]
    assert [s.key for s in beside.not_blocking] == [_key("s-1")]
    assert [(s.key, s.reached_from) for s in beside.steps] == [(_key("i-4"), _key("i-5")), (_key("s-1"), _key("i-5"))]
    assert beside.groups() == ([_key("i-4")], [], [_key("s-1")])
    spec_itself = blockers(graph, _key("s-2"))  # a spec's own dependencies are still shown
    assert (spec_itself.kind, spec_itself.status, spec_itself.is_done) == ("spec", None, False)
    assert spec_itself.blockers == [_key("i-4")]


def test_show_and_graph_show_a_spec_status_as_dash(repo: Path) -> None:
    shown = crossdeck("show", "s-1", str(repo))
    assert shown.returncode == 0, shown.stderr
    assert "  status        -" in shown.stdout.splitlines()
    assert f"{_key('i-6')}: work i-6 [closed]" in shown.stdout  # i-6 implements it
    assert "None" not in shown.stdout
    data = json.loads(crossdeck("show", "i-1", str(repo), "--json").stdout)
    assert_matches_schema("show", data)
    assert data["blockers"]["not_blocking"][0]["key"] == _key("s-1")
    assert "Listed, not counted (no status)" in data["why_blocked"]
    i1 = crossdeck("show", "i-1", str(repo)).stdout
    assert f"depends-on         {_key('s-1')}: spec s-1 [-]" in i1
    graph = crossdeck("graph", "s-1", str(repo), "--format", "text")
    assert graph.returncode == 0, graph.stderr
    assert graph.stdout.splitlines()[0] == f"{_key('s-1')}: spec s-1 [-]"
    assert "None" not in graph.stdout
    assert_matches_schema("graph", json.loads(crossdeck("graph", "s-1", str(repo), "--json").stdout))


def test_a_delegated_spec_does_not_crash_and_shows_dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A town delegates a spec's work (federation.jsonl): the spec, with no status, is never done
    itself; its delegation completes as the child does (the rule for specs is a later issue)."""
    from tests.conftest import bead, real_town

    monkeypatch.setenv("CROSSDECK_NOW", NOW)
    repo = _repo(tmp_path / "web")
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [bead("gp-1", "Build it", status="closed")])
    write_jsonl(town / ".beads" / "federation.jsonl", [
        {"type": "delegation", "parent": _key("s-1"), "child": "hop://steve@example.com/main-town/greenplace/gp-1"}])
    graph = build_graph(load_federation([repo, town]))
    chains = delegation_chains(graph, __import__("datetime").date(2026, 11, 20))
    root = next(chain for chain in chains.chains if chain.key == _key("s-1"))
    assert (root.status, root.stub, root.done, root.complete) == (None, None, False, True)
    result = crossdeck("chains", str(repo), str(town))
    assert result.returncode == 0, result.stderr
    assert f"{_key('s-1')}: spec s-1 [-]" in result.stdout and "None" not in result.stdout
    assert_matches_schema("chains", json.loads(crossdeck("chains", str(repo), str(town), "--json").stdout))
    shown = crossdeck("show", "gp-1", str(repo), str(town)).stdout
    assert f"from  {_key('s-1')} [-, complete]" in shown


def test_the_http_query_status_filter_leaves_specs_out(sudocode_copy: Path, start_server: Any) -> None:
    from tests.http_fixtures import FRONTEND

    served = start_server(sudocode_copy / "api-service")
    with served.client(served.token(FRONTEND)) as client:
        specs = client.post("/query", json={"type": "query", "entity": "spec"}).json()
        open_specs = client.post("/query", json={"type": "query", "entity": "spec",
                                                 "filters": {"status": "open"}}).json()
    with served.client(served.token(maintainer="api/crew/ann")) as client:
        open_ones = client.post("/query", json={"type": "query", "entity": "work_unit", "limit": 500,
                                                "filters": {"status": ["open", "in_progress"]}}).json()
    assert [(item["id"], item["status"]) for item in specs["items"]] == [("s-6e1a", None)]
    assert open_ones["total"] > 0 and all(item["kind"] == "issue" for item in open_ones["items"])
    assert open_specs["total"] == 0


def test_the_demo_specs_have_no_status(tmp_path: Path) -> None:
    root = Path(shutil.copytree(PROJECT / "sample_workspaces" / "sudocode", tmp_path / "sudocode"))
    fed = load_federation([root])
    specs = [u for ws in fed.workspaces for u in ws.work_units if u.kind == "spec"]
    assert sorted(u.id for u in specs) == ["s-2b9c", "s-6e1a"] and all(u.status is None for u in specs)
