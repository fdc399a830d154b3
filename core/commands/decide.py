"""``crossdeck approve`` and ``crossdeck reject``: decide an incoming cross-repo request.

Both call ``core.sync.decisions.decide`` (the dashboard's approvals pane calls the same) and
print what changed. Exit codes: 0 decided, or already decided that way (nothing changed); 1 the
decision was refused (the message says why); 2 a usage error (no actor, an empty reason) or
nothing loadable.
"""

from __future__ import annotations

import argparse
import sys

import msgspec

from core.actor import acting_actor, how_to_set
from core.commands.common import add_common
from core.commands.output import EXIT_ERRORS, EXIT_OK, EXIT_UNUSABLE, emit_json, nothing_loaded, report_diagnostics
from core.federation import Federation
from core.settings import config_path, load_settings
from core.sync.decisions import DecisionError, DecisionResult, check_actor, decide
from core.text import one_line
from core.timeutil import now

_HELP = {"approve": "approve an incoming cross-repo request", "reject": "reject an incoming cross-repo request"}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for verb in ("approve", "reject"):
        parser = sub.add_parser(verb, help=_HELP[verb], description=_HELP[verb] + " (docs/cli/approve.md)")
        parser.add_argument("request", metavar="REQUEST",
                            help="REQUEST_ID, or WORKSPACE:REQUEST_ID where two workspaces hold that id")
        parser.add_argument("--actor", help="who decides (default: $BD_ACTOR, then actor in config.toml)")
        if verb == "reject":
            parser.add_argument("--reason", required=True, help="why (required; the requester sees it)")
        else:
            parser.add_argument("--reason", help="a note on why, kept in the audit entry")
        add_common(parser)
        parser.set_defaults(run=run, decision=verb)


def run(args: argparse.Namespace, fed: Federation) -> int:
    verb = args.decision
    acting = acting_actor(load_settings().actor, args.actor)
    if acting is None:
        return _usage(verb, f"no actor: say who decides with --actor NAME. {how_to_set(str(config_path()))}")
    try:
        actor = check_actor(acting.name)
    except DecisionError as exc:
        return _usage(verb, str(exc))
    if verb == "reject" and not (args.reason or "").strip():
        return _usage(verb, "--reason is empty: say why the request is rejected")
    if nothing_loaded(fed):
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        return EXIT_UNUSABLE
    try:
        result = decide(fed, args.request, verb, actor, args.reason, now())
    except DecisionError as exc:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck {verb}: {one_line(str(exc))}\n")
        return EXIT_ERRORS
    if args.json:
        emit_json(msgspec.to_builtins(result))
    else:
        sys.stdout.write("\n".join(describe(result)) + "\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    return EXIT_OK


def describe(result: DecisionResult) -> list[str]:
    """What changed, in words: the first line says it all; then each file written."""
    ref = one_line(result.ref)
    if result.changed:
        head = f"{result.after.value} {ref} ({result.before.value} -> {result.after.value}) as {one_line(result.actor)}"
        if result.reason:
            head += f": {one_line(result.reason)}"
    else:
        past = _past(result)
        by = f" by {one_line(result.decided_by)}" if result.decided_by else ""
        state = f"{past}{by}" if result.after.value == past else f"{result.after.value} ({past}{by})"
        head = f"{ref} is already {state}; nothing changed"
    return [head, *(f"  wrote {one_line(path)}" for path in result.files)]


def _past(result: DecisionResult) -> str:
    return "approved" if result.decision == "approve" else "rejected"


def _usage(verb: str, message: str) -> int:
    sys.stderr.write(f"crossdeck {verb}: {one_line(message)}\n")
    return EXIT_UNUSABLE
