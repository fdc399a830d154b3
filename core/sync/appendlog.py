"""Appending one record to a JSON Lines log so that it can never tear another one.

A record is encoded whole (``msgspec.json``, keys in the order given) and written with a single
``os.write`` on an ``O_APPEND`` descriptor, then fsync'd. If the file does not end with a
newline, an earlier write was cut short (a crash, a full disk): a last line that is a whole record
gets its newline, a torn one is cut off (``_mend_last_line``), so the new record starts a line of
its own and the file reads cleanly again. Callers hold the
workspace lock (``core.sync.lock``), so appends to one log never race each other. The path is
checked first and its real path opened without following a final link (``core.workspace_paths``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from core.atomic import _fsync_dir  # the one directory fsync there is (private in core.atomic)
from core.workspace_paths import open_written, write_target

_encode = msgspec.json.Encoder().encode
_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def encode_line(record: Mapping[str, Any]) -> bytes:
    """The record as one JSON line, newline included. A string holding a newline is escaped by
    JSON, so the line never splits."""
    return _encode(record) + b"\n"


def append_jsonl(path: Path, record: Mapping[str, Any]) -> None:
    """Append ``record`` to ``path`` as one line (creating the file and its folders); raises
    ``OSError`` when it cannot, including a short write (the next append starts a fresh line),
    and ``LinkedOut`` when it leads out of the workspace being written."""
    line = encode_line(record)
    path = write_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    fd = open_written(path, _FLAGS, 0o644)
    try:
        line = _mend_last_line(fd, path) + line
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"short write to {path}: {written} of {len(line)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)
    if not existed:
        _fsync_dir(path.parent)


TAIL_LIMIT = 16 * 1024 * 1024  # a last line longer than this is never a torn record of ours


def _mend_last_line(fd: int, path: Path) -> bytes:
    """Make the file end with a whole line before a new one is appended; what to write first.

    A last line without its newline was cut short by a crash (or a full disk): when it still
    reads as a JSON object it only lacks the newline (one is written first); otherwise it is a
    torn write, nothing a reader can use, and it is cut off (the file is truncated to the end of
    the line before it). Damage anywhere else in the file is never touched (the loader reports
    it)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return b""
    os.lseek(fd, size - 1, os.SEEK_SET)
    if os.read(fd, 1) == b"\n":
        return b""
    start = max(0, size - TAIL_LIMIT)
    tail = os.pread(fd, size - start, start)
    cut = tail.rfind(b"\n")
    if cut < 0 and start > 0:
        return b"\n"  # a last line too long to judge: keep it, start a new one
    last = tail[cut + 1:]
    try:
        whole = isinstance(msgspec.json.decode(last), dict)
    except msgspec.DecodeError:
        whole = False
    if whole:
        return b"\n"
    os.ftruncate(fd, start + cut + 1)
    return b""


def mend_last_line(path: Path) -> None:
    """Give ``path`` a whole last line now (``_mend_last_line``), without appending anything."""
    fd = open_written(write_target(path), os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        tail = _mend_last_line(fd, path)
        if tail:
            os.lseek(fd, 0, os.SEEK_END)
            os.write(fd, tail)
        os.fsync(fd)
    finally:
        os.close(fd)
