"""The demo federation: a fresh copy of ``sample_workspaces/`` the user can play with.

The copy never lands inside crossdeck's own checkout: the demo runs on the copy only.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from core.resources import sample_workspaces
from core.settings import dirs


class DemoError(Exception):
    pass


def default_demo_dir() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return dirs().data / "demo" / stamp


def prepare_demo(dest: Path | None = None) -> Path:
    """Copy the sample workspaces into ``dest`` (new or empty) and return the copy's root."""
    source = sample_workspaces().resolve()
    target = (dest or default_demo_dir()).expanduser().resolve()
    checkout = source.parent
    if target == checkout or checkout in target.parents and (checkout / "pyproject.toml").is_file():
        raise DemoError(f"{target} is inside crossdeck's own checkout; choose a folder outside {checkout}")
    if target.exists() and any(target.iterdir()):
        raise DemoError(f"{target} already exists and is not empty; choose a new folder")
    target.mkdir(parents=True, exist_ok=True)
    workspaces = target / "workspaces"
    shutil.copytree(source, workspaces, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "home").mkdir(exist_ok=True)
    return target
