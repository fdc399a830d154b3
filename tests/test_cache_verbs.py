"""Every verb that reads through the parsed cache prints what it prints without it: run as a user
runs them (separate processes, one after another), with ``--no-cache``, then cold (an empty cache,
which the run fills), then warm (from the cache), on the demo and on a generated federation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.generate import generate
from tests.conftest import PROJECT

SAMPLES = PROJECT / "sample_workspaces"
VERBS = (["summary"], ["stale", "--all"], ["check"], ["chains"], ["approvals", "--all"], ["list"], ["audit"])


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(home), "CROSSDECK_NOW": "2026-12-07T12:00:00Z"}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=env, timeout=300)


def _same_three_ways(home: Path, args: list[str]) -> dict[str, object]:
    plain = _run(home, *args, "--no-cache")
    assert not (home / "cache" / "parsed").exists() or not any((home / "cache" / "parsed").iterdir()), \
        "--no-cache wrote the cache"
    cold = _run(home, *args)
    warm = _run(home, *args)
    for run in (cold, warm):
        assert (run.returncode, run.stdout, run.stderr) == (plain.returncode, plain.stdout, plain.stderr), args
    assert any((home / "cache" / "parsed").iterdir())
    shutil.rmtree(home / "cache" / "parsed")
    return json.loads(plain.stdout)


@pytest.mark.parametrize("args", VERBS, ids=lambda a: a[0])
def test_the_demo_reads_the_same_through_the_cache(tmp_path: Path, args: list[str]) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(SAMPLES, demo)
    _same_three_ways(tmp_path / "home", [*args, str(demo), "--json"])


def test_blockers_read_the_same_through_the_cache(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(SAMPLES, demo)
    found = _same_three_ways(tmp_path / "home", ["blockers", "i-8b4c", str(demo), "--json"])
    assert found["steps"], "the README's blocked item has blockers"
    # by its key, the walk reads only the workspaces it reaches (core.graph_reach): the same answer
    assert _same_three_ways(tmp_path / "home", ["blockers", str(found["key"]), str(demo), "--json"]) == found
    # show, by short id (the whole graph) and by key (what the description reaches): the same
    shown = _same_three_ways(tmp_path / "home", ["show", "i-8b4c", str(demo), "--json"])
    assert shown["blockers"] == found and shown["out"]
    assert _same_three_ways(tmp_path / "home", ["show", str(found["key"]), str(demo), "--json"]) == shown


def test_a_generated_federation_reads_the_same_through_the_cache(tmp_path: Path) -> None:
    generate(tmp_path / "fed", units=4000, workspaces=30)
    for args in VERBS[:5]:
        _same_three_ways(tmp_path / "home", [*args, str(tmp_path / "fed"), "--json"])


def test_cache_clear_empties_it_and_says_how_much(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(SAMPLES, demo)
    home = tmp_path / "home"
    assert _run(home, "summary", str(demo)).returncode == 0
    entries = len(list((home / "cache" / "parsed").iterdir()))
    assert entries >= 7
    info = _run(home, "cache", "info")
    assert info.returncode == 0 and f"{entries} entries" in info.stdout
    cleared = _run(home, "cache", "clear")
    assert cleared.returncode == 0 and f"removed {entries} entries from {home / 'cache' / 'parsed'}" in cleared.stdout
    assert not list((home / "cache" / "parsed").iterdir())
    assert "0 entries" in _run(home, "cache", "info").stdout
