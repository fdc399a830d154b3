"""First paint of ``crossdeck web``: from the browser's page load until the Overview shows with the
demo loaded (the app's probe, tui/web/dashboard.py), against a bare Textual app behind the same
textual-serve server in the same run (until it is mounted and drawn). Headless Chromium from
Debian's packages, driven by Playwright.

    PYTHONPATH=. python -m benchmarks.web_first_paint [--runs 3]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.web_helpers import base_env, browser_page, crossdeck_web, demo_copy, probe, wait_for, web_process

BARE_APP = '''
import json, os, sys, time
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.drawn)
    def drawn(self):
        open(os.environ["CROSSDECK_WEB_PROBE"], "w").write(json.dumps({"pane": "bare", "workspaces": 1}))

Bare().run()
'''

BARE_SERVER = '''
import sys
from tui.web.serve import free_port, guarded_server
guarded_server(sys.argv[1], "127.0.0.1", free_port("127.0.0.1"), "bench").serve()
'''


def first_paint(argv: list[str], env: dict[str, str], probe_file: Path) -> float:
    probe_file.unlink(missing_ok=True)
    with web_process(argv, env) as (_, url), browser_page() as page:
        started = time.monotonic()
        page.goto(url)
        wait_for(lambda: probe(probe_file).get("workspaces"), timeout=120, what="the first screen")
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        demo_copy(folder / "demo")
        (folder / "bare.py").write_text(BARE_APP)
        probe_file = folder / "probe.json"
        run_env = base_env(folder / "demo" / "home", probe_file)
        bare = [sys.executable, "-c", BARE_SERVER, shlex.join([sys.executable, str(folder / "bare.py")])]
        crossdeck = crossdeck_web([str(folder / "demo" / "workspaces")], "--port", "0")
        times: dict[str, list[float]] = {"bare textual-serve app": [], "crossdeck web (Overview, demo)": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine
            times["bare textual-serve app"].append(first_paint(bare, run_env, probe_file))
            times["crossdeck web (Overview, demo)"].append(first_paint(crossdeck, run_env, probe_file))
    for name, values in times.items():
        print(f"{name:32s} median {statistics.median(values):.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
