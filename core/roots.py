"""Which roots a command reads: the ones given, else config.toml's, else the current folder
when it is or holds a workspace ("Entry points" in DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

from core.diagnostics import Diagnostics
from core.settings import Settings
from core.sources.discover import discover

NO_ROOTS = (
    "crossdeck found no workspace here and no roots are configured.\n"
    "  Try the demo federation:   crossdeck demo\n"
    "  Or point it at workspaces: crossdeck summary PATH [PATH...]\n"
    "  Or set roots = [\"~/work\"] in {config}"
)


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
    raise NoRoots(NO_ROOTS.format(config=config_path))
