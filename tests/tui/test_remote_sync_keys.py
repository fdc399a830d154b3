"""The Remotes pane's `s` syncs the highlighted remote through core, without blocking, then
shows the state the store now holds."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import git
import pytest

from tests.conftest import PROJECT
from tui.app import CrossdeckApp
from tui.widgets.master_detail import MasterDetail
from tui.widgets.table import FastTable

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
ACTOR = git.Actor("kim", "kim@kestrel.works")


def _bare_remote(tmp_path: Path) -> Path:
    work = tmp_path / "upstream"
    repo = git.Repo.init(work, initial_branch="main")
    (work / "README.md").write_text("upstream\n")
    repo.index.add(["README.md"])
    repo.index.commit("first", author=ACTOR, committer=ACTOR)
    return Path(git.Repo.clone_from(work, tmp_path / "upstream.git", bare=True).working_dir)


async def test_s_syncs_the_highlighted_remote(tmp_path: Path) -> None:
    demo = shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo")
    kestrel = demo / "towns" / "kestrel" / ".crossdeck" / "remotes.json"
    config = json.loads(kestrel.read_text())
    config["remotes"].append({"name": "mirror", "url": f"file://{_bare_remote(tmp_path)}", "trust_level": "verified"})
    kestrel.write_text(json.dumps(config, indent=2))
    app = CrossdeckApp([demo], now=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("6")
        await pilot.pause()
        table = app.query_one("#remotes-table", FastTable)
        assert table.move_to("hop://kim@kestrel.works/kestrel\tmirror")
        row = next(r for r in table.visible_rows() if "mirror" in r)
        assert row[0] == "never checked"
        await pilot.press("s")
        for _ in range(3):  # the sync worker, then the reload it starts
            await app.workers.wait_for_complete()
            await pilot.pause()
        row = next(r for r in table.visible_rows() if "mirror" in r)
        assert row[0] == "synced"
        assert table.current_key == "hop://kim@kestrel.works/kestrel\tmirror"
        detail = app.query_one("#remotes-view", MasterDetail).detail_text
        assert "Recent checks" in detail and "ok" in detail.split("Recent checks", 1)[1]
