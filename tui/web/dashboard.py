"""The process one browser page drives: the same dashboard as ``crossdeck tui`` (textual-serve
starts it with Textual's web driver). With ``CROSSDECK_WEB_PROBE`` set to a file, the app also
writes what is on screen there (the pane, the workspaces loaded), a test hook: the page is a
canvas, so a browser test cannot read the screen's text from the DOM."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

PROBE_ENV = "CROSSDECK_WEB_PROBE"


def probed(app_class: type) -> type:
    """``app_class`` with the probe: every 50 ms, when what is shown changed, the file is
    rewritten whole (written beside it, then renamed)."""

    class Probed(app_class):  # type: ignore[misc, valid-type]
        def on_mount(self) -> None:
            self._probe_last: dict[str, object] = {}
            self._probe_started = time.time()
            self.set_interval(0.05, self._probe)

        def _probe(self) -> None:
            pane = self.current_pane
            state = {"pane": getattr(pane, "id", None), "screen": type(self.screen).__name__,
                     "workspaces": None if self.data is None else len(self.data.federation.workspaces)}
            if state == self._probe_last:
                return
            self._probe_last = state
            target = Path(os.environ[PROBE_ENV])
            scratch = target.with_name(target.name + ".part")
            scratch.write_text(json.dumps(state | {"at": time.time(), "pid": os.getpid()}))
            scratch.replace(target)

    return Probed


def main(argv: list[str]) -> int:
    if os.environ.get(PROBE_ENV):
        import tui.app

        tui.app.CrossdeckApp = probed(tui.app.CrossdeckApp)  # type: ignore[misc]
    from tui.launch import run_tui

    return run_tui(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
