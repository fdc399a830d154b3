"""Live updates: the dashboard follows every HTTP remote of its local workspaces.

``LiveLink.start`` runs in a thread worker after the first load (never on the UI thread): it
hands the HTTP remotes to ``core.sync.live.follow``, which syncs them once, subscribes, and reads
each remote's event stream in a thread of its own, applying every event to the local state (the
remote's snapshot in the store, or our outgoing request's line). Each applied event is posted to
the app as ``LiveEvent``; the app re-reads what it changed (only the remotes' side and the
analyses, ``core.dashboard.refresh_remotes``, when the event changed only a remote's snapshot;
a reload when it wrote our outgoing request's line), coalescing bursts, and then shows a note
for what matters (``core.analysis.live_changes``) once a load that began after the event is shown:
events are numbered, and each load carries the number it began at (``DataLoaded.live_seq``).

Each remote's live state (connecting, connected, reconnecting, off) is kept in ``states``, keyed
like the Remotes pane's rows (``WORKSPACE\\tREMOTE``), as the follower's ``on_state`` callback
reports it. An unreachable remote costs its own thread some retries and ends as ``off``: the UI
thread never waits on it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from core.sync.live_states import CONNECTED, CONNECTING, OFF
from core.text import one_line
from tui.panes.remotes.describe import row_key

if TYPE_CHECKING:
    from textual.app import App

    from core.model import Workspace
    from core.sync.fetch_pool import Target



@dataclass
class LiveEvent(Message):
    """One event from a remote, applied (``core.sync.live.Applied``)."""

    applied: Any


@dataclass
class LiveState(Message):
    """The live state of the remote ``key`` (``WORKSPACE\\tREMOTE``) changed."""

    key: str
    state: str
    error: str | None = None


def key_of(target: Target) -> str:
    return row_key(target.remote.workspace, target.remote.name)


class LiveLink:
    """The app's subscriptions to its HTTP remotes: started once, stopped when the app exits."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.stop = threading.Event()
        self.following: Any = None  # core.sync.live.Following
        self.targets: dict[str, Target] = {}  # in the order of the follower's threads
        self.states: dict[str, str] = {}
        self.errors: dict[str, str] = {}

    def start(self, workspaces: list[Workspace]) -> None:
        """In a worker thread: follow every HTTP remote of the local workspaces."""
        from core.sync.fetch_pool import targets_of
        from core.sync.live import follow

        targets = [t for t in targets_of(workspaces) if t.remote.transport == "http"]
        self.targets = {key_of(t): t for t in targets}
        if not targets or self.stop.is_set():
            return
        for key in self.targets:
            self._post(key, CONNECTING)
        self.following = follow(targets, self._on_event, self.stop, on_error=self._on_error,
                                on_state=lambda target, state: self._post(key_of(target), state))

    def close(self) -> None:
        """Stop the streams (their threads unsubscribe and end on their own)."""
        self.stop.set()

    def _on_event(self, applied: Any) -> None:
        self.app.post_message(LiveEvent(applied))

    def _on_error(self, target: Target, error: str) -> None:
        """A try failed: kept for the Remotes pane's detail (the state comes from ``on_state``)."""
        self.errors[key_of(target)] = error

    def _post(self, key: str, state: str, error: str | None = None) -> None:
        self.app.post_message(LiveState(key, state, error))


class FollowsRemotes:
    """The app's side of live updates, mixed into ``CrossdeckApp``: start following after the
    first load, reload when an event changed something here, then say what it meant."""

    live: LiveLink
    live_updates: bool  # follow HTTP remotes at all (off in tests that do not ask for it)
    data: Any
    _live_notes: list[tuple[int, Any]]  # (seq, event) applied and not yet noted
    _live_seq: int  # how many events have been applied: a load shows the ones applied before it began
    _live_reload_pending: bool  # a reload is asked for and will start after the next refresh
    _live_local: bool  # an event since the last reload changed local files (not only a remote's snapshot)

    def start_live(self) -> None:
        app: Any = self
        if not self.live_updates or self.data is None or self.live.following is not None:
            return
        workspaces = list(self.data.federation.workspaces)
        app.run_worker(lambda: self._follow(workspaces), thread=True, group="live", name="follow remotes",
                       exit_on_error=False)

    def _follow(self, workspaces: list[Workspace]) -> None:
        """In the worker thread: start following (``follow`` syncs each remote first), then
        reload to show what that sync brought: snapshots, states, our requests' status there.
        A stream that connects later reloads too."""
        app: Any = self
        try:
            self.live.start(workspaces)
        except Exception as exc:  # noqa: BLE001 - live updates are extra: say why they are off, go on
            for key in self.live.targets:
                self.live._post(key, OFF, one_line(f"{type(exc).__name__}: {exc}"))
            return
        if self.live.targets and not self.live.stop.is_set():
            try:
                app.call_from_thread(self._live_changed, True)
            except RuntimeError:
                pass  # the app is closing

    def on_live_state(self, message: LiveState) -> None:
        app: Any = self
        before = self.live.states.get(message.key)
        self.live.states[message.key] = message.state
        remotes = app.panes.get("remotes")
        if remotes is not None:
            remotes.show_live(self.live.states)
        if message.state == CONNECTED and before != CONNECTED:
            self._live_changed(local=True)  # the sync before it may have noted our requests' status

    def on_live_event(self, message: LiveEvent) -> None:
        applied = message.applied
        key = row_key(applied.workspace, applied.remote)
        if self.live.states.get(key) != CONNECTED:
            self.on_live_state(LiveState(key, CONNECTED))
        app: Any = self
        if applied.error:
            app.notify(one_line(f"{applied.remote}: {applied.type} not applied here: {applied.error}"),
                       title="live update", severity="warning", markup=False)
        if not applied.applied:
            return
        self._live_seq += 1
        self._live_notes.append((self._live_seq, applied))
        self._live_changed(local=any(what != "snapshot" for what in applied.applied))

    def _live_changed(self, local: bool) -> None:
        """Ask for a reload that will show this event. The reload starts after the next refresh,
        so a burst of events already queued shares one; an event that comes while a reload runs
        asks for another (the newer load replaces the running one in its exclusive group)."""
        app: Any = self
        self._live_local = self._live_local or local
        if not self._live_reload_pending:
            self._live_reload_pending = True
            app.call_after_refresh(self._live_reload)

    def _live_reload(self) -> None:
        """Read again what the events changed: the local files too when one wrote there (our
        outgoing request's line), else only the remotes' side (``core.dashboard.refresh_remotes``)."""
        app: Any = self
        self._live_reload_pending = False
        local, self._live_local = self._live_local, False
        if local or self.data is None:
            app.load_data()
            return
        data, seq = self.data, self._live_seq
        app.run_worker(lambda: self._refresh_remotes(data, seq), thread=True, exclusive=True, group="load",
                       name="refresh remotes", exit_on_error=False)

    def _refresh_remotes(self, data: Any, seq: int) -> None:
        """In the worker thread: the analyses again over the local workspaces already read."""
        from core.dashboard import refresh_remotes
        from tui.messages import DataLoaded, LoadFailed

        app: Any = self
        try:
            fresh = refresh_remotes(data, app.settings, app.clock())
        except Exception as exc:  # noqa: BLE001 - the dashboard must say what failed, not die
            app.post_message(LoadFailed(f"{type(exc).__name__}: {exc}"))
            return
        app.post_message(DataLoaded(fresh, seq))

    def after_live_reload(self, seq: int) -> None:
        """Called when a load is shown: note the events it saw (the first ``seq``; one that came
        later waits for the load it asked for, even when this load finished after it came)."""
        app: Any = self
        notes = [applied for number, applied in self._live_notes if number <= seq]
        self._live_notes = [(number, applied) for number, applied in self._live_notes if number > seq]
        from core.analysis.live_changes import blocker_note, request_note

        shown = set()
        for applied in notes:
            if applied.request_id:
                text = request_note(self.data.approvals, applied.workspace, applied.request_id, applied.remote)
            elif applied.key:
                text = blocker_note(self.data.graph, self.data.federation, applied.key, applied.previous,
                                    applied.status)
            else:
                text = None
            if text is not None and text not in shown:
                shown.add(text)
                app.notify(one_line(text), title=one_line(f"live: {applied.remote}"), markup=False, timeout=8)

    def on_unmount(self) -> None:
        self.live.close()
