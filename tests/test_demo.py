from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PROJECT
from tests.test_cli_summary import crossdeck


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_demo_copies_the_sample_workspaces(tmp_path: Path) -> None:
    result = crossdeck("demo", "--dir", str(tmp_path / "demo"), "--no-open")
    assert result.returncode == 0, result.stderr
    copy = Path(result.stdout.strip())
    assert copy == (tmp_path / "demo" / "workspaces").resolve()
    assert _tree(copy) == _tree(PROJECT / "sample_workspaces")


def test_demo_shows_the_summary_of_the_copy(tmp_path: Path) -> None:
    result = crossdeck("demo", "--dir", str(tmp_path / "demo"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["roots"] == [str((tmp_path / "demo" / "workspaces").resolve())]
    assert data["by_kind"] == {"realm": 2, "sudocode": 2, "town": 3}
    assert data["diagnostics"]["error"] == 0


def test_default_demo_folder_is_under_the_data_dir(crossdeck_home: Path) -> None:
    result = crossdeck("demo", "--no-open")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(crossdeck_home / "data" / "demo")


def test_demo_refuses_the_checkout_and_a_non_empty_folder(tmp_path: Path) -> None:
    inside = crossdeck("demo", "--dir", str(PROJECT / "demo-copy"), "--no-open")
    assert inside.returncode == 2 and "inside crossdeck's own checkout" in inside.stderr
    assert not (PROJECT / "demo-copy").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep")
    full = crossdeck("demo", "--dir", str(tmp_path / "full"), "--no-open")
    assert full.returncode == 2 and "not empty" in full.stderr
    assert (tmp_path / "full" / "mine.txt").read_text() == "keep"
