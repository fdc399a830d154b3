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

The workspaces to load are claimed one at a time (``Claims``): this process from the front, in
discovery order, the helpers from the back, so this process never waits for a helper before it
has loaded its own, and records and diagnostics come out in exactly the order of a one-process
load (tests/test_cache_fill.py). A helper is forked only where that is safe and pays: Linux (its
CPU check reads ``/proc``), this process running one thread (a fork while another thread holds a
lock can deadlock the child: the dashboard and the server load in one process), enough bytes to
share, and a CPU with nothing else to run right now (Linux shares CPU time between sessions, not
processes: while another session keeps a core busy, two processes split one). Anything going
wrong (no file or process to be had, a helper that dies, an entry it could not write, an entry
changed since) only means this process loads that workspace itself; so is one whose beads live
on a Dolt server, always (it has no entry).
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from core.dolt.target import is_server_mode, metadata_path
from core.model import Relationship, Workspace
from core.sources.discover import Found

if TYPE_CHECKING:
    from core.cache.store import ParsedCache
    from core.sources.files import ReadLimits

MIN_BYTES = 16 << 20  # with fewer bytes to load than this, a helper does not pay for its fork
MAX_HELPERS = 3
_SIZE_DEPTH = 4  # how deep below a workspace's folder its bytes are counted (a town's beads are at 3)
_LOOKED_AT = 20_000  # entries looked at before the federation is taken for a large one
_HEADER = struct.Struct("=Q")
_PAIR = struct.Struct("=qq")
_PR_SET_PDEATHSIG = 1
STOP_S = 2.0  # how long a helper asked to stop may take before it is killed


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


class Claims:
    """The workspaces a load shares, claimed one at a time: this process from the front, in
    discovery order, the helpers from the back. They meet where the work is about evenly split,
    whatever each workspace costs to load (a town costs twice what a sudocode repo of its size
    does, a realm's YAML thirty times). Two counters in an anonymous file, under a POSIX record
    lock: held per process, so it excludes a forked helper, and let go when its holder dies."""

    def __init__(self, indices: list[int]):
        self.indices = indices
        self.fd = _anonymous_file()
        os.pwrite(self.fd, _PAIR.pack(0, len(indices)), 0)

    def front(self) -> int | None:
        return self._claim(front=True)

    def back(self) -> int | None:
        return self._claim(front=False)

    def _claim(self, *, front: bool) -> int | None:
        fcntl.lockf(self.fd, fcntl.LOCK_EX)
        try:
            low, high = _PAIR.unpack(os.pread(self.fd, _PAIR.size, 0))
            if low >= high:
                return None
            if front:
                taken, low = low, low + 1
            else:
                taken = high = high - 1
            os.pwrite(self.fd, _PAIR.pack(low, high), 0)
            return self.indices[taken]
        finally:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)


class Helpers:
    """The helpers filling the cache for one load. This process asks ``take(index)`` of each
    shared workspace in discovery order: None while it is this process's to load (claimed from
    the front); once the helpers have claimed it, it waits for them all and gets what the helper
    that loaded it sent (None again when it sent nothing: load it here)."""

    def __init__(self, claims: Claims, count: int):
        self.claims = claims
        self.shared = set(claims.indices)
        self.pids: list[int] = []
        self.files: list[int] = []
        self.sent: dict[int, Filled] = {}
        self.met = False  # this process reached the helpers' claims: they are done
        try:
            for _ in range(count):
                self.files.append(_anonymous_file())
        except OSError:  # no file to be had (EMFILE): none is kept open
            self.close()
            raise

    def take(self, index: int) -> Filled | None:
        if index not in self.shared:
            return None
        if not self.met:
            if self.claims.front() is not None:
                return None
            self.met = True
            for pid, fd in zip(self.pids, self.files, strict=False):
                _wait(pid)
                self._read(fd)
            self.pids = []
        return self.sent.pop(index, None)

    def stop(self) -> None:
        """Leaving early (Ctrl-C, a bug): what the helpers still do is not wanted. Each is asked
        to stop (it removes the entry it was writing), and killed if it has not within
        ``STOP_S``."""
        for pid in self.pids:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_S
        for pid in self.pids:
            while not _reaped(pid):
                if time.monotonic() > deadline:
                    _signal(pid, signal.SIGKILL)
                    _wait(pid)
                    break
                time.sleep(0.005)
        self.pids = []

    def close(self) -> None:
        self.stop()
        for fd in [*self.files, self.claims.fd]:
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
    """Fork helpers to share the loads of ``missed`` (indices into ``found``) when that is safe
    and worth it; ``helpers`` forces how many (tests), where forking is possible at all."""
    if not _can_fork():
        return None
    shared = [index for index in missed if not _dolt_backed(found[index].path)]
    if helpers is None:
        helpers = min(_idle_cpus(), MAX_HELPERS) if _at_least(MIN_BYTES, [found[i].path for i in shared]) else 0
    helpers = min(helpers, len(shared) - 1)
    if helpers < 1:
        return None
    try:
        team = Helpers(Claims(shared), helpers)
    except OSError:
        return None
    parent = os.getpid()
    for fd in team.files:
        try:
            pid = os.fork()
        except OSError:  # no process to be had (EAGAIN): those that started share the work
            break
        if pid == 0:  # the helper: never returns
            _helper(cache, found, team.claims, limits, fd, parent)
        team.pids.append(pid)
    return team


def _helper(cache: ParsedCache, found: Sequence[Found], claims: Claims, limits: ReadLimits, out: int,
            parent: int) -> None:
    """Load the workspaces this helper claims, writing their entries and one frame each; exit
    without running any of the parent's clean-up (atexit handlers, buffered output)."""
    status = 1
    try:
        signal.signal(signal.SIGTERM, _stopped)  # stop() asks: leave through the clean-up below
        _die_with_parent(parent)
        from core.dolt.session import new_session

        with new_session():  # the parent's connections are not this process's to use or close
            _fill(cache, found, claims, limits, out)
        status = 0
    finally:
        os._exit(status)


def _fill(cache: ParsedCache, found: Sequence[Found], claims: Claims, limits: ReadLimits, out: int) -> None:
    from core.cache.store import identity

    while (index := claims.back()) is not None:
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
            return  # a short write: the parent ignores the torn frame; the rest it loads itself


def _at_least(wanted: int, folders: Sequence[os.PathLike[str] | str]) -> bool:
    """Whether loading ``folders`` reads about ``wanted`` bytes or more: their files down to
    ``_SIZE_DEPTH`` levels, ``.git`` and links left out, counted until the answer is known. A
    folder with more than ``_LOOKED_AT`` entries in those levels (a repository's source tree
    around its ``.sudocode``) is taken for a large one rather than walked on: a wrong guess only
    costs a fork, never a result."""
    total = looked = 0
    stack = [(os.fspath(folder), _SIZE_DEPTH) for folder in reversed(folders)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    looked += 1
                    if entry.is_symlink():
                        continue
                    if entry.is_file():
                        total += entry.stat().st_size
                    elif depth > 1 and entry.is_dir() and entry.name != ".git":
                        stack.append((entry.path, depth - 1))
        except OSError:
            continue
        if total >= wanted or looked > _LOOKED_AT:
            return True
    return False


def _dolt_backed(folder: os.PathLike[str] | str) -> bool:
    """Whether the workspace at ``folder`` keeps beads on a Dolt server (its own ``.beads``, or a
    rig's one level down, says so in ``metadata.json``). Such a workspace has no entry (it is read
    from the server each time), so a helper would load it for nothing."""
    root = os.fspath(folder)
    places = [root]
    try:
        with os.scandir(root) as entries:
            places += [entry.path for entry in entries if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return False
    return any(_server_mode(metadata_path(Path(place, ".beads"))) for place in places)


def _server_mode(path: Path) -> bool:
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


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(1)


def _die_with_parent(parent: int) -> None:
    """Be killed if ``parent``, the process that forked this one, dies (killed outright, its
    clean-up never run): Linux's PR_SET_PDEATHSIG."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the call
        os._exit(1)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _reaped(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:  # reaped already (SIGCHLD ignored)
        return True


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

