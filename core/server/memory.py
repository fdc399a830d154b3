"""Giving memory back to the system once the server no longer needs it.

Each stream's writes allocate and free buffers (the pieces of events it sends, its connection's
own), and each re-read of the workspace builds a new copy of it before the old one goes; glibc's
allocator keeps what was freed (the process's RSS stays where the crowd of streams or the
largest re-read took it) until asked to return it. ``after_streams`` asks (``malloc_trim``) a
moment after the last of a run of streams closed (once, not per stream), and ``tend`` every
``EVERY`` seconds (a trim of a heap of a few hundred MB takes ~10 ms). ``fewer_arenas`` (at
start) keeps glibc to ``ARENAS`` heaps instead of one per thread of the pool (up to 8 a core),
each of which would keep the most a re-read of the workspace in that thread ever took: under
16 writers and a 40 MB workspace the peak fell from 839 to 568 MB. Elsewhere than glibc they all
do nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
from collections.abc import Callable

DELAY = 2.0  # seconds after a stream closed: the ones closing with it are gone by then
EVERY = 10.0  # seconds between two trims by ``tend``
ARENAS = 2  # glibc heaps for the whole process
M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)

_pending: set[asyncio.AbstractEventLoop] = set()


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _trim() -> Callable[[int], int] | None:
    return getattr(_libc(), "malloc_trim", None)


def fewer_arenas(arenas: int = ARENAS) -> bool:
    """Keep the allocator to ``arenas`` heaps (arenas made already stay); whether it could."""
    mallopt = getattr(_libc(), "mallopt", None)
    return bool(mallopt is not None and mallopt(M_ARENA_MAX, arenas))


def give_back() -> bool:
    """Return the allocator's free memory to the system now; whether it could be asked."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True


def after_streams() -> None:
    """A stream closed (on the running loop): give memory back ``DELAY`` seconds from now,
    unless that is planned already."""
    loop = asyncio.get_running_loop()
    if loop in _pending:
        return
    _pending.add(loop)

    def run() -> None:
        _pending.discard(loop)
        give_back()

    loop.call_later(DELAY, run)


async def tend(every: float = EVERY) -> None:
    """Give memory back every ``every`` seconds (a background task of the server)."""
    if _trim() is None:
        return
    while True:
        await asyncio.sleep(every)
        give_back()
