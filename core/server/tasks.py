"""The server's background tasks (the watcher that re-reads the served workspace) never die
silently: ``supervised`` runs one, and when it raises, reports the failure and starts it again
after a pause (1, 2, 5, 10, then every 30 s while it keeps failing). ``report`` is the server's
(core/server/app.py): a line on stderr and a ``server.error`` event on every stream, while the
last good copy of the workspace goes on answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

WAITS = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before each restart while failures follow each other
HEALTHY = 60.0  # seconds of running after which a failure counts as the first again


async def supervised(name: str, run: Callable[[], Awaitable[None]], report: Callable[[str, BaseException], None],
                     waits: tuple[float, ...] = WAITS) -> None:
    """Run ``run()`` until it returns or this is cancelled, restarting it after each failure."""
    loop = asyncio.get_running_loop()
    failures = 0
    while True:
        started = loop.time()
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported, then started again
            if loop.time() - started > HEALTHY:
                failures = 0
            report(name, exc)
            await asyncio.sleep(waits[min(failures, len(waits) - 1)])
            failures += 1
