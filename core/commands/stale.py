"""``crossdeck stale``: the realm imports that lag, or no longer fit, the contracts they use."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import TYPE_CHECKING

from core.commands.common import add_common, reads
from core.commands.output import (
    EXIT_UNUSABLE,
    diagnostic_counts,
    emit_json,
    nothing_loaded,
    report_diagnostics,
    table,
)
from core.text import one_line

if TYPE_CHECKING:
    from core.analysis.stale import ImportReport
    from core.federation import Federation


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("stale", help="realm imports that are stale, broken or pending, and why")
    parser.add_argument("--all", action="store_true", help="list current imports too")
    add_common(parser)
    reads(parser, other_files=False)  # realms and each workspace's configuration: no records
    parser.set_defaults(run=run)


def analyse(fed: Federation) -> tuple[str, list[ImportReport]]:
    """Today's date (``CROSSDECK_NOW`` fixes it) and every import's report."""
    from core.analysis.stale import stale_imports
    from core.timeutil import today

    day = today()
    return day.isoformat(), stale_imports(fed.workspaces, day)


def counts(reports: list[ImportReport]) -> dict[str, int]:
    by_status = Counter(r.status.value for r in reports)
    return {status: by_status.get(status, 0) for status in ("broken", "stale", "pending", "current")}


def where(report: ImportReport) -> str:
    """The file to update: the binding when the import names one, else the file declaring it."""
    return report.binding or report.declared_in


def run(args: argparse.Namespace, fed: Federation) -> int:
    day, reports = analyse(fed)
    shown = reports if args.all else [r for r in reports if r.status.value != "current"]
    if args.json:
        emit_json({"today": day, "all": bool(args.all), "counts": counts(reports), "imports": shown,
                   "diagnostics": diagnostic_counts(fed)})
    elif fed.workspaces:  # nothing loaded: nothing on stdout (stderr says why)
        _print_table(shown, counts(reports), bool(args.all))
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    if nothing_loaded(fed):
        return EXIT_UNUSABLE
    return 1 if fed.errors else 0


_SINCE = {"changelog": "the changelog's date", "git": "the contract file's git history",
          "resolved_at": "resolved_at: no date in the changelog or git"}
_HEADER = ("STATUS", "DAYS", "GRACE", "IMPORT", "RESOLVED", "CURRENT", "RANGE", "BINDING")


def _row(report: ImportReport) -> tuple[str, ...]:
    days = "" if report.days_stale is None else str(report.days_stale)
    status = report.status.value + (" (overdue)" if report.past_grace and report.status.value == "stale" else "")
    return (status, days, f"{report.grace_period_days}d", report.key, report.resolved_version or "-",
            report.current_version or "-", report.range, where(report))


def _details(report: ImportReport) -> list[str]:
    lines = [f"- {reason}" for reason in report.reasons]
    if report.disagreement:
        lines.append(f"- the file says {report.declared_status}; computed {report.status.value}")
    if report.stale_since:
        lines.append(f"- behind since {report.stale_since} ({_SINCE.get(report.since_source or '', '')})")
    for entry in report.changes:
        flag = " [incompatible]" if entry.compatible is False else ""
        dated = f"{entry.version} ({entry.date})" if entry.date else entry.version
        lines.append(f"  {dated}: {'; '.join(entry.changes) or 'no changes listed'}{flag}")
    return lines


def _print_table(reports: list[ImportReport], totals: dict[str, int], show_all: bool) -> None:
    out = sys.stdout
    summary = ", ".join(f"{n} {status}" for status, n in totals.items())
    out.write(f"{sum(totals.values())} imports ({summary})\n")
    if not reports:
        out.write("every import is current\n" if sum(totals.values()) else "no realm imports found\n")
        return
    if totals["current"] and not show_all:
        out.write("(current imports not listed: --all lists them)\n")
    lines = table(_HEADER, [_row(r) for r in reports], right=(1, 2), whole=(0, 1, 2))
    out.write("\n" + lines[0] + "\n")
    for report, line in zip(reports, lines[1:]):
        out.write(line + "\n")
        for detail in _details(report):
            out.write("    " + one_line(detail) + "\n")
