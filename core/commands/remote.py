"""``crossdeck remote ACTION``: the remotes of every workspace. ``list`` shows each remote's
transport, trust, permissions, sync settings and cached state (each town's Dolt server is one too:
``core.dolt.servers``); ``add`` and ``remove`` change a
workspace's remotes (``core.sync.remote_config``); ``check`` contacts them (``git ls-remote``,
through the same pool, retries and circuit breaker as ``crossdeck sync``, core/commands/sync.py)
and exits 1 when any is unreachable."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from core.commands.common import add_common, needs_sub_verb
from core.commands.output import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_UNUSABLE,
    diagnostic_counts,
    emit_json,
    finish,
    nothing_loaded,
    report_diagnostics,
    table,
)
from core.text import one_line
from core.timeutil import ago

if TYPE_CHECKING:
    from core.analysis.reach import RemoteReport, RemotesSummary
    from core.federation import Federation


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("remote", help="the remotes of every workspace: state, trust, permissions")
    actions = parser.add_subparsers(dest="remote_action", metavar="ACTION", parser_class=type(parser))
    add_list_parser(actions)
    add_change_parsers(actions)
    add_check_parser(actions)

    needs_sub_verb(parser)


def add_list_parser(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = actions.add_parser("list", help="every configured remote with its cached state (never checked, "
                                             "synced, stale, unreachable)")
    add_common(parser)
    parser.set_defaults(run=run_list)


def add_change_parsers(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add = actions.add_parser("add", help="add a remote to a workspace's remotes",
                             description="add a remote to a workspace's remotes (docs/cli/remote.md)")
    add.add_argument("remote_name", metavar="NAME", help="the remote's name (unique in the workspace)")
    add.add_argument("url", metavar="URL", help="any URL git accepts, a path (relative to the workspace root), "
                                                "or an HTTP federation endpoint")
    add.add_argument("--trust", default="untrusted", choices=("untrusted", "verified", "trusted"),
                     help="the trust the workspace grants it (default: untrusted)")
    add.add_argument("--transport", choices=("git", "http"),
                     help="default: http for http(s):// URLs, git otherwise")
    remove = actions.add_parser("remove", help="remove a remote from a workspace's remotes",
                                description="remove a remote from a workspace's remotes (docs/cli/remote.md)")
    remove.add_argument("remote_name", metavar="NAME", help="the remote's name")
    for parser in (add, remove):
        parser.add_argument("--workspace", "-w", metavar="W",
                            help="the workspace (its name or folder); needed when several are loaded")
        parser.add_argument("--actor", help="who changes the remotes, the commit's author "
                                            "(default: $BD_ACTOR, then actor in config.toml)")
        add_common(parser)
        parser.set_defaults(run=run_change)


def add_check_parser(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from core.commands.sync import add_contact_arguments

    parser = actions.add_parser("check", help="contact each remote (git ls-remote): latency, last success, "
                                              "last error, circuit; exit 1 when any is unreachable",
                                usage="crossdeck remote check [NAME] [ROOT...] [--all] [--force] [--json] [--verbose]",
                                description="check that remotes answer (docs/cli/remote.md)")
    add_contact_arguments(parser, name_optional=True)
    parser.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, fed: Federation) -> int:
    from core.commands.sync import contact_verb

    return contact_verb("check", args, fed)


def run_change(args: argparse.Namespace, fed: Federation) -> int:
    """remote add / remote remove: print what changed; 1 when refused, 2 when nothing loaded."""
    from core.actor import acting_actor, how_to_set
    from core.commands.decide import commit_text
    from core.settings import config_path, load_settings
    from core.sync import SyncError
    from core.sync.decisions import DecisionError, check_actor
    from core.sync.remote_config import (
        RemoteUsageError,
        add_remote,
        find_workspace,
        holder_of,
        new_record,
        remove_remote,
    )
    from core.timeutil import now

    action = args.remote_action
    acting = acting_actor(load_settings().actor, args.actor)
    if acting is None:
        sys.stderr.write(f"crossdeck remote {action}: no actor: say who changes the remotes with --actor NAME. "
                         f"{how_to_set(str(config_path()))}\n")
        return EXIT_UNUSABLE
    try:
        actor = check_actor(acting.name)
    except DecisionError as exc:
        sys.stderr.write(f"crossdeck remote {action}: {one_line(str(exc))}\n")
        return EXIT_UNUSABLE
    if nothing_loaded(fed):
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        return EXIT_UNUSABLE
    try:
        if action == "add":
            record = new_record(args.remote_name, args.url, args.trust, args.transport)
            change = add_remote(find_workspace(fed, args.workspace), record, actor=actor, now=now())
        else:
            change = remove_remote(holder_of(fed, args.remote_name, args.workspace), args.remote_name, actor=actor,
                                   now=now())
    except SyncError as exc:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck remote {action}: {one_line(str(exc))}\n")
        return EXIT_UNUSABLE if isinstance(exc, RemoteUsageError) else EXIT_ERRORS
    if args.json:
        emit_json(change)
    else:
        done = "added" if action == "add" else "removed"
        where = "to" if action == "add" else "from"
        sys.stdout.write(f"{done} remote {one_line(change.name)} ({one_line(str(change.record.get('url')))}) "
                         f"{where} {one_line(change.workspace)} as {one_line(actor)}\n  wrote {one_line(change.file)}\n")
        if change.commit is not None:
            sys.stdout.write(f"  {commit_text(change.commit)}\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    if change.commit is not None and change.commit.failed:
        sys.stderr.write(f"crossdeck remote {action}: {one_line(change.commit.note)}\n")
        return EXIT_ERRORS
    return EXIT_OK


def remotes(fed: Federation) -> tuple[dt.datetime, RemotesSummary]:
    """The clock (``CROSSDECK_NOW`` fixes it) and every remote's report; an unreadable state store
    adds a warning to the federation's diagnostics and reads as empty."""
    from core.analysis.reach import remotes_report
    from core.diagnostics import Diagnostics
    from core.settings import load_settings
    from core.store import remote_states
    from core.timeutil import now

    diags = Diagnostics()
    states = remote_states(diags=diags)
    fed.diagnostics.extend(diags.items)
    moment = now()
    local = [ws for ws in fed.workspaces if not ws.remote_cache]  # a cached remote's own remotes are not ours
    return moment, remotes_report(local, states, moment, load_settings().remote_ttl_seconds)


def run_list(args: argparse.Namespace, fed: Federation) -> int:
    moment, summary = remotes(fed)
    if args.json:
        emit_json({"now": moment.isoformat().replace("+00:00", "Z"), "ttl_seconds": summary.ttl_seconds,
                   "counts": summary.counts, "remotes": summary.remotes, "diagnostics": diagnostic_counts(fed)})
    elif fed.workspaces:  # nothing loaded: nothing on stdout (stderr says why)
        _print(summary, moment)
    return finish(fed, args.verbose)


def _print(summary: RemotesSummary, moment: dt.datetime) -> None:
    out = sys.stdout
    counts = ", ".join(f"{n} {s.replace('-', ' ')}" for s, n in summary.counts.items() if n)
    out.write(f"{len(summary.remotes)} remotes" + (f" ({counts})" if counts else "")
              + f"; stale after {summary.ttl_seconds}s\n")
    if not summary.remotes:
        out.write("no workspace names a remote (.sudocode/federation.config.json remote_repos, "
                  ".crossdeck/remotes.json)\n")
        return
    rows = [(r.state.replace("-", " "), r.workspace, r.name, r.transport, r.trust_level,
             ago(r.last_check_at, moment), ago(r.last_sync_at, moment),
             "-" if r.latency_ms is None else f"{r.latency_ms:.0f} ms", r.circuit_state or "-") for r in summary.remotes]
    lines = table(("STATE", "WORKSPACE", "REMOTE", "VIA", "TRUST", "CHECKED", "SYNCED", "LATENCY", "CIRCUIT"), rows,
                  whole=(0,))
    out.write("\n" + lines[0] + "\n")
    for report, line in zip(summary.remotes, lines[1:]):
        out.write(line + "\n")
        for detail in details(report, moment):
            out.write("    " + one_line(detail) + "\n")


def details(report: RemoteReport, moment: dt.datetime) -> list[str]:
    out = [f"url {report.url}" + (f" ({report.display_name})" if report.display_name else "")]
    if report.failing_since:
        out.append(f"failing since {report.failing_since} ({ago(report.failing_since, moment)}, "
                   f"{report.failures} failed in a row)")
    if report.last_error and report.state == "unreachable":
        out.append(f"last error: {report.last_error}")
    if report.databases is not None:  # a town's Dolt server: what it holds, and what is shown of it
        for served in report.databases:
            what = f"database {served.database}" + (f" (rig {served.rig})" if served.rig else "")
            out.append(f"{what}: {served.note or 'read live'}")
        return out
    perms = report.permissions
    can = [name for name, allowed in (("query", perms.query), ("subscribe", perms.subscribe)) if allowed]
    if perms.mutate:
        mutate = "mutate" + (f" {'/'.join(perms.operations)}" if perms.operations else "")
        terms = []
        if perms.auto_approve_conditions:
            terms.append(f"auto-approve when {' and '.join(perms.auto_approve_conditions)}")
        if perms.max_creates_per_day is not None:
            terms.append(f"max {perms.max_creates_per_day} creates/day")
        can.append(mutate + (f" ({'; '.join(terms)})" if terms else ""))
    sync = report.sync
    every = f"auto-sync every {sync.interval_minutes} min" if sync.auto_sync and sync.interval_minutes else (
        "auto-sync" if sync.auto_sync else "manual sync")
    out.append(f"may {', '.join(can)}; {every}" if can else f"may do nothing; {every}")
    return out
