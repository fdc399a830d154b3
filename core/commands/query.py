"""``crossdeck query REMOTE [issue|spec|bead] [ROOT...] [--status S] [--label L] [--json]``: ask a
remote for its work units, the A2A ``query`` from the shell (``core.sync.remote_query``): an HTTP
remote now, a git remote from what ``crossdeck sync`` last fetched, saying how old that is.

stdout: a line saying where the answer came from, then a table (ID, STATUS, PRIORITY, TITLE,
LABELS); ``--json``: one document (``core/schemas/query.schema.json``). Exit codes: 0 answered;
1 not answered (unreachable, refused, never synced) or a local file could not be read; 2 no such
remote (or a name several remotes answer to), a bad option, or nothing loadable.
docs/cli/query.md has the details.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from core.commands.output import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_UNUSABLE,
    diagnostic_counts,
    emit_json,
    nothing_loaded,
    report_diagnostics,
    table,
)
from core.model import status_text
from core.query_filters import WORK_UNIT_KINDS
from core.text import one_line

if TYPE_CHECKING:
    from core.federation import Federation
    from core.sync.remote_query import Answer

NOUNS = {"issue": ("issue", "issues"), "spec": ("spec", "specs"), "bead": ("bead", "beads")}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("query", help="ask a remote for its issues or specs (HTTP now, git from the cache)",
                            usage="crossdeck query REMOTE [issue|spec|bead] [ROOT...] [--status S] [--label L] "
                                  "[--json] [--verbose]",
                            description="ask a remote for its work units: the A2A query (docs/cli/query.md)")
    parser.add_argument("remote_name", metavar="REMOTE",
                        help="a remote's name (or WORKSPACE:NAME, or the workspace it serves)")
    parser.add_argument("roots", nargs="*", default=[], metavar="ROOT",
                        help="the kind asked for first (issue, spec, bead; default every kind), then folders to "
                             "search (./spec for a folder of that name)")
    parser.add_argument("--status", action="append", default=[], metavar="S",
                        help="keep these statuses (repeat or comma-separate); an item with no status matches none")
    parser.add_argument("--label", action="append", default=[], dest="labels", metavar="L",
                        help="keep items with this label (repeat: each must be present)")
    parser.add_argument("--json", action="store_true", help="print JSON only on stdout (schema: docs/cli.md)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every warning on stderr")
    parser.set_defaults(needs_federation=True, run=run, entity=None, own_words=take_kind)


def take_kind(args: argparse.Namespace) -> None:
    """The first word after REMOTE is the kind asked for when it names one (core.cli calls this
    once every word is in ``roots``, options between them or not)."""
    if args.roots and args.roots[0] in WORK_UNIT_KINDS:
        args.entity = args.roots.pop(0)


def run(args: argparse.Namespace, fed: Federation) -> int:
    from core.sync.remote_query import QueryFailure, QueryUsageError, ask, make_filters, pick_remote

    if nothing_loaded(fed):
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        return EXIT_UNUSABLE
    statuses = [s.strip() for given in args.status for s in given.split(",") if s.strip()]
    labels = [label for label in args.labels if label]
    try:
        answer = ask(fed, pick_remote(fed.workspaces, args.remote_name), args.entity, make_filters(statuses, labels))
    except (QueryUsageError, QueryFailure) as exc:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck query: {one_line(str(exc))}\n")
        return EXIT_UNUSABLE if isinstance(exc, QueryUsageError) else EXIT_ERRORS
    if args.json:
        emit_json({**_fields(answer), "count": len(answer.items), "diagnostics": diagnostic_counts(fed)})
    else:
        sys.stdout.write("\n".join(render(answer)) + "\n")
    for kind, why in answer.refused.items():
        sys.stderr.write(f"crossdeck query: {_noun(kind, 2)} left out: {one_line(why)}\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    return EXIT_ERRORS if fed.errors else EXIT_OK


def render(answer: Answer) -> list[str]:
    """The header (what, from where, how old), then the table."""
    lines = [header(answer)]
    if not answer.items:
        return lines + ["nothing matches"]
    rows = [(i.id, status_text(i.status), "-" if i.priority is None else str(i.priority), i.title,
             ", ".join(i.labels) or "-") for i in answer.items]
    return [*lines, "", *table(("ID", "STATUS", "PRIORITY", "TITLE", "LABELS"), rows, whole=(0,))]


def header(answer: Answer) -> str:
    """What was answered and where from: ``3 issues (status open) of WS, answered over HTTP by URL
    (remote R of W), as of 2026-12-07 11:14 UTC``, or ``... from the cache of R (remote of W: git
    LOCATION at commit C), synced 2 hours ago (2026-12-07 09:14 UTC)``."""
    from core.sources.beads_files import stamp
    from core.timeutil import age_words, now, parse_ts

    count = len(answer.items)
    what = f"{count} {_noun(answer.entity, count)}"
    said = [f"status {' or '.join(answer.filters['status'])}"] if answer.filters.get("status") else []
    said += [f"label {label}" for label in answer.filters.get("labels") or ()]
    what += (f" ({', '.join(said)})" if said else "") + " of " + (", ".join(answer.remote_workspaces) or "nothing")
    if answer.source == "http":
        return one_line(f"{what}, answered over HTTP by {answer.location} (remote {answer.remote} of "
                        f"{answer.workspace}), as of {stamp(parse_ts(answer.as_of))} UTC")
    synced = parse_ts(answer.synced_at)
    age = f"synced {age_words(now() - synced)} ago ({stamp(synced)} UTC)" if synced else "synced at an unknown time"
    commit = f" at commit {answer.commit[:12]}" if answer.commit else ""
    state = ""
    if answer.cache_status == "stale":
        state = f"; stale: `crossdeck sync {answer.remote}` refreshes it"
    elif answer.cache_status == "unreachable":
        state = "; its last contact failed" + (f": {answer.last_error}" if answer.last_error else "")
    return one_line(f"{what}, from the cache of {answer.remote} (remote of {answer.workspace}: git {answer.location}"
                    f"{commit}), {age}{state}")


def _noun(kind: str | None, count: int) -> str:
    one, many = NOUNS.get(kind or "", ("work unit", "work units"))
    return one if count == 1 else many


def _fields(answer: Answer) -> dict[str, object]:
    import msgspec

    return msgspec.to_builtins(answer)  # type: ignore[no-any-return]
