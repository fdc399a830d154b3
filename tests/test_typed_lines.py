"""The loader's fast paths give exactly what its checked paths give.

A beads export line that fits the known fields decodes straight into a struct (files.iter_typed);
anything else (an unknown field, a wrong type, a bad dependency) takes the checked dict path. The
two must agree on every record and every message, so these tests load the same lines both ways:
once as written, once with an unknown field added to every line (which sends each line, and then
the whole file, down the checked path).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from core.federation import Federation, load_federation
from core.sources.beads import ISSUE
from core.sources.schema import Schema, opt, req
from tests.conftest import bead, dep, write_jsonl

LINES: list[Any] = [
    bead("bd-1", labels=["a", "b"], assignee="joe", owner="ann", created_by="mayor", description="text",
         closed_at=None, comments=[{"text": "hi"}], dependencies=[dep("bd-1", "bd-2"), dep("bd-1", "external:x:x-1")]),
    bead("bd-2", status=None, priority=None, labels=None, dependencies=None),  # nulls: the record's defaults
    bead("bd-3", metadata={"delegated_from": {"parent": "hop://acme.dev/hq/pl-1", "deadline": "2026-12-01"}}),
    bead("bd-4", dependencies=[{"depends_on_id": "bd-1"}, {**dep("bd-9", "bd-4", "delegated-from")}]),
    bead("bd-5", metadata=None, references=[{"type": "depends_on", "target": "acme/api#i-1", "why": "x"}]),
    bead("bd-6", notes="kept", deleted_at="2026-11-02T00:00:00Z", metadata={"k": 1}),  # unknowns, in order
    bead("bd-7", priority="high"),  # wrong type: the schema's message
    bead("bd-8", labels=["ok", 3]),
    bead("bd-9", dependencies=["bd-1"]),  # a dependency that is not an object
    bead("bd-10", dependencies=[{**dep("bd-10", "bd-1"), "note": "kept"}]),
    bead("bd-11", dependencies=[{"issue_id": "bd-11"}]),  # no depends_on_id
    {"title": "no id"},
    [1, 2],
    "#comment",
    "",
    bead("bd-12", priority=1.0),  # a float where an int is wanted
    {**bead("bd-13"), "title": None},
    bead("bd-14", issue_type=None, type="bug"),  # 'type' is not the file's field name: kept in extra
]


def _write(path: Path, lines: list[Any], marker: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for line in lines:
        if isinstance(line, dict) and marker:
            line = {**line, "zz_marker": 1}
        out.append(line if isinstance(line, str) else json.dumps(line))
    out.append('{"id": "bd-99", "title": "truncated')
    path.write_text("\n".join(out) + "\n")


def _model(fed: Federation) -> list[Any]:
    """Everything loaded, as plain data: ``extra`` in its key order with the marker field taken
    out, and each record's source file by name (the folder above is the one difference)."""
    ws = fed.workspaces[0]
    units = []
    for unit in ws.work_units:
        raw = msgspec.to_builtins(unit)
        raw["extra"] = {k: v for k, v in unit.extra.items() if k != "zz_marker"}
        raw["extra_order"] = list(raw["extra"])
        units.append(raw)
    rels = [{**msgspec.to_builtins(r), "extra_order": list(r.extra)} for r in ws.relationships]
    records = [units, rels, msgspec.to_builtins(ws.delegations)]
    for record in (record for kind in records for record in kind):
        record["source"] = Path(record["source"]).name
    return [*records, [(Path(d.path).name, d.line, d.severity.value, d.message) for d in fed.diagnostics]]


def test_fast_and_checked_paths_load_the_same(tmp_path: Path) -> None:
    _write(tmp_path / "fast" / "ws" / ".beads" / "issues.jsonl", LINES, marker=False)
    _write(tmp_path / "checked" / "ws" / ".beads" / "issues.jsonl", LINES, marker=True)
    fast_model = _model(load_federation([tmp_path / "fast" / "ws"]))
    checked_model = _model(load_federation([tmp_path / "checked" / "ws"]))
    assert fast_model == checked_model
    units = {u["id"]: u for u in fast_model[0]}
    assert units["bd-2"]["status"] == "open" and units["bd-2"]["labels"] == []
    assert units["bd-6"]["extra_order"] == ["notes", "deleted_at", "metadata"]
    assert units["bd-14"]["type"] is None and units["bd-14"]["extra"] == {"type": "bug"}
    assert "bd-7" not in units and "bd-13" not in units
    messages = [(line, message) for _, line, _, message in fast_model[3]]
    assert (7, "beads issue: field 'priority' should be an integer, found a string") in messages
    assert (9, "beads dependency should be an object") in messages
    assert (13, "expected a JSON object, found list") in messages
    assert any(line == 19 and message.startswith("malformed JSON") for line, message in messages)


def test_a_file_whose_lines_all_carry_unknown_fields_is_read_whole(tmp_path: Path) -> None:
    rows = [bead(f"bd-{n}", agent_state="idle", dependencies=[dep(f"bd-{n}", "bd-0")]) for n in range(40)]
    write_jsonl(tmp_path / "ws" / ".beads" / "issues.jsonl", rows)
    fed = load_federation([tmp_path / "ws"])
    ws = fed.workspaces[0]
    assert [u.extra for u in ws.work_units] == [{"agent_state": "idle"}] * 40
    assert len(ws.relationships) == 40


def test_schema_read_agrees_with_the_checked_read() -> None:
    schema = Schema("thing", {"id": req(str), "n": opt(int), "x": opt(float), "flag": opt(bool),
                              "tags": opt(list), "any": opt(dict, list, str, int, float, bool),
                              "name": opt(str, target="title")})
    values = [None, True, False, 0, 3, 2.5, "s", [], ["a"], {}, {"a": 1}]
    for value in values:
        for key in ("id", "n", "x", "flag", "tags", "any", "name", "other"):
            raw = {"id": "a", key: value} if key != "id" else {key: value}
            assert schema.read(raw) == schema._read_checked(raw), raw
    assert schema.read({"n": 1}) == "thing: required field 'id' is missing"


def test_line_type_decodes_only_what_read_accepts_unchanged() -> None:
    line_type = msgspec.json.Decoder(ISSUE.line_type("Line", typed={"labels": list[str]}))
    assert line_type.decode(b'{"id": "a", "title": "t", "issue_type": "bug", "priority": 2}').type == "bug"
    for text in (b'{"id": "a", "title": "t", "type": "bug"}', b'{"id": "a", "title": "t", "priority": 2.0}',
                 b'{"id": "a", "title": "t", "priority": true}', b'{"id": "a", "title": null}',
                 b'{"id": "a", "title": "t", "labels": [1]}', b'{"id": "a", "title": "t", "notes": ""}'):
        try:
            line_type.decode(text)
        except msgspec.ValidationError:
            continue
        raise AssertionError(f"decoded {text!r}")
