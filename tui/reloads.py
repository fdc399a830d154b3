"""Why the dashboard reads the workspaces again, and what it says after.

Mixed into ``CrossdeckApp`` (as ``tui.live.FollowsRemotes`` is):

- **Ctrl+R** reloads and then says so, with what changed (``core.analysis.reload_changes``):
  ``reloaded 7 workspaces: acme-dev/api-service: +1 audit event``, or ``nothing changed``.
- **Files changed on disk**: the reload names the workspaces and what changed in them. The
  operating system's file events say when (``core.watch.FileEvents``, started after the first
  load and again when the set of workspaces changes): each batch of paths they name is looked at
  again (``_paths_changed``), and only a path whose size or time moved counts. Where the events
  cannot start, the dashboard says so once and polls instead (``check_files``, a walk of every
  workspace every ``watch_seconds``). The dashboard's own actions are not such a change: an
  action's worker calls ``own_writes_begin`` before it writes and ``own_writes_end`` after (a new
  snapshot of the files, taken after its writes), and a look that overlapped an action is
  dropped, so what it wrote is never announced as if someone else had done it (an event for it
  that comes late finds its stamp already in the snapshot).
- **Remote syncs**: a failure names the remote, its workspace and why. A sync asked for with a
  key always answers; the background auto-sync says a remote's failure once (again only when
  the error changes, or after the remote synced), and nothing when all went well. The Remotes
  pane holds the detail (last error, failing since, recent checks).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from core.text import one_line
from tui.messages import DataLoaded, FilesChanged, LoadFailed, RemotesSynced, SyncFailure
from tui.panes.remotes.describe import row_key
from tui.safe import plural, shorten_path

if TYPE_CHECKING:
    from core.dashboard import DashboardData, Reread
    from core.watch import FileEvents, Snapshot

ASKED = ""  # the reason of a reload asked for with Ctrl+R
ERROR_SHOWN = 200  # characters of a sync error in a notification (the Remotes pane has it all)
WATCH_SECONDS = 2.0  # how often files are looked at where the OS's file events are not available


def reload_note(reason: str, before: DashboardData | None, after: DashboardData,
                only: Collection[str] | None = None) -> str:
    """What to say once a reload for ``reason`` is shown (it counts: in the load worker). With
    ``only`` (the roots of the workspaces read again), only those are counted: the others are
    the records already shown."""
    from core.analysis.reload_changes import summary, tallies

    def counted(data: DashboardData) -> list[Any]:
        workspaces = data.federation.workspaces
        return workspaces if only is None else [ws for ws in workspaces if ws.root in only]

    old = tallies(counted(before)) if before is not None else {}
    new = tallies(counted(after))
    head = reason or f"reloaded {plural(len(new), 'workspace')}"
    return f"{head}: {summary(old, new)}"


@dataclass
class WorkspacesReread(Message):
    """Changed workspaces read again (``core.dashboard.reread``), to be shown."""

    reread: Reread
    live_seq: int
    reason: str | None  # why, to say with what changed; None: an action of ours (its notice says it)


class Reloads:
    """The app's reloads: asked for, seen on disk, after syncs."""

    data: Any
    roots: list[Any]
    _files: Snapshot | None  # the files as last looked at (after our own last write, if later)
    _writes_lock: threading.Lock
    _writing: int  # actions of ours writing now
    _own_writes: int  # bumped when one starts and when one ends: a check spanning either is dropped
    _told_failures: dict[str, str]  # remote row key -> the sync error said last (background syncs)
    _changed: dict[str, None]  # roots changed on disk, not yet read again (in the order seen)
    _rereading: bool  # a reread of changed workspaces is under way (the next waits for it)
    _action_before: tuple[Snapshot | None, Any]  # the files and the store's stamp when an action began
    _action_wrote: list[str] | None  # the roots the last action wrote in (None: not known)
    _events: FileEvents | None  # the OS's file events below the local workspaces, once started
    _polling: bool  # the events could not start or failed: check_files runs every watch_seconds
    watch_seconds: float = WATCH_SECONDS
    file_events: Any = None  # how to follow files (core.watch.FileEvents when None); tests put a failing one

    def init_reloads(self) -> None:
        self._files = None
        self._writes_lock = threading.Lock()
        self._writing = 0
        self._own_writes = 0
        self._told_failures = {}
        self._events = None
        self._polling = False
        self._changed = {}
        self._rereading = False
        self._action_before = (None, None)
        self._action_wrote = None

    def _local_roots(self) -> list[str]:
        return [ws.root for ws in self.data.federation.workspaces if not ws.remote_cache] if self.data else []

    # -- Ctrl+R -------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        app: Any = self
        app.load_data(ASKED)

    # -- files changed on disk ----------------------------------------------------------------------
    def follow_files(self) -> None:
        """After a load: follow the local workspaces' files by the OS's events, unless they are
        followed already (the same workspaces) or the dashboard polls."""
        app: Any = self
        if not app.watch_files or self._polling or self.data is None:
            return
        roots = self._local_roots()
        from core.watch import root_keys

        if self._events is not None and self._events.running and self._events.roots == root_keys(roots):
            return
        self._start_events(roots)

    @work(thread=True, exclusive=True, group="file events", name="start file events")
    def _start_events(self, roots: list[str]) -> None:
        from core.watch import FileEvents, Snapshot

        if self._events is not None:
            self._events.stop()
            self._events = None
        if not roots:
            return
        events = (self.file_events or FileEvents)(roots, self._paths_changed, self._events_failed)
        try:
            events.start()  # watched from here on: the snapshot below misses no change
        except Exception as exc:  # noqa: BLE001 - the inotify watch limit reached: poll instead
            self._events_failed(exc)
            return
        self._events = events
        with self._writes_lock:
            generation = self._own_writes
        now = Snapshot.take(roots)
        with self._writes_lock:
            if generation == self._own_writes and not self._writing:
                self._files = now

    def _paths_changed(self, paths: set[str]) -> None:
        """In the file events' thread: look at ``paths`` again; post the workspaces whose files
        moved (not those an action of ours wrote: their stamps are in the snapshot already)."""
        from core.watch import changed_workspaces

        with self._writes_lock:
            before = self._files
            if self._writing or before is None:
                return  # our own action is writing: its end takes the snapshot
            now = before.looked_again(paths)
            self._files = now
        changed = changed_workspaces(before, now, self._local_roots())
        if changed:
            app: Any = self
            app.post_message(FilesChanged(sorted(changed)))

    def _events_failed(self, exc: Exception) -> None:
        app: Any = self
        if threading.current_thread() is threading.main_thread():
            self._poll_instead(exc)
        else:
            app.call_from_thread(self._poll_instead, exc)

    def _poll_instead(self, exc: Exception) -> None:
        """File events are not available: say so once, and look at every file every
        ``watch_seconds`` instead."""
        app: Any = self
        if self._polling:
            return
        self._polling = True
        self._events = None
        app.set_interval(self.watch_seconds, self.check_files, name="live reload")
        app.notify(f"{one_line(str(exc)) or type(exc).__name__}: looking at every file every "
                   f"{self.watch_seconds:g} s instead", title="file events unavailable", severity="warning",
                   markup=False, timeout=10)
        self.check_files()

    def on_unmount(self) -> None:
        if self._events is not None:
            self._events.stop()

    @work(thread=True, exclusive=True, group="watch", name="check files")
    def check_files(self) -> None:
        """Live reload: when a file of a loaded workspace changed (not by an action of ours),
        reload (panes keep their selection)."""
        from core.watch import Snapshot, changed_workspaces

        if self.data is None:
            return
        with self._writes_lock:
            if self._writing:
                return  # our own action is writing: its end takes the snapshot
            generation = self._own_writes
        roots = self._local_roots()
        now = Snapshot.take(roots)
        with self._writes_lock:
            if generation != self._own_writes:
                return  # an action of ours wrote meanwhile: what this saw may be its writes
            before, self._files = self._files, now
        if before is not None and before.roots == now.roots:
            changed = changed_workspaces(before, now, roots)
            if changed:
                app: Any = self
                app.post_message(FilesChanged(sorted(changed)))

    def on_files_changed(self, message: FilesChanged) -> None:
        self._changed.update(dict.fromkeys(message.roots))
        if not self._rereading:
            self._reread_changed()

    def _reread_changed(self) -> None:
        """Read the workspaces changed on disk again (all that changed meanwhile, at once)."""
        app: Any = self
        roots, self._changed = list(self._changed), {}
        if not roots:
            return
        names = ", ".join(shorten_path(root, [str(r) for r in self.roots]) for root in roots)
        self._rereading = True
        self._reread(roots, f"{names} changed on disk", app._live_seq)

    @work(thread=True, group="reread", name="reread changed workspaces")
    def _reread(self, roots: list[str], reason: str | None, live_seq: int) -> None:
        """Only the changed workspaces, the others as loaded (``core.dashboard.reread``); a full
        load where that cannot say what changed."""
        from core.dashboard import reread
        from core.dolt.reuse import reusing

        app: Any = self
        data = self.data
        try:
            with reusing(app.dolt_reads):
                found = reread(data, roots, app.settings, app.clock()) if data is not None else None
        except Exception as exc:  # noqa: BLE001 - the dashboard must say what failed, not die
            app.post_message(LoadFailed(f"{type(exc).__name__}: {exc}"))
            app.call_from_thread(self._reread_done)
            return
        if found is None:
            app.call_from_thread(self._reread_in_full, reason)
        else:
            app.post_message(WorkspacesReread(found, live_seq, reason))

    def _reread_in_full(self, reason: str | None) -> None:
        app: Any = self
        app.load_data(reason)
        self._reread_done()

    def _reread_done(self) -> None:
        self._rereading = False
        if self._changed:
            self._reread_changed()

    def on_workspaces_reread(self, message: WorkspacesReread) -> None:
        """Show the workspaces read again: the graph is updated here, on the UI thread that
        reads it, and only if nothing else was shown since they were read."""
        app: Any = self
        before = self.data
        try:
            if message.reread.base is not before:
                app.load_data(message.reason)
                return
            try:
                data = message.reread.apply()
            except Exception:  # noqa: BLE001 - the graph may be half updated: read everything again
                app.load_data(message.reason)
                return
            note = None if message.reason is None else reload_note(message.reason, before, data,
                                                                    only=message.reread.roots)
            app.on_data_loaded(DataLoaded(data, message.live_seq, note))
        finally:
            self._reread_done()

    def own_writes_begin(self) -> None:
        """An action of ours is about to write (on the UI thread, before its worker starts)."""
        with self._writes_lock:
            self._writing += 1
            self._own_writes += 1
            self._action_before = (self._files, _store_stamp())

    def own_writes_end(self) -> None:
        """The action's writes are done (in its worker thread): look at the files now, so the
        next check compares against what it wrote, and note the workspaces it wrote in (None:
        not known, or the store changed too: a full load then)."""
        from core.watch import Snapshot, changed_workspaces

        roots = self._local_roots()
        now = Snapshot.take(roots) if roots else None
        with self._writes_lock:
            files, store = self._action_before
            if now is not None:
                self._files = now
            self._writing -= 1
            self._own_writes += 1
            known = now is not None and files is not None and files.roots == now.roots and store == _store_stamp()
            self._action_wrote = sorted(changed_workspaces(files, now, roots)) if known else None  # type: ignore[arg-type]

    def reload_after_action(self) -> None:
        """After an action of ours (tui/acting.py): read again the workspaces it wrote in, or
        everything when that is not known (the files were not looked at before it, it changed
        the store, another reread is under way)."""
        app: Any = self
        roots, self._action_wrote = self._action_wrote, None
        if roots is None or self._rereading or self.data is None:
            app.load_data()
        elif roots:
            self._rereading = True
            self._reread(roots, None, app._live_seq)

    # -- remote syncs -------------------------------------------------------------------------------
    @work(thread=True, group="sync", name="sync remotes")
    def sync_remotes(self, name: str | None = None, due_only: bool = False) -> None:
        """Sync git remotes through core (bounded, retried, circuit-broken), then reload so every
        pane shows what the store and the caches now say. ``due_only``: the auto-sync timer."""
        from core.store import remote_states
        from core.sync.fetch_pool import auto_sync_due, contact_all, targets_of

        if self.data is None:
            return
        app: Any = self
        workspaces = self.data.federation.workspaces
        targets = (auto_sync_due(workspaces, remote_states(), app.clock()) if due_only
                   else targets_of(workspaces, name))
        if not targets:
            return
        outcomes = contact_all("sync", targets, now=app.clock)
        failures = [SyncFailure(row_key(o.workspace, o.name), o.name, o.workspace, o.error or "failed")
                    for o in outcomes if o.result == "failed"]
        synced = [row_key(o.workspace, o.name) for o in outcomes if o.result == "ok"]
        app.post_message(RemotesSynced(len(outcomes), failures, synced, background=due_only))

    def on_remotes_synced(self, message: RemotesSynced) -> None:
        app: Any = self
        told = self._told_failures
        for key in message.synced:
            told.pop(key, None)
        fresh = [f for f in message.failures if not message.background or told.get(f.key) != f.error]
        for failure in message.failures:
            told[failure.key] = failure.error
        if fresh:
            lines = [f"{f.remote} (remote of {f.workspace}): {_first_line(f.error)}" for f in fresh]
            title = f"sync failed: {plural(len(fresh), 'remote')}" + (" (auto-sync)" if message.background else "")
            app.notify(one_line("; ".join(lines)) + " · the Remotes pane (6) has the detail", title=title,
                       severity="warning", markup=False, timeout=10)
        elif not message.background and not message.failures:
            app.notify(f"synced {plural(message.count, 'remote')}", markup=False)
        app.load_data()


def _store_stamp() -> tuple[tuple[int, int] | None, ...]:
    """The store's files' (mtime_ns, size): an action that changed them changed more than files."""
    from core.store import db_path

    path = db_path()
    stamps: list[tuple[int, int] | None] = []
    for name in (path, path.with_name(path.name + "-wal")):
        try:
            info = os.stat(name)
        except OSError:
            stamps.append(None)
        else:
            stamps.append((info.st_mtime_ns, info.st_size))
    return tuple(stamps)


def _first_line(error: str) -> str:
    line = next((part for part in error.splitlines() if part.strip()), error).strip()
    return line if len(line) <= ERROR_SHOWN else line[:ERROR_SHOWN - 1] + "…"
