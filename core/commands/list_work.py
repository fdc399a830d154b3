"""``crossdeck list``: work units across workspaces, by organisation, project (with delegated
work) or actor (with the actor's audit events), and by status.

The module is not called ``list`` so that importing it never shadows the builtin.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

from core.commands.audit import event_lines
from core.commands.output import finish, table
from core.commands.common import add_as_of, add_common, graph_of
from core.commands.output import EXIT_UNUSABLE, emit_json, report_diagnostics
from core.commands.output import diagnostic_counts
from core.federation import Federation
from core.model import NO_STATUS, status_text
from core.text import one_line

if TYPE_CHECKING:
    from core.analysis.aggregate import WorkRow, WorkSelection


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("list", help="work units by organisation, project (with delegated work), actor, status")
    parser.add_argument("--org", help="work assigned to, owned or created by members of this organisation")
    parser.add_argument("--project", metavar="REF", help="this work unit and its children (a key, id or rig/id)")
    parser.add_argument("--include-delegated", action="store_true",
                        help="with --project: also the work delegated from it, transitively, across workspaces")
    parser.add_argument("--actor", help="work this actor created, is assigned or owns, and the actor's audit "
                                        "events (greenplace/ matches every actor of the rig)")
    parser.add_argument("--status", action="append", default=[], metavar="S",
                        help="keep these statuses (repeat or comma-separate; 'done' and 'not-done' group them)")
    add_common(parser)
    add_as_of(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    from core.analysis.aggregate import StatusFilter, WorkQuery, affiliations, select_work
    from core.analysis.lookup import RefLookupError, find_node

    if args.include_delegated and not args.project:
        return _usage(fed, args, "--include-delegated needs --project")
    graph = graph_of(fed)
    project = None
    if args.project and fed.workspaces:
        try:
            project = find_node(graph, args.project)
        except RefLookupError as exc:
            return _usage(fed, args, f"--project: {exc}")
    if args.org and fed.workspaces and not affiliations(graph).is_known(args.org):
        orgs = affiliations(graph).organizations()
        return _usage(fed, args, f"--org: no entity {args.org!r} is known"
                      + (f"; organisations: {', '.join(orgs)}" if orgs else ""))
    status = StatusFilter.parse(args.status)
    query = WorkQuery(org=args.org, project=project, include_delegated=args.include_delegated, actor=args.actor,
                      status=status)
    selection = select_work(graph, query)
    if args.json:
        emit_json({"query": {"org": args.org, "project": project, "include_delegated": bool(args.include_delegated),
                             "actor": args.actor, "status": sorted(status.statuses) if status else []},
                   "counts": {"work_units": len(selection.work_units), "by_status": selection.by_status,
                              "events": None if selection.events is None else len(selection.events)},
                   "work_units": selection.work_units, "events": selection.events,
                   "diagnostics": diagnostic_counts(fed)})
    elif fed.workspaces:  # nothing loaded: nothing on stdout (stderr says why)
        _print(selection, project is not None)
    return finish(fed, args.verbose)


def _usage(fed: Federation, args: argparse.Namespace, message: str) -> int:
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    sys.stderr.write(f"crossdeck list: {one_line(message)}\n")
    return EXIT_UNUSABLE


def _print(selection: WorkSelection, as_tree: bool) -> None:
    out = sys.stdout
    rows = selection.work_units
    statuses = ", ".join(f"{n} {'with no status' if s == NO_STATUS else s}" for s, n in selection.by_status.items())
    out.write(f"{len(rows)} work units" + (f" ({statuses})" if statuses else "") + "\n")
    if rows:
        cells = [(_status(r), ("  " * r.project.depth if as_tree and r.project else "") + r.key, r.title,
                  r.assignee or "-", why(r)) for r in rows]
        out.write("\n" + "\n".join(table(("STATUS", "KEY", "TITLE", "ASSIGNEE", "WHY"), cells, whole=(1,))) + "\n")
        notes = Counter(r.from_backup for r in rows if r.from_backup)
        if notes:
            out.write("\n" + "\n".join(f"* {n} {'item' if n == 1 else 'items'} {one_line(note)}"
                                        for note, n in notes.items()) + "\n")
    if selection.events is not None:
        out.write(f"\n{len(selection.events)} audit events by the actor\n")
        if selection.events:
            out.write("\n" + "\n".join(event_lines(selection.events)) + "\n")


def _status(row: WorkRow) -> str:
    if row.done is not None:  # a work unit (its status "-" when it has none: a spec)
        return status_text(row.status) + (" *" if row.from_backup else "")
    return f"not loaded ({row.cache_status})" if row.cache_status else "not loaded"


def why(row: WorkRow) -> str:
    """Why the row is listed: how the project reaches it, the org ties, the actor's roles."""
    parts: list[str] = []
    step = row.project
    if step is not None and step.via != "project":
        parts.append(_step_text(step.via, step.terms, step.delegated_to))
    fields_by_entity: dict[str, list[str]] = {}
    for match in row.members:
        fields_by_entity.setdefault(match.entity, []).append(match.field)
    parts += [f"{entity} ({', '.join(fields)})" for entity, fields in fields_by_entity.items()]
    if row.roles:
        parts.append(", ".join(row.roles))
    return "; ".join(parts)


def _step_text(via: str, terms: dict[str, Any], delegated_to: str | None) -> str:
    if via != "delegation":
        return "child"
    said = [f"{k} {v}" for k, v in terms.items() if k in ("portion", "deadline") and isinstance(v, str)]
    if delegated_to:
        said.append(f"to {delegated_to}")
    return "delegated" + (f" ({', '.join(said)})" if said else "")
