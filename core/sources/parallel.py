"""Loading workspaces on two cores: a forked child loads some of them and ships their records back.

Why: building 200k records from JSON Lines is CPU-bound Python, and threads cannot share it (the
GIL). A forked child loads workspaces alongside this process and sends each one back
msgpack-encoded; decoding a record (msgspec, straight into the model's ``gc=False`` structs) costs
a fraction of loading it, so a large federation loads in about two thirds of the time on two cores.

How: after discovery, the workspaces the child may take go into a pipe as claim tokens; both
processes take the next token until the pipe is empty (a read of a few bytes from a pipe is
atomic), so the work balances itself whatever the workspaces' sizes. The child appends one frame
per workspace to an anonymous file; this process decodes the frames that are complete between its
own workspaces, and the rest once the child has exited. Results come back in discovery order, so
records and diagnostics are in exactly the order a one-process load gives
(tests/test_parallel_load.py compares the two).

Only workspaces whose files are all JSON go to the child: msgpack carries JSON's values exactly,
not YAML's (dates, sets, binary), so realms load here. The fork happens only where it is safe and
worth it: Linux (where it was measured), this process running one thread (forking while
another thread holds a lock can deadlock the child; the dashboard loads in a worker thread, so it loads in one process), enough
workspaces to share, and a usable CPU with nothing else to run right now. That last one because
Linux shares CPU time between sessions, not processes (autogroup): while another session keeps a
core busy, our two processes split the one core our session gets, and the shipping is a loss
(on two busy cores: 2.5 s against 1.9 s in one process). Anything going wrong (no pipe or
process to be had, a child that dies, a record that does not encode or decode) only means this
process loads the missing workspaces itself.
"""

from __future__ import annotations

import os
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec

from core.diagnostics import Diagnostic, Diagnostics
from core.model import Realm, SudocodeRepo, Town, Workspace, WorkspaceKind
from core.sources.discover import Found

Loaded = tuple["Workspace | None", Diagnostics]
LoadOne = Callable[[Found], Loaded]

# Workspace kinds whose values are JSON only (see the module docstring).
SHIPPABLE = frozenset({WorkspaceKind.TOWN, WorkspaceKind.SUDOCODE, WorkspaceKind.BEADS})
MIN_SHARED = 8  # with fewer shippable workspaces than this, a fork does not pay for itself
_TOKEN = struct.Struct("=I")
_MAX_TOKENS = 4096  # tokens must fit the pipe's buffer (64 KiB) before the fork; more workspaces go in chunks
_HEADER = struct.Struct("=Q")

# ``Workspace.info`` is an untagged union of structs, which msgspec cannot decode: the shipped form
# carries it raw, decoded by the workspace's kind. Every field is always encoded.
_Shipped = msgspec.defstruct(
    "ShippedWorkspace",
    [(f.name, msgspec.Raw if f.name == "info" else f.type) for f in msgspec.structs.fields(Workspace)],
    kw_only=True, gc=False,
)
_decode_frame = msgspec.msgpack.Decoder(tuple[int, list[Diagnostic], _Shipped | None]).decode  # type: ignore[valid-type]
_INFO = {WorkspaceKind.TOWN: msgspec.msgpack.Decoder(Town | None),
         WorkspaceKind.SUDOCODE: msgspec.msgpack.Decoder(SudocodeRepo | None),
         WorkspaceKind.REALM: msgspec.msgpack.Decoder(Realm | None)}


def load_all(found: Sequence[Found], load: LoadOne, *, share: bool = True) -> Iterator[Loaded]:
    """``load(item)`` for every item, in order; on two processes when that is safe and worth it
    (and ``share``). On one process each is loaded as the caller asks for it, so a caller that
    keeps little of each holds one workspace at a time."""
    shared = [i for i, item in enumerate(found) if item.kind in SHIPPABLE]
    results: list[Loaded | None] = [None] * len(found)
    if share and len(shared) >= MIN_SHARED and _can_fork():
        try:
            _load_on_two(found, shared, load, results)
        except OSError:  # no pipe, file or process to be had: what is missing loads here
            pass
    for i, item in enumerate(found):
        result, results[i] = results[i], None
        yield result if result is not None else load(item)


def _load_on_two(found: Sequence[Found], shared: list[int], load: LoadOne, results: list[Loaded | None]) -> None:
    size = -(-len(shared) // _MAX_TOKENS)
    chunks = [shared[start:start + size] for start in range(0, len(shared), size)]
    claims, claims_w = os.pipe()
    try:
        with os.fdopen(claims_w, "wb") as tokens:
            tokens.write(b"".join(_TOKEN.pack(n) for n in range(len(chunks))))
        inbox = Inbox(results)
        try:
            pid = os.fork()
            if pid == 0:  # the child: never returns
                _child(found, chunks, claims, inbox.fd, load)
            try:
                for i, item in enumerate(found):
                    if item.kind not in SHIPPABLE:
                        results[i] = load(item)
                for chunk in _claims(claims, chunks):
                    for i in chunk:
                        results[i] = load(found[i])
                    inbox.take()
                inbox.take()
            except BaseException:  # leaving early (Ctrl-C, a bug): the child's work is not wanted
                _stop(pid)
                raise
            _wait(pid)
            inbox.take()
        finally:
            os.close(inbox.fd)
    finally:
        os.close(claims)


def _can_fork() -> bool:
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False  # measured on Linux only (the CPU check below reads /proc)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus - _runnable() >= 1


def _runnable() -> float:
    """How many tasks want a CPU now, this process included: the running count of
    ``/proc/loadavg`` (an instant), else the one-minute load average plus this process."""
    try:
        with open("/proc/loadavg", "rb") as handle:
            return int(handle.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0] + 1
        except OSError:
            return 1


def _claims(fd: int, chunks: list[list[int]]) -> Iterator[list[int]]:
    """The chunks of workspace indices this process claims, until none is left."""
    while token := os.read(fd, _TOKEN.size):
        yield chunks[_TOKEN.unpack(token)[0]]


def _child(found: Sequence[Found], chunks: list[list[int]], claims: int, out: int, load: LoadOne) -> None:
    """Load the claimed workspaces, appending one frame each; exit without running any of the
    parent's clean-up (atexit handlers, buffered output)."""
    status = 1
    try:
        encode = msgspec.msgpack.Encoder().encode
        for chunk in _claims(claims, chunks):
            for i in chunk:
                ws, diags = load(found[i])
                try:
                    frame = encode((i, diags.items, ws))
                except (msgspec.EncodeError, OverflowError, TypeError, ValueError):
                    continue  # e.g. an int beyond 64 bits: not sent, the parent loads this one itself
                header = _HEADER.pack(len(frame))
                if os.writev(out, [header, frame]) != len(header) + len(frame):
                    return  # a short write: the parent ignores the torn frame
        status = 0
    finally:
        os._exit(status)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _wait(pid)


def _wait(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped already (SIGCHLD ignored)
        pass


class Inbox:
    """The child's frames, read from an anonymous file as they become complete."""

    def __init__(self, results: list[Loaded | None]):
        self.results = results
        self.fd = _anonymous_file()
        self.offset = 0

    def take(self) -> None:
        """Decode every complete frame not yet read into ``results``; a frame that does not decode
        (a value the model's types refuse) is skipped, and its workspace is loaded here."""
        end = os.fstat(self.fd).st_size
        while self.offset + _HEADER.size <= end:
            (size,) = _HEADER.unpack(os.pread(self.fd, _HEADER.size, self.offset))
            start = self.offset + _HEADER.size
            if start + size > end:
                return
            frame = os.pread(self.fd, size, start)
            self.offset = start + size
            try:
                index, items, shipped = _decode_frame(frame)
                ws = _workspace(shipped) if shipped is not None else None
            except msgspec.DecodeError:
                continue
            diags = Diagnostics()
            diags.items = items
            self.results[index] = (ws, diags)


def _anonymous_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("crossdeck-load", os.MFD_CLOEXEC)
    import tempfile

    with tempfile.TemporaryFile() as handle:  # unlinked already: the duplicate keeps it alive
        return os.dup(handle.fileno())


def _workspace(shipped: Any) -> Workspace:
    fields = msgspec.structs.asdict(shipped)
    fields["info"] = _INFO[shipped.kind].decode(shipped.info) if shipped.kind in _INFO else None
    return Workspace(**fields)
