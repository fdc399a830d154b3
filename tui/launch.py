"""Opening the dashboard: ``crossdeck`` (no verb), ``crossdeck tui [ROOTS...]``, ``crossdeck demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.commands.output import EXIT_UNUSABLE
from core.diagnostics import Diagnostics
from core.roots import NoRoots, choose_roots
from core.settings import config_path, load_settings, use_demo_home


def tui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crossdeck tui", description="Open the dashboard over the federation.")
    parser.add_argument("roots", nargs="*", metavar="ROOT", help="folders to search (default: config roots or .)")
    parser.add_argument("--theme", help="crossdeck-dark, crossdeck-light, crossdeck-high-contrast, or a user theme")
    return parser


def run_tui(argv: list[str]) -> int:
    args = tui_parser().parse_args(argv)
    use_demo_home([Path(r).expanduser() for r in args.roots] or [Path.cwd()])  # a demo copy: its own home
    settings = load_settings(Diagnostics())
    try:
        roots = choose_roots(args.roots, settings, config_path())
    except NoRoots as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_UNUSABLE
    return open_dashboard(roots, args.theme)


def open_dashboard(roots: list[Path], theme: str | None = None) -> int:
    from tui.app import CrossdeckApp
    from tui.themes import ThemeError, known_theme_names

    settings = load_settings(Diagnostics())
    if theme is not None and theme not in known_theme_names():
        names = ", ".join(sorted(known_theme_names()))
        sys.stderr.write(f"crossdeck: unknown theme {theme!r}; choose one of: {names}\n")
        return EXIT_UNUSABLE
    try:
        CrossdeckApp(roots, settings, theme=theme).run()
    except ThemeError as exc:
        sys.stderr.write(f"crossdeck: {exc}\n")
        return EXIT_UNUSABLE
    return 0


def demo_parser() -> argparse.ArgumentParser:
    from core.commands import demo

    parser = argparse.ArgumentParser(
        prog="crossdeck demo",
        description="Copy the demo federation to a fresh folder, dated today, with git history, and open it.")
    demo.add_arguments(parser)
    parser.add_argument("--theme", help="crossdeck-dark, crossdeck-light, crossdeck-high-contrast, or a user theme")
    return parser


def run_demo(argv: list[str]) -> int:
    """``crossdeck demo``: core prepares the copy (and sets CROSSDECK_HOME inside it); the
    dashboard opens on it. Without a terminal (CI, a pipe) it prints the folder instead."""
    from core.commands import demo

    args = demo_parser().parse_args(argv)
    if not (args.no_open or args.json) and not (sys.stdin.isatty() and sys.stdout.isatty()):
        sys.stderr.write("crossdeck demo: no terminal to open the dashboard in; preparing the copy only\n")
        args.no_open = True
    return demo.run(args, open_dashboard=lambda workspaces: open_dashboard([workspaces], args.theme))
