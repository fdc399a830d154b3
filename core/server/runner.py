"""Running the app with uvicorn: in the foreground for ``crossdeck serve`` (SIGINT / SIGTERM stop
it cleanly), or in a background thread (tests, embedding). Either way the address comes from the
bound socket, so ``port=0`` gets a free port, and open event streams are ended on shutdown
rather than waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

import uvicorn

from core.server.app import Options, ServerState, create_app
from core.server.memory import fewer_arenas
from core.server.served import Served

STARTUP_TIMEOUT = 20.0


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, state: ServerState):
        super().__init__(config)
        self.state = state

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM shut the server down, and the process then exits normally (uvicorn's
        own would raise the signal again once stopped, and the process would die of it)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.state.hub.close()  # open streams end, so shutdown does not wait on them
        super().handle_exit(sig, frame)

    def stop(self) -> None:
        self.state.hub.close()
        self.should_exit = True


def build(served: Served, host: str, port: int, options: Options | None = None) -> _Server:
    fewer_arenas()  # before the thread pool's threads make theirs
    app = create_app(served, options, host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=3)
    return _Server(config, app.state.server)


def url_of(server: uvicorn.Server) -> str:
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"


def listen(host: str, port: int) -> socket.socket:
    """The bound, listening socket (an ``OSError`` naming the problem when the address is taken
    or not ours), bound before uvicorn starts so its failure is a plain error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on connections whose socket
    # says it is TCP. Without it a kept-alive connection waits ~40 ms per call (Nagle against
    # the client's delayed ACK) between a response's headers and its body.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


async def _serve(server: _Server, announce: Callable[[str], None], sock: socket.socket) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task  # it failed to start: raise its error
            raise OSError(f"could not listen on {server.config.host}:{server.config.port}")
        await asyncio.sleep(0.02)
    announce(url_of(server))
    await task


def run(served: Served, host: str, port: int, options: Options | None,
        announce: Callable[[str], None]) -> None:
    """Serve in the foreground until SIGINT or SIGTERM; ``announce(url)`` once listening."""
    sock = listen(host, port)
    with sock:
        asyncio.run(_serve(build(served, host, port, options), announce, sock))


class Running:
    """A server in a background thread: ``url``, ``state``, and ``stop()``."""

    def __init__(self, served: Served, host: str = "127.0.0.1", port: int = 0, options: Options | None = None):
        self._sock = listen(host, port)
        self.server = build(served, host, port, options)
        self.state = self.server.state
        self.url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=f"crossdeck-serve {served.name}", daemon=True)
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT) or self._error is not None:
            self.stop()
            raise RuntimeError(f"the server did not start: {self._error}")

    def _main(self) -> None:
        def announce(url: str) -> None:
            self.url = url
            self._ready.set()

        try:
            with self._sock:
                asyncio.run(_serve(self.server, announce, self._sock))
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.server.stop()
        self._thread.join(timeout)
