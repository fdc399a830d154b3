"""``crossdeck check``: fail a CI build on a broken import, a stale import past its realm's grace
period, or a file that could not be read. Pending imports pass; stale ones within their grace
period pass with a note."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from core.commands.common import add_common, reads
from core.commands.output import EXIT_ERRORS, EXIT_OK, EXIT_UNUSABLE, emit_json, report_diagnostics
from core.commands.output import diagnostic_counts, nothing_loaded
from core.commands.stale import analyse, counts
from core.federation import Federation
from core.text import one_line

if TYPE_CHECKING:
    from core.analysis.stale import ImportReport


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("check", help="exit 1 on broken imports, stale imports past grace, unreadable files")
    add_common(parser)
    reads(parser, other_files=False)  # realms and each workspace's configuration: no records
    parser.set_defaults(run=run)


def _finding(kind: str, report: ImportReport, reason: str) -> dict[str, Any]:
    return {"kind": kind, "import": report.key, "binding": report.binding, "file": report.declared_in,
            "line": report.line, "reason": reason}


def _why(report: ImportReport) -> str:
    why = "; ".join(report.reasons)
    if report.disagreement:
        why += f" (the file says {report.declared_status})"
    return why


def findings(fed: Federation, reports: list[ImportReport]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(failures, notes): what fails the check, and what passes but deserves a word."""
    failures: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for r in reports:
        status = r.status.value
        if status == "broken":
            failures.append(_finding("broken", r, _why(r)))
        elif status == "stale" and r.past_grace:
            failures.append(_finding("overdue", r, f"stale for {r.days_stale} days, past the realm's "
                                     f"{r.grace_period_days}-day grace period: {_why(r)}"))
        elif status == "stale" and r.days_stale is None:
            notes.append(_finding("stale", r, f"stale since an unknown date: {_why(r)}"))
        elif status == "stale":
            notes.append(_finding("stale", r, f"stale for {r.days_stale} days, within the "
                                  f"{r.grace_period_days}-day grace period: {_why(r)}"))
    for diag in fed.errors:
        failures.append({"kind": "read-error", "import": None, "binding": None, "file": diag.path,
                         "line": diag.line, "reason": diag.message})
    return failures, notes


def run(args: argparse.Namespace, fed: Federation) -> int:
    day, reports = analyse(fed)
    failures, notes = findings(fed, reports)
    totals = counts(reports)
    if args.json:
        emit_json({"ok": not failures, "today": day, "counts": totals, "failures": failures, "notes": notes,
                   "diagnostics": diagnostic_counts(fed)})
    elif fed.workspaces:  # nothing loaded: nothing on stdout (stderr says why)
        _print(failures, notes, totals)
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    if nothing_loaded(fed):
        return EXIT_UNUSABLE
    return EXIT_ERRORS if failures else EXIT_OK


def _print(failures: list[dict[str, Any]], notes: list[dict[str, Any]], totals: dict[str, int]) -> None:
    out = sys.stdout
    for label, items in (("FAIL", failures), ("note", notes)):
        for item in items:
            if item["import"] is None:
                at = f"{item['file']}:{item['line']}" if item["line"] is not None else item["file"]
                out.write(one_line(f"{label} {item['kind']}: {at}: {item['reason']}") + "\n")
            else:
                files = f"binding {item['binding']}, declared in " if item["binding"] else "declared in "
                out.write(one_line(f"{label} {item['kind']}: {item['import']} ({files}{item['file']}): "
                                   f"{item['reason']}") + "\n")
    kinds = [item["kind"] for item in failures]
    verdict = "check failed" if failures else "check passed"
    out.write(f"{verdict}: {kinds.count('broken')} broken, {kinds.count('overdue')} stale past grace, "
              f"{kinds.count('read-error')} read errors; {totals['stale']} stale, {totals['pending']} pending, "
              f"{totals['current']} current of {sum(totals.values())} imports\n")
