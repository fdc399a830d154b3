"""The installed package (not the checkout) finds its shipped data: CI installs with a plain,
non-editable ``pip install`` and sets CROSSDECK_TEST_INSTALLED."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

installed = pytest.mark.skipif(
    not os.environ.get("CROSSDECK_TEST_INSTALLED"),
    reason="runs against a non-editable install (bash .ci/run sets CROSSDECK_TEST_INSTALLED)",
)


def _run(code: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env,
                          check=True).stdout


@installed
def test_installed_package_ships_sample_workspaces_and_themes(tmp_path: Path) -> None:
    out = _run("import core.resources as r; print(r.sample_workspaces()); print(r.themes())", tmp_path)
    samples, themes = (Path(line) for line in out.split())
    assert "site-packages" in samples.parts, f"the installed package must not read the checkout: {samples}"
    shipped = {str(p.relative_to(samples)) for p in samples.rglob("*")}
    source = {str(p.relative_to(PROJECT / "sample_workspaces")) for p in (PROJECT / "sample_workspaces").rglob("*")}
    assert shipped == source  # hidden folders (.beads, .sudocode) included
    assert sorted(p.name for p in themes.glob("*.toml")) == sorted(p.name for p in (PROJECT / "themes").glob("*.toml"))


@installed
def test_console_script_runs_outside_the_checkout(tmp_path: Path) -> None:
    exe = shutil.which("crossdeck")
    assert exe is not None
    result = subprocess.run([exe, "demo", "--dir", str(tmp_path / "d"), "--json"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"town": 3' in result.stdout
