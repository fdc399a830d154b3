"""``crossdeck token ACTION``: the bearer tokens of the federation API over HTTP (core/tokens.py,
docs/http-api.md "Tokens").

Serving side: ``issue REMOTE [ROOT]`` (or ``issue --maintainer ACTOR [ROOT]``) prints a new
token once, on stdout alone (what it is for goes to stderr); ``list`` and ``revoke ID``. Calling
side: ``add REMOTE [ROOT]`` keeps a token read from stdin (never from the command line: it would
land in shell history), ``forget REMOTE [ROOT]`` drops it. Exit 0 done, 1 refused (unknown
remote or token), 2 usage error or nothing loaded.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.commands.common import add_common, needs_sub_verb
from core.commands.output import EXIT_ERRORS, EXIT_OK, EXIT_UNUSABLE, emit_json, report_diagnostics, table
from core.federation import Federation
from core.text import one_line


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("token", help="tokens of the federation API over HTTP: issue, list, revoke, add, forget")
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", parser_class=type(parser))
    issue = actions.add_parser("issue", help="issue a token for a remote of a served workspace (printed once)",
                               usage="crossdeck token issue (REMOTE | --maintainer ACTOR) [ROOT...] [--workspace W] "
                                     "[--json]", description="issue a token (docs/cli/token.md)")
    issue.add_argument("--maintainer", action="store_true",
                       help="the token is a maintainer's, named by the ACTOR in REMOTE's place (approve / reject)")
    add = actions.add_parser("add", help="keep a token a remote issued to us (read from stdin)",
                             description="keep a token read from stdin (docs/cli/token.md)")
    forget = actions.add_parser("forget", help="drop the token kept for a remote",
                                description="drop a kept token (docs/cli/token.md)")
    for verb in (issue, add, forget):
        verb.add_argument("remote", metavar="REMOTE", help="the remote (its name, URL or display name)")
        verb.add_argument("--workspace", "-w", metavar="W", help="the local workspace (its name or folder)")
        add_common(verb)
        verb.set_defaults(run=run_change)
    listing = actions.add_parser("list", help="the tokens issued here (never the tokens themselves)")
    revoke = actions.add_parser("revoke", help="revoke an issued token by its id (tok-...)")
    revoke.add_argument("token_id", metavar="ID", help="the token's id, as `token list` shows it")
    for verb in (listing, revoke):
        verb.add_argument("--json", action="store_true", help="print JSON only on stdout (schema: docs/cli.md)")
        verb.set_defaults(run=run_issued, needs_federation=False)

    needs_sub_verb(parser)


def run_issued(args: argparse.Namespace) -> int:
    """token list / token revoke: the serving side's file, no workspace needed."""
    from core import tokens

    try:
        if args.token_action == "revoke":
            records = [tokens.revoke(args.token_id)]
        else:
            records = tokens.list()
    except tokens.TokenError as exc:
        sys.stderr.write(f"crossdeck token {args.token_action}: {one_line(str(exc))}\n")
        return EXIT_ERRORS
    rows = [_public(r) for r in records]
    if args.json:
        emit_json(rows[0] if args.token_action == "revoke" else {"tokens": rows})
    elif args.token_action == "revoke":
        sys.stdout.write(f"revoked {rows[0]['id']} ({one_line(records[0].holder)} of {one_line(rows[0]['workspace'])})"
                         f" at {rows[0]['revoked_at']}\n")
    else:
        lines = table(("ID", "WORKSPACE", "FOR", "ISSUED", "REVOKED"),
                      [(r.id, r.workspace, r.holder, r.created_at, r.revoked_at or "-") for r in records], whole=(0,))
        sys.stdout.write("\n".join(lines if records else ["no tokens issued"]) + "\n")
    return EXIT_OK


def run_change(args: argparse.Namespace, fed: Federation) -> int:
    from core import tokens
    from core.analysis.approvals import WorkspacePolicy
    from core.sync import SyncError
    from core.sync.remote_config import find_workspace
    from core.timeutil import today

    action = args.token_action
    maintainer = args.remote if action == "issue" and args.maintainer else None  # ACTOR in REMOTE's place
    try:
        ws = find_workspace(fed, args.workspace)
    except SyncError as exc:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write(f"crossdeck token {action}: {one_line(str(exc))}\n")
        return EXIT_UNUSABLE
    try:
        remote = None
        if maintainer is None:
            index = WorkspacePolicy(ws, today()).remote_index(args.remote)
            if index is None:
                known = ", ".join(r.name for r in ws.remotes) or "none"
                raise tokens.TokenError(f"{args.remote} is not a remote of {ws.name} (its remotes: {known})")
            remote = ws.remotes[index].name
        result = _change(action, ws.name, remote, maintainer)
    except (tokens.TokenError, SyncError) as exc:
        sys.stderr.write(f"crossdeck token {action}: {one_line(str(exc))}\n")
        return EXIT_ERRORS
    if args.json:
        emit_json(result)
    elif action == "issue":
        sys.stderr.write(f"issued {result['id']} for {one_line(result['remote'] or 'maintainer ' + result['maintainer'])}"
                         f" of {one_line(ws.name)}; it is shown once, here:\n")
        sys.stdout.write(result["token"] + "\n")
    elif action == "add":
        sys.stdout.write(f"kept the token of {one_line(result['remote'])} for {one_line(ws.name)} in {result['file']}\n")
    else:
        done = "forgot" if result["forgotten"] else "no token was kept for"
        sys.stdout.write(f"{done} {one_line(result['remote'])} of {one_line(ws.name)}\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    return EXIT_OK


def _change(action: str, workspace: str, remote: str | None, maintainer: str | None) -> dict[str, Any]:
    from core import tokens

    if action == "issue":
        if maintainer is not None:
            from core.sync.decisions import DecisionError, check_actor

            try:
                maintainer = check_actor(maintainer)
            except DecisionError as exc:
                raise tokens.TokenError(str(exc)) from None
        record, token = tokens.issue(workspace, remote=remote, maintainer=maintainer)
        return {**_public(record), "token": token}
    if action == "add":
        token = sys.stdin.readline()
        return {"workspace": workspace, "remote": remote, "file": str(tokens.remember(workspace, remote or "", token))}
    return {"workspace": workspace, "remote": remote, "forgotten": tokens.forget(workspace, remote or "")}


def _public(record: Any) -> dict[str, Any]:
    """A token's record without its hash."""
    return {"id": record.id, "workspace": record.workspace, "remote": record.remote, "maintainer": record.maintainer,
            "created_at": record.created_at, "revoked_at": record.revoked_at}
