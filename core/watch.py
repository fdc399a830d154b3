"""Live reload, the core part: which loaded workspaces changed on disk since the last look.

``Snapshot.take(roots)`` records the size and modification time (nanoseconds) of every file below
each workspace root, with one ``os.scandir`` walk (no file is opened or read). Comparing two
snapshots with ``changed_workspaces`` names the roots that hold a file that was changed, added
or removed. The dashboard polls it from a worker every couple of seconds and reloads what moved.

Skipped: ``.git`` (a commit, fetch or ``git status`` touches it without changing a workspace) and
the folders discovery never reads (``node_modules``, virtual environments, caches). Folders
reached through a symbolic link are not followed (a link loop cannot trap the walk); a linked
file is followed, so editing its target counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SKIPPED_FOLDERS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"})

FileStamp = tuple[int, int]  # (mtime_ns, size)


def _key(root: str | Path) -> str:
    return os.path.normpath(os.path.abspath(os.fspath(root)))


def _scan(folder: str, files: dict[str, FileStamp]) -> None:
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIPPED_FOLDERS:
                            _scan(entry.path, files)
                        continue
                    if entry.is_symlink() and entry.is_dir():
                        continue  # a link to a folder: not followed
                    info = entry.stat()
                except OSError:
                    continue  # gone between listing and stat, or a dangling link: as if absent
                files[entry.path] = (info.st_mtime_ns, info.st_size)
    except OSError:
        pass  # a folder that vanished or cannot be listed holds nothing we can see


@dataclass(frozen=True)
class Snapshot:
    """Every file below the roots, by path, with its (mtime_ns, size)."""

    roots: tuple[str, ...] = ()
    files: dict[str, FileStamp] = field(default_factory=dict)

    @classmethod
    def take(cls, roots: Iterable[str | Path]) -> Snapshot:
        keys = tuple(dict.fromkeys(_key(root) for root in roots))
        files: dict[str, FileStamp] = {}
        for root in keys:
            if os.path.isdir(root):
                _scan(root, files)
        return cls(keys, files)

    def __len__(self) -> int:
        return len(self.files)


def changed_paths(old: Snapshot, new: Snapshot) -> set[str]:
    """Files changed (size or time), added or removed between two snapshots."""
    if old.files == new.files:
        return set()
    return {path for path, _ in old.files.items() ^ new.files.items()}


def changed_workspaces(old: Snapshot, new: Snapshot, workspace_roots: Iterable[str | Path]) -> set[str]:
    """The workspace roots (as given) holding a changed, added or removed file. A file belongs to
    the innermost root above it; a file under no root counts for none."""
    paths = changed_paths(old, new)
    if not paths:
        return set()
    given = {_key(root): os.fspath(root) for root in workspace_roots}
    changed: set[str] = set()
    for path in paths:
        folder = os.path.dirname(path)
        while True:
            if folder in given:
                changed.add(given[folder])
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    return changed
