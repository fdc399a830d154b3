"""What the Stale imports pane's action keys ask before acting: the confirm modal's rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.analysis.stale import ImportReport
from tui.safe import shorten_path

if TYPE_CHECKING:
    from core.actor import Actor
    from tui.screens.confirm import Row


def resolve_rows(report: ImportReport, actor: Actor, roots: list[str]) -> list[Row]:
    """``R``: the import, from -> to version, the binding file, who acts."""
    declared = shorten_path(report.declared_in, roots) + (f":{report.line}" if report.line else "")
    return [
        ("import", report.key),
        ("version", f"{report.resolved_version or '(unresolved)'} -> {report.current_version}"),
        ("status", f"{report.status.value} -> current"),
        ("binding", report.binding or "-"),
        ("written to", declared or "-"),
        ("actor", f"{actor.name} (from {actor.source})"),
    ]


def bump_rows(report: ImportReport, version: str, change: str, actor: Actor) -> list[Row]:
    """``B``: the export the import uses, current -> new version, the changelog line, who acts."""
    return [
        ("export", report.contract_key),
        ("version", f"{report.current_version or '-'} -> {version}"),
        ("change", change),
        ("used by", report.key),
        ("actor", f"{actor.name} (from {actor.source})"),
    ]


def check_version(values: list[str]) -> str | None:
    """The bump modal's check: the first value must be a version (core checks it is newer)."""
    from core.analysis.stale import parse_version

    try:
        parse_version(values[0])
    except ValueError:
        return f"{values[0]} is not a version (MAJOR.MINOR.PATCH)"
    return None
