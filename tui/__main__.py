"""The ``crossdeck`` console script: a thin launcher. Headless verbs go to ``core.cli``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from core.cli import main as cli_main

    try:
        return cli_main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # The reader went away (``crossdeck audit | head``): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
