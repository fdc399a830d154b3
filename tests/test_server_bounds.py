"""What the federation server refuses at its door, before any work (issue "Hostile world II",
items 3 and 5): bodies over a documented bound (a reference over 512 characters, a description
over 64 KiB, too many labels or relationships: 422 naming the field and the bound; nothing
written), bodies nested deeper than 64 (400, never a 500), a POST whose Content-Type is not JSON
(415), and a Host header that is not the server's own (421: a DNS-rebinding page cannot reach
the API from a browser)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.uri import try_parse
from tests.http_fixtures import FRONTEND, Served

HOSTILE_REF = "a/" + "a-" * 40_000 + "!"  # the issue's: a reference that made a regex spin for 35 s


def create(request_id: str, **data: Any) -> dict[str, Any]:
    body = {"title": "Bounded", "priority": 2, "labels": ["api"]}
    body.update(data)
    return {"type": "mutate", "request_id": request_id, "operation": "create_issue", "data": body}


def workspace_files(served: Served) -> dict[str, bytes]:
    """The workspace's files as they are (to show a refusal wrote nothing)."""
    return {str(p): p.read_bytes() for p in sorted(served.root.rglob("*")) if p.is_file() and ".git" not in p.parts}


@pytest.mark.parametrize(("data", "path", "bound"), [
    ({"blocks": HOSTILE_REF}, "$.data.blocks", "512"),
    ({"blocks": ["acme-dev/frontend#i-100", "x" * 513]}, "$.data.blocks[1]", "512"),
    ({"relationships": [{"type": "discovered-from", "remote_ref": "r" * 600}]},
     "$.data.relationships[0].remote_ref", "512"),
    ({"discovered_from": "d" * 513}, "$.data.discovered_from", "512"),
    ({"description": "x" * (64 * 1024 + 1)}, "$.data.description", "65536"),
    ({"title": "t" * 501}, "$.data.title", "500"),
    ({"labels": [f"l{i}" for i in range(51)]}, "$.data.labels", "50"),
    ({"labels": ["x" * 101]}, "$.data.labels[0]", "100"),
    ({"relationships": [{"type": "related", "remote_ref": f"a/b#i-{i}"} for i in range(51)]},
     "$.data.relationships", "50"),
    ({"blocks": [f"a/b#i-{i}" for i in range(51)]}, "$.data.blocks", "50"),
    ({"requester": "r" * 201}, "$.data.requester", "200"),
])
def test_a_body_over_a_bound_is_a_422_naming_the_field_and_the_bound_and_nothing_is_written(
        served: Served, data: dict[str, Any], path: str, bound: str) -> None:
    before = workspace_files(served)
    started = time.monotonic()
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/mutate", json=create("req-bound-1", **data))
    assert time.monotonic() - started < 5
    assert answer.status_code == 422, answer.text
    detail = answer.json()["error"]["details"][0]
    assert detail["path"] == path
    assert bound in detail["message"]
    assert workspace_files(served) == before


def test_bounds_on_update_and_delegate_and_query_too(served: Served) -> None:
    with served.client(served.token(FRONTEND)) as client:
        update = client.post("/mutate", json={"type": "mutate", "request_id": "req-bound-u", "operation": "update_issue",
                                              "data": {"issue_id": "i" * 513, "changes": {"status": "closed"}}})
        delegate = client.post("/delegate", json={"type": "delegate", "request_id": "req-bound-d",
                                                  "task": {"title": "x", "parent": "p" * 513}})
        query = client.post("/query", json={"type": "query", "entity": "issue", "filters": {"ids": ["i" * 513]}})
    assert update.json()["error"]["details"][0]["path"] == "$.data.issue_id"
    assert delegate.json()["error"]["details"][0]["path"] == "$.task.parent"
    assert query.status_code == 422
    assert query.json()["error"]["details"][0]["path"] == "$.filters.ids[0]"


def test_a_hostile_reference_already_on_disk_parses_at_once() -> None:
    """The stored item made every later load pay again: the reference forms parse in linear time."""
    started = time.monotonic()
    assert try_parse(HOSTILE_REF) is None
    assert try_parse("a/" + "a-" * 40_000 + "b") is not None  # still a short reference when it is one
    assert time.monotonic() - started < 1.0


def test_the_bounds_are_the_documented_ones() -> None:
    from core.server import bounds

    doc = (Path(__file__).resolve().parents[1] / "docs" / "http-api.md").read_text()
    for value in (bounds.MAX_REF, bounds.MAX_DESCRIPTION, bounds.MAX_LABELS, bounds.MAX_LABEL, bounds.MAX_LINKS,
                  bounds.MAX_DEPTH):
        assert f"{value:,}" in doc or str(value) in doc


def nested(depth: int) -> bytes:
    return b'{"type": "query", "entity": "issue", "filters": {"x": ' + b"[" * depth + b"]" * depth + b"}}"


@pytest.mark.parametrize("depth", [70, 1000, 100_000])
def test_a_body_nested_too_deep_is_a_400_not_a_500(served: Served, depth: int) -> None:
    with served.client(served.token(FRONTEND)) as client:
        answer = client.post("/query", content=nested(depth), headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert "64" in answer.json()["error"]["message"]


def test_415_for_a_post_that_is_not_json(served: Served) -> None:
    body = json.dumps({"type": "query", "entity": "issue"}).encode()
    with served.client(served.token(FRONTEND)) as client:
        plain = client.post("/query", content=body, headers={"Content-Type": "text/plain"})
        form = client.post("/query", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        missing = client.post("/query", content=body)
        charset = client.post("/query", content=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert plain.status_code == form.status_code == missing.status_code == 415, plain.text
    assert plain.json()["error"]["code"] == "unsupported_media_type"
    assert charset.status_code == 200, charset.text


def raw_get(url: str, host: str) -> int:
    """The status of ``GET info`` sent with this exact Host header."""
    where = httpx.URL(url)
    with socket.create_connection((where.host, where.port), timeout=10) as sock:
        sock.sendall(f"GET /api/v1/federation/info HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        head = sock.recv(4096).decode("latin-1")
    return int(head.split(" ", 2)[1])


def test_421_for_a_host_that_is_not_the_servers(served: Served) -> None:
    port = httpx.URL(served.url).port
    assert raw_get(served.url, "evil.example") == 421
    assert raw_get(served.url, f"evil.example:{port}") == 421
    assert raw_get(served.url, f"127.0.0.1.evil.example:{port}") == 421
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost", "LOCALHOST"):
        assert raw_get(served.url, host) == 200, host


def test_allow_host_adds_a_name(sudocode_copy: Path, start_server: Any) -> None:
    served = start_server(sudocode_copy / "api-service", allow_hosts=("api.example.com",))
    port = httpx.URL(served.url).port
    assert raw_get(served.url, f"api.example.com:{port}") == 200
    assert raw_get(served.url, "api.example.com") == 200
    assert raw_get(served.url, "other.example.com") == 421


def test_serve_allow_host_flag_is_repeatable(sudocode_copy: Path) -> None:
    import signal

    from tests.test_server_cli import serving

    with serving(sudocode_copy / "api-service", "--allow-host", "api.example.com", "--allow-host",
                 "proxy.internal") as (process, url):
        assert raw_get(url, "api.example.com") == 200
        assert raw_get(url, "proxy.internal:443") == 200
        assert raw_get(url, "evil.example") == 421
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    assert process.stderr is not None
    assert "421" in process.stderr.read()  # the refusal's log line
