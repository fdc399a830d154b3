"""Filling the parsed cache on more cores: forked helpers load some of the workspaces a load
must read from their files, and write their entries, while this process loads the others.

Why: loading from files is CPU-bound Python (threads cannot share it), and a first run must
write every workspace's entry anyway. A helper's work ends in the entries it writes, which this
process then reads as it reads any entry (``ParsedCache.read``: checked against the files, only
the record kinds it wants decoded), so nothing bulky travels between the processes. What does
travel, one frame a workspace through an anonymous file, is what the check of the references
between workspaces needs of it (``core.federation.References``): its work units' keys and the
relationships that may point out of it. On two cores a first ``summary`` of a 100k-unit
federation takes about 60% of the time of one process (benchmarks/README.md).

The missed workspaces are split, in discovery order, into shares of about equal bytes; this
process takes the first, so it never waits for a helper before it has loaded its own, and
records and diagnostics come out in exactly the order of a one-process load
(tests/test_cache_fill.py). A helper is forked only where that is safe and pays: Linux (its CPU
check reads ``/proc``), this process running one thread (a fork while another thread holds a
lock can deadlock the child: the dashboard and the server load in one process), enough bytes to
share, and a CPU with nothing else to run right now (Linux shares CPU time between sessions, not
processes: while another session keeps a core busy, two processes split one). Anything going
wrong (no pipe, file or process to be had, a helper that dies, an entry it could not write, as
for a town whose beads live on a Dolt server, an entry changed since) only means this process
loads that workspace itself.
"""

from __future__ import annotations

import os
import signal
import struct
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from core.dolt.target import is_server_mode
from core.model import Relationship, Workspace
from core.sources.discover import Found

if TYPE_CHECKING:
    from core.cache.store import ParsedCache
    from core.sources.files import ReadLimits

MIN_BYTES = 16 << 20  # with fewer bytes to load than this, a helper does not pay for its fork
MAX_HELPERS = 3
_SIZE_DEPTH = 4  # how deep below a workspace's folder its bytes are counted (a town's beads are at 3)
_HEADER = struct.Struct("=Q")


class Filled(NamedTuple):
    """What a helper sends of one workspace whose entry it wrote."""

    entry_id: str  # the entry's (ParsedCache.entry_ids): the rest is of that entry only
    keys: list[str]  # its work units' keys
    outward: list[Relationship]  # its relationships that do not resolve to one of those keys


_encode = msgspec.msgpack.Encoder().encode
_decode_frame = msgspec.msgpack.Decoder(tuple[int, Filled]).decode


def filled(ws: Workspace, entry_id: str) -> Filled:
    keys = [unit.key for unit in ws.work_units]
    own = set(keys)
    return Filled(entry_id, keys, [rel for rel in ws.relationships if rel.to_key is None or rel.to_key not in own])


class Helpers:
    """The helpers filling the cache for one load; ``take(index)`` gives what the helper that
    loaded ``found[index]`` sent of it, once that helper is done (None: load it here)."""

    def __init__(self, shares: list[list[int]]):
        self.owner = {index: number for number, share in enumerate(shares) for index in share}
        self.pids: list[int | None] = [None] * len(shares)
        self.files = [_anonymous_file() for _ in shares]
        self.sent: dict[int, Filled] = {}

    def take(self, index: int) -> Filled | None:
        number = self.owner.get(index)
        if number is None:
            return None
        pid = self.pids[number]
        if pid is not None:
            _wait(pid)
            self.pids[number] = None
            self._read(self.files[number])
        return self.sent.pop(index, None)

    def stop(self) -> None:
        """Leaving early (Ctrl-C, a bug): what the helpers still do is not wanted."""
        for number, pid in enumerate(self.pids):
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _wait(pid)
                self.pids[number] = None

    def close(self) -> None:
        self.stop()
        for fd in self.files:
            os.close(fd)
        self.files = []

    def _read(self, fd: int) -> None:
        """Every complete frame of a helper that has exited; a torn or foreign one is skipped."""
        end, offset = os.fstat(fd).st_size, 0
        while offset + _HEADER.size <= end:
            (size,) = _HEADER.unpack(os.pread(fd, _HEADER.size, offset))
            start = offset + _HEADER.size
            if start + size > end:
                return
            offset = start + size
            try:
                index, sent = _decode_frame(os.pread(fd, size, start))
            except msgspec.DecodeError:
                continue
            self.sent[index] = sent


def start(cache: ParsedCache, found: Sequence[Found], missed: Sequence[int], limits: ReadLimits,
          helpers: int | None = None) -> Helpers | None:
    """Fork helpers for the later shares of ``missed`` (indices into ``found``) when that is safe
    and worth it; ``helpers`` forces how many (tests), where forking is possible at all."""
    if not _can_fork():
        return None
    measured = [(index, _bytes(found[index].path)) for index in missed]
    shareable = [(index, size) for index, size in measured if size is not None]
    sizes = [size for _, size in shareable]
    if helpers is None:
        helpers = min(_idle_cpus(), MAX_HELPERS) if sum(sizes) >= MIN_BYTES else 0
    shares = _shares([index for index, _ in shareable], sizes, helpers + 1)[1:]
    if not shares:
        return None
    try:
        team = Helpers(shares)
    except OSError:
        return None
    try:
        for number, share in enumerate(shares):
            pid = os.fork()
            if pid == 0:  # the helper: never returns
                _helper(cache, found, share, limits, team.files[number])
            team.pids[number] = pid
    except OSError:  # no process to be had (EAGAIN): the helpers that started keep their shares
        team.owner = {index: n for index, n in team.owner.items() if team.pids[n] is not None}
    return team


def _helper(cache: ParsedCache, found: Sequence[Found], share: list[int], limits: ReadLimits, out: int) -> None:
    """Load the share's workspaces, writing their entries and one frame each; exit without
    running any of the parent's clean-up (atexit handlers, buffered output)."""
    status = 1
    try:
        from core.dolt.session import new_session

        with new_session():  # the parent's connections are not this process's to use or close
            _fill(cache, found, share, limits, out)
        status = 0
    finally:
        os._exit(status)


def _fill(cache: ParsedCache, found: Sequence[Found], share: list[int], limits: ReadLimits, out: int) -> None:
    from core.cache.store import identity

    for index in share:
        item = found[index]
        ws, _ = cache.load(item.path, item.kind, limits)
        entry_id = cache.entry_ids.get(identity(item.path, item.kind, limits))
        if ws is None or entry_id is None:
            continue  # no entry written: the parent loads this one itself
        try:
            frame = _encode((index, filled(ws, entry_id)))
        except (msgspec.EncodeError, OverflowError, TypeError, ValueError):
            continue
        header = _HEADER.pack(len(frame))
        if os.writev(out, [header, frame]) != len(header) + len(frame):
            return  # a short write: the parent ignores the torn frame


def _shares(indices: list[int], sizes: list[int], count: int) -> list[list[int]]:
    """``indices`` cut, in order, into at most ``count`` runs of about equal total size."""
    total = sum(sizes)
    if count < 2 or len(indices) < 2 or total == 0:
        return [indices]
    shares: list[list[int]] = [[]]
    done = 0
    for index, size in zip(indices, sizes, strict=True):
        # a new share begins where this one holds its part of the total, give or take half an
        # item (the last one takes the rest)
        if shares[-1] and len(shares) < count and done + size / 2 >= total * len(shares) / count:
            shares.append([])
        shares[-1].append(index)
        done += size
    return shares


def _bytes(folder: os.PathLike[str] | str, depth: int = _SIZE_DEPTH) -> int | None:
    """About how many bytes a load of ``folder`` reads: its files down to ``depth`` levels,
    ``.git`` and links left out (only to balance the shares: a wrong guess costs time, never a
    result). None when a ``.beads`` folder in it keeps its beads on a Dolt server: such a
    workspace has no entry (it is read from the server each time), so a helper would load it
    for nothing."""
    total = 0
    in_beads = os.path.basename(folder) == ".beads"
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    continue
                if entry.is_file():
                    if in_beads and entry.name == "metadata.json" and _server_mode(entry.path):
                        return None
                    total += entry.stat().st_size
                elif depth > 1 and entry.is_dir() and entry.name != ".git":
                    inner = _bytes(entry.path, depth - 1)
                    if inner is None:
                        return None
                    total += inner
    except OSError:
        pass
    return total


def _server_mode(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            metadata = msgspec.json.decode(handle.read(1 << 20))
    except (OSError, msgspec.DecodeError):
        return False
    return isinstance(metadata, dict) and is_server_mode(metadata)


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def _idle_cpus() -> int:
    """CPUs with nothing to run right now besides this process: ours less the running count of
    ``/proc/loadavg`` (an instant, this process included), else the one-minute load average."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        with open("/proc/loadavg", "rb") as handle:
            runnable: float = int(handle.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        try:
            runnable = os.getloadavg()[0] + 1
        except OSError:
            return 0
    return max(0, int(cpus - runnable))


def _wait(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped already (SIGCHLD ignored)
        pass


def _anonymous_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("crossdeck-fill", os.MFD_CLOEXEC)
    import tempfile

    with tempfile.TemporaryFile() as handle:  # unlinked already: the duplicate keeps it alive
        return os.dup(handle.fileno())

