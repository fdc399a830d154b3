"""Atomic file writes: a temp file beside the target, fsync, rename. A reader sees the old
file or the new one, never half of one.

Where a write may go is checked first (``core.workspace_paths.write_target``): inside a workspace
whose lock is held or inside crossdeck's own folders, links resolved. The file written is the
real path (a link that stays inside is written through and stays a link); the rename never
follows a final link."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from core.workspace_paths import write_target


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole; raises ``OSError`` (``LinkedOut`` when the path leads
    somewhere crossdeck does not write), and then nothing is written."""
    path = write_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
