"""Why the dashboard reads the workspaces again, and what it says after.

Mixed into ``CrossdeckApp`` (as ``tui.live.FollowsRemotes`` is):

- **Ctrl+R** reloads and then says so, with what changed (``core.analysis.reload_changes``):
  ``reloaded 7 workspaces: acme-dev/api-service: +1 audit event``, or ``nothing changed``.
- **Files changed on disk** (``check_files``, every couple of seconds): the reload names the
  workspaces and what changed in them. The dashboard's own actions are not such a change: an
  action's worker calls ``own_writes_begin`` before it writes and ``own_writes_end`` after (a new
  snapshot of the files, taken after its writes), and a check that overlapped an action is
  dropped, so what it wrote is never announced as if someone else had done it.
- **Remote syncs**: a failure names the remote, its workspace and why. A sync asked for with a
  key always answers; the background auto-sync says a remote's failure once (again only when
  the error changes, or after the remote synced), and nothing when all went well. The Remotes
  pane holds the detail (last error, failing since, recent checks).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import work

from core.text import one_line
from tui.messages import FilesChanged, RemotesSynced, SyncFailure
from tui.panes.remotes.describe import row_key
from tui.safe import plural, shorten_path

if TYPE_CHECKING:
    from core.dashboard import DashboardData
    from core.watch import Snapshot

ASKED = ""  # the reason of a reload asked for with Ctrl+R
ERROR_SHOWN = 200  # characters of a sync error in a notification (the Remotes pane has it all)


def reload_note(reason: str, before: DashboardData | None, after: DashboardData) -> str:
    """What to say once a reload for ``reason`` is shown (in the load worker: it counts)."""
    from core.analysis.reload_changes import summary, tallies

    old = tallies(before.federation.workspaces) if before is not None else {}
    new = tallies(after.federation.workspaces)
    head = reason or f"reloaded {plural(len(new), 'workspace')}"
    return f"{head}: {summary(old, new)}"


class Reloads:
    """The app's reloads: asked for, seen on disk, after syncs."""

    data: Any
    roots: list[Any]
    _files: Snapshot | None  # the files as last looked at (after our own last write, if later)
    _writes_lock: threading.Lock
    _writing: int  # actions of ours writing now
    _own_writes: int  # bumped when one starts and when one ends: a check spanning either is dropped
    _told_failures: dict[str, str]  # remote row key -> the sync error said last (background syncs)

    def init_reloads(self) -> None:
        self._files = None
        self._writes_lock = threading.Lock()
        self._writing = 0
        self._own_writes = 0
        self._told_failures = {}

    def _local_roots(self) -> list[str]:
        return [ws.root for ws in self.data.federation.workspaces if not ws.remote_cache] if self.data else []

    # -- Ctrl+R -------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        app: Any = self
        app.load_data(ASKED)

    # -- files changed on disk ----------------------------------------------------------------------
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
        app: Any = self
        names = ", ".join(shorten_path(root, [str(r) for r in self.roots]) for root in message.roots)
        app.load_data(f"{names} changed on disk")

    def own_writes_begin(self) -> None:
        """An action of ours is about to write (on the UI thread, before its worker starts)."""
        with self._writes_lock:
            self._writing += 1
            self._own_writes += 1

    def own_writes_end(self) -> None:
        """The action's writes are done (in its worker thread): look at the files now, so the
        next check compares against what it wrote."""
        from core.watch import Snapshot

        roots = self._local_roots()
        now = Snapshot.take(roots) if roots else None
        with self._writes_lock:
            if now is not None:
                self._files = now
            self._writing -= 1
            self._own_writes += 1

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


def _first_line(error: str) -> str:
    line = next((part for part in error.splitlines() if part.strip()), error).strip()
    return line if len(line) <= ERROR_SHOWN else line[:ERROR_SHOWN - 1] + "…"
