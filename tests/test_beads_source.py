from __future__ import annotations

import json
from pathlib import Path

from core.federation import load_federation
from core.model import to_raw
from tests.conftest import bead, dep, write_jsonl


def test_standalone_export_keeps_unknown_fields(tmp_path: Path) -> None:
    root = tmp_path / "tracker"
    write_jsonl(root / ".beads" / "issues.jsonl", [
        bead("bd-1", labels=["a", "b"], assignee="joe", notes="kept", agent_state="idle",
             dependencies=[dep("bd-1", "bd-2")]),
        bead("bd-2", status="closed", closed_at="2026-11-02T00:00:00Z", close_reason="done"),
    ])
    fed = load_federation([root])
    assert not fed.diagnostics
    ws = fed.workspaces[0]
    one = ws.work_units[0]
    assert one.key == "beads://local/tracker/bd-1"
    assert one.labels == ["a", "b"] and one.type == "task" and one.assignee == "joe"
    assert one.extra == {"notes": "kept", "agent_state": "idle"}
    raw = to_raw(one)
    assert raw["notes"] == "kept" and raw["agent_state"] == "idle"
    assert ws.work_units[1].is_done and ws.work_units[1].close_reason == "done"
    assert [(r.from_key, r.to_key) for r in ws.relationships] == [
        ("beads://local/tracker/bd-1", "beads://local/tracker/bd-2")]


def test_backup_form_is_joined_back(tmp_path: Path) -> None:
    backup = tmp_path / "ws" / ".beads" / "backup"
    write_jsonl(backup / "issues.jsonl", [
        {**bead("gt-1"), "metadata": json.dumps({"delegated_from": {"parent": "hop://acme.dev/hq/pl-1",
                                                                     "deadline": "2026-12-01"}}),
         "pinned": 0, "assignee": None},
        {**bead("gt-2"), "metadata": "{}", "pinned": 1},
    ])
    write_jsonl(backup / "dependencies.jsonl", [dep("gt-2", "gt-1"), dep("gt-2", "gt-wisp-9", "parent-child")])
    write_jsonl(backup / "labels.jsonl", [{"issue_id": "gt-1", "label": "x"}, {"issue_id": "gt-1", "label": "y"},
                                          {"issue_id": "gt-404", "label": "z"}])
    write_jsonl(backup / "comments.jsonl", [{"id": 1, "issue_id": "gt-2", "author": "mayor", "text": "hi",
                                             "created_at": "2026-11-01T00:00:00Z"}])
    write_jsonl(backup / "events.jsonl", [{"id": 1, "issue_id": "gt-1", "event_type": "status_changed",
                                           "actor": "mayor", "old_value": "open", "new_value": "closed",
                                           "comment": None, "created_at": "2026-11-01T00:00:00Z"}])
    fed = load_federation([tmp_path / "ws"])
    assert not fed.errors
    assert sorted((Path(d.path).name, d.line) for d in fed.warnings) == [("dependencies.jsonl", 2), ("labels.jsonl", 3)]
    ws = fed.workspaces[0]
    units = {u.id: u for u in ws.work_units}
    assert units["gt-1"].labels == ["x", "y"]
    assert units["gt-2"].comments[0]["text"] == "hi"
    assert units["gt-2"].extra["pinned"] == 1
    assert [(d.parent_key, d.child_key, d.terms) for d in ws.delegations] == [
        ("hop://acme.dev/hq/pl-1", "beads://local/ws/gt-1", {"deadline": "2026-12-01"})]
    event = ws.audit[0]
    assert (event.actor, event.type, event.subject) == ("mayor", "status_changed", "beads://local/ws/gt-1")
    assert event.payload["new_value"] == "closed"
