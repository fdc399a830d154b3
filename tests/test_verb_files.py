"""``stale``, ``check`` and ``approvals`` read only the files they need: each workspace's
configuration, the realms, and (``approvals``) the requests logs. Run as a user runs them
(separate processes) on a copy of the demo whose other files are damaged: what they print and
their exit codes do not change, cold, warm, after ``summary`` filled the cache, or with
``--no-cache``; ``summary``, which reads every file, reports the damage."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

SAMPLES = PROJECT / "sample_workspaces"
RIG_BEADS = Path("towns/kestrel/paysdk/.beads/issues.jsonl")
EVENTS = Path("towns/kestrel/.events.jsonl")
SPECS = Path("sudocode/frontend/.sudocode/specs.jsonl")
REQUESTS = Path("sudocode/frontend/.sudocode/federation/requests.jsonl")
DAMAGE = b'{"id": "gp-broken", "title": \n\x00\xff not json at all\n'


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(home),
           "CROSSDECK_NOW": "2026-12-07T12:00:00Z"}
    done = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=env, timeout=300)
    return done.returncode, done.stdout, done.stderr


def _damage(demo: Path, *files: Path) -> None:
    for name in files:
        with open(demo / name, "ab") as handle:
            handle.write(DAMAGE)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES, tmp_path / "demo")
    return tmp_path / "demo"


@pytest.mark.parametrize("verb", [["stale", "--all"], ["check"], ["approvals", "--all"]], ids=lambda v: v[0])
def test_damage_in_files_a_verb_does_not_read_changes_nothing_it_says(tmp_path: Path, demo: Path,
                                                                     verb: list[str]) -> None:
    before = _run(tmp_path / "home", *verb, str(demo), "--json")
    _damage(demo, RIG_BEADS, EVENTS, SPECS)
    summary = _run(tmp_path / "home", "summary", str(demo), "--json")  # fills the cache with every file's entries
    assert summary[0] == 1 and str(demo / RIG_BEADS) in summary[2], "summary reads every file and reports the damage"
    for home, extra in ((tmp_path / "home", ()), (tmp_path / "fresh", ()), (tmp_path / "fresh", ()),
                        (tmp_path / "none", ("--no-cache",))):
        assert _run(home, *verb, str(demo), "--json", *extra) == before, (home.name, extra)


def test_a_damaged_requests_log_is_approvals_to_report_not_stales(tmp_path: Path, demo: Path) -> None:
    stale = _run(tmp_path / "home", "stale", str(demo), "--json")
    _damage(demo, REQUESTS)
    approvals = _run(tmp_path / "home", "approvals", str(demo), "--json")
    assert approvals[0] == 1 and f"{demo / REQUESTS}:" in approvals[2]
    assert _run(tmp_path / "home", "stale", str(demo), "--json") == stale


def test_stale_builds_no_graph(demo: Path, tmp_path: Path) -> None:
    """The stale analysis reads the realms' records: networkx (a tenth of a second to import)
    is not needed."""
    code = ("import sys; from core.cli import main; code = main(['stale', '--json', sys.argv[1]]); "
            "sys.stderr.write('networkx' + str('networkx' in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", code, str(demo)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert '"imports"' in done.stdout
    assert done.stderr.endswith("networkxFalse")
