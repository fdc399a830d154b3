"""``crossdeck delegate PARENT --to WORKSPACE[/RIG] --title T`` and ``crossdeck close ITEM``:
delegate work in its real stored form, and close work with the completion cascade
(``core.sync.delegate``). docs/cli/delegate.md has the details; exit codes as every changing
verb (``decide.act``)."""

from __future__ import annotations

import argparse

from core import uri
from core.commands.common import add_common
from core.commands.decide import act, add_actor_option, commit_text, created_lines, written_lines
from core.federation import Federation
from core.sync.delegate import CloseResult, DelegateResult, close, delegate
from core.text import one_line
from core.timeutil import now


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("delegate", help="delegate part of an item to a town (the child in its stored form)",
                            description="delegate work (docs/cli/delegate.md)")
    parser.add_argument("parent", metavar="PARENT", help="the item delegated from (a key, short id or title)")
    parser.add_argument("--to", required=True, metavar="WORKSPACE[/RIG]",
                        help="the town (hop://OWNER/TOWN, with /RIG for a rig) or beads folder that gets the child")
    parser.add_argument("--title", required=True, help="the child's title")
    parser.add_argument("--portion", help="the terms: which portion of the parent is delegated")
    parser.add_argument("--deadline", help="the terms: due date (YYYY-MM-DD)")
    parser.add_argument("--to-entity", dest="to_entity", help="who takes it on (default: the workspace's owner)")
    parser.add_argument("--priority", type=int, choices=range(5), metavar="0-4", help="the child's priority")
    parser.add_argument("--description", help="the child's description")
    add_actor_option(parser, "who delegates")
    add_common(parser)
    parser.set_defaults(run=run_delegate)

    closing = sub.add_parser("close", help="close an item; a parent whose delegated work is then complete follows",
                             description="close a work unit (docs/cli/delegate.md)")
    closing.add_argument("item", metavar="ITEM", help="the item to close (a key, short id or title)")
    closing.add_argument("--reason", help="why (kept as close_reason)")
    closing.add_argument("--no-cascade", dest="cascade", action="store_false",
                         help="close the item only, not the parents it completes")
    add_actor_option(closing, "who closes it")
    add_common(closing)
    closing.set_defaults(run=run_close)


def run_delegate(args: argparse.Namespace, fed: Federation) -> int:
    return act("delegate", args, fed, lambda actor: delegate(
        fed, args.parent, args.to, args.title, actor, now(), portion=args.portion, deadline=args.deadline,
        to_entity=args.to_entity, priority=args.priority, description=args.description), describe_delegation)


def run_close(args: argparse.Namespace, fed: Federation) -> int:
    return act("close", args, fed, lambda actor: close(fed, args.item, args.reason, actor, now(),
                                                       cascade=args.cascade), describe_close)


def describe_delegation(result: DelegateResult) -> list[str]:
    child = result.child
    if not result.changed:
        return [f"{one_line(result.parent)} is already delegated to {one_line(child.key)}; nothing changed"]
    fields = child.delegated_from or {}
    terms = ", ".join(f"{k} {one_line(str(v))}" for k, v in (fields.get("terms") or {}).items())
    lines = [f"delegated {one_line(result.parent)} -> {one_line(child.key)} as {one_line(result.actor)}",
             *created_lines(child)]
    lines.append(f"    terms: {terms or 'none'}; delegated to {one_line(str(fields.get('delegated_to')))}")
    return lines + written_lines(result.files, result.commit)


def describe_close(result: CloseResult) -> list[str]:
    key = one_line(result.key)
    if not result.changed:
        return [f"{key} is already closed; nothing changed"]
    lines = [f"closed {key} as {one_line(result.actor)}: {one_line(result.reason)}"]
    sent = {r.request_id: r for r in result.requests}
    for step in result.cascade:
        text = f"  {one_line(step.parent)}: {step.outcome}"
        if step.outcome == "waiting":
            text += " (other delegated work is still open)"
        if step.outcome == "blocked":
            home = uri.workspace_of(step.parent)
            text += f" by {one_line(', '.join(step.blocked_by))} (its delegated work is complete; " + (
                "left open: close it once they are closed)" if home in (None, result.workspace)
                else f"no update_issue request to {one_line(home)} while it is blocked)")
        if step.request_id:
            request = sent.get(step.request_id)
            text += f" ({step.request_id} to {one_line(request.to_repo) if request else '?'}"
            text += ", sent before)" if request is not None and not request.queued else ")"
        lines.append(text)
    lines += written_lines(result.files, result.commit)
    for request in result.requests:
        lines += [f"  wrote {one_line(path)}" for path in request.files]
        lines += [f"  {commit_text(commit)}" for commit in request.commits]
    return lines
