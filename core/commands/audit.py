"""``crossdeck audit``: one timeline of every workspace's events, newest first, filtered; with each
workspace repository's own git commits (``core.sources.git_history``: the newest ``--commits`` of
them, none older than ``--since``; crossdeck's own commits are their audit lines) and each live
Dolt-backed database's Dolt commits (``core.sources.dolt_commits``: beads' own events stand for the
commits they describe)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.commands.common import add_common
from core.commands.output import (
    EXIT_UNUSABLE,
    diagnostic_counts,
    emit_json,
    finish,
    report_diagnostics,
    table,
)
from core.sources.git_history import MAX_COMMITS
from core.text import one_line

if TYPE_CHECKING:
    import datetime as dt

    from core.analysis.audit import AuditEntry, AuditQuery
    from core.federation import Federation

DETAIL_WIDTH = 100


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("audit", help="one timeline of every workspace's events, newest first")
    parser.add_argument("--actor", help="events by this actor, or by actors below it (greenplace/ matches "
                                        "greenplace/crew/joe)")
    parser.add_argument("--org", help="events by members of this organisation (through employment; town "
                                      "actors act for the town's owner)")
    parser.add_argument("--workspace", help="events of this workspace (full name or its last part)")
    parser.add_argument("--type", action="append", default=[], metavar="TYPE",
                        help="events of this type (repeat, or separate with commas, for several)")
    parser.add_argument("--since", type=moment, metavar="WHEN",
                        help="from this moment on: 2026-11-01, 2026-11-01T10:00:00Z, or back from now: 7d, 24h, 30m")
    parser.add_argument("--until", type=moment, metavar="WHEN", help="before this moment (same forms as --since)")
    parser.add_argument("--limit", type=positive, metavar="N", help="show at most N events (the newest)")
    parser.add_argument("--commits", type=int, default=MAX_COMMITS, metavar="N",
                        help=f"read at most the newest N git commits of each workspace's repository, and "
                             f"of Dolt commits of each Dolt-backed database (default {MAX_COMMITS}; 0: none)")
    add_common(parser)
    parser.set_defaults(run=run)


def moment(text: str) -> dt.datetime:
    """argparse type of --since / --until: relative spans count back from now (CROSSDECK_NOW)."""
    from core.analysis.audit import parse_moment
    from core.timeutil import now

    try:
        return parse_moment(text, now())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def run(args: argparse.Namespace, fed: Federation) -> int:
    from core.analysis.audit import AuditQuery, AuditTimeline, workspace_matches
    from core.diagnostics import Diagnostics
    from core.sources import dolt_commits
    from core.sources.git_history import commit_events

    commits = commit_events(fed.workspaces, max_commits=args.commits, since=args.since) if args.commits > 0 else []
    if args.commits > 0:
        diags = Diagnostics()
        commits += dolt_commits.commit_events(fed.workspaces, max_commits=args.commits, since=args.since,
                                              diags=diags)
        fed.diagnostics.extend(diags.items)
    timeline = AuditTimeline(fed.workspaces, commits=commits)
    types = tuple(t.strip() for value in args.type for t in value.split(",") if t.strip())
    query = AuditQuery(actor=args.actor, org=args.org, workspace=args.workspace, types=types,
                       since=args.since, until=args.until, limit=args.limit)
    problem = None
    if args.workspace and fed.workspaces and not any(workspace_matches(ws.name, args.workspace)
                                                     for ws in fed.workspaces):
        problem = f"no loaded workspace matches {args.workspace!r}; loaded: " + ", ".join(
            ws.name for ws in fed.workspaces)
    elif args.org and fed.workspaces and not timeline.affiliations.is_known(args.org):
        orgs = timeline.affiliations.organizations()
        problem = f"no entity {args.org!r} is known" + (f"; organisations: {', '.join(orgs)}" if orgs else "")
    if problem:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck audit: {one_line(problem)}\n")
        return EXIT_UNUSABLE
    result = timeline.query(query)
    if args.json:
        emit_json({"query": _query_doc(query), "total": result.total, "matched": result.matched,
                   "undated": result.undated, "events": result.events, "diagnostics": diagnostic_counts(fed)})
    elif fed.workspaces:  # nothing loaded: nothing on stdout (stderr says why)
        _print(result.events, result.matched, result.total, result.undated, query.since or query.until)
    return finish(fed, args.verbose)


def _query_doc(query: AuditQuery) -> dict[str, Any]:
    return {"actor": query.actor, "org": query.org, "workspace": query.workspace, "types": list(query.types),
            "since": _iso(query.since), "until": _iso(query.until), "limit": query.limit}


def _iso(value: dt.datetime | None) -> str | None:
    from core.timeutil import UTC

    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _print(events: list[AuditEntry], matched: int, total: int, undated: int, windowed: object) -> None:
    out = sys.stdout
    shown = f"{len(events)} of {matched}" if len(events) < matched else str(matched)
    out.write(f"{shown} events (of {total} in the timeline)\n")
    if windowed and undated:
        out.write(f"({undated} events without a readable time are outside any time window)\n")
    if events:
        out.write("\n")
        for line in event_lines(events):
            out.write(line + "\n")


def event_lines(events: Sequence[AuditEntry]) -> list[str]:
    """A table of events: time, workspace, actor, type, what it was about."""
    rows = [(e.time.replace("T", " ") if e.time else f"? {e.ts}", e.workspace, e.actor or "-", e.type, detail(e))
            for e in events]
    return table(("TIME", "WORKSPACE", "ACTOR", "TYPE", "DETAIL"), rows, whole=(0,))


def detail(event: AuditEntry) -> str:
    """The subject, else the payload as ``key=value`` pairs, cut to DETAIL_WIDTH."""
    parts = [event.subject] if event.subject else []
    if event.origin == "git-commit":  # a commit: its id and subject, as git log --oneline says it
        parts += [str(event.payload.get("commit", "")), str(event.payload.get("subject", ""))]
        text = " ".join(parts)
        return text if len(text) <= DETAIL_WIDTH else text[: DETAIL_WIDTH - 3] + "..."
    if event.origin == "dolt-commit":  # a Dolt commit: its id, first line, and what it changed
        fields = event.payload.get("fields") or []
        what = str(event.payload.get("change", "")) + (": " + ", ".join(map(str, fields)) if fields else "")
        message = str(event.payload.get("message", "")).strip().splitlines()
        parts += [str(event.payload.get("commit", ""))[:8], message[0] if message else "", f"[{what}]"]
        text = " ".join(parts)
        return text if len(text) <= DETAIL_WIDTH else text[: DETAIL_WIDTH - 3] + "..."
    parts += [f"{k}={v}" for k, v in event.payload.items() if isinstance(v, (str, int, float, bool))]
    text = " ".join(parts)
    return text if len(text) <= DETAIL_WIDTH else text[: DETAIL_WIDTH - 3] + "..."


