"""A workspace's request and audit logs read again at the cost of what was appended since.

Every delivery, decision and follow-up reads the request log again under the workspace's lock,
to act on it as it is now (``core.sync.records.reread_requests``), and the server's watcher reads
both logs again after each write (``core.server.served``); parsed whole, the logs of 10,000
settled requests take ~85 ms each. Between rewrites a log only grows (a request's state is its
id's last line; the audit is every line). So this process keeps, for each log, the bytes it
parsed (up to their last newline) and what they gave; when the file still starts with exactly
those bytes, only the lines after them are parsed, onto a copy of what they gave. That is the
answer a whole read gives, in the same order (``tests/test_log_tail.py`` compares them); anything
else (another file at the path, a rewrite, bytes changed in place) is read whole. Diagnostics are
not kept: the loader reports them when it reads the workspace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from core.diagnostics import Diagnostics
from core.model import AuditEvent, Request, Workspace
from core.sources.federation_records import AUDIT, REQUEST, add_audit, add_requests
from core.sources.files import ReadLimits, jsonl_objects, read_text
from core.sources.schema import Schema, records_of

KEPT = 64  # logs remembered at most (a server holds a few workspaces)
Records = Iterable[tuple[int, dict[str, Any], dict[str, Any]]]


class _Parsed(NamedTuple):
    data: bytes  # the log's bytes up to their last newline
    lines: int  # how many lines those are
    state: Any  # what they gave (a dict of requests by id, a list of audit events)


_parsed: dict[tuple[str, str, str], _Parsed] = {}  # (log, workspace name, kind) -> what was parsed
_lock = threading.Lock()


def requests_now(path: Path, ws: Workspace, limits: ReadLimits) -> list[Request]:
    """The requests ``path`` (``ws``'s request log) holds now: what ``read_requests`` gives."""
    state: dict[str, Request] = _read_again(path, ws, limits, REQUEST, add_requests, dict)
    return list(state.values())


def audit_now(path: Path, ws: Workspace, limits: ReadLimits) -> list[AuditEvent]:
    """The entries of ``path`` (``ws``'s audit log) now: what ``read_audit`` gives."""
    return list(_read_again(path, ws, limits, AUDIT, add_audit, list))


def _read_again(path: Path, ws: Workspace, limits: ReadLimits, schema: Schema,
                fold: Callable[[Path, Workspace, Diagnostics, Records, Any], None], copy: Callable[[Any], Any]) -> Any:
    diags = Diagnostics()
    data = read_text(path, diags, limits)
    if data is None:
        return copy(())
    key = (str(path), ws.name, schema.name)
    with _lock:
        before = _parsed.get(key)
    if before is not None and data.startswith(before.data):
        state, start, first = copy(before.state), len(before.data), before.lines + 1
    else:
        state, start, first = copy(()), 0, 1

    def parse(chunk: bytes, into: Any, line: int) -> None:
        fold(path, ws, diags, records_of(path, schema, diags, jsonl_objects(path, chunk, diags, line)), into)

    end = data.rfind(b"\n") + 1
    parse(data[start:end], state, first)
    done = _Parsed(data[:end], first - 1 + data.count(b"\n", start, end), state)
    with _lock:
        _parsed.pop(key, None)
        _parsed[key] = done
        while len(_parsed) > KEPT:
            del _parsed[next(iter(_parsed))]
    if end == len(data):
        return copy(state)
    answer = copy(state)  # a last line with no newline yet: read now, parsed again next time
    parse(data[end:], answer, done.lines + 1)
    return answer
