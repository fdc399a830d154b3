"""The installed package (not the checkout) finds its shipped data. These tests run wherever
crossdeck is installed non-editable in the interpreter running them, as the README's
``pip install '.[test]'`` and ``bash .ci/run`` install it; elsewhere they skip, saying what is
installed instead. CI sets CROSSDECK_TEST_INSTALLED: there they never skip."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

import pytest

from tests.conftest import PROJECT


def not_installed_reason(dist: Distribution | None) -> str | None:
    """Why the installed-package tests cannot run with ``dist`` (crossdeck's distribution in this
    interpreter, None when there is none); None when it is a non-editable install."""
    if dist is None:
        return ("crossdeck is not installed in this interpreter (the tests import the checkout): "
                "`pip install '.[test]'` installs it")
    try:
        origin = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        origin = {}
    if origin.get("dir_info", {}).get("editable"):
        return ("crossdeck is installed editable here (pip install -e): the installed package is the checkout; "
                "a plain `pip install '.[test]'` runs these tests")
    return None


def _crossdeck() -> Distribution | None:
    try:
        return distribution("crossdeck")
    except PackageNotFoundError:
        return None


_REASON = not_installed_reason(_crossdeck())
installed = pytest.mark.skipif(_REASON is not None and not os.environ.get("CROSSDECK_TEST_INSTALLED"),
                               reason=_REASON or "")


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


def _dist_info(tmp_path: Path, direct_url: dict[str, object] | None) -> Distribution:
    info = tmp_path / "crossdeck-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crossdeck\nVersion: 0.1.0\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return Distribution.at(info)


def test_the_skip_reason_says_what_is_installed(tmp_path: Path) -> None:
    """The README installs with a plain ``pip install '.[test]'``: then the tests run. The reason
    a skip gives is what is the case: editable, or not installed at all."""
    plain = _dist_info(tmp_path / "plain", {"dir_info": {}, "url": "file:///src/crossdeck"})
    wheel = _dist_info(tmp_path / "wheel", None)  # from an index: no direct_url.json
    editable = _dist_info(tmp_path / "editable", {"dir_info": {"editable": True}, "url": "file:///src/crossdeck"})
    assert not_installed_reason(plain) is None and not_installed_reason(wheel) is None
    assert "installed editable" in (not_installed_reason(editable) or "")
    assert "not installed in this interpreter" in (not_installed_reason(None) or "")


def test_a_skip_here_names_this_interpreters_install() -> None:
    """Run as someone who followed the README would: without CROSSDECK_TEST_INSTALLED, the
    installed-package tests run when this interpreter has a non-editable install, and otherwise
    skip with the reason that fits it (never "runs against a non-editable install" beside one)."""
    env = {k: v for k, v in os.environ.items() if k != "CROSSDECK_TEST_INSTALLED"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                             "tests/test_packaging.py::test_console_script_runs_outside_the_checkout"],
                            capture_output=True, text=True, cwd=PROJECT, env=env, timeout=300, check=False)
    reason = not_installed_reason(_crossdeck())
    if reason is None:
        assert "1 passed" in result.stdout, result.stdout
    else:
        assert "1 skipped" in result.stdout and reason in result.stdout.replace("\n", " "), result.stdout
