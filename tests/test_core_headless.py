"""core/ never imports textual (the CLI and the dashboard share it)."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import PROJECT


def test_no_core_module_names_textual_or_tui() -> None:
    offenders = []
    for path in sorted((PROJECT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(PROJECT)}: {n}" for n in names
                          if n.split(".")[0] in ("textual", "tui")]
    assert offenders == []


def test_importing_all_of_core_loads_no_textual() -> None:
    modules = sorted(
        ".".join(p.relative_to(PROJECT).with_suffix("").parts).removesuffix(".__init__")
        for p in (PROJECT / "core").rglob("*.py")
    )
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] in ('textual', 'tui')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True)
    assert out.stdout.strip() == "[]"
