"""``crossdeck demo``: copy the demo federation somewhere fresh and show it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.commands.output import EXIT_UNUSABLE


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("demo", help="copy the demo federation to a fresh folder and show it")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the copy (new or empty folder)")
    parser.add_argument("--no-open", action="store_true", help="prepare the copy and print its folder only")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(run=run, needs_federation=False)


def run(args: argparse.Namespace) -> int:
    from core.demo import DemoError, prepare_demo

    try:
        target = prepare_demo(args.dir)
    except (DemoError, OSError) as exc:
        sys.stderr.write(f"crossdeck demo: {exc}\n")
        return EXIT_UNUSABLE
    os.environ["CROSSDECK_HOME"] = str(target / "home")
    if args.no_open:
        sys.stdout.write(f"{target / 'workspaces'}\n")
        return 0
    sys.stderr.write(f"demo federation copied to {target / 'workspaces'} (CROSSDECK_HOME={target / 'home'})\n")
    from core.commands import summary
    from core.federation import load_federation

    fed = load_federation([target / "workspaces"])
    summary_args = argparse.Namespace(json=args.json, verbose=False)
    return summary.run(summary_args, fed)
