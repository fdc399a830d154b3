"""Which roots a command reads: the ones given, else config.toml's, else the current folder
when it is or holds a workspace ("Entry points" in DESIGN.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.diagnostics import Diagnostics
from core.settings import Settings
from core.sources.discover import discover


def how_to_start(config: Path | str, verb: str = "summary") -> str:
    """The ways to give crossdeck workspaces, one a line: the demo, roots on the command line,
    roots in config.toml (said when none is found, by the verbs and the dashboard alike)."""
    return ("  Try the demo federation:   crossdeck demo\n"
            f"  Or point it at workspaces: crossdeck {verb} PATH [PATH...]\n"
            f"  Or set roots = [\"~/work\"] in {config}")


def nothing_found(roots: Sequence[str], config: Path | str, verb: str = "summary") -> str:
    """What to say when no workspace is found below ``roots``, and how to start."""
    return f"crossdeck found no workspace below {', '.join(roots)}.\n" + how_to_start(config, verb)


class NoRoots(Exception):
    pass


def choose_roots(given: list[str], settings: Settings, config_path: Path) -> list[Path]:
    if given:
        return [Path(r).expanduser() for r in given]
    if settings.roots:
        return settings.root_paths()
    cwd = Path.cwd()
    if discover([cwd], Diagnostics(), max_depth=min(settings.discovery_max_depth, 3)):
        return [cwd]
    raise NoRoots("crossdeck found no workspace here and no roots are configured.\n" + how_to_start(config_path))
