"""Snapshot tests: every pane of the dashboard on the demo federation at 120x40, the light theme,
the help screen and the approve confirm modal.

The fixture app (tests/tui/snapshot_apps/) holds still everything that would make two pictures
differ: the clock, the temp path of the copy, the state folder (no remote has been checked, so no
latency or age from the wall clock), animations and the cursor blink. A temp path or a wall-clock
age on screen would differ from run to run, so these tests fail if one ever appears.

Regenerate after a deliberate change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the pictures (tests/tui/__snapshots__/) before committing them; ``snapshot_report.html``
shows the differences when a test fails.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.snapshot_apps.demo import PROJECT, SIZE, UNSET, DemoApp, demo_copy, pinned_variables
from tests.tui.snapshot_apps.scenes import approve_confirm, explorer_on, help_on, on_pane

SnapCompare = Callable[..., bool]


@pytest.fixture
def demo(tmp_path: Path, crossdeck_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo federation, with the clock, state folder and actor pinned."""
    for name, value in pinned_variables(crossdeck_home).items():
        monkeypatch.setenv(name, value)
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    return demo_copy(tmp_path)


@pytest.mark.parametrize(("key", "pane"), [
    ("1", "overview"), ("2", "stale"), ("3", "chains"), ("4", "approvals"), ("5", "audit"), ("6", "remotes"),
])
def test_pane(snap_compare: SnapCompare, demo: Path, key: str, pane: str) -> None:
    """Pane ``key`` (named by ``pane`` in the snapshot's file name) as it first shows."""
    assert snap_compare(DemoApp(demo), terminal_size=SIZE, run_before=on_pane(key))


def test_explorer_on_a_blocked_item(snap_compare: SnapCompare, demo: Path) -> None:
    """Pane 7 opened on web-7tq: the tree revealed down to it, its fields and why-blocked path."""
    assert snap_compare(DemoApp(demo), terminal_size=SIZE, run_before=explorer_on())


def test_light_theme(snap_compare: SnapCompare, demo: Path) -> None:
    """The Approvals pane in crossdeck-light: verdicts, trust and the detail in light colours."""
    assert snap_compare(DemoApp(demo, theme="crossdeck-light"), terminal_size=SIZE, run_before=on_pane("4"))


def test_help_screen(snap_compare: SnapCompare, demo: Path) -> None:
    """``?`` on the Overview: its keys, the table and tree keys, then the keys that work everywhere."""
    assert snap_compare(DemoApp(demo), terminal_size=SIZE, run_before=help_on("1"))


def test_approve_confirm_modal(snap_compare: SnapCompare, demo: Path) -> None:
    """``a`` on req-7c2e41: workspace, request, requester, item, verdict, actor and the change."""
    assert snap_compare(DemoApp(demo), terminal_size=SIZE, run_before=approve_confirm())


def test_readme_key_table_lists_every_pane_key() -> None:
    """The README's Dashboard table names each pane's key and every binding a pane declares, so
    a new binding without a line there fails here rather than going unmentioned."""
    import importlib

    from tui.panes.registry import PANES
    from tui.screens.help import binding_rows

    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Dashboard\n", 1)[1].split("\n## ", 1)[0]
    groups: dict[str, list[str]] = {}  # first cell ("where") -> its rows, lower-cased
    where = ""
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            where = line.split("|")[1].strip().lower() or where
            groups.setdefault(where, []).append(line.lower())
    assert all(key in "".join(groups["everywhere"]) for key in ("`/`", "`?`", "`ctrl+p`", "`ctrl+r`", "`q`"))
    for spec in PANES:
        assert spec.title.lower() in groups["everywhere"][0], f"{spec.key} {spec.title} is not in the pane-keys row"
        rows = groups[f"{spec.key} {spec.title}".lower()]
        module, _, name = spec.path.partition(":")
        for key, description in binding_rows(list(getattr(importlib.import_module(module), name).BINDINGS)):
            assert any(f"`{key.lower()}`" in row and description.lower() in row for row in rows), \
                f"README: the {spec.title} rows lack `{key}` {description}"
