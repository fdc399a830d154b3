"""``crossdeck sync (NAME | --all) [ROOT...]``: fetch remotes into crossdeck's cache.

Each selected remote is fetched (``core.sync.fetch_pool``: in parallel, at most four at a time,
with a timeout, retries with backoff and a circuit breaker): a git remote's fetched commit is
written to the cache for reading (``core.sync.remote_workspaces``), an HTTP remote's work units
are kept as a snapshot and its pending outgoing requests followed (``core.sync.http_sync``,
``core.sync.outgoing_http``); each contact is recorded in the state store. A progress bar runs on stderr in a terminal (plain lines otherwise); stdout gets the
results. ``remote check`` (core/commands/remote.py) shares the selection, the progress and the
output of this module.

Exit codes: 0 every selected remote synced (or was not fetchable: identity URLs); 1 some
remote is unreachable (its fetch failed, or its circuit is open) or some file could not be read;
2 no NAME and no ``--all``, a NAME no loaded workspace uses, or nothing loadable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from core.text import one_line

if TYPE_CHECKING:
    from core.federation import Federation
    from core.sync.fetch_pool import Action, ContactReport, Outcome


class NameThenRoots(argparse.Action):
    """``[NAME] [ROOT...]``: the first word names remotes, unless ``--all`` is given or (where
    the name is optional) it is an existing folder."""

    def __init__(self, *args: Any, name_optional: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_optional = name_optional

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        words = list(values or [])
        if words and not namespace.all and not (self.name_optional and Path(words[0]).is_dir()):
            namespace.name = words.pop(0)
        namespace.roots = words


class AllRemotes(argparse.Action):
    """``--all``: every remote; a NAME already taken becomes a root again."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        namespace.all = True
        if namespace.name is not None:
            namespace.roots = [namespace.name, *namespace.roots]
            namespace.name = None


def add_contact_arguments(parser: argparse.ArgumentParser, name_optional: bool) -> None:
    """NAME / --all / ROOTS, --force, --json, --verbose (what sync and remote check share)."""
    parser.add_argument("roots", nargs="*", default=[], metavar="ARG", action=NameThenRoots, name_optional=name_optional,
                        help="a remote's name (or WORKSPACE:NAME, or the workspace it serves), then folders to search")
    parser.add_argument("--all", action=AllRemotes, nargs=0, help="every remote of every loaded workspace")
    parser.add_argument("--force", action="store_true", help="try remotes whose circuit is open too")
    parser.add_argument("--json", action="store_true", help="print JSON only on stdout")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every warning on stderr")
    parser.set_defaults(name=None, all=False, needs_federation=True)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("sync", help="fetch remotes (git, HTTP) into the cache (NAME, or --all)",
                            usage="crossdeck sync (NAME | --all) [ROOT...] [--force] [--json] [--verbose]",
                            description="fetch remotes into crossdeck's cache (docs/cli/sync.md)")
    add_contact_arguments(parser, name_optional=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    if args.name is None and not args.all:
        sys.stderr.write("crossdeck sync: name a remote (crossdeck remote list shows them) or pass --all\n")
        return EXIT_UNUSABLE
    return contact_verb("sync", args, fed)


def contact_verb(action: Action, args: argparse.Namespace, fed: Federation) -> int:
    """Select the remotes, contact them with progress, print the results; the exit code."""
    from core.settings import load_settings
    from core.store import StoreError, remote_states
    from core.sync.fetch_pool import contact_all, report, targets_of
    from core.timeutil import now

    verb = "sync" if action == "sync" else "remote check"
    if nothing_loaded(fed):
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        return EXIT_UNUSABLE
    targets = targets_of(fed.workspaces, args.name, dolt=action == "check")
    if args.name is not None and not targets:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck {verb}: no loaded workspace has a remote named {one_line(args.name)!r} "
                         "(crossdeck remote list shows them)\n")
        return EXIT_UNUSABLE
    try:
        with progress(action, len(targets), quiet=args.json) as on_done:
            outcomes = contact_all(action, targets, force=args.force, on_done=on_done)
    except StoreError as exc:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck {verb}: {one_line(str(exc))}\n")
        return EXIT_ERRORS
    moment, ttl = now(), load_settings().remote_ttl_seconds
    states = remote_states()
    reports = [report(o, states.get((o.workspace, o.name)), moment, ttl) for o in outcomes]
    unreachable = sum(r.status == "unreachable" for r in reports)
    if args.json:
        emit_json({"now": _stamp(moment), "action": action, "ttl_seconds": ttl, "counts": counts(reports),
                   "unreachable": unreachable, "results": reports, "diagnostics": diagnostic_counts(fed)})
    else:
        sys.stdout.write("\n".join(render(action, reports)) + "\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    return EXIT_ERRORS if unreachable or fed.errors else EXIT_OK


def counts(reports: list[ContactReport]) -> dict[str, int]:
    return {result: sum(r.result == result for r in reports) for result in ("ok", "failed", "skipped")}


@contextmanager
def progress(action: Action, total: int, quiet: bool = False) -> Iterator[Callable[[Outcome], None]]:
    """Progress on stderr: a rich progress bar in a terminal, one plain line a remote otherwise."""
    doing = "syncing" if action == "sync" else "checking"
    if quiet or total == 0:
        yield lambda outcome: None
        return
    if not sys.stderr.isatty():
        done = [0]

        def line(outcome: Outcome) -> None:
            done[0] += 1
            sys.stderr.write(f"{doing} {done[0]}/{total}: {one_line(summary_line(outcome))}\n")
            sys.stderr.flush()

        yield line
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{doing} {total} remotes", total=total)

        def advance(outcome: Outcome) -> None:
            bar.update(task, advance=1, description=escape(f"{doing}: {one_line(summary_line(outcome))}"))

        yield advance


def summary_line(o: Outcome) -> str:
    who = f"{o.workspace} -> {o.name}"
    if o.result == "skipped":
        return f"{who}: skipped ({o.reason})"
    if o.result == "failed":
        return f"{who}: failed after {o.attempts} attempt{'s' * (o.attempts != 1)}: {o.error}"
    ref = o.fetched_ref or o.head
    return f"{who}: ok {ref[:12] if ref else ''} ({o.latency_ms:.0f} ms)"


def render(action: Action, reports: list[ContactReport]) -> list[str]:
    """A headline, then a table of the remotes with a detail line where there is more to say."""
    tally = counts(reports)
    done = "synced" if action == "sync" else "reachable"
    head = f"{len(reports)} remotes: {tally['ok']} {done}, {tally['failed']} failed, {tally['skipped']} skipped"
    if not reports:
        return [head, "no workspace names a remote (crossdeck remote add NAME URL adds one)"]
    ref_title = "FETCHED" if action == "sync" else "HEAD"
    rows = [(r.result, r.status.replace("-", " "), r.workspace, r.name, _short(r.fetched_ref or r.head),
             "-" if r.latency_ms is None else f"{r.latency_ms:.0f} ms", str(r.attempts), r.circuit_state)
            for r in reports]
    lines = table(("RESULT", "STATE", "WORKSPACE", "REMOTE", ref_title, "LATENCY", "TRIES", "CIRCUIT"), rows,
                  whole=(0,))
    out = [head, "", lines[0]]
    for r, line in zip(reports, lines[1:]):
        out.append(line)
        out.extend("    " + one_line(detail) for detail in details(r))
    return out


def details(r: ContactReport) -> list[str]:
    out = [f"from {r.location}" if r.location else f"url {r.url}"]
    if r.reason:
        out.append(r.reason)
    if r.error:
        out.append(f"error: {r.error}")
    if r.result == "ok" and r.action == "sync":
        moved = (f"moved from {_short(r.previous_ref)}" if r.previous_ref else "first fetch") if r.changed else "unchanged"
        holds = (f"{r.items} work units of {r.remote_workspace}" if r.transport == "http" else
                 ", ".join(f"{w.kind} {w.path}" for w in r.workspaces) or "no workspace")
        out.append(f"{moved}; holds {holds}")
    if r.result == "ok" and r.transport == "http":
        out.append(caller_text(r.caller))
    for followed in r.requests:
        out.append(followed_text(followed))
    if r.read_error:
        out.append(f"cannot be read: {r.read_error}")
    if r.failing_since and r.status == "unreachable":
        out.append(f"failing since {r.failing_since} ({r.failures} failed in a row); "
                   f"last success {r.last_success_at or 'never'}")
    return out


def caller_text(caller: dict[str, Any] | None) -> str:
    """Who we are at an HTTP remote, as its ``info`` says."""
    if not caller:
        return "we are anonymous there (no token: crossdeck token add)"
    if caller.get("maintainer"):
        return f"we are maintainer {caller.get('maintainer')} there"
    return f"we are {caller.get('remote')} there, trust {caller.get('trust_level')}"


def followed_text(followed: Any) -> str:
    """One outgoing request followed by an HTTP sync."""
    head = f"request {followed.request_id}: "
    if followed.error:
        return head + f"{followed.before}, not followed: {followed.error}"
    what = f"delivered, {followed.remote_status} there" if followed.delivered else f"{followed.remote_status} there"
    change = f" ({followed.before} -> {followed.after})" if followed.before != followed.after else ""
    from core.analysis.outgoing import created_key

    created = created_key(followed.result)
    return head + what + change + (f"; created {created}" if created else "")


def _short(ref: str | None) -> str:
    return ref[:12] if ref else "-"


def _stamp(moment: Any) -> str:
    from core.store import iso

    return iso(moment)
