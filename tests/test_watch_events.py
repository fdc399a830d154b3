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


class Batches:
    """The batches a FileEvents hands over, and a wait for one naming a path."""

    def __init__(self) -> None:
        self.seen: list[set[str]] = []
        self.errors: list[Exception] = []
        self._changed = threading.Condition()

    def __call__(self, paths: set[str]) -> None:
        with self._changed:
            self.seen.append(paths)
            self._changed.notify_all()

    def named(self, path: Path) -> bool:
        return any(str(path) in batch for batch in self.seen)

    def wait_for(self, path: Path) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.named(path), BOUND), (path, self.seen, self.errors)


def test_git_and_other_skipped_folders_are_not_watched(roots: list[Path]) -> None:  # noqa: F811
    batches = Batches()
    events = FileEvents(roots, batches, batches.errors.append)
    (roots[0] / "node_modules" / "pkg").mkdir(parents=True)
    events.start()
    try:
        assert not any(".git" in folder or "node_modules" in folder for folder in events.folders)
        head = roots[0] / ".git" / "HEAD"
        head.write_text("ref: refs/heads/other\n")
        (roots[0] / ".git" / "objects" / "ab").mkdir()
        (roots[0] / "node_modules" / "pkg" / "index.js").write_text("x")
        barrier = roots[0] / ".beads" / "issues.jsonl"  # written after them: its batch comes after theirs
        with barrier.open("a", encoding="utf-8") as out:
            out.write("{}\n")
        batches.wait_for(barrier)
        assert not any(".git" in path or "node_modules" in path for batch in batches.seen for path in batch)
    finally:
        events.stop()


def test_a_folder_made_in_a_root_is_watched_from_then_on(roots: list[Path]) -> None:  # noqa: F811
    batches = Batches()
    events = FileEvents(roots, batches, batches.errors.append)
    events.start()
    try:
        rig = roots[1] / "newrig"
        (rig / ".beads").mkdir(parents=True)
        batches.wait_for(rig)  # handed on once the new folder is watched
        target = rig / ".beads" / "issues.jsonl"
        target.write_text('{"id": "nr-1"}\n')
        batches.wait_for(target)
        assert str(rig) in events.folders
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
