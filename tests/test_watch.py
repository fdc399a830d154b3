"""Live reload's core: which workspace roots hold a file that changed between two looks."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from core.watch import Snapshot, changed_paths, changed_workspaces
from tests.conftest import PROJECT


@pytest.fixture
def roots(tmp_path: Path) -> list[Path]:
    shutil.copytree(PROJECT / "sample_workspaces" / "towns", tmp_path / "towns")
    shutil.copytree(PROJECT / "sample_workspaces" / "sudocode", tmp_path / "sudocode")
    found = [tmp_path / "towns" / name for name in ("acme-storefront", "globex-payments", "kestrel")]
    found += [tmp_path / "sudocode" / name for name in ("api-service", "frontend")]
    for root in found:
        (root / ".git" / "objects").mkdir(parents=True)
        (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return found


def _bump(path: Path) -> None:
    """Change a file's modification time only (same size, same content)."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def test_snapshot_lists_every_file_but_git(roots: list[Path]) -> None:
    snap = Snapshot.take(roots)
    assert len(snap) > 30
    assert str(roots[0] / ".beads" / "issues.jsonl") in snap.files
    assert not any(f"{os.sep}.git{os.sep}" in path for path in snap.files)
    assert changed_workspaces(snap, Snapshot.take(roots), roots) == set()


def test_a_touched_file_reports_only_its_workspace(roots: list[Path]) -> None:
    before = Snapshot.take(roots)
    _bump(roots[1] / "gateway" / ".beads" / "issues.jsonl")
    assert changed_workspaces(before, Snapshot.take(roots), roots) == {str(roots[1])}


def test_a_rewritten_file_of_the_same_size_counts(roots: list[Path]) -> None:
    target = roots[3] / ".sudocode" / "issues.jsonl"
    before = Snapshot.take(roots)
    time.sleep(0.01)
    target.write_bytes(target.read_bytes().replace(b'"open"', b'"done"', 1))
    assert changed_workspaces(before, Snapshot.take(roots), [str(r) for r in roots]) == {str(roots[3])}


def test_added_and_deleted_files_count(roots: list[Path]) -> None:
    before = Snapshot.take(roots)
    (roots[2] / ".feed.jsonl").unlink()
    (roots[4] / ".sudocode" / "federation" / "new").mkdir()
    (roots[4] / ".sudocode" / "federation" / "new" / "x.jsonl").write_text("{}\n")
    after = Snapshot.take(roots)
    assert changed_workspaces(before, after, roots) == {str(roots[2]), str(roots[4])}
    assert changed_paths(before, after) == {str(roots[2] / ".feed.jsonl"),
                                            str(roots[4] / ".sudocode" / "federation" / "new" / "x.jsonl")}


def test_git_changes_are_ignored(roots: list[Path]) -> None:
    before = Snapshot.take(roots)
    (roots[0] / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    (roots[0] / ".git" / "objects" / "ab").mkdir()
    (roots[0] / ".git" / "index").write_bytes(b"DIRC")
    (roots[0] / "node_modules").mkdir()
    (roots[0] / "node_modules" / "pkg.json").write_text("{}")
    assert changed_workspaces(before, Snapshot.take(roots), roots) == set()


def test_a_vanished_workspace_counts_and_outsiders_do_not(roots: list[Path], tmp_path: Path) -> None:
    before = Snapshot.take(roots)
    shutil.rmtree(roots[2])
    (tmp_path / "towns" / "stray.txt").write_text("not in any workspace")
    after = Snapshot.take(roots)
    assert changed_workspaces(before, after, roots) == {str(roots[2])}
    assert changed_workspaces(after, Snapshot.take(roots), roots) == set()


def test_a_file_belongs_to_the_innermost_root(tmp_path: Path) -> None:
    outer, inner = tmp_path / "fed", tmp_path / "fed" / "ws"
    (inner / ".beads").mkdir(parents=True)
    (outer / "top.json").write_text("{}")
    (inner / ".beads" / "issues.jsonl").write_text("")
    before = Snapshot.take([outer, inner])
    assert len(before) == 2  # each file once, though both roots hold it
    (inner / ".beads" / "issues.jsonl").write_text("{}\n")
    assert changed_workspaces(before, Snapshot.take([outer, inner]), [outer, inner]) == {str(inner)}


def test_links_to_folders_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.jsonl").write_text("")
    try:
        (root / "loop").symlink_to(root, target_is_directory=True)
        (root / "alias.jsonl").symlink_to(root / "data" / "a.jsonl")
    except OSError:
        pytest.skip("symbolic links are not available here")
    before = Snapshot.take([root])
    assert set(before.files) == {str(root / "data" / "a.jsonl"), str(root / "alias.jsonl")}
    (root / "data" / "a.jsonl").write_text("{}\n")
    assert changed_paths(before, Snapshot.take([root])) == {str(root / "data" / "a.jsonl"), str(root / "alias.jsonl")}


def test_a_missing_root_is_empty(tmp_path: Path) -> None:
    snap = Snapshot.take([tmp_path / "nowhere"])
    assert len(snap) == 0
    assert changed_workspaces(snap, snap, [tmp_path / "nowhere"]) == set()
