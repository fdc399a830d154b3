"""What every action of ``core.sync`` shares about a workspace's federation records: where it
keeps its request and audit logs (docs/formats.md, "Federation records"), timestamps as those
records write them, re-reading the requests (or one line) from disk under the lock, and the shape
of an audit entry. ``core.sync.decisions`` decides requests with them; sending, delivering and
following requests, delegation and realm actions write with them too.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from core.model import Workspace, WorkspaceKind
from core.sources.files import ReadLimits
from core.sync import SyncError
from core.sync.log_tail import requests_now  # the log read again: what was appended since
from core.timeutil import UTC


class RecordError(SyncError):
    """A record that was read a moment ago cannot be read again (the file changed underneath)."""


class RecordLogs(NamedTuple):
    requests: Path
    audit: Path


def record_logs(ws: Workspace) -> RecordLogs:
    """Where ``ws`` keeps its requests and audit log (docs/formats.md, "Federation records")."""
    root = Path(ws.root)
    folder = root / ".sudocode" / "federation" if ws.kind is WorkspaceKind.SUDOCODE else root / ".crossdeck"
    return RecordLogs(folder / "requests.jsonl", folder / "audit.jsonl")


def timestamp(now: dt.datetime) -> str:
    """``now`` as the federation records write it: UTC, whole seconds, ``Z``."""
    return utc(now).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(now: dt.datetime) -> dt.datetime:
    """``now`` in UTC (a naive datetime is taken as UTC, as ``core.timeutil`` reads the files)."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)


def reread_requests(ws: Workspace, path: Path) -> Workspace:
    """``ws`` with its requests as the file on disk holds them now (the last line for an id wins);
    none when a link leads the file out of the workspace (``core.workspace_paths``)."""
    fresh = msgspec.structs.replace(ws, requests=[])
    if path.is_file():
        fresh.requests = requests_now(path, fresh, ReadLimits(within=os.path.realpath(ws.root)))
    return fresh


def raw_line(path: Path, line: int) -> dict[str, Any]:
    """Line ``line`` of ``path`` as written, every field in its order (the loader validated it)."""
    try:
        raw = msgspec.json.decode(path.read_bytes().split(b"\n")[line - 1].strip())
    except (OSError, IndexError, msgspec.DecodeError) as exc:
        raise RecordError(f"cannot re-read line {line} of {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise RecordError(f"line {line} of {path} is not a request")
    return raw


def audit_record(operation: str, actor: str, stamp: str, started: float, *, direction: str | None,
                 local_repo: str, remote_repo: str | None = None, request_id: str | None = None,
                 payload: dict[str, Any] | None = None, result: Any = None, status: str = "success") -> dict[str, Any]:
    """An audit entry (docs/formats.md, "Audit entry"): the design's ``cross_repo_audit_log`` row
    plus who did it; ``started`` is the ``time.monotonic()`` the action began at."""
    return {
        "timestamp": stamp,
        "operation_type": operation,
        "direction": direction,
        "local_repo": local_repo,
        "remote_repo": remote_repo,
        "request_id": request_id,
        "payload": payload or {},
        "result": result,
        "status": status,
        "error_message": None,
        "duration_ms": round((time.monotonic() - started) * 1000),
        "actor": actor,
    }


def holds_record(path: Path, needle: str, matches: Callable[[dict[str, Any]], bool]) -> bool:
    """Whether the JSON Lines file ``path`` holds a record that ``matches``; only lines that hold
    ``needle`` (JSON-encoded) are decoded. A missing file holds none; an undecodable line is
    skipped (the loader reports it)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    encoded = msgspec.json.encode(needle)
    for raw in data.split(b"\n"):
        if encoded in raw:
            try:
                record = msgspec.json.decode(raw)
            except msgspec.DecodeError:
                continue
            if isinstance(record, dict) and matches(record):
                return True
    return False
