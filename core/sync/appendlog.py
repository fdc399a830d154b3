"""Appending one record to a JSON Lines log so that it can never tear another one.

A record is encoded whole (``msgspec.json``, keys in the order given) and written with a single
``os.write`` on an ``O_APPEND`` descriptor, then fsync'd. If the file does not end with a
newline, an earlier write was cut short (a crash, a full disk): a newline goes first, so the new
record starts a line of its own and the reader reports only the torn line. Callers hold the
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
        if not _ends_with_newline(fd):
            line = b"\n" + line
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"short write to {path}: {written} of {len(line)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)
    if not existed:
        _fsync_dir(path.parent)


def _ends_with_newline(fd: int) -> bool:
    """True for an empty file or one whose last byte is a newline."""
    size = os.fstat(fd).st_size
    if size == 0:
        return True
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1) == b"\n"
