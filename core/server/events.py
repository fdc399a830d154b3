"""Events of the served workspace: what changed between two reads of it, and the hub that hands
them to subscribers (docs/http-api.md, ``GET events``).

``diff`` compares the work units and requests of the workspace before and after a change on disk
(whoever made it: the server itself, ``crossdeck approve``, the dashboard, an editor) and names
each change as an event: ``item.created`` / ``item.updated`` (with ``previous``: the old values of
the fields that changed) / ``item.removed``, ``request.created`` / ``request.updated``. An item
carries its relationships, as a query's ``include`` gives them. Where a record sits in its file
(``source``, ``line``) is not a change.

``EventHub.publish`` numbers events with increasing ids, encodes each as its SSE frame once, and
keeps the last 1000 (at most 16 MiB of frames) for replay (``Last-Event-ID``), each as its frame
and the few fields that say who may see it; each open stream has a ``Listener``: the events it
may see, bounded in bytes (a stream over its bound is ended; its client resumes from the ring). ``Watcher`` polls the
workspace's files (``core.watch.Snapshot``) and re-reads the workspace when they change (only its
request and audit logs when nothing else changed: ``Served.reload``); the server calls ``rescan``
at once after its own decisions and changes, and ``took`` after a mutate that left its request
pending (the request as written goes into the workspace held in memory and out as its event,
with no re-read; the watcher's next look finds nothing new in it).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import msgspec

from core.model import Request, Workspace
from core.server.served import Served
from core.server.wire import items_json, request_json
from core.store import iso
from core.timeutil import now
from core.watch import Snapshot, changed_paths

KEPT = 1000
log = logging.getLogger("crossdeck.server")
KEPT_BYTES = 16 * 1024 * 1024  # of frames held for replay: events of huge items are kept fewer
# What the hub keeps of an event beside its frame: what deciding who may see it needs
# (core/server/stream.py, ``visible``). The items and requests themselves travel in the frame.
HEAD = ("event_id", "type", "workspace", "entity", "id", "key", "request_id", "from_repo", "to_repo", "task", "status")
# ... and these of its item (of its request's payload), for a subscription's watch filters
WATCHED = ("labels", "priority", "uuid")
Event = dict[str, Any]


class Wire(NamedTuple):
    """A workspace as the API writes it: its items (with relationships) by key, its requests by id."""

    items: dict[str, dict[str, Any]]
    requests: dict[str, dict[str, Any]]


def wire_of(ws: Workspace | None, last: tuple[Workspace, Wire] | None = None) -> Wire:
    """``ws``'s wire form; its items' taken from ``last`` (a workspace and its wire) when ``ws``
    holds the very same items and relationships (only its logs were read again)."""
    if ws is None:
        return Wire({}, {})
    requests = {r.request_id: request_json(r) for r in ws.requests}
    if last is not None and ws.work_units is last[0].work_units and ws.relationships is last[0].relationships:
        return Wire(last[1].items, requests)
    return Wire(items_json(ws), requests)


def diff(before: Workspace | None, after: Workspace, at: str | None = None) -> list[Event]:
    """The events that turn ``before`` into ``after`` (items first, then requests, each in key order)."""
    return wire_diff(wire_of(before), wire_of(after), after.name, at)


def wire_diff(before: Wire, after: Wire, workspace: str, at: str | None = None) -> list[Event]:
    """``diff`` on the workspaces' wire forms (the watcher keeps the last one: not built twice)."""
    at = at or iso(now())
    events: list[Event] = []
    for kind, key, old, new in _changes(before.items, after.items) if before.items is not after.items else ():
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


class Listener:
    """One open stream's inbox: the events (with their frames) it was handed and has not sent
    yet, at most ``limit`` bytes of frames. Past the limit (its client stopped reading) it is
    emptied and ``overflowed`` is set: the stream closes, its client resumes with
    ``Last-Event-ID``. Used on its stream's event loop only."""

    def __init__(self, loop: asyncio.AbstractEventLoop, accept: Callable[[Event], bool], limit: int):
        self.loop = loop
        self.accept = accept
        self.limit = limit
        self.held = 0  # bytes of frames waiting
        self.closed = False
        self.overflowed = asyncio.Event()
        self._items: collections.deque[tuple[Event, bytes] | None] = collections.deque()
        self._wake = asyncio.Event()

    def offer(self, item: tuple[Event, bytes] | None) -> None:
        if self.closed:
            return
        if item is None:  # the hub closes: the stream ends
            self.closed = True
        elif item[0].get("event_id") == 0:  # a nudge: the stream looks whether it should end
            pass
        elif not self.accept(item[0]):
            return
        else:
            self.held += len(item[1])
            if self.held > self.limit:
                self._items.clear()
                self.held = 0
                self.closed = True
                self.overflowed.set()
                self._wake.set()
                return
        self._items.append(item)
        self._wake.set()

    async def get(self, timeout: float) -> tuple[Event, bytes] | None | bool:
        """The next item: an (event, frame), None when the stream should end, False after
        ``timeout`` seconds of nothing."""
        while not self._items:
            if self.overflowed.is_set():
                return None
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return False
        item = self._items.popleft()
        if item is not None:
            self.held -= len(item[1])
        return item


class EventHub:
    """Numbered events, the last ``kept`` of them (at most ``kept_bytes`` of frames) for replay,
    and the listeners of open streams. Each event's SSE frame is encoded once, when it is
    published (in the publisher's thread), and shared by every stream that sends it."""

    def __init__(self, kept: int = KEPT, first: int = 1, kept_bytes: int = KEPT_BYTES):
        self._events: collections.deque[tuple[Event, bytes]] = collections.deque()
        self._kept = kept
        self._kept_bytes = kept_bytes
        self._bytes = 0
        self._next = first
        self._lock = threading.Lock()
        self._listeners: set[Listener] = set()

    def publish(self, events: Iterable[Event]) -> list[Event]:
        bodies = [(event, _data(event)) for event in events]  # the slow part, outside the lock
        numbered = []
        with self._lock:  # numbered, kept and handed over in one piece: every stream sees ids in order
            items = []
            for event, data in bodies:
                event = {"event_id": self._next, **event}
                self._next += 1
                items.append((_kept(event), _head(event) + data))
                numbered.append(event)
            self._events.extend(items)
            self._bytes += sum(len(item[1]) for item in items)
            _hand(self._listeners, items)
            while self._events and (len(self._events) > self._kept or self._bytes > self._kept_bytes):
                self._bytes -= len(self._events.popleft()[1])
        return numbered

    def since(self, last_id: int) -> list[tuple[Event, bytes]]:
        """The events held after ``last_id``, each with its frame."""
        with self._lock:
            return [item for item in self._events if item[0]["event_id"] > last_id]

    def listen(self, accept: Callable[[Event], bool] = lambda event: True, limit: int = 1 << 62
               ) -> tuple[Listener, Callable[[], None]]:
        """A listener that receives every event ``accept`` takes, published from now on (and
        None when the hub closes), and the function that stops it."""
        listener = Listener(asyncio.get_running_loop(), accept, limit)
        with self._lock:
            self._listeners.add(listener)

        def stop() -> None:
            with self._lock:
                self._listeners.discard(listener)

        return listener, stop

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def nudge(self) -> None:
        """Wake every open stream without an event (a subscription ended: its stream looks)."""
        self._send(({"event_id": 0}, b""))

    def close(self) -> None:
        """End every open stream (the server is shutting down)."""
        self._send(None)

    def _send(self, item: tuple[Event, bytes] | None) -> None:
        with self._lock:
            _hand(self._listeners, [item])


def _hand(listeners: Iterable[Listener], items: Sequence[tuple[Event, bytes] | None]) -> None:
    """Offer ``items`` to every listener, on its loop: one wake-up per loop, not per listener."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Listener]] = {}
    for listener in listeners:
        by_loop.setdefault(listener.loop, []).append(listener)
    for loop, group in by_loop.items():
        try:
            loop.call_soon_threadsafe(_offer_all, group, items)
        except RuntimeError:
            pass  # its loop is closed already


def _offer_all(listeners: list[Listener], items: Sequence[tuple[Event, bytes] | None]) -> None:
    for listener in listeners:
        for item in items:
            try:
                listener.offer(item)
            except Exception:
                log.exception("an event stream could not take event %s", item[0].get("event_id") if item else None)


def _kept(event: Event) -> Event:
    """What the hub keeps of ``event`` beside its frame (``HEAD``, and the ``WATCHED`` fields)."""
    kept = {k: event[k] for k in HEAD if k in event}
    record = event.get("item") or (event.get("request") or {}).get("payload")
    if isinstance(record, dict):
        kept.update((k, record[k]) for k in WATCHED if k in record)
    return kept


def frame(event: Event) -> bytes:
    """The event as one server-sent event: ``id``, ``event``, ``data`` (the event without its id)."""
    return _head(event) + _data(event)


def _head(event: Event) -> bytes:
    return f"id: {event['event_id']}\nevent: {event['type']}\n".encode()


def _data(event: Event) -> bytes:
    return b"data: " + msgspec.json.encode({k: v for k, v in event.items() if k != "event_id"}) + b"\n\n"


class Watcher:
    """Re-reads the served workspace when its files change and publishes the difference."""

    def __init__(self, served: Served, hub: EventHub, poll_seconds: float = 0.5):
        self.served = served
        self.hub = hub
        self.poll_seconds = poll_seconds
        self._snapshot = Snapshot.take([served.root])
        self._scan_lock = threading.Lock()
        self._held_lock = threading.Lock()  # the workspace held, its wire form and the events published
        self._wire: tuple[Workspace, Wire] | None = None  # the last workspace read and its wire form

    def rescan(self) -> list[Event]:
        """Look now: when a file changed, re-read the workspace and publish what changed. The
        reading holds up no ``took``: what it puts in meanwhile is put into what was read."""
        with self._scan_lock:  # one look at a time
            snapshot = Snapshot.take([self.served.root])
            changed = changed_paths(self._snapshot, snapshot)
            if not changed:
                return []
            self._snapshot = snapshot
            fresh = self.served.read(changed)
            with self._held_lock:
                before, after = self.served.install(fresh)
                old = self._held(before)
                self._wire = (after, wire_of(after, old))
                return self.hub.publish(wire_diff(old[1], self._wire[1], after.name))

    def took(self, request: Request) -> list[Event]:
        """Put ``request``, just written and left pending by this server, into the workspace
        held in memory (``Served.took``) and publish its event: no re-read."""
        with self._held_lock:
            before, after = self.served.took(request)
            if after is before:
                return []
            old = self._held(before)
            ident = request.request_id
            requests = dict(old[1].requests)
            requests[ident] = request_json(request)
            self._wire = (after, Wire(old[1].items, requests))
            was = {ident: old[1].requests[ident]} if ident in old[1].requests else {}
            return self.hub.publish(wire_diff(Wire({}, was), Wire({}, {ident: requests[ident]}), after.name))

    def _held(self, ws: Workspace) -> tuple[Workspace, Wire]:
        """``ws`` with its wire form (kept from the last change when it is that one's)."""
        return self._wire if self._wire is not None and self._wire[0] is ws else (ws, wire_of(ws, self._wire))

    async def run(self) -> None:
        """Look every ``poll_seconds`` (the server calls ``rescan`` itself after its own writes)."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            await asyncio.to_thread(self.rescan)
