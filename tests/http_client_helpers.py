"""What the HTTP client tests share: wiring a local frontend copy to a served api-service (its
``http_url`` and the token kept for it), a tiny misbehaving HTTP server that counts attempts, a
port nothing listens on, and reading a process's output lines with a bound."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

from core import tokens

API_REMOTE = "acme-dev/api-service"  # the frontend's name for its api-service remote
FRONTEND_WS = "acme-dev/frontend"


def set_http_url(root: Path, remote_url: str, http_url: str) -> None:
    """Give the remote whose ``url`` is ``remote_url`` in a sudocode repo's config an ``http_url``."""
    config = root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    entry = next(r for r in doc["remote_repos"] if r["url"] == remote_url)
    entry["http_url"] = http_url
    config.write_text(json.dumps(doc, indent=2))


def wire_frontend(frontend: Path, served: Any) -> None:
    """frontend's remote api-service reached at ``served`` with a token api-service issued to it."""
    set_http_url(frontend, "github.com/acme-dev/api-service", served.url)
    tokens.remember(FRONTEND_WS, API_REMOTE, served.token("github.com/acme-dev/frontend"))


def cli_json(schema: str, *args: str) -> dict[str, Any]:
    """``crossdeck ARGS --json`` run as a user runs it: exit 0, stdout valid against its schema."""
    from tests.schema_check import assert_matches_schema
    from tests.test_cli_summary import crossdeck

    result = crossdeck(*args, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema(schema, data)
    return data  # type: ignore[no-any-return]


def closed_port() -> int:
    """A port of 127.0.0.1 that was free a moment ago (bound, then closed): nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Flaky:
    """A server on 127.0.0.1 that answers the first ``failures`` calls with ``status`` (after
    ``delay`` seconds, with ``headers`` and ``body``), then 200 with an info document."""

    def __init__(self, failures: int, status: int = 500, *, delay: float = 0.0, headers: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None):
        self.failures, self.status, self.delay = failures, status, delay
        self.headers = headers or {}
        self.body = body if body is not None else {"error": {"code": "internal", "message": "try again"}}
        self.attempts = 0
        self.lock = threading.Lock()
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with flaky.lock:
                    flaky.attempts += 1
                    failing = flaky.attempts <= flaky.failures
                if failing and flaky.delay:
                    time.sleep(flaky.delay)
                status, body = (flaky.status, flaky.body) if failing else (200, INFO)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for name, value in (flaky.headers if failing else {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a timeout test)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


INFO = {"schema_version": 1, "server": {"name": "flaky", "version": "0"}, "workspace": "acme/flaky",
        "kind": "sudocode", "identity": {"url": "github.com/acme/flaky"}, "capabilities": {"query": ["issue"]},
        "caller": None}


@contextmanager
def flaky(*args: Any, **kwargs: Any) -> Iterator[Flaky]:
    server = Flaky(*args, **kwargs)
    try:
        yield server
    finally:
        server.close()


class Lines:
    """The lines a stream (a process's stdout) gives, read in a thread; ``next`` waits a bounded
    time for the next one that ``wanted`` accepts (lines it passes over stay for later calls)."""

    def __init__(self, stream: IO[str]):
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.passed: list[str] = []

        def pump() -> None:
            for line in stream:
                self.queue.put(line)
            self.queue.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def rest(self, timeout: float) -> list[str]:
        """Every line not taken yet, up to the end of the stream (or ``timeout`` seconds)."""
        lines, self.passed = self.passed, []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            lines.append(line)
        return lines

    def next(self, timeout: float, wanted: Callable[[str], bool] = lambda line: True) -> str:
        for index, line in enumerate(self.passed):
            if wanted(line):
                return self.passed.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.queue.get(timeout=max(left, 0.0)) if left > 0 else None
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError(f"no wanted line within {timeout} s; passed over: {self.passed}")
            if wanted(line):
                return line
            self.passed.append(line)


def interrupt(process: subprocess.Popen[str], timeout: float = 60.0) -> int:
    """Ctrl+C the process; its exit code. One still running after ``timeout`` seconds is made to
    dump its threads' stacks (faulthandler, on SIGABRT) and the test fails showing them."""
    import signal

    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        masks = _signal_masks(process.pid)
        process.send_signal(signal.SIGABRT)
        process.wait(30)
        stderr = _ERRORS.get(process.pid)
        dumped = "".join(stderr.rest(5.0)) if stderr is not None else "(stderr not followed)"
        raise AssertionError(f"still running {timeout} s after Ctrl+C ({masks}); its threads then:\n{dumped}") from None
    finally:
        if process.poll() is None:
            process.kill()


def _signal_masks(pid: int) -> str:
    """What the process does with signals (/proc: blocked, ignored, caught), SIGINT's bit is 0x2."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "no /proc"
    return ", ".join(line.replace("\t", " ") for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


_ERRORS: dict[int, Lines] = {}  # the stderr lines of each process ``watch`` started, by pid


def watch(*args: str) -> tuple[subprocess.Popen[str], Lines, Lines]:
    """``crossdeck watch ARGS`` running, with its stdout and stderr lines, once it says it is
    watching (its subscriptions are made)."""
    import os
    import sys

    project = Path(__file__).resolve().parents[1]
    process = subprocess.Popen([sys.executable, "-m", "tui", "watch", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(project), "PYTHONFAULTHANDLER": "1"})
    out, err = Lines(process.stdout), Lines(process.stderr)  # type: ignore[arg-type]
    _ERRORS[process.pid] = err
    err.next(60, lambda line: line.startswith("watching "))
    return process, out, err
