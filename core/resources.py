"""Where the shipped data lives: ``sample_workspaces/`` and ``themes/``.

In a checkout (or an editable install) they sit beside ``core/``; in a wheel they are package
data under ``core/_data/`` (see pyproject's force-include).
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The folder ``name`` (``sample_workspaces`` or ``themes``) as installed or checked out."""
    for candidate in (_HERE / "_data" / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"crossdeck's {name}/ is missing from this installation")


def sample_workspaces() -> Path:
    return shipped("sample_workspaces")


def themes() -> Path:
    return shipped("themes")
