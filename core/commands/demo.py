"""``crossdeck demo``: copy the demo federation somewhere fresh, date it today, and show it.

``--no-open`` prepares the copy and prints its folder (on stderr, the command that opens it);
``--json`` prints the copy's summary (and what was done to it) instead of opening the dashboard.
Every verb run on the copy afterwards uses its home (``DEST/.crossdeck-demo.json`` says where). Opening the dashboard is the launcher's
part (``tui.launch.run_demo`` passes ``open_dashboard``): core never imports the TUI, so when this
verb runs through ``core.cli`` alone it prints the summary and how to open the copy.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.commands.output import EXIT_UNUSABLE

if TYPE_CHECKING:
    from core.demo import Demo

Opener = Callable[[Path], int]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to put the copy (a new or empty folder; default: under the data dir)")
    parser.add_argument("--no-open", action="store_true", help="prepare the copy and print its folder only")
    parser.add_argument("--json", action="store_true",
                        help="prepare the copy and print its summary as JSON instead of opening it")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("demo", help="copy the demo federation to a fresh folder, dated today, and open it")
    add_arguments(parser)
    parser.set_defaults(run=run, needs_federation=False)


def describe(demo: Demo) -> str:
    dates = demo.dates
    shifted = (f"dates shifted by {dates.days:+d} days ({dates.anchor} -> {dates.today})"
               if dates.anchor else "no anchor in demo.json: dates as written")
    repos = f"{len(demo.repositories)} git repositories" if demo.repositories else "no git history"
    return f"demo federation in {demo.workspaces}: {shifted}; {repos}; CROSSDECK_HOME={demo.home}"


def open_command(demo: Demo, told_home: str | None) -> str:
    """The command that opens this demo as ``crossdeck demo`` does: every verb run on the copy
    uses its home (the copy's marker says where), unless CROSSDECK_HOME is set, which wins."""
    import shlex

    command = f"crossdeck tui {shlex.quote(demo.workspaces)}"
    if told_home and Path(told_home).expanduser().resolve() != Path(demo.home):
        return f"CROSSDECK_HOME={shlex.quote(demo.home)} {command}"
    return command


def run(args: argparse.Namespace, open_dashboard: Opener | None = None) -> int:
    from core.demo import DemoError, prepare_demo

    told_home = os.environ.get("CROSSDECK_HOME")  # the user's own, which would win over the copy's
    try:
        demo = prepare_demo(args.dir)
    except (DemoError, OSError) as exc:
        sys.stderr.write(f"crossdeck demo: {exc}\n")
        return EXIT_UNUSABLE
    os.environ["CROSSDECK_HOME"] = demo.home  # state, cache and config of the demo stay inside the copy
    for problem in demo.problems:
        sys.stderr.write(f"crossdeck demo: {problem}\n")
    workspaces = Path(demo.workspaces)
    if args.no_open:
        sys.stdout.write(f"{workspaces}\n")
        sys.stderr.write(f"open it with: {open_command(demo, told_home)}\n")
        return 0
    sys.stderr.write(describe(demo) + "\n")
    if open_dashboard is not None and not args.json:
        return open_dashboard(workspaces)
    return _summary(demo, as_json=args.json, told_home=told_home)


def _summary(demo: Demo, as_json: bool, told_home: str | None) -> int:
    import msgspec

    from core.commands import summary
    from core.commands.output import emit_json, exit_code, report_diagnostics
    from core.federation import load_federation

    fed = load_federation([Path(demo.workspaces)])
    if not as_json:
        code = summary.run(argparse.Namespace(json=False, verbose=False), fed)
        sys.stderr.write(f"open it with: {open_command(demo, told_home)}\n")
        return code
    emit_json({**summary.summarize(fed), "demo": msgspec.to_builtins(demo)})
    report_diagnostics(fed.diagnostics)
    return exit_code(fed)
