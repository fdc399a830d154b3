"""The ``crossdeck`` console script: a thin launcher. ``tui`` (or no verb) opens the dashboard,
``web`` serves it in a browser;
``demo`` prepares its copy in core, then opens the dashboard on it; every headless verb goes
to ``core.cli``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

EXIT_BROKEN_PIPE = 128 + 13  # what a tool killed by SIGPIPE exits with (``yes | head``)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args or args[0] == "tui":
            from tui.launch import run_tui

            return run_tui(args[1:])
        if args[0] == "web":
            from tui.web.serve import run_web

            return run_web(args[1:])
        if args[0] == "demo":
            from core.commands.json_guard import guarded, wants_json
            from tui.launch import run_demo

            return guarded(lambda: run_demo(args[1:])) if wants_json(args) else run_demo(args[1:])
        from core.cli import main as cli_main

        return cli_main(args)
    except KeyboardInterrupt:  # Ctrl-C: stop quietly, as other tools do, not with a traceback
        from core.commands.json_guard import EXIT_INTERRUPTED, INTERRUPTED

        sys.stderr.write(INTERRUPTED + "\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``crossdeck audit | head``): stop quietly, as other tools do
        # (they die of SIGPIPE: 128 + 13), not as if a file could not be read.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    raise SystemExit(main())
