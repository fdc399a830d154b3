"""A fresh demo copy (``crossdeck demo --dir D --no-open``), and ``crossdeck web`` (or a bare
textual-serve app) in a real process, driven by headless Chromium from Debian's packages through
Playwright (never a browser download): shared by tests/test_web.py, tests/test_mcp.py and
benchmarks/web_first_paint.py."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT

CHROMIUM = Path(os.environ.get("CROSSDECK_CHROMIUM", "/usr/bin/chromium"))


@contextmanager
def web_process(argv: Sequence[str], env: dict[str, str], cwd: Path | None = None,
                timeout: float = 60) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``argv`` (a server that prints its URL as its first stdout line), yield it and the URL;
    stop it at the end (SIGTERM, then SIGKILL)."""
    process = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        try:
            url = lines.get(timeout=timeout).strip()
        except queue.Empty:
            process.kill()
            raise AssertionError(f"no URL within {timeout}s: {process.stderr.read()}") from None  # type: ignore[union-attr]
        yield process, url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def demo_copy(folder: Path) -> Path:
    """``crossdeck demo --dir FOLDER --no-open``, outside any CROSSDECK_HOME: the copy's own home."""
    env = {k: v for k, v in os.environ.items() if k not in ("CROSSDECK_HOME", "BD_ACTOR")}
    done = subprocess.run([sys.executable, "-m", "tui", "demo", "--dir", str(folder), "--no-open"],
                          env=env | {"PYTHONPATH": str(PROJECT)}, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return folder


def crossdeck_web(roots: Sequence[str], *options: str) -> list[str]:
    return [sys.executable, "-m", "tui", "web", *roots, *options]


def wait_for(check: Callable[[], Any], timeout: float = 90, what: str = "a condition") -> Any:
    """Poll ``check`` until it returns something true; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def probe(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def base_env(home: Path, probe_file: Path, actor: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BD_ACTOR", "CROSSDECK_HOME")}
    env |= {"PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(home), "CROSSDECK_WEB_PROBE": str(probe_file)}
    return env | ({"BD_ACTOR": actor} if actor else {})


@contextmanager
def browser_page(width: int = 1400, height: int = 900) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()
