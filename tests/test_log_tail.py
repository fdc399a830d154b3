"""Reading a request or audit log again (``core.sync.log_tail``) parses only what was appended
since, and always gives what a whole read gives: after appends of new requests and of new states
of old ones, bad lines among them, a last line with no newline yet, a rewrite in place, a cut."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from core.diagnostics import Diagnostics
from core.model import Workspace, WorkspaceKind
from core.sources import federation_records
from core.sources.federation_records import read_audit, read_requests
from core.sources.files import ReadLimits
from core.sync import log_tail
from core.sync.records import audit_record, reread_requests
from core.sync.requests import incoming_record


def _line(n: int, status: str = "pending") -> bytes:
    record = incoming_record(f"req-{n}", "acme/web", "acme/api", "create_issue", {"title": f"item {n}"},
                             f"2026-12-0{1 + n % 7}T10:00:00Z")
    record["status"] = status
    return json.dumps(record).encode() + b"\n"


def _whole(path: Path, ws: Workspace) -> object:
    fresh = msgspec.structs.replace(ws, requests=[])
    read_requests(path, fresh, Diagnostics(), ReadLimits())
    return msgspec.to_builtins(fresh.requests)


@pytest.fixture
def log(tmp_path: Path) -> tuple[Path, Workspace]:
    ws = Workspace(kind=WorkspaceKind.SUDOCODE, name="acme/api", root=str(tmp_path))
    path = tmp_path / "requests.jsonl"
    path.write_bytes(b"".join(_line(n) for n in range(50)))
    return path, ws


def _now(path: Path, ws: Workspace) -> object:
    return msgspec.to_builtins(reread_requests(ws, path).requests)


def test_appended_lines_read_as_a_whole_read(log: tuple[Path, Workspace]) -> None:
    path, ws = log
    assert _now(path, ws) == _whole(path, ws)
    appended = [_line(7, "approved"), b"# a comment\n", b"\n", b"{not json\n", _line(50),
                json.dumps({**json.loads(_line(51)), "direction": "sideways"}).encode() + b"\n", _line(3, "rejected")]
    for chunk in appended:
        with path.open("ab") as handle:
            handle.write(chunk)
        assert _now(path, ws) == _whole(path, ws)


def test_only_what_was_appended_is_parsed(log: tuple[Path, Workspace], monkeypatch: pytest.MonkeyPatch) -> None:
    path, ws = log
    _now(path, ws)
    parsed: list[int] = []
    real = federation_records.add_requests

    def counted(path: Path, ws: Workspace, diags: Diagnostics, records: object, latest: dict[str, object]) -> None:
        records = list(records)  # type: ignore[call-overload]
        parsed.append(len(records))
        real(path, ws, diags, records, latest)  # type: ignore[arg-type]

    monkeypatch.setattr(log_tail, "add_requests", counted)
    with path.open("ab") as handle:
        handle.write(_line(60) + _line(61))
    assert _now(path, ws) == _whole(path, ws)
    assert parsed == [2]


def test_a_last_line_without_its_newline_is_read_and_read_again_once_whole(log: tuple[Path, Workspace]) -> None:
    path, ws = log
    _now(path, ws)
    with path.open("ab") as handle:
        handle.write(_line(70)[:-1])
    assert _now(path, ws) == _whole(path, ws)
    with path.open("ab") as handle:
        handle.write(b"\n" + _line(70, "approved"))
    assert _now(path, ws) == _whole(path, ws)


def test_a_rewrite_in_place_or_a_cut_is_read_whole(log: tuple[Path, Workspace]) -> None:
    path, ws = log
    _now(path, ws)
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"req-2"', b'"req-X"', 1))  # same size, changed bytes, same file
    assert _now(path, ws) == _whole(path, ws)
    path.write_bytes(data[: len(data) // 3])
    assert _now(path, ws) == _whole(path, ws)
    path.write_bytes(b"")
    assert _now(path, ws) == [] == _whole(path, ws)


def test_an_audit_log_read_again_is_a_whole_read(tmp_path: Path) -> None:
    ws = Workspace(kind=WorkspaceKind.SUDOCODE, name="acme/api", root=str(tmp_path))
    path = tmp_path / "audit.jsonl"

    def entry(n: int) -> bytes:
        record = audit_record("mutate", "web/crew/bob", f"2026-12-07T10:00:{n % 60:02d}Z", 0.0, direction="incoming",
                              local_repo="acme/api", remote_repo="acme/web", request_id=f"req-{n}")
        return json.dumps(record).encode() + b"\n"

    def whole() -> object:
        fresh = msgspec.structs.replace(ws, audit=[])
        read_audit(path, fresh, Diagnostics(), ReadLimits())
        return msgspec.to_builtins(fresh.audit)

    path.write_bytes(b"".join(entry(n) for n in range(30)))
    for chunk in (b"", entry(30), b"{broken\n" + entry(31), entry(32)[:-1], b"\n"):
        with path.open("ab") as handle:
            handle.write(chunk)
        assert msgspec.to_builtins(log_tail.audit_now(path, ws, ReadLimits())) == whole()
