"""Live updates from HTTP remotes: subscribe, read each remote's event stream in a worker thread,
and apply every event to the local state, so ``blockers``, the graph and the dashboard see it.

``follow(targets, on_event, stop)`` syncs the HTTP targets once, in the caller's thread
(``fetch_pool.contact_all``: the snapshots exist and pending requests are followed; call it from a
worker in a UI), then runs one thread per target, which subscribes to it (``POST subscribe``,
every event type; a remote that cannot be reached is tried again with backoff, ``on_error`` told
each time, ``on_state`` told connecting / connected / reconnecting / off) and reads
``HttpRemote.events`` (reconnecting with ``Last-Event-ID``; after a drop, or when the first sync
failed, the remote is synced again once its stream is open, so what the server's bounded replay
cannot give back is not missed). Each event goes through ``apply_event`` and then to ``on_event`` (called in
that remote's thread: a UI posts a message from it); ``Following.wait_subscribed`` waits until
every stream is subscribed (or failed). Setting ``stop`` (or ``Following.close()``)
ends the streams at once, unsubscribes (``DELETE subscribe/{id}``) and joins the threads.

``apply_event(target, client, event)``:

- ``item.created`` / ``item.updated``: the event's item, which carries its relationships,
  replaces its old copy in the remote's snapshot (``store.change_snapshot``, one transaction; a
  new digest). An event without them (an older server) makes the item be fetched again (``query``
  by id), or, when our permissions there do not allow querying by id, the whole snapshot
  (``http_sync.fetch``);
- ``item.removed``: the item leaves the snapshot;
- ``request.created`` / ``request.updated``: when it is one of our outgoing requests, the remote's
  record of it is noted as a new snapshot of ours (``outgoing_http.record_remote``);
- ``server.error``: the remote could not re-read its workspace and answers from its last good
  copy; nothing to apply, its message is the line's title.

A stream the server cuts off (its client fell too far behind: docs/http-api.md, "Limits") is a
dropped stream like any other: ``HttpRemote.events`` reconnects with ``Last-Event-ID``.

Nothing here prints; ``crossdeck watch`` (core/commands/watch.py) and the dashboard show it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from core import store, timeutil
from core.store import Snapshot, iso
from core.sync.fetch_pool import Target, contact_all
from core.sync.http_remote import RECONNECT, Event, HttpFailure, HttpRemote, connect
from core.sync.http_sync import READ_TIMEOUT, digest_of, fetch
from core.sync.live_states import CONNECTED, CONNECTING, OFF, RECONNECTING
from core.sync.retry import RetryPolicy
from core.text import one_line

EVENT_TYPES = ("item.created", "item.updated", "item.removed", "request.created", "request.updated")
JOIN_TIMEOUT = 5.0


class Applied(msgspec.Struct, kw_only=True):
    """One event from a remote, and what applying it changed here."""

    workspace: str  # the local workspace whose remote sent it
    remote: str
    event_id: str | None
    type: str  # item.updated, request.updated, ...
    key: str | None = None  # the item's key (item events)
    request_id: str | None = None  # the request's id (request events)
    title: str | None = None
    status: str | None = None
    previous: dict[str, Any] = {}  # the old values of the fields that changed
    at: str | None = None
    applied: list[str] = []  # what changed here: "snapshot", "request"
    error: str | None = None  # the event could not be applied (the stream goes on)


def apply_event(target: Target, client: HttpRemote, event: Event) -> Applied:
    """Apply one event of ``target``'s stream to the local state."""
    data = event.data
    kind = str(data.get("type") or event.event)
    applied = Applied(workspace=target.remote.workspace, remote=target.remote.name, event_id=event.id, type=kind,
                      key=_text(data.get("key")), request_id=_text(data.get("request_id")),
                      status=_text(data.get("status")), at=_text(data.get("at")),
                      previous=data.get("previous") if isinstance(data.get("previous"), dict) else {})
    try:
        if kind.startswith("item.") and applied.key:
            item = data.get("item") if isinstance(data.get("item"), dict) else {}
            applied.title = _text(item.get("title"))
            if kind == "item.removed":
                changed = _change_item(target, applied.key, None)
            else:
                # The event carries the item with its relationships (docs/http-api.md); an older
                # server's event does not: then ask for the item.
                fresh = item if item.get("key") == applied.key and isinstance(item.get("relationships"), list) \
                    else _refetched(client, applied.key, str(data.get("entity") or "work_unit"))
                changed = _change_item(target, applied.key, fresh) if fresh is not None else _resync(target, client)
            if changed:
                applied.applied.append("snapshot")
        elif kind == "server.error":  # the remote serves its last good copy for now: say so
            applied.title = _text(data.get("message"))
        elif kind.startswith("request.") and applied.request_id:
            record = data.get("request") if isinstance(data.get("request"), dict) else {}
            applied.title = _text((record.get("payload") or {}).get("title")) if isinstance(record, dict) else None
            if _note_request(target, applied.request_id, record):
                applied.applied.append("request")
    except (HttpFailure, store.StoreError, OSError) as exc:
        applied.error = one_line(str(exc))
    return applied


def _refetched(client: HttpRemote, key: str, entity: str) -> dict[str, Any] | None:
    """The item as the remote now holds it, with its relationships; None when it cannot be asked
    for by id (our permissions there may not allow the ``ids`` filter) or is not found."""
    try:
        page = client.query(entity, {"ids": [key]}, include=["relationships"], limit=1)
    except HttpFailure:
        return None
    items = [i for i in page.get("items") or () if isinstance(i, dict) and i.get("key") == key]
    return items[0] if items else None


def _resync(target: Target, client: HttpRemote) -> bool:
    """Fetch the whole snapshot again (when the item alone cannot be asked for); whether it changed."""
    before = store.http_snapshots().get((target.remote.workspace, target.remote.name))
    contact = fetch(target.remote, client.base, READ_TIMEOUT)
    return before is None or contact.commit != before.digest


def _change_item(target: Target, key: str, item: dict[str, Any] | None) -> bool:
    """Put ``item`` (None: remove it) into the target's snapshot; whether it changed."""
    def change(snapshot: Snapshot) -> Snapshot | None:
        doc = msgspec.json.decode(snapshot.body)
        items = {str(i.get("key")): i for i in doc.get("items") or () if isinstance(i, dict)}
        if item is None and key not in items:
            return None
        if item is not None:
            kept = items.get(key, {}).get("relationships")
            items[key] = item if "relationships" in item or kept is None else {**item, "relationships": kept}
        else:
            del items[key]
        ordered = [items[k] for k in sorted(items)]
        digest = digest_of(ordered)
        if digest == snapshot.digest:
            return None
        body = msgspec.json.encode({**doc, "items": ordered})
        return msgspec.structs.replace(snapshot, fetched_at=iso(timeutil.now()), digest=digest, body=body)

    return store.change_snapshot(target.remote.workspace, target.remote.name, change) is not None


def _note_request(target: Target, request_id: str, there: dict[str, Any]) -> bool:
    from core.sync.outgoing_http import record_remote
    from core.sync.records import record_logs, reread_requests

    ws = target.ws
    if ws is None or not there:
        return False
    fresh = reread_requests(ws, record_logs(ws).requests)
    mine = next((r for r in fresh.requests if r.request_id == request_id and r.direction == "outgoing"), None)
    if mine is None:
        return False
    return record_remote(fresh, mine, there).changed


class Following:
    """The streams ``follow`` started: ``close()`` stops them, unsubscribes and joins."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        self.threads: list[threading.Thread] = []
        self.settled: list[threading.Event] = []  # one per stream: set once subscribed, or failed
        self.on_state: Callable[[Target, str], None] | None = None

    def state(self, target: Target, state: str) -> None:
        if self.on_state is not None:
            self.on_state(target, state)

    def wait_subscribed(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds in all) until every stream has subscribed or failed."""
        deadline = time.monotonic() + timeout
        return all(event.wait(max(0.0, deadline - time.monotonic())) for event in self.settled)

    def close(self, timeout: float = JOIN_TIMEOUT) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout)

    @property
    def alive(self) -> int:
        return sum(thread.is_alive() for thread in self.threads)


def follow(targets: Sequence[Target], on_event: Callable[[Applied], None], stop: threading.Event, *,
           on_error: Callable[[Target, str], None] | None = None, sync_first: bool = True,
           on_state: Callable[[Target, str], None] | None = None) -> Following:
    """Subscribe to every HTTP target and apply its events until ``stop`` is set."""
    following = Following(stop)
    http = [t for t in targets if t.remote.transport == "http"]
    synced: set[tuple[str, str]] = set()
    if sync_first and http:
        outcomes = contact_all("sync", http)  # in the caller's thread (a worker's, in a UI), all at once
        synced = {(o.workspace, o.name) for o in outcomes if o.result == "ok"}
    following.on_state = on_state
    for target in http:
        settled = threading.Event()
        following.settled.append(settled)
        behind = sync_first and (target.remote.workspace, target.remote.name) not in synced
        thread = threading.Thread(target=_stream, args=(target, following, settled, on_event, on_error, behind),
                                  name=f"crossdeck-live-{target.remote.name}", daemon=True)
        following.threads.append(thread)
        thread.start()
    return following


def _stream(target: Target, following: Following, settled: threading.Event, on_event: Callable[[Applied], None],
            on_error: Callable[[Target, str], None] | None, behind: bool) -> None:
    """One remote's subscription, read until ``stop``; then unsubscribed. A remote that cannot be
    reached is tried again (``RECONNECT`` backoff); a 4xx ends the thread. ``behind``: the first
    sync failed, so the snapshot is synced once subscribed."""
    stop = following.stop
    tries = 0
    try:
        while not stop.is_set():
            following.state(target, CONNECTING if tries == 0 else RECONNECTING)
            try:
                _subscribed(target, following, settled, on_event, on_error, behind or tries > 0)
                return
            except Exception as exc:  # noqa: BLE001 - a worker thread reports, it never dies with a traceback
                if on_error is not None and not stop.is_set():
                    on_error(target, one_line(str(exc)) or type(exc).__name__)
                if not isinstance(exc, HttpFailure) or exc.permanent:
                    return
            finally:
                settled.set()
            tries += 1
            stop.wait(RECONNECT.wait(tries))
    finally:
        following.state(target, OFF)


def _subscribed(target: Target, following: Following, settled: threading.Event, on_event: Callable[[Applied], None],
                on_error: Callable[[Target, str], None] | None, behind: bool) -> None:
    """Subscribe, then read the stream. Whenever events may have been missed (``behind``, or a
    stream that dropped: the server's replay is bounded and is lost when it restarts), the
    snapshot is synced once the stream is open again, so nothing missed stays missing."""
    with connect(target.remote, retry=RetryPolicy()) as client:
        answer = client.subscribe(f"sub-{secrets.token_hex(8)}", EVENT_TYPES)
        ident = answer.get("subscription_id")
        if not isinstance(ident, str):
            raise HttpFailure("the subscribe answer has no subscription_id", permanent=True)
        settled.set()

        def opened(again: bool) -> None:
            if behind or again:
                contact_all("sync", [target])
            following.state(target, CONNECTED)

        def dropped(why: str) -> None:
            following.state(target, RECONNECTING)
            if on_error is not None:
                on_error(target, one_line(why))

        try:
            for event in client.events(ident, following.stop, on_open=opened, on_drop=dropped):
                on_event(apply_event(target, client, event))
        finally:
            _unsubscribe(client, ident)


def _unsubscribe(client: HttpRemote, ident: str) -> None:
    try:
        client.unsubscribe(ident)
    except HttpFailure:
        pass  # the server forgets it anyway when it restarts; nothing to do about it here


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
