"""Watching each town's Dolt server while the dashboard is open.

After the first load a thread of its own checks every Dolt server the loaded towns read from
(``core.dolt.servers``: connect, then each database's change token) every ``dolt_watch_seconds``,
and records each check in the state store like any remote's, so the Remotes pane shows its
state, latency and history. While a server does not answer it is checked less and less often
(the wait doubles up to ``DOLT_BACKOFF_MAX`` seconds) and again every few seconds once it does.

What a check finds is compared with what is shown: a database whose token differs from the one
its records were read at, a database shown from its backup whose server answers again, or one
read live whose server stopped answering, asks for a reload. The reload reads again only the
databases whose token changed (``core.dolt.reuse``: the app keeps what each database last read),
and the panes keep their selection as on any reload. A check that changes nothing refreshes the
Remotes pane and the Overview's remote health only (``core.dashboard.with_reachability``).
The UI thread never waits on a server.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from core.dolt.reuse import ServerReads

if TYPE_CHECKING:
    from core.dashboard import DashboardData
    from core.model import Remote

DOLT_WATCH_SECONDS = 3.0
DOLT_BACKOFF_MAX = 60.0


@dataclass
class DoltChanged(Message):
    """A check found databases that differ from what is shown (``why``): reload."""

    why: str
    base: Any  # the Federation the check compared with


@dataclass
class ReachabilityRead(Message):
    """The Remotes side read again after checks that changed nothing shown."""

    data: Any
    base: Any  # the Federation it was read for


def differences(remote: Remote, data: DashboardData, seen: Any) -> list[str]:
    """What differs between the databases of ``remote`` as shown and as the check ``seen`` them
    (None: the server did not answer); each in words, empty when nothing does."""
    server = remote.url.removeprefix("dolt://")
    out = []
    for ws in data.federation.workspaces:
        if ws.name != remote.workspace:
            continue
        for source in ws.sources:
            if source.server != server or source.database is None:
                continue
            live = source.read_from == "server"
            if seen is None:
                if live:
                    out.append(f"{source.database} unreachable")
            elif source.database in seen.tokens:
                if not live and source.problem and "server reads are off" not in source.problem:
                    out.append(f"{source.database} reachable again")
                elif live and seen.tokens[source.database] != source.token:
                    out.append(f"{source.database} changed")
    return out


class WatchesDolt:
    """The app's side, mixed into ``CrossdeckApp``: ``dolt_reads`` for its loads, the watch
    thread started after the first load, and what to do with what it finds."""

    dolt_watch_seconds: float = DOLT_WATCH_SECONDS
    watch_dolt: bool | None = None  # None: as the app watches files
    data: Any
    settings: Any
    _dolt_reads: ServerReads | None = None
    _dolt_stop: threading.Event | None = None
    _dolt_waiting_on: Any = None  # the federation a reload was asked against (not asked twice)

    @property
    def dolt_reads(self) -> ServerReads:
        if self._dolt_reads is None:
            self._dolt_reads = ServerReads()
        return self._dolt_reads

    def start_dolt_watch(self) -> None:
        app: Any = self
        watching = app.watch_files if self.watch_dolt is None else self.watch_dolt
        if not watching or self._dolt_stop is not None:
            return
        self._dolt_stop = threading.Event()
        threading.Thread(target=self._dolt_loop, args=(self._dolt_stop,), name="crossdeck-dolt-watch",
                         daemon=True).start()

    def stop_dolt_watch(self) -> None:
        if self._dolt_stop is not None:
            self._dolt_stop.set()

    def _dolt_loop(self, stop: threading.Event) -> None:
        """In the watch thread: check each server when it is due, until the app stops."""
        from core.dolt.servers import local_server_remotes

        due: dict[str, float] = {}
        failures: dict[str, int] = {}
        while not stop.is_set():
            data = self.data
            remotes = local_server_remotes(data.federation.workspaces) if data is not None else []
            moment = time.monotonic()
            checked = False
            for remote in remotes:
                key = f"{remote.workspace}\t{remote.name}"
                if due.get(key, 0.0) > moment or stop.is_set():
                    continue
                seen = self._check(remote)
                checked = True
                failures[key] = 0 if seen is not None else failures.get(key, 0) + 1
                wait = self.dolt_watch_seconds * (2 ** min(failures[key], 16))
                due[key] = time.monotonic() + (self.dolt_watch_seconds if seen is not None
                                               else min(wait, DOLT_BACKOFF_MAX))
                changed = differences(remote, data, seen)
                if changed and self._dolt_waiting_on is not data.federation:
                    self._dolt_waiting_on = data.federation
                    self._post(DoltChanged(f"{remote.name}: {', '.join(changed)}", data.federation))
            if checked and data is not None and self._dolt_waiting_on is not data.federation:
                self._refresh(data)
            next_due = min(due.values(), default=moment + self.dolt_watch_seconds)
            stop.wait(max(0.05, min(next_due - time.monotonic(), self.dolt_watch_seconds)))

    def _check(self, remote: Remote) -> Any:
        """One check, recorded in the store; what it saw, or None when the server did not answer."""
        from core import store
        from core.dolt.servers import check_server
        from core.sync.retry import ContactFailure

        app: Any = self
        try:
            contact = check_server(remote)
        except ContactFailure as exc:
            self._store(store.record_check, remote, ok=False, error=str(exc), at=app.clock())
            return None
        self._store(store.record_sync, remote, ok=True, latency_ms=round(contact.latency_ms, 1), at=app.clock())
        return contact.seen

    @staticmethod
    def _store(record: Any, remote: Remote, **values: Any) -> None:
        from core.store import StoreError

        try:
            record(remote, **values)
        except StoreError:
            pass  # the store is derived: a check it could not keep is still acted on

    def _refresh(self, data: DashboardData) -> None:
        from core.dashboard import with_reachability

        app: Any = self
        try:
            fresh = with_reachability(data, app.settings, app.clock())
        except Exception:  # noqa: BLE001 - the next check tries again
            return
        self._post(ReachabilityRead(fresh, data.federation))

    def _post(self, message: Message) -> None:
        app: Any = self
        try:
            app.post_message(message)
        except RuntimeError:
            pass  # the app is closing

    def on_dolt_changed(self, message: DoltChanged) -> None:
        app: Any = self
        if self.data is None or message.base is not self.data.federation:
            return  # a newer load already shows it
        app.notify(f"reloading: Dolt server {message.why}", timeout=3, markup=False)
        app.load_data()

    def on_reachability_read(self, message: ReachabilityRead) -> None:
        app: Any = self
        if self.data is None or message.base is not self.data.federation:
            return  # a reload came in between: it read the states too
        from textual.css.query import NoMatches

        self.data = message.data
        for pane_id in ("remotes", "overview"):
            pane = app.panes.get(pane_id)
            if pane is not None and pane.is_mounted:
                try:
                    pane.show(message.data)
                except NoMatches:
                    pass  # the app is closing: its widgets are going

    def on_unmount(self) -> None:
        self.stop_dolt_watch()
