"""What a load looked at: every file it read and every folder it listed or looked into, each with
its stamp, so that a cached copy of what the load made can later be checked against them
(``core.cache``): if every stamp still matches, the load would read the same bytes and find the
same files.

A file's stamp is its ``lstat`` (device, inode, type and mode, size, mtime and ctime in
nanoseconds); a file reached through a link is stamped at the link and at its target. A folder's
stamp is the same of the folder, whose mtime moves whenever a name in it is added, removed or
renamed: so looking for a file that is not there stamps the folder it would be in, and creating
it later is seen. A name looked up in a folder that is not there stamps that folder as absent.

**Racily clean** (git's term): a file changed again within the same timestamp tick as it was
read keeps its stamp. So a file (or folder) whose mtime is within ``RACY_NS`` of the moment it
was read also keeps a digest of its bytes (of its sorted names, for a folder), and the check
compares content for it (``core.cache.check``).

Recording is off unless a load runs inside ``recording()``; the helpers cost one ``stat`` each
then, and nothing more otherwise.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import msgspec

# Timestamps on some file systems are coarse (FAT: 2 s; ext4: the kernel's clock tick). A file
# whose mtime is this close to when it was read may change again without its stamp moving.
RACY_NS = 3_000_000_000

Stamp = tuple[int, int, int, int, int, int]  # (st_dev, st_ino, st_mode, st_size, mtime_ns, ctime_ns)
ABSENT: Stamp = (0, 0, 0, -1, 0, 0)


class Seen(msgspec.Struct, kw_only=True, gc=False):
    """The files and folders one load looked at, by path, with their stamps; ``digests`` holds
    the content digest of those that were racily clean when read."""

    files: dict[str, Stamp] = {}
    folders: dict[str, Stamp] = {}
    digests: dict[str, str] = {}


_recording: ContextVar[Seen | None] = ContextVar("crossdeck_seen", default=None)


@contextmanager
def recording() -> Iterator[Seen]:
    """Record what the loads inside the block look at."""
    seen = Seen(files={}, folders={}, digests={})
    token = _recording.set(seen)
    try:
        yield seen
    finally:
        _recording.reset(token)


def stamp_of(info: os.stat_result) -> Stamp:
    return (info.st_dev, info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def lstamp(path: str) -> Stamp:
    """The stamp of ``path`` itself (a link is not followed), or ``ABSENT``."""
    try:
        return stamp_of(os.lstat(path))
    except (OSError, ValueError):
        return ABSENT


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def listing_digest(folder: str) -> str:
    try:
        names = sorted(os.listdir(folder))
    except (OSError, ValueError):
        return "-"
    return digest("\0".join(names).encode("utf-8", "surrogateescape"))


def is_racy(stamp: Stamp, now_ns: int) -> bool:
    return stamp is not ABSENT and now_ns - stamp[4] < RACY_NS


def reading(path: Path | str, target: str) -> tuple[Seen, str, bool] | None:
    """Called before ``path`` is read (``target``: where its links lead): stamps both first, so
    a change made while it is read moves the stamp recorded. Hand what it returns, with the
    bytes read, to ``read``."""
    seen = _recording.get()
    if seen is None:
        return None
    where, target = os.path.abspath(os.fspath(path)), os.path.abspath(target)
    stamp = seen.files[where] = lstamp(where)
    now = time.time_ns()
    racy = is_racy(stamp, now)
    if target != where:
        linked = seen.files[target] = lstamp(target)
        racy = racy or is_racy(linked, now)
    _folder(seen, os.path.dirname(where))
    return seen, where, racy


def read(started: tuple[Seen, str, bool] | None, data: bytes) -> None:
    """``data`` was read from the file ``reading`` stamped: its digest is kept when it was racy."""
    if started is not None and started[2]:
        started[0].digests[started[1]] = digest(data)


def folder(path: Path | str) -> None:
    """``path``'s names were listed, or a name in it was looked up."""
    seen = _recording.get()
    if seen is not None:
        _folder(seen, os.path.abspath(os.fspath(path)))


def _folder(seen: Seen, where: str) -> None:
    if where in seen.folders:
        return
    stamp = lstamp(where)
    seen.folders[where] = stamp
    if is_racy(stamp, time.time_ns()):
        seen.digests[where] = listing_digest(where)


def looked_up(path: Path | str) -> None:
    """A name was looked up: its folder is stamped (a file created there later is seen), and the
    path itself when it is there (a file replaced by a link, or a folder by a file, is seen)."""
    seen = _recording.get()
    if seen is None:
        return
    where = os.path.abspath(os.fspath(path))
    _folder(seen, os.path.dirname(where))
    if where not in seen.files and where not in seen.folders:
        seen.files[where] = lstamp(where)


def is_file(path: Path | str) -> bool:
    """``os.path.isfile``, recorded."""
    looked_up(path)
    return os.path.isfile(path)


def is_dir(path: Path | str) -> bool:
    """``os.path.isdir``, recorded."""
    looked_up(path)
    return os.path.isdir(path)


def names(path: Path | str) -> list[str]:
    """The names in folder ``path``, sorted (none when it cannot be listed), recorded."""
    folder(path)
    looked_up(path)
    try:
        return sorted(os.listdir(path))
    except (OSError, ValueError):
        return []
