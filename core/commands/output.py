"""What every headless verb shares: JSON on stdout, diagnostics on stderr, exit codes."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import msgspec

from core.diagnostics import Diagnostic, Severity
from core.text import one_line

EXIT_OK = 0
EXIT_ERRORS = 1  # something could not be read (or a check failed)
EXIT_UNUSABLE = 2  # nothing loadable, or a usage error

WARNINGS_SHOWN = 20


def emit_json(data: Any) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data), indent=2).decode() + "\n")


def report_diagnostics(diagnostics: list[Diagnostic], verbose: bool = False) -> None:
    """Errors in full; warnings up to a limit, then a count by file (``--verbose`` for all)."""
    err = sys.stderr
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
    for diag in errors:
        err.write(one_line(str(diag)) + "\n")
    shown = warnings if verbose else warnings[:WARNINGS_SHOWN]
    for diag in shown:
        err.write(one_line(str(diag)) + "\n")
    hidden = warnings[len(shown):]
    if hidden:
        by_file = Counter(d.path for d in hidden)
        err.write(f"... and {len(hidden)} more warnings (--verbose shows them):\n")
        for path, count in by_file.most_common(10):
            err.write(f"    {count:6d}  {one_line(path)}\n")
    if errors or warnings:
        err.write(f"{len(errors)} errors, {len(warnings)} warnings\n")
