"""Subscriptions and the event stream over HTTP (SSE), and the diff events come from."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from core.federation import load_federation
from core.model import RequestStatus
from core.server.events import EventHub, diff
from tests.http_fixtures import FRONTEND, MERCHANT, Served

WAIT = 10.0


def subscribe(served: Served, token: str, request_id: str = "sub-1", **fields: Any) -> Any:
    with served.client(token) as client:
        return client.post("/subscribe", json={"type": "subscribe", "request_id": request_id, **fields})


@contextmanager
def stream(served: Served, token: str, subscription: str, last_event_id: int | None = None
           ) -> Iterator[queue.Queue[Any]]:
    """Events of the subscription as they arrive: (id, type, data) tuples, or a str for a comment."""
    got: queue.Queue[Any] = queue.Queue()
    opened = threading.Event()
    client = served.client(token, timeout=30.0)
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}

    def read() -> None:
        try:
            with client.stream("GET", "/events", params={"subscription": subscription}, headers=headers) as answer:
                got.put(("status", answer.status_code))
                fields: dict[str, str] = {}
                for line in answer.iter_lines():
                    if line.startswith(":"):
                        got.put(line)
                        opened.set()
                    elif not line:
                        if fields:
                            got.put((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                        fields = {}
                    else:
                        name, _, value = line.partition(": ")
                        fields[name] = value
        except Exception as exc:  # noqa: BLE001 - the stream closed: the test sees it end
            got.put(("closed", repr(exc)))
        got.put(("ended", None))

    thread = threading.Thread(target=read, daemon=True)  # ends with the stream: at the latest, when the
    thread.start()  # served fixture stops the server
    assert got.get(timeout=WAIT) == ("status", 200)
    assert opened.wait(WAIT)
    yield got


def next_event(got: queue.Queue[Any], kind: str) -> tuple[int, str, dict[str, Any]]:
    while True:
        item = got.get(timeout=WAIT)
        if isinstance(item, tuple) and item[1] == kind:
            return item  # type: ignore[no-any-return]
        assert not (isinstance(item, tuple) and item[0] == "ended"), "the stream ended"


def set_status(root: Path, ident: str, status: str) -> None:
    path = root / ".sudocode" / "issues.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    for row in rows:
        if row["id"] == ident:
            row["status"] = status
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_an_issue_closed_on_disk_arrives_as_an_event_and_replays_after_last_event_id(served: Served) -> None:
    token = served.token(FRONTEND)
    created = subscribe(served, token, event_types=["item.updated"], filters={"ids": ["i-3c1d"]})
    assert created.status_code == 201, created.text
    sub = created.json()["subscription_id"]
    assert created.json()["events_url"] == f"/api/v1/federation/events?subscription={sub}"
    with stream(served, token, sub) as got:
        set_status(served.root, "i-3c1d", "closed")
        event_id, kind, data = next_event(got, "item.updated")
    assert data["key"] == "acme-dev/api-service#i-3c1d"
    assert data["status"] == "closed"
    assert data["previous"]["status"] == "in_progress"
    assert data["item"]["status"] == "closed"
    with stream(served, token, sub, last_event_id=event_id - 1) as got:
        replayed = next_event(got, "item.updated")
    assert replayed == (event_id, kind, data)


def test_a_mutate_becomes_request_and_item_events_for_its_sender(served: Served) -> None:
    token = served.token(FRONTEND)
    sub = subscribe(served, token).json()["subscription_id"]
    with stream(served, token, sub) as got:
        with served.client(token) as client:
            answer = client.post("/mutate", json={"type": "mutate", "request_id": "req-ev-1",
                                                  "operation": "create_issue",
                                                  "data": {"title": "Event probe", "priority": 3}})
        assert answer.status_code == 200, answer.text
        seen: list[tuple[int, str, dict[str, Any]]] = []
        while not any(e[1].startswith("request.") and e[2]["status"] == "completed" for e in seen):
            item = got.get(timeout=WAIT)
            if isinstance(item, tuple) and isinstance(item[0], int):
                seen.append(item)
    assert [e[0] for e in seen] == sorted(e[0] for e in seen)
    created = next(e for e in seen if e[1] == "item.created")
    assert created[2]["item"]["title"] == "Event probe"
    requests = [e for e in seen if e[1].startswith("request.")]
    assert requests[0][1] == "request.created"
    assert {e[2]["request_id"] for e in requests} == {"req-ev-1"}



def test_request_events_still_reach_a_stream_after_its_remote_record_is_edited(served: Served) -> None:
    """The server re-reads the config as it changes: a stream opened before an edit to the
    caller's own remote record (here its sync interval) still gets its requests' events."""
    token = served.token(FRONTEND)
    sub = subscribe(served, token).json()["subscription_id"]
    with stream(served, token, sub) as got:
        config = served.root / ".sudocode" / "federation.config.json"
        doc = json.loads(config.read_text())
        mine = next(r for r in doc["remote_repos"] if r["url"] == FRONTEND)
        mine["sync"] = {"auto_sync": False, "interval_minutes": 90}
        config.write_text(json.dumps(doc, indent=2))
        served.rescan()
        with served.client(token) as client:
            answer = client.post("/mutate", json={"type": "mutate", "request_id": "req-ev-2",
                                                  "operation": "create_issue",
                                                  "data": {"title": "After the edit", "priority": 3}})
        assert answer.status_code == 200, answer.text
        while True:
            item = got.get(timeout=WAIT)
            if isinstance(item, tuple) and isinstance(item[0], int) and item[1].startswith("request."):
                assert item[2]["request_id"] == "req-ev-2"
                break

def test_subscribe_needs_the_permission_and_delete_ends_the_subscription(served: Served) -> None:
    refused = subscribe(served, served.token(MERCHANT))
    assert refused.status_code == 403
    token = served.token(FRONTEND)
    sub = subscribe(served, token, request_id="sub-2").json()["subscription_id"]
    assert subscribe(served, token, request_id="sub-2").json()["subscription_id"] == sub  # idempotent
    with stream(served, token, sub) as got:
        with served.client(token) as client:
            assert client.delete(f"/subscribe/{sub}").status_code == 204
            assert client.delete(f"/subscribe/{sub}").status_code == 404
        while got.get(timeout=WAIT) != ("ended", None):
            pass
    with served.client(token) as client:
        assert client.get("/events", params={"subscription": sub}).status_code == 404
    with served.client(served.token(maintainer="api/crew/ann")) as client:
        assert client.get("/events", params={"subscription": sub}).status_code == 404



def test_a_full_subscription_quota_is_not_kept_for_the_request_id(served: Served) -> None:
    """A refusal that can pass later (the quota is full now) is not the request_id's answer for
    good: once a subscription ends, the same call succeeds."""
    config = served.root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    next(r for r in doc["remote_repos"] if r["url"] == FRONTEND)["permissions"]["subscribe"]["max_subscriptions"] = 1
    config.write_text(json.dumps(doc, indent=2))
    served.rescan()
    token = served.token(FRONTEND)
    first = subscribe(served, token, "sub-q-1")
    assert first.status_code == 201, first.text
    refused = subscribe(served, token, "sub-q-2")
    assert refused.status_code == 403 and "max_subscriptions" in refused.text
    with served.client(token) as client:
        assert client.delete(f"/subscribe/{first.json()['subscription_id']}").status_code == 204
    again = subscribe(served, token, "sub-q-2")
    assert again.status_code == 201, again.text
    assert "Idempotent-Replay" not in again.headers

def test_keepalive_comments_in_quiet_times(sudocode_copy: Path, start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service", keepalive_seconds=0.2)
    token = served.token(FRONTEND)
    sub = subscribe(served, token).json()["subscription_id"]
    with stream(served, token, sub) as got:
        assert got.get(timeout=WAIT) == ": subscribed"
        assert got.get(timeout=WAIT) == ": keepalive"


# -- the diff, as a unit ---------------------------------------------------------------------------

def test_diff_names_created_updated_removed_items_and_request_changes(sudocode_copy: Path) -> None:
    before = next(ws for ws in load_federation([sudocode_copy / "api-service"]).workspaces)
    units = list(before.work_units)
    changed = msgspec.structs.replace(units[0], status="closed", line=99)  # a moved line is no change
    moved = msgspec.structs.replace(units[1], line=(units[1].line or 0) + 7)
    added = msgspec.structs.replace(units[2], key=units[2].key + "x", id=units[2].id + "x")
    request = before.requests[0]
    after = msgspec.structs.replace(
        before, work_units=[changed, moved, added, *units[3:]][:-1] if len(units) > 3 else [changed, moved, added],
        requests=[msgspec.structs.replace(request, status=RequestStatus.COMPLETED), *before.requests[1:]])
    events = diff(before, after, at="2026-11-27T00:00:00Z")
    kinds = [(e["type"], e.get("key") or e.get("request_id")) for e in events]
    assert ("item.updated", units[0].key) in kinds
    assert ("item.created", added.key) in kinds
    assert all(key != units[1].key for _, key in kinds)
    assert ("request.updated", request.request_id) in kinds
    update = next(e for e in events if e["type"] == "item.updated")
    assert update["previous"] == {"status": units[0].status}
    assert diff(before, before) == []



def test_an_item_event_carries_its_relationships_and_a_new_relationship_alone_is_an_update(
        sudocode_copy: Path) -> None:
    """A subscriber applies an event without asking again, so the item comes with what a query's
    ``include: ["relationships"]`` gives; a blocks link added to an item changes that item."""
    before = next(ws for ws in load_federation([sudocode_copy / "api-service"]).workspaces)
    unit = before.work_units[0]
    link = msgspec.structs.replace(before.relationships[0], type="blocks", from_ref=unit.id, from_key=unit.key,
                                   to_ref="acme-dev/frontend#i-100", to_key="acme-dev/frontend#i-100")
    after = msgspec.structs.replace(before, relationships=[*before.relationships, link])
    events = diff(before, after, at="2026-11-27T00:00:00Z")
    assert [(e["type"], e["key"]) for e in events] == [("item.updated", unit.key)]
    carried = events[0]["item"]["relationships"]
    assert {"type": "blocks", "from_key": unit.key, "to_key": "acme-dev/frontend#i-100"}.items() <= carried[-1].items()
    assert "relationships" in events[0]["previous"]

def test_the_hub_numbers_events_and_keeps_the_last_ones() -> None:
    hub = EventHub(kept=3)
    published = hub.publish({"type": "item.created", "id": f"i-{n}", "item": {"n": n}} for n in range(5))
    assert published[-1] == {"event_id": 5, "type": "item.created", "id": "i-4", "item": {"n": 4}}
    assert [e["event_id"] for e, _ in hub.since(0)] == [3, 4, 5]
    assert [e["id"] for e, _ in hub.since(4)] == ["i-4"]
    event, frame = hub.since(4)[0]
    assert frame == b'id: 5\nevent: item.created\ndata: {"type":"item.created","id":"i-4","item":{"n":4}}\n\n'
    assert event == {"event_id": 5, "type": "item.created", "id": "i-4"}  # the item travels in the frame only


def test_the_ring_keeps_at_most_so_many_bytes_of_events() -> None:
    hub = EventHub(kept=100, kept_bytes=10_000)
    hub.publish({"type": "item.updated", "blob": "x" * 3000} for _ in range(10))
    assert [e["event_id"] for e, _ in hub.since(0)] == [8, 9, 10]


def test_a_stream_that_stopped_reading_is_ended_not_grown_and_resumes_from_the_ring() -> None:
    """A client that stops reading must not make the server hold every later event: once its
    listener holds more than its bound in bytes, it is emptied and told it overflowed (the
    stream is cut off; its client reconnects with Last-Event-ID)."""
    hub = EventHub(kept=4)

    async def stalled_stream() -> tuple[list[Any], bool, int]:
        listener, stop = hub.listen(limit=200)
        hub.publish({"type": "item.updated", "id": n} for n in range(10))
        await asyncio.sleep(0.01)  # the hub hands events over on the stream's loop
        got = []
        while (item := await listener.get(0.01)) not in (None, False):
            got.append(item)
        stop()
        return got, listener.overflowed.is_set(), listener.held

    got, overflowed, held = asyncio.run(stalled_stream())
    assert overflowed
    assert got == [] and held == 0  # nothing kept for it
    assert [e["id"] for e, _ in hub.since(6)] == [6, 7, 8, 9]  # what its client resumes with


def test_a_listener_takes_only_what_its_stream_may_see() -> None:
    hub = EventHub()

    async def listen() -> list[int]:
        listener, stop = hub.listen(accept=lambda event: event["id"] % 2 == 0)
        hub.publish({"type": "item.updated", "id": n} for n in range(6))
        await asyncio.sleep(0.01)
        got = []
        while (item := await listener.get(0.01)) not in (None, False):
            got.append(item[0]["id"])
        stop()
        return got

    assert asyncio.run(listen()) == [0, 2, 4]
