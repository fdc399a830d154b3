"""The dashboard on a private copy of the demo federation, with everything that moves held still.

A picture of it must be the same on every machine and every run, so the fixture fixes:

- the clock: the app's ``now=`` and ``CROSSDECK_NOW`` (ages, "overdue", "3d ago" on screen);
- the paths: the demo is copied into a temp folder named ``sample_workspaces`` and the header
  shows that label, never the temp path (the panes show paths relative to the root already);
- the state: ``CROSSDECK_HOME`` is a fresh folder, so no remote has been checked (no latencies,
  no wall-clock ages) and no config.toml or user theme leaks in; ``BD_ACTOR`` is set and
  ``NO_COLOR`` unset;
- the motion: animations off (``animation_level``: the environment variable is read at import),
  text cursors do not blink, no live-reload timer.

``pinned_environment`` sets the variables; ``demo_copy`` makes the copy; ``DemoApp`` is the app.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from core.settings import Settings
from tui.app import CrossdeckApp

PROJECT = Path(__file__).resolve().parents[3]
DEMO = PROJECT / "sample_workspaces"
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
ROOT_LABEL = "sample_workspaces"  # what the header shows instead of the temp path
ACTOR = "web/crew/bob"
SIZE = (120, 40)


UNSET = ("NO_COLOR",)  # Textual draws in monochrome where it is set, whatever its value


def pinned_variables(home: Path) -> dict[str, str]:
    """The environment a snapshot runs in: fixed clock, empty state, a known actor."""
    return {"CROSSDECK_NOW": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "CROSSDECK_HOME": str(home),
            "BD_ACTOR": ACTOR}


@contextmanager
def pinned_environment(home: Path) -> Iterator[None]:
    """Set ``pinned_variables`` and remove ``UNSET`` for the duration (for scripts; tests use
    monkeypatch)."""
    saved = {name: os.environ.get(name) for name in (*pinned_variables(home), *UNSET)}
    os.environ.update(pinned_variables(home))
    for name in UNSET:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo_copy(parent: Path) -> Path:
    """A copy of the demo federation under ``parent``, in a folder named like the original."""
    return Path(shutil.copytree(DEMO, parent / ROOT_LABEL))


class DemoApp(CrossdeckApp):
    """The dashboard as a user sees it, minus what would make two pictures differ."""

    def __init__(self, root: Path, theme: str | None = None) -> None:
        super().__init__([root], settings=Settings(), theme=theme, now=lambda: NOW, watch=False)
        self.animation_level = "none"

    def validate_sub_title(self, sub_title: Any) -> str:
        return ROOT_LABEL  # the app shows its roots here: a temp path in a test

    def hold_still(self) -> None:
        """Stop every text field's cursor blinking (fields may be made on first use, so this
        runs before each picture rather than once at mount)."""
        for screen in self.screen_stack:
            for field in screen.query(Input):
                field.cursor_blink = False


async def loaded(pilot: Pilot[None]) -> None:
    """Until the load worker (and any reload it started) is done and painted, held still."""
    app = pilot.app
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            break
    else:
        raise AssertionError("workers kept running")
    if isinstance(app, DemoApp):
        app.hold_still()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
