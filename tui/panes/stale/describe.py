"""What the Stale imports pane says about an ``ImportReport``: its row, the headline, its detail.

Only presentation: every status, day count and reason comes from ``core.analysis.stale``.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.analysis.stale import ImportReport, ImportStatus
from core.commands.stale import where
from tui.safe import shorten_path
from tui.widgets.master_detail import DetailText
from tui.widgets.table import Column

COLUMNS = [Column("STATUS", whole=True), Column("DAYS", whole=True), Column("IMPORT"),
           Column("RESOLVED→CURR", whole=True), Column("RANGE"), Column("BINDING")]

# Where the day count starts, in words (``ImportReport.since_source``).
SINCE = {"changelog": "the date of the first newer changelog entry",
         "git": "the contract file's git history (the changelog entry has no date)",
         "resolved_at": "resolved_at (neither the changelog nor git dates the change)"}

_STYLE = {"broken": "bold $error", "stale (overdue)": "bold $warning", "stale": "$warning", "pending": "$secondary",
          "current": "$success"}


def status_word(report: ImportReport) -> str:
    """``broken``, ``stale (overdue)`` (past its grace period), ``stale``, ``pending``, ``current``."""
    if report.status is ImportStatus.STALE and report.past_grace:
        return "stale (overdue)"
    return report.status.value


def days_cell(report: ImportReport) -> str:
    days = "-" if report.days_stale is None else str(report.days_stale)
    return f"{days}/{report.grace_period_days}d"


def versions_cell(report: ImportReport) -> str:
    return f"{report.resolved_version or '-'} → {report.current_version or '-'}"


def import_cell(report: ImportReport) -> str:
    """The import's key without its ``realm://`` scheme (the detail shows it whole)."""
    return report.key.removeprefix("realm://")


def row(report: ImportReport) -> list[str]:
    return [status_word(report), days_cell(report), import_cell(report), versions_cell(report), report.range,
            where(report)]


def shown(reports: Sequence[ImportReport], show_all: bool) -> list[ImportReport]:
    return list(reports) if show_all else [r for r in reports if r.status is not ImportStatus.CURRENT]


def headline(reports: Sequence[ImportReport], show_all: bool) -> str:
    words = [status_word(r) for r in reports]
    current = words.count("current")
    parts = [f"{words.count('broken')} broken", f"{words.count('stale (overdue)')} overdue",
             f"{words.count('stale')} stale within grace", f"{words.count('pending')} pending"]
    tail = f"{current} current" + ("" if show_all or not current else " (hidden: a shows all)")
    return f"{len(reports)} imports: " + " · ".join(parts) + f" · {tail}"


def empty_text(reports: Sequence[ImportReport], show_all: bool) -> str:
    if not reports:
        return "no realm imports found"
    return "every import is current (a shows them)" if not show_all else "no imports"


def detail(report: ImportReport, roots: list[str]) -> DetailText:
    word = status_word(report)
    out = DetailText().title(report.key)
    out.line((word, _STYLE.get(word, "")), f" · resolved {report.resolved_version or '-'}"
             f" · current {report.current_version or '-'} · range {report.range}", indent=2)
    out.section("Why")
    out.items(report.reasons, empty="nothing to do: the import is current")
    if report.disagreement:
        out.item(f"the file says {report.declared_status}; computed {report.status.value}", "$warning")
    out.section("Days")
    _days(out, report)
    if report.changes:
        out.section(f"Changes after {report.resolved_version} up to {report.current_version}")
        for entry in report.changes:
            head = f"{entry.version} ({entry.date})" if entry.date else entry.version
            flag = [("  incompatible", "bold $error")] if entry.compatible is False else []
            out.line((head, "bold"), *flag, indent=2)
            out.items(entry.changes, empty="no changes listed")
    out.section("Where")
    out.field("contract", report.contract_key)
    out.field("realm", report.realm)
    out.field("importer", report.importer)
    out.field("binding", report.binding or "-")
    declared = shorten_path(report.declared_in, roots) + (f":{report.line}" if report.line else "")
    out.field("declared in", declared or "-")
    return out


def _days(out: DetailText, report: ImportReport) -> None:
    grace = report.grace_period_days
    if report.days_stale is None:
        behind = {ImportStatus.CURRENT: "not behind", ImportStatus.PENDING: "not resolved yet"}.get(
            report.status, "no day count: nothing dates the change")
        out.field("behind", behind)
        out.field("grace", f"{grace} days")
        return
    out.field("behind", f"{report.days_stale} days, since {report.stale_since}")
    out.field("counted from", SINCE.get(report.since_source or "", report.since_source or "?"))
    if report.past_grace:
        out.field("grace", f"{grace} days: past it by {report.days_stale - grace} days", "bold $warning")
    else:
        out.field("grace", f"{grace} days: {grace - report.days_stale} days left")
