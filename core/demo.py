"""The demo federation: a fresh copy of ``sample_workspaces/`` the user can play with.

``prepare_demo`` copies the sample workspaces into ``DEST/workspaces``, shifts every date so
the anchor in ``demo.json`` becomes today (``core.demo_dates``), makes each workspace a git
repository with a short history (``core.demo_git``), and makes ``DEST/home`` the place for
``CROSSDECK_HOME``; ``DEST/.crossdeck-demo.json`` says so, so that every verb run on the copy
uses that home (``core.settings.use_demo_home``) and discovery never reads it as workspaces.
The copy never lands inside crossdeck's own checkout: the demo runs on the copy only.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import msgspec

from core.demo_dates import ShiftReport, shift_demo
from core.demo_git import GitUnavailable, RepoReport, make_repositories
from core.demo_remotes import wire_demo_remotes
from core.resources import sample_workspaces
from core.settings import DEMO_MARKER, dirs
from core.timeutil import today as current_day


class DemoError(Exception):
    pass


class Demo(msgspec.Struct, kw_only=True):
    """A prepared demo: where it is and what was done to it."""

    root: str
    workspaces: str
    home: str
    dates: ShiftReport
    repositories: list[RepoReport] = []
    problems: list[str] = []  # what could not be done (no git: the copy has no history)


def default_demo_dir() -> Path:
    """A new folder under the data dir, named by the time (with a suffix if that one is taken)."""
    base = dirs().data / "demo" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def check_target(target: Path, source: Path) -> None:
    """Refuse a folder inside crossdeck's own checkout, or one that already holds something."""
    checkout = source.parent
    if target == checkout or checkout in target.parents and (checkout / "pyproject.toml").is_file():
        raise DemoError(f"{target} is inside crossdeck's own checkout; choose a folder outside {checkout}")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DemoError(f"{target} already exists and is not empty; choose a new folder")


def prepare_demo(dest: Path | None = None, today: dt.date | None = None, git: bool = True) -> Demo:
    """Copy, date-shift and (``git``) version the sample workspaces into ``dest`` (new or empty)."""
    source = sample_workspaces().resolve()
    target = (dest or default_demo_dir()).expanduser().resolve()
    check_target(target, source)
    day = today or current_day()
    target.mkdir(parents=True, exist_ok=True)
    workspaces = target / "workspaces"
    shutil.copytree(source, workspaces, ignore=shutil.ignore_patterns("__pycache__", ".git"))
    home = target / "home"
    home.mkdir(exist_ok=True)
    (target / DEMO_MARKER).write_bytes(msgspec.json.encode({"home": "home", "workspaces": "workspaces"}) + b"\n")
    dates = shift_demo(workspaces, day)
    demo = Demo(root=str(target), workspaces=str(workspaces), home=str(home), dates=dates)
    if git:
        try:
            demo.repositories = make_repositories(workspaces, day)
            demo.problems += wire_demo_remotes(workspaces, home)  # core.demo_remotes: real remotes, seeded states
        except GitUnavailable as exc:
            demo.problems.append(f"{exc}; the workspaces have no git history")
    return demo
