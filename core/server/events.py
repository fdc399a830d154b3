"""Events of the served workspace: what changed between two reads of it, and the hub that hands
them to subscribers (docs/http-api.md, ``GET events``).

``diff`` compares the work units and requests of the workspace before and after a change on disk
(whoever made it: the server itself, ``crossdeck approve``, the dashboard, an editor) and names
each change as an event: ``item.created`` / ``item.updated`` (with ``previous``: the old values of
the fields that changed) / ``item.removed``, ``request.created`` / ``request.updated``. An item
carries its relationships, as a query's ``include`` gives them. Where a record sits in its file
(``source``, ``line``) is not a change.

``EventHub.publish`` numbers events with increasing ids and keeps the last 1000 for replay
(``Last-Event-ID``); each open stream listens on its own asyncio queue, bounded by the ring (a
stream a whole ring behind is ended; its client resumes from the ring). ``Watcher`` polls the
workspace's files (``core.watch.Snapshot``) and re-reads the workspace when they change; the server calls
``rescan`` at once after its own mutate or decision.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from core.model import Workspace
from core.server.served import Served
from core.server.wire import items_json, request_json
from core.store import iso
from core.timeutil import now
from core.watch import Snapshot, changed_paths

KEPT = 1000
Event = dict[str, Any]


class Wire(NamedTuple):
    """A workspace as the API writes it: its items (with relationships) by key, its requests by id."""

    items: dict[str, dict[str, Any]]
    requests: dict[str, dict[str, Any]]


def wire_of(ws: Workspace | None) -> Wire:
    if ws is None:
        return Wire({}, {})
    return Wire(items_json(ws), {r.request_id: request_json(r) for r in ws.requests})


def diff(before: Workspace | None, after: Workspace, at: str | None = None) -> list[Event]:
    """The events that turn ``before`` into ``after`` (items first, then requests, each in key order)."""
    return wire_diff(wire_of(before), wire_of(after), after.name, at)


def wire_diff(before: Wire, after: Wire, workspace: str, at: str | None = None) -> list[Event]:
    """``diff`` on the workspaces' wire forms (the watcher keeps the last one: not built twice)."""
    at = at or iso(now())
    events: list[Event] = []
    for kind, key, old, new in _changes(before.items, after.items):
        item = new if new is not None else old
        event: Event = {"type": f"item.{kind}", "workspace": workspace, "key": key, "id": item.get("id"),
                        "entity": item.get("kind"), "status": item.get("status"), "item": item, "at": at}
        if kind == "updated":
            event["previous"] = {f: old.get(f) for f in sorted(set(old) | set(new)) if old.get(f) != new.get(f)}
        events.append(event)
    for kind, ident, old, new in _changes(before.requests, after.requests):
        if kind == "removed":
            continue  # a request log only grows: a vanished request is a rewritten file, not an event
        event = {"type": f"request.{kind}", "workspace": workspace, "request_id": ident, "entity": "request",
                 "from_repo": new.get("from_repo"), "to_repo": new.get("to_repo"), "status": new.get("status"),
                 "result": new.get("result"), "request": new, "at": at}
        if kind == "updated":
            event["previous"] = {f: old.get(f) for f in ("status", "result") if old.get(f) != new.get(f)}
        events.append(event)
    return events


def _changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
             ) -> Iterable[tuple[str, str, Any, Any]]:
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before is None:
            yield "created", key, None, after
        elif after is None:
            yield "removed", key, before, None
        elif before != after:
            yield "updated", key, before, after


class EventHub:
    """Numbered events, the last ``kept`` of them for replay, and the queues of open streams."""

    def __init__(self, kept: int = KEPT, first: int = 1):
        self._events: collections.deque[Event] = collections.deque(maxlen=kept)
        self._kept = kept
        self._next = first
        self._lock = threading.Lock()
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event | None]]] = set()

    def publish(self, events: Iterable[Event]) -> list[Event]:
        numbered = []
        with self._lock:
            for event in events:
                numbered.append({"event_id": self._next, **event})
                self._next += 1
            self._events.extend(numbered)
            listeners = list(self._listeners)
        for loop, queue in listeners:
            for event in numbered:
                loop.call_soon_threadsafe(_offer, queue, event)
        return numbered

    def since(self, last_id: int) -> list[Event]:
        with self._lock:
            return [e for e in self._events if e["event_id"] > last_id]

    def listen(self) -> tuple[asyncio.Queue[Event | None], Callable[[], None]]:
        """A queue that receives every event published from now on (None: the hub closes), and
        the function that stops it."""
        entry = (asyncio.get_running_loop(), asyncio.Queue[Event | None](maxsize=self._kept))
        with self._lock:
            self._listeners.add(entry)
        return entry[1], lambda: self._listeners.discard(entry)

    def nudge(self) -> None:
        """Wake every open stream without an event (a subscription ended: its stream looks)."""
        self._send({"event_id": 0})

    def close(self) -> None:
        """End every open stream (the server is shutting down)."""
        self._send(None)

    def _send(self, item: Event | None) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for loop, queue in listeners:
            try:
                loop.call_soon_threadsafe(_offer, queue, item)
            except RuntimeError:
                pass  # its loop is closed already


def _offer(queue: asyncio.Queue[Event | None], item: Event | None) -> None:
    """Queue ``item`` for one stream. A stream that has fallen a whole ring behind (its client
    stopped reading) is ended instead of growing without bound: its client reconnects with
    ``Last-Event-ID`` and the ring replays what it missed."""
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)


class Watcher:
    """Re-reads the served workspace when its files change and publishes the difference."""

    def __init__(self, served: Served, hub: EventHub, poll_seconds: float = 0.5):
        self.served = served
        self.hub = hub
        self.poll_seconds = poll_seconds
        self._snapshot = Snapshot.take([served.root])
        self._scan_lock = threading.Lock()
        self._wire: tuple[Workspace, Wire] | None = None  # the last workspace read and its wire form

    def rescan(self) -> list[Event]:
        """Look now: when a file changed, re-read the workspace and publish what changed."""
        with self._scan_lock:
            snapshot = Snapshot.take([self.served.root])
            if not changed_paths(self._snapshot, snapshot):
                return []
            self._snapshot = snapshot
            before, after = self.served.reload()
            old = self._wire if self._wire is not None and self._wire[0] is before else (before, wire_of(before))
            self._wire = (after, wire_of(after))
            return self.hub.publish(wire_diff(old[1], self._wire[1], after.name))

    async def run(self) -> None:
        """Look every ``poll_seconds`` (the server calls ``rescan`` itself after its own writes)."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            await asyncio.to_thread(self.rescan)
