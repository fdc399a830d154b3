"""``crossdeck approve`` and ``crossdeck reject``: decide an incoming cross-repo request; and what
every verb that changes something shares (``act``: the actor, the call, the output, the exit code).

Both call ``core.sync.decisions.decide`` (the dashboard's approvals pane calls the same) and
print what changed. Exit codes: 0 done, or already done that way (nothing changed); 1 refused (the
message says why), or written but not committed (git refused; the message says why); 2 a usage
error (no actor, an empty reason) or nothing loadable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import msgspec

from core.actor import acting_actor, how_to_set
from core.commands.common import add_common
from core.commands.json_guard import noted
from core.commands.output import EXIT_ERRORS, EXIT_OK, EXIT_UNUSABLE, emit_json, nothing_loaded, report_diagnostics
from core.diagnostics import Diagnostic, Severity
from core.federation import Federation
from core.model import Workspace
from core.settings import config_path, load_settings
from core.sync import SyncError
from core.sync.create import Created
from core.sync.decisions import DecisionError, DecisionResult, check_actor, decide
from core.sync.gitcommit import CommitOutcome
from core.text import one_line, plural
from core.timeutil import now

_HELP = {"approve": "approve an incoming cross-repo request (creating the item it asks for)",
         "reject": "reject an incoming cross-repo request"}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for verb in ("approve", "reject"):
        parser = sub.add_parser(verb, help=_HELP[verb], description=_HELP[verb] + " (docs/cli/approve.md)")
        parser.add_argument("request", metavar="REQUEST", nargs="?" if verb == "approve" else None,
                            help="REQUEST_ID, or WORKSPACE:REQUEST_ID where two workspaces hold that id")
        add_actor_option(parser, "who decides")
        if verb == "reject":
            parser.add_argument("--reason", required=True, help="why (required; the requester sees it)")
        else:
            parser.add_argument("--reason", help="a note on why, kept in the audit entry")
            parser.add_argument("--auto-approvable", dest="auto_approvable", action="store_true",
                                help="approve every pending request whose policy verdict is auto-approvable, "
                                     "each as its own decision (no REQUEST)")
            parser.add_argument("--dry-run", dest="dry_run", action="store_true",
                                help="with --auto-approvable: list what would be approved, change nothing")
        add_common(parser)
        parser.set_defaults(run=run, decision=verb)
        if verb == "approve":
            from core.commands.approve_auto import roots_first

            parser.set_defaults(own_words=roots_first)


def add_actor_option(parser: argparse.ArgumentParser, who: str) -> None:
    parser.add_argument("--actor", help=f"{who} (default: $BD_ACTOR, then actor in config.toml)")


def run(args: argparse.Namespace, fed: Federation) -> int:
    verb = args.decision
    if getattr(args, "auto_approvable", False):
        from core.commands.approve_auto import run_auto

        return run_auto(args, fed)
    if getattr(args, "dry_run", False):
        return usage(verb, "--dry-run goes with --auto-approvable")
    if args.request is None:
        return usage(verb, "name the REQUEST to approve (REQUEST_ID or WORKSPACE:REQUEST_ID), or give "
                           "--auto-approvable to approve every auto-approvable one")
    if verb == "reject" and not (args.reason or "").strip():
        return usage(verb, "--reason is empty: say why the request is rejected")
    return act(verb, args, fed, lambda actor: decide(fed, args.request, verb, actor, args.reason, now()), describe,
               who="decides")


def act(verb: str, args: argparse.Namespace, fed: Federation, action: Callable[[str], Any],
        render: Callable[[Any], list[str]], who: str = "acts") -> int:
    """Run ``action(actor)`` for a verb that changes something, and report: its result on stdout
    (``--json``: as one document), a refusal on stderr. The exit code is 0 when it is done, 1 when
    it was refused or its commit failed, 2 with no actor or nothing loadable."""
    acting = acting_actor(load_settings().actor, args.actor)
    if acting is None:
        return usage(verb, f"no actor: say who {who} with --actor NAME. {how_to_set(str(config_path()))}")
    try:
        actor = check_actor(acting.name)
    except DecisionError as exc:
        return usage(verb, str(exc))
    if nothing_loaded(fed):
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        return EXIT_UNUSABLE
    try:
        result = action(actor)
    except SyncError as exc:
        refused(fed, str(exc), verbose=args.verbose)
        sys.stderr.write(f"crossdeck {verb}: {one_line(str(exc))}\n")
        return EXIT_ERRORS
    document = msgspec.to_builtins(result)
    if args.json:
        emit_json(document)
    else:
        sys.stdout.write("\n".join(render(result)) + "\n")
    report_about(fed, touched(fed, document), verbose=args.verbose)
    failed = [c for c in _commits(result) if c.failed]
    for commit in failed:
        sys.stderr.write(f"crossdeck {verb}: {one_line(commit.note)}\n")
    return EXIT_ERRORS if failed else EXIT_OK


def touched(fed: Federation, document: Any) -> list[Workspace]:
    """The loaded workspaces an action's result names: by name, by a key or reference inside one
    (``NAME#id``, ``NAME/rig/id``, ``NAME:req``), or by a file below one's folder."""
    words: set[str] = set()
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            words.add(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return [ws for ws in fed.workspaces if any(_names(ws, word) for word in words)]


def _names(ws: Workspace, word: str) -> bool:
    if word == ws.name or word == ws.root:
        return True
    for base, marks in ((ws.name, "#/:"), (ws.root, "/")):
        if word.startswith(base) and len(word) > len(base) and word[len(base)] in marks:
            return True
    return False


def report_about(fed: Federation, about: list[Workspace], verbose: bool) -> None:
    """A verb that changed something reports the diagnostics of what it touched (``about``); the
    others are counted in one line (``--verbose`` shows them all). A refusal touched nothing:
    ``refused`` reports it."""
    if verbose:
        report_diagnostics(fed.diagnostics, verbose=True)
        return
    mine = [d for d in fed.diagnostics if _concerns(d, about)]
    _report_and_count(fed, mine, "elsewhere" if about else "in the loaded workspaces")


def refused(fed: Federation, message: str, verbose: bool) -> None:
    """A refusal's diagnostics: the errors, and those of the workspaces its message names (one
    may be why); when it names none (what it was asked for is not there), every diagnostic,
    since any of them may be why (a log not read, a workspace not loaded)."""
    named = touched(fed, message.split())
    if verbose or not named:
        report_diagnostics(fed.diagnostics, verbose=verbose)
        return
    mine = [d for d in fed.diagnostics if _concerns(d, named) or d.severity is Severity.ERROR]
    _report_and_count(fed, mine, "elsewhere")


def _report_and_count(fed: Federation, mine: list[Diagnostic], where: str) -> None:
    report_diagnostics(mine)
    shown = {id(d) for d in mine}
    rest = [d for d in fed.diagnostics if id(d) not in shown]
    if rest:
        errors = sum(d.severity is Severity.ERROR for d in rest)
        counted = " and ".join(plural(n, word) for n, word in ((errors, "error"), (len(rest) - errors, "warning")) if n)
        line = f"{counted} {where}; crossdeck summary lists them"
        sys.stderr.write(line + "\n")
        noted([], [line])  # a count of diagnostics, not the error (--json's error document)


def _concerns(diag: Diagnostic, about: list[Workspace]) -> bool:
    return any(diag.workspace == ws.name or _names(ws, diag.path) for ws in about)


def _commits(result: Any) -> list[CommitOutcome]:
    single = getattr(result, "commit", None)
    return [single] if single is not None else list(getattr(result, "commits", None) or [])


def describe(result: DecisionResult) -> list[str]:
    """What changed, in words: the first line says it all; then the item created, each file
    written and the commit."""
    ref = one_line(result.ref)
    past = _past(result)
    if result.changed:
        head = f"{past} {ref} ({result.before.value} -> {result.after.value}) as {one_line(result.actor)}"
        if result.reason:
            head += f": {one_line(result.reason)}"
    else:
        by = f" by {one_line(result.decided_by)}" if result.decided_by else ""
        state = f"{past}{by}" if result.after.value == past else f"{result.after.value} ({past}{by})"
        head = f"{ref} is already {state}; nothing changed"
    lines = [head]
    if result.created is not None:
        lines += created_lines(result.created, result.title)
    return [*lines, *written_lines(result.files, result.commit)]


def created_lines(created: Created, title: str | None = None) -> list[str]:
    """``created KEY: title`` (``found`` for one an interrupted attempt made), its links and notes."""
    verb = "found (created by an earlier attempt)" if created.existed else "created"
    lines = [f"  {verb} {one_line(created.key)}" + (f": {one_line(title)}" if title else "")]
    lines += [f"    {one_line(link.type)} {one_line(link.ref)}" for link in created.links]
    if created.delegated_from:
        lines.append(f"    delegated from {one_line(str(created.delegated_from.get('parent')))}")
    return lines + [f"    note: {one_line(note)}" for note in created.notes]


def written_lines(files: list[str], commit: CommitOutcome | None) -> list[str]:
    """``wrote FILE`` for each file, then what git made of them."""
    lines = [f"  wrote {one_line(path)}" for path in files]
    if commit is not None:
        lines.append("  " + commit_text(commit))
    return lines


def commit_text(commit: CommitOutcome) -> str:
    if commit.sha:
        return f"committed {commit.sha[:12]} in {one_line(commit.repository or '')}"
    return f"not committed: {one_line(commit.note)}"


def _past(result: DecisionResult) -> str:
    return "approved" if result.decision == "approve" else "rejected"


def usage(verb: str, message: str) -> int:
    sys.stderr.write(f"crossdeck {verb}: {one_line(message)}\n")
    return EXIT_UNUSABLE
