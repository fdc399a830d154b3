"""``crossdeck doctor [ROOT...] [--fix]``: find what a crash or a bad merge left in the loaded
workspaces (half-done actions' journals, torn last lines, stray temp files, uncommitted record
files; ``core.sync.doctor``) and, with ``--fix``, repair it, committing the repair as the actor.
Exit codes: 0 nothing to repair (or all repaired), 1 something is left (found without ``--fix``,
or a repair failed), 2 no actor for ``--fix`` or nothing loadable."""

from __future__ import annotations

import argparse
import sys

import msgspec

from core.actor import acting_actor, how_to_set
from core.commands.common import add_common
from core.commands.output import EXIT_ERRORS, EXIT_OK, EXIT_UNUSABLE, emit_json, nothing_loaded, report_diagnostics
from core.federation import Federation
from core.settings import config_path, load_settings
from core.sync.decisions import DecisionError, check_actor
from core.sync.doctor import Finding, examine, repair
from core.text import one_line
from core.timeutil import now


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("doctor", help="find (and --fix) what a crash or a bad merge left in the workspaces",
                            description="find what a crash or a bad merge left: journals of half-done actions, "
                                        "torn last lines, stray temp files, uncommitted record files "
                                        "(docs/cli/doctor.md)")
    parser.add_argument("--fix", action="store_true", help="repair what is found, committing it as the actor")
    parser.add_argument("--actor", help="who repairs (default: $BD_ACTOR, then actor in config.toml)")
    add_common(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    if nothing_loaded(fed):
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        return EXIT_UNUSABLE
    local = [ws for ws in fed.workspaces if not ws.remote_cache]
    if args.fix:
        acting = acting_actor(load_settings().actor, args.actor)
        if acting is None:
            sys.stderr.write(f"crossdeck doctor: --fix needs an actor: --actor NAME. {how_to_set(str(config_path()))}\n")
            return EXIT_UNUSABLE
        try:
            actor = check_actor(acting.name)
        except DecisionError as exc:
            sys.stderr.write(f"crossdeck doctor: {one_line(str(exc))}\n")
            return EXIT_UNUSABLE
        findings = [f for ws in local for f in repair(ws, actor, now())]
    else:
        findings = [f for ws in local for f in examine(ws)]
    left = [f for f in findings if not f.fixed]
    if args.json:
        emit_json({"fix": args.fix, "findings": msgspec.to_builtins(findings), "left": len(left)})
    else:
        sys.stdout.write("\n".join(_lines(findings, args.fix)) + "\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    return EXIT_ERRORS if left else EXIT_OK


def _lines(findings: list[Finding], fix: bool) -> list[str]:
    if not findings:
        return ["nothing to repair"]
    out = [f"{'fixed' if f.fixed else 'found'} {f.kind} in {one_line(f.workspace)}: {one_line(f.path)}: "
           f"{one_line(f.detail)}" for f in findings]
    if not fix:
        out.append("crossdeck doctor --fix repairs these (commits as the actor)")
    return out
