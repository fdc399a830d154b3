"""Live reload, the core part: which loaded workspaces changed on disk since the last look.

``Snapshot.take(roots)`` records the size and modification time (nanoseconds) of every file below
each workspace root, with one ``os.scandir`` walk (no file is opened or read). Comparing two
snapshots with ``changed_workspaces`` names the roots that hold a file that was changed, added
or removed.

How the dashboard learns that something moved: ``FileEvents`` follows the operating system's
file events below the roots (``watchfiles``: inotify on Linux, FSEvents on macOS,
ReadDirectoryChangesW on Windows), and each batch of paths it reports is looked at again
(``Snapshot.looked_again``: only those paths, no walk), so a path whose size and time did not
move (an event for a write the dashboard made itself, already in its snapshot) changes nothing.
Where the events cannot start (the inotify watch limit reached), the dashboard polls instead: a
whole ``Snapshot.take`` every couple of seconds.

Skipped: ``.git`` (a commit, fetch or ``git status`` touches it without changing a workspace) and
the folders discovery never reads (``node_modules``, virtual environments, caches). Folders
reached through a symbolic link are not followed (a link loop cannot trap the walk); a linked
file is followed, so editing its target counts (by a walk; an event names only the target, which
counts too when it lies in the workspace, the only place a workspace is read from).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SKIPPED_FOLDERS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"})

FileStamp = tuple[int, int]  # (mtime_ns, size)


def _key(root: str | Path) -> str:
    return os.path.normpath(os.path.abspath(os.fspath(root)))


def root_keys(roots: Iterable[str | Path]) -> tuple[str, ...]:
    """The roots as snapshots and file events hold them: absolute, normalised, each once."""
    return tuple(dict.fromkeys(_key(root) for root in roots))


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
        keys = root_keys(roots)
        files: dict[str, FileStamp] = {}
        for root in keys:
            if os.path.isdir(root):
                _scan(root, files)
        return cls(keys, files)

    def __len__(self) -> int:
        return len(self.files)

    def looked_again(self, paths: Iterable[str]) -> Snapshot:
        """This snapshot with ``paths`` (what file events named) looked at again, and nothing
        else: a file's stamp, every file below a folder, a path that is gone dropped with every
        file below it. A path under no root, or in a skipped folder, is left out, as a walk
        leaves it out."""
        files = dict(self.files)
        innermost_first = sorted(self.roots, key=len, reverse=True)
        for given in paths:
            path = _key(given)
            root = next((r for r in innermost_first if path == r or path.startswith(r + os.sep)), None)
            if root is None or not SKIPPED_FOLDERS.isdisjoint(path[len(root):].split(os.sep)):
                continue
            try:
                info = os.stat(path)
            except OSError:  # gone (or a dangling link): as if absent, with whatever was below it
                if files.pop(path, None) is None:
                    _forget_below(files, path)
                continue
            if not os.path.isdir(path):
                files[path] = (info.st_mtime_ns, info.st_size)
            elif not os.path.islink(path):  # a folder (made, moved in): what is below it now
                _forget_below(files, path)
                _scan(path, files)
        return Snapshot(self.roots, files)


def _forget_below(files: dict[str, FileStamp], folder: str) -> None:
    prefix = folder + os.sep
    for path in [p for p in files if p.startswith(prefix)]:
        del files[path]


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


class FileEvents:
    """The operating system's file events below ``roots`` (``watchfiles``, whose Rust ``notify``
    backend uses inotify on Linux), on threads of their own. ``start`` returns once the roots are
    watched, or raises (``OSError``, ``RuntimeError``) when they cannot be (the inotify watch
    limit reached). Then each batch of changed paths goes to ``on_change`` (a batch ends when no
    event came for ``STEP_MS``, or after ``DEBOUNCE_MS``); a failure later (the kernel's event
    queue overflowed) goes to ``on_error`` once and ends the watch. Both are called on a watch
    thread.

    What is watched is what a walk reads: each root's own entries, and every folder below it
    but the skipped ones. notify watches a folder with all its subfolders, with no way to leave
    some out, so each root is watched alone and each of its folders but ``.git``,
    ``node_modules`` and the like with everything below it (a git repository's ``.git`` alone
    holds a few hundred folders: watched, 200 workspaces would take tens of thousands of the
    user's inotify watches). A folder made in a root later is watched from when its event comes,
    before the batch naming it is handed on (which looks into it)."""

    STEP_MS = 20  # how often a thread looks for events (a batch ends after one quiet step)
    DEBOUNCE_MS = 300  # the longest a burst of events (a git checkout) is gathered into one batch

    def __init__(self, roots: Iterable[str | Path], on_change: Callable[[set[str]], None],
                 on_error: Callable[[Exception], None]) -> None:
        self.roots = root_keys(roots)
        self.on_change = on_change
        self.on_error = on_error
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._below: frozenset[str] = frozenset()  # the folders watched with all below them
        self._below_stop = threading.Event()  # ends the watch of those (when they are watched anew)
        self._polling = False

    def start(self) -> None:
        try:  # watchfiles' own choice: polling where events do not work (WSL's Windows drives) or when asked
            from watchfiles.main import _default_force_polling

            self._polling = _default_force_polling(None)
        except ImportError:
            self._polling = bool(os.environ.get("WATCHFILES_FORCE_POLLING"))
        top = self._notify([root for root in self.roots if os.path.isdir(root)], recursive=False)
        self._watch_below()
        self._spawn(top, self._stop, self._top_changed)

    def stop(self) -> None:
        self._stop.set()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads) and not self._stop.is_set()

    @property
    def folders(self) -> frozenset[str]:
        """The folders watched with everything below them."""
        return self._below

    def _notify(self, paths: list[str], recursive: bool) -> Any:
        from watchfiles._rust_notify import RustNotify  # the backend watchfiles.watch drives (documented)

        return RustNotify(paths, False, self._polling, 300, recursive, True)

    def _watch_below(self) -> bool:
        """Watch every folder of the roots but the skipped ones, each with all below it, when
        they are not those watched already (a new watch first, then the old one ends: no gap)."""
        below = frozenset(entry.path for root in self.roots for entry in _folders(root))
        if below == self._below:
            return False
        stop = threading.Event()
        if below:
            self._spawn(self._notify(sorted(below), recursive=True), _Either(self._stop, stop), self.on_change)
        self._below_stop.set()
        self._below, self._below_stop = below, stop
        return True

    def _top_changed(self, paths: set[str]) -> None:
        """A root's own entries changed: a folder made, removed or renamed there is watched (or
        no longer) before the batch is handed on."""
        if any(os.path.dirname(path) in self.roots and os.path.basename(path) not in SKIPPED_FOLDERS
               and (path in self._below or os.path.isdir(path)) for path in paths):
            self._watch_below()
        self.on_change(paths)

    def _spawn(self, notify: Any, stop: Any, deliver: Callable[[set[str]], None]) -> None:
        thread = threading.Thread(target=self._run, args=(notify, stop, deliver), name="crossdeck-file-events",
                                  daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, notify: Any, stop: Any, deliver: Callable[[set[str]], None]) -> None:
        try:
            while not stop.is_set():
                changes = notify.watch(self.DEBOUNCE_MS, self.STEP_MS, 0, stop)
                if isinstance(changes, set) and changes:
                    deliver({path for _, path in changes})
        except Exception as exc:  # noqa: BLE001 - the caller falls back to polling and says why
            if not self._stop.is_set():
                self._stop.set()
                self.on_error(exc)
        finally:
            notify.close()


class _Either:
    """Set when either event is (what RustNotify.watch asks of its stop event: ``is_set``)."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)


def _folders(root: str) -> list[os.DirEntry[str]]:
    """The folders directly in ``root`` that a walk goes into (not skipped, not links)."""
    try:
        with os.scandir(root) as entries:
            return [entry for entry in entries
                    if entry.name not in SKIPPED_FOLDERS and entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []
