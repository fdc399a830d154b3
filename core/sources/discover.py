"""Finding workspaces below a set of roots.

A folder is a workspace when it holds a town file (``mayor/town.json`` or ``.town.json``), a
``realm.yaml``, a ``.sudocode/`` folder, or a ``.beads/`` folder outside any town. A workspace's
insides belong to it: the walk does not descend into one. Symbolic links to folders are followed
only when they stay inside the roots and lead somewhere not yet seen, so a link loop ends and
nothing outside the roots is read. ``.blue/index.yaml`` adds the realms it lists (inside the
roots only). The walk never descends into ``.git`` (nor any hidden folder but ``.blue``), nor into
crossdeck's own folders (its config, state, cache and data, wherever ``CROSSDECK_HOME`` or the
platform puts them) or a demo copy's home: the checkouts a sync keeps there are copies of remotes,
not the user's workspaces. A root given is read even when it is one of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import msgspec

from core.diagnostics import Diagnostics
from core.model import WorkspaceKind
from core.sources.files import ReadLimits
from core.sources.town import town_file

_SKIP = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"})


class Found(msgspec.Struct, frozen=True):
    kind: WorkspaceKind
    path: Path


def workspace_kind(folder: Path) -> WorkspaceKind | None:
    """What kind of workspace ``folder`` is, if it is one."""
    if town_file(folder) is not None:
        return WorkspaceKind.TOWN
    if (folder / "realm.yaml").is_file():
        return WorkspaceKind.REALM
    if (folder / ".sudocode").is_dir():
        return WorkspaceKind.SUDOCODE
    if (folder / ".beads").is_dir():
        return WorkspaceKind.BEADS
    return None


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def discover(roots: Iterable[Path], diags: Diagnostics, limits: ReadLimits | None = None,
             max_depth: int = 8) -> list[Found]:
    """Every workspace at or below the roots, each once, in a stable order."""
    resolved: list[Path] = []
    for root in roots:
        real = Path(os.path.realpath(root))
        if not real.is_dir():
            diags.error(root, "root is not a folder")
            continue
        resolved.append(real)
    from core.settings import DEMO_MARKER, demo_marker_home, own_folders

    skip = own_folders()
    seen: set[Path] = set()
    found: dict[Path, Found] = {}
    stack: list[tuple[Path, int]] = [(root, 0) for root in reversed(resolved)]
    while stack:
        folder, depth = stack.pop()
        if folder in seen or depth and folder in skip:
            continue
        seen.add(folder)
        if os.path.isfile(folder / DEMO_MARKER):  # a demo copy: its home holds the demo's cache
            home = demo_marker_home(folder)
            skip |= {Path(os.path.realpath(home))} if home is not None else set()
        kind = workspace_kind(folder)
        if kind is not None:
            found.setdefault(folder, Found(kind, folder))
            continue
        index = folder / ".blue" / "index.yaml"
        if index.is_file():
            _add_indexed_realms(index, resolved, found, diags, limits or ReadLimits())
        if depth >= max_depth:
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name, reverse=True)
        except OSError as exc:
            diags.warning(folder, f"cannot list folder: {exc.strerror or exc}")
            continue
        for entry in entries:
            if entry.name in _SKIP or (entry.name.startswith(".") and entry.name != ".blue"):
                continue
            try:
                if not entry.is_dir():  # follows symlinks
                    continue
            except OSError:
                continue
            target = Path(os.path.realpath(entry.path)) if entry.is_symlink() else Path(entry.path)
            if entry.is_symlink() and not _inside(target, resolved):
                diags.warning(entry.path, "symbolic link leads outside the roots; not followed")
                continue
            stack.append((target, depth + 1))
    return sorted(found.values(), key=lambda f: str(f.path))


def _add_indexed_realms(index: Path, roots: list[Path], found: dict[Path, Found], diags: Diagnostics,
                        limits: ReadLimits) -> None:
    from core.sources.blue import load_blue_index

    for realm in load_blue_index(index, diags, limits):
        real = Path(os.path.realpath(realm))
        if not _inside(real, roots):
            diags.warning(index, f"realm {realm} is outside the roots; not loaded")
        elif (real / "realm.yaml").is_file():
            found.setdefault(real, Found(WorkspaceKind.REALM, real))
