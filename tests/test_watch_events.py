"""Live reload by the OS's file events (core.watch.FileEvents), and what a batch of events changes
in a snapshot (Snapshot.looked_again): the same as a new walk would say."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from core.watch import FileEvents, Snapshot, changed_workspaces
from tests.test_watch import roots  # noqa: F401 - the fixture

BOUND = 60.0  # seconds: a busy CI machine delivers an event in far less


def test_an_appended_line_is_an_event_naming_the_file(roots: list[Path]) -> None:  # noqa: F811
    batches: list[set[str]] = []
    arrived = threading.Event()

    def changed(paths: set[str]) -> None:
        batches.append(paths)
        arrived.set()

    events = FileEvents(roots, changed, lambda exc: batches.append({f"error: {exc}"}))
    events.start()
    try:
        target = roots[1] / "gateway" / ".beads" / "issues.jsonl"
        with target.open("a", encoding="utf-8") as out:
            out.write('{"id": "gw-9zz", "title": "new"}\n')
        assert arrived.wait(BOUND)
        assert str(target) in set().union(*batches)
    finally:
        events.stop()


def test_looking_again_at_the_named_paths_is_a_new_walk(roots: list[Path], tmp_path: Path) -> None:  # noqa: F811
    before = Snapshot.take(roots)
    edited = roots[1] / "gateway" / ".beads" / "issues.jsonl"
    with edited.open("a", encoding="utf-8") as out:
        out.write("{}\n")
    gone = roots[2] / ".feed.jsonl"
    gone.unlink()
    made = roots[4] / ".sudocode" / "federation" / "new"
    made.mkdir()
    (made / "x.jsonl").write_text("{}\n")
    removed = roots[0] / ".beads"
    shutil.rmtree(removed)
    (roots[3] / ".git" / "index").write_bytes(b"DIRC")
    (tmp_path / "towns" / "stray.txt").write_text("not in any workspace")
    named = [str(edited), str(gone), str(made), str(removed), str(roots[3] / ".git" / "index"),
             str(tmp_path / "towns" / "stray.txt")]
    after = before.looked_again(named)
    assert after.files == Snapshot.take(roots).files
    assert changed_workspaces(before, after, roots) == {str(roots[i]) for i in (0, 1, 2, 4)}


def test_a_path_whose_stamp_did_not_move_changes_nothing(roots: list[Path]) -> None:  # noqa: F811
    snap = Snapshot.take(roots)
    again = snap.looked_again([os.path.join(roots[1], "gateway", ".beads", "issues.jsonl")])
    assert changed_workspaces(snap, again, roots) == set()
