"""What every headless verb shares: JSON on stdout, diagnostics on stderr, exit codes."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from core.columns import cells, clip, fit, output_width, pad, widest
from core.diagnostics import Diagnostic, Severity
from core.text import one_line, plural

if TYPE_CHECKING:
    from core.federation import Federation

EXIT_OK = 0
EXIT_ERRORS = 1  # something could not be read (or a check failed)
EXIT_UNUSABLE = 2  # nothing loadable, or a usage error

WARNINGS_SHOWN = 20


def emit_json(data: Any) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data), indent=2).decode() + "\n")


def report_diagnostics(diagnostics: list[Diagnostic], verbose: bool = False) -> None:
    """Errors in full; warnings up to a limit, then a count by file (``--verbose`` for all)."""
    from core.commands.json_guard import noted

    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
    shown = warnings if verbose else warnings[:WARNINGS_SHOWN]
    lines = [one_line(str(diag)) for diag in [*errors, *shown]]
    hidden = warnings[len(shown):]
    if hidden:
        by_file = Counter(d.path for d in hidden)
        lines.append(f"... and {plural(len(hidden), 'more warning')} (--verbose shows them):")
        lines += [f"    {count:6d}  {one_line(path)}" for path, count in by_file.most_common(10)]
    if errors or warnings:
        lines.append(f"{plural(len(errors), 'error')}, {plural(len(warnings), 'warning')}")
    sys.stderr.write("".join(line + "\n" for line in lines))
    noted(diagnostics, lines)


def exit_code(fed: Federation) -> int:
    """The read verbs' exit code: 2 when nothing loaded, 1 when something could not be read."""
    if not fed.workspaces:
        return EXIT_UNUSABLE
    return EXIT_ERRORS if fed.errors else EXIT_OK


def diagnostic_counts(fed: Federation) -> dict[str, int]:
    return {"error": len(fed.errors), "warning": len(fed.warnings)}


def nothing_loaded(fed: Federation) -> bool:
    """True (and says so on stderr) when no workspace could be loaded below the roots."""
    if fed.workspaces:
        return False
    sys.stderr.write("no workspace could be loaded below: " + ", ".join(fed.roots) + "\n")
    return True


def finish(fed: Federation, verbose: bool) -> int:
    """Diagnostics on stderr (and a hint when nothing loaded), then the read verbs' exit code."""
    report_diagnostics(fed.diagnostics, verbose=verbose)
    nothing_loaded(fed)
    return exit_code(fed)


def table(header: Sequence[str], rows: Sequence[Sequence[object]], right: Collection[int] = (),
          whole: Collection[int] = ()) -> list[str]:
    """Columns two spaces apart, left-aligned (right-aligned where ``right`` says: numbers), one
    line per row, every cell made safe for the terminal (``one_line``), fitted to the output's
    width (``core.columns.output_width``): the widest columns are cut first, with an ellipsis,
    never the ones ``whole`` names (identifiers) nor any below its header's width."""
    lines = [list(header), *([one_line(str(c)) for c in row] for row in rows)]
    natural = [widest(line[i] for line in lines) for i in range(len(header))]
    minimum = [n if i in whole else cells(h) for i, (n, h) in enumerate(zip(natural, header))]
    limit = output_width()
    widths = natural if limit is None else fit(natural, minimum, limit - 2 * (len(header) - 1))
    out = ["  ".join(pad(c, w, i in right) for i, (c, w) in enumerate(zip(line, widths))).rstrip()
           for line in lines]
    return out if limit is None else [clip(line, limit) for line in out]


def respond(args: Any, fed: Federation, data: Any, render: Callable[[Any], list[str]]) -> int:
    """Print ``data`` as JSON (``--json``) or as the lines ``render`` makes of it, report the
    diagnostics, and return the read verbs' exit code."""
    if args.json:
        emit_json(data)
    elif fed.workspaces:  # nothing loaded: nothing on stdout (stderr says why)
        sys.stdout.write("\n".join(render(data)) + "\n")
    return finish(fed, args.verbose)
