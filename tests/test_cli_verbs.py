"""The command line imports only the module of the verb it runs (core/cli.py ``VERB_MODULES``):
the table must name every verb each module registers, and a run of one verb must not import the
others' modules (their imports are what a verb's start would pay for)."""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

from core.cli import VERB_MODULES, build_parser
from tests.conftest import PROJECT


def test_the_table_names_every_verb_each_module_registers() -> None:
    registered: dict[str, str] = {}
    for module in dict.fromkeys(VERB_MODULES.values()):
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(f"core.commands.{module}").add_parser(sub)
        registered.update(dict.fromkeys(sub.choices, module))
    assert registered == VERB_MODULES


def test_help_lists_every_verb_in_the_table_order() -> None:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(actions[0].choices) == ["tui", "web", *VERB_MODULES]


def _modules_after(home: Path, calls: list[list[str]], prefixes: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run ``calls`` (CLI argument lists, the demo's folder appended) in one fresh process: its
    stdout, and the modules starting with ``prefixes`` it had imported by the end."""
    code = ("import sys, json; from core.cli import main\n"
            "for words in json.loads(sys.argv[2]): main([*words, sys.argv[1]])\n"
            f"print(sorted(m for m in sys.modules if m.startswith({prefixes!r})), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code, str(PROJECT / "sample_workspaces"), json.dumps(calls)],
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(home), "PATH": ""})
    return run.stdout, ast.literal_eval(run.stderr.strip().splitlines()[-1])


def test_a_verb_imports_only_its_own_module(tmp_path: Path) -> None:
    _, loaded = _modules_after(tmp_path, [["summary", "--json"]], ("core.commands.", "httpx", "networkx"))
    assert "core.commands.summary" in loaded
    for other in ("core.commands.approvals", "core.commands.decide", "core.commands.realm", "core.commands.sync",
                  "core.commands.delegate", "core.commands.serve"):
        assert other not in loaded
    assert not [name for name in loaded if name.startswith(("httpx", "networkx"))]  # summary needs neither


def test_chains_and_blockers_do_not_import_networkx(tmp_path: Path) -> None:
    """Their walks read a ``core.graph.Walks``: networkx (a tenth of a second to import) is for the
    verbs and panes that use its views."""
    out, loaded = _modules_after(tmp_path, [["chains", "--json"], ["blockers", "i-8b4c", "--json"]], ("networkx",))
    assert '"steps"' in out and '"chains"' in out
    assert loaded == []
