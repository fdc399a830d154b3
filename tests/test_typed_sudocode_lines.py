"""sudocode items take the exact fast path (files.iter_typed with ``exact``) only when a line is
byte for byte what its struct encodes to; whatever they take, the records, ``extra`` in its key
order and the messages are the ones the checked path gives. Each case is loaded twice: as written,
and with an unknown field added (which sends every line down the checked path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.federation import load_federation
from core.sources import sudocode
from tests.conftest import write_json
from tests.test_typed_lines import _model


def issue(ident: str, **fields: Any) -> dict[str, Any]:
    """An issue line as sudocode writes it: every key, in its order."""
    row = {"id": ident, "uuid": f"uuid-{ident}", "title": f"work {ident}", "content": "text", "status": "open",
           "priority": 2, "assignee": None, "archived": 0, "archived_at": None, "created_at": "2026-11-01 10:00:00",
           "updated_at": "2026-11-01T10:00:00.000Z", "closed_at": None, "parent_id": None, "parent_uuid": None,
           "relationships": [], "tags": []}
    row.update(fields)
    return row


def spec(ident: str, **fields: Any) -> dict[str, Any]:
    row = {"id": ident, "uuid": f"uuid-{ident}", "title": f"spec {ident}", "file_path": f"specs/{ident}.md",
           "content": "text", "priority": 1, "archived": 0, "archived_at": None, "created_at": "2026-11-01 10:00:00",
           "updated_at": "2026-11-01 10:00:00", "parent_id": None, "parent_uuid": None, "relationships": [],
           "tags": ["x"]}
    row.update(fields)
    return row


def rel(source: str, target: str, kind: str = "blocks", **fields: Any) -> dict[str, Any]:
    return {"from": source, "from_type": "issue", "to": target, "to_type": "issue", "type": kind, **fields}


ISSUES: list[Any] = [
    issue("i-1", assignee="ann", tags=["a", "b"], relationships=[rel("i-1", "i-2"), rel("i-1", "acme/api#i-9")],
          feedback=[{"spec_id": "s-1", "type": "comment", "content": "ok"}]),
    issue("i-2", status=None, priority=None, tags=None, relationships=None),  # nulls: the record's defaults
    issue("i-3", content="see [[acme/api#i-7]] and [[acme/web#i-8]]"),
    issue("i-13", uuid=None, feedback=None),
    {"title": "first", **issue("i-4")},  # keys in another order: extra in that order
    issue("i-5", title="caf\u00e9"),
    issue("i-6", archived_by="joe"),  # an unknown field the fast path does not keep
    issue("i-7", relationships=[rel("i-7", "i-1", note="kept")]),
    issue("i-8", relationships=[{"from": "i-8", "type": "blocks"}, "i-1"]),
    issue("i-9", tags=["ok", 3]),
    issue("i-10", priority=2.0),
    issue("i-11", relationships={"from": "i-11"}),
    {k: v for k, v in issue("i-12").items() if k != "id"},
    [1, 2],
]
SPECS: list[Any] = [spec("s-1"), spec("s-2", relationships=[rel("s-2", "i-1", "implements", from_type="spec")]),
                    spec("s-3", status="open")]


def _write(root: Path, marker: bool, spaced: frozenset[int] = frozenset()) -> None:
    folder = root / ".sudocode"
    write_json(folder / "config.json", {"id_prefix": {"issue": "i", "spec": "s"}})
    for name, lines in (("issues.jsonl", ISSUES), ("specs.jsonl", SPECS)):
        out = []
        for n, line in enumerate(lines):
            if isinstance(line, dict) and marker:
                line = {**line, "zz_marker": 1}
            separators = (", ", ": ") if n in spaced else (",", ":")
            out.append(json.dumps(line, ensure_ascii=n == 5, separators=separators))  # i-5: escaped
        out.append('{"id": "i-99", "title": "truncated')
        (folder / name).write_text("\n".join(out) + "\n")


def _typed_count(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = sudocode.ItemsLoad._typed_unit

    def typed_unit(self, line, *args):  # type: ignore[no-untyped-def]
        seen.append(line.id)
        return original(self, line, *args)

    monkeypatch.setattr(sudocode.ItemsLoad, "_typed_unit", typed_unit)
    return seen


def test_fast_and_checked_paths_load_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "checked" / "repo", marker=True)
    _write(tmp_path / "fast" / "repo", marker=False)
    checked = _model(load_federation([tmp_path / "checked" / "repo"]))
    typed = _typed_count(monkeypatch)
    fast = _model(load_federation([tmp_path / "fast" / "repo"]))
    assert typed == ["i-1", "i-2", "i-3", "i-13", "s-1", "s-2"]  # the lines exactly as sudocode writes them
    assert fast == checked
    units = {u["id"]: u for u in fast[0]}
    assert units["i-1"]["extra_order"] == ["uuid", "archived", "archived_at", "parent_uuid", "feedback"]
    assert units["i-4"]["extra_order"] == ["uuid", "archived", "archived_at", "parent_uuid"]
    assert units["i-2"]["status"] == "open" and units["i-2"]["labels"] == [] and units["i-2"]["priority"] is None
    assert units["i-13"]["extra"] == {"uuid": None, "archived": 0, "archived_at": None, "parent_uuid": None,
                                      "feedback": None}
    # sudocode writes no status on a spec: None; one a spec line states is its status (not dropped)
    assert units["s-1"]["status"] is None and units["s-2"]["status"] is None
    assert units["s-3"]["status"] == "open" and units["s-3"]["extra_order"][0] == "uuid"
    assert "status" not in units["s-3"]["extra"]
    assert [r["extra"] for r in fast[1] if r["from_ref"] == "i-1"] == [{"from_type": "issue", "to_type": "issue"}] * 2
    assert [r["to_ref"] for r in fast[1] if r["from_ref"] == "i-3"] == ["acme/api#i-7", "acme/web#i-8"]
    messages = [(name, line, message) for name, line, _, message in fast[3]]
    assert ("issues.jsonl", 9, "sudocode relationship: required field 'to' is missing") in messages
    assert ("issues.jsonl", 10, "sudocode issue: field 'tags' should be a list of strings") in messages
    assert ("issues.jsonl", 14, "expected a JSON object, found list") in messages


def test_lines_written_another_way_take_the_checked_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "compact" / "repo", marker=False)
    _write(tmp_path / "spaced" / "repo", marker=False, spaced=frozenset({0, 1}))
    compact = _model(load_federation([tmp_path / "compact" / "repo"]))
    typed = _typed_count(monkeypatch)
    assert _model(load_federation([tmp_path / "spaced" / "repo"])) == compact
    assert "i-1" not in typed and "i-2" not in typed and "i-3" in typed
