"""Live reload: a file changed on disk under a loaded workspace reloads it, keeping the selection."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tui.app import CrossdeckApp
from tui.messages import FilesChanged
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


async def _settle(app: CrossdeckApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_changed_file_reloads_and_keeps_the_selection(tmp_path: Path) -> None:
    demo = shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo")
    app = CrossdeckApp([demo], now=lambda: NOW, watch=False)  # the test drives the checks itself
    seen: list[FilesChanged] = []
    async with app.run_test(size=(120, 40), message_hook=lambda m: seen.append(m) if isinstance(m, FilesChanged) else None) as pilot:
        await _settle(app, pilot)
        table = app.query_one("#overview-workspaces", FastTable)
        table.focus()
        assert table.move_to("hop://globex.io/payments")
        app.check_files()  # first snapshot
        await _settle(app, pilot)
        app.check_files()  # nothing changed: no reload
        await _settle(app, pilot)
        assert seen == []
        issues = demo / "towns" / "globex-payments" / "gateway" / ".beads" / "issues.jsonl"
        with issues.open("a") as handle:
            handle.write('{"id":"gw-9zz","title":"Added while the dashboard was open","status":"open",'
                         '"priority":2,"created_at":"2026-11-20T11:00:00Z","updated_at":"2026-11-20T11:00:00Z"}\n')
        app.check_files()
        await _settle(app, pilot)
        await _settle(app, pilot)  # the reload the change started
        assert [m.roots for m in seen] == [[str(demo / "towns" / "globex-payments")]]
        units = {u.id for ws in app.data.federation.workspaces for u in ws.work_units}  # type: ignore[union-attr]
        assert "gw-9zz" in units
        assert table.current_key == "hop://globex.io/payments"
