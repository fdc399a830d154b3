"""``crossdeck request create``: send an outgoing cross-repo request (``core.sync.requests``): a
pending line in the sending workspace's requests.jsonl, and its incoming copy in the receiver's
when the receiver is loaded here too, or a ``mutate`` to an HTTP remote (``core.sync.outgoing_http``)
whose answer is shown. docs/cli/request.md has the details; exit codes as every
changing verb (``decide.act``)."""

from __future__ import annotations

import argparse

from core.commands.common import add_common, graph_of, needs_sub_verb
from core.commands.decide import act, add_actor_option, commit_text
from core.federation import Federation
from core.sync.requests import SENDABLE, SentRequest, compose, send_request
from core.text import one_line
from core.timeutil import now


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("request", help="send a cross-repo request (create_issue, create_spec, delegate)")
    actions = parser.add_subparsers(dest="request_action", metavar="ACTION", parser_class=type(parser))
    creating = actions.add_parser("create", help="queue an outgoing request for a remote workspace",
                                  description="send an outgoing cross-repo request (docs/cli/request.md)")
    creating.add_argument("--to", required=True, metavar="REMOTE",
                          help="the receiver: a remote of the sending workspace, or a loaded workspace")
    creating.add_argument("--type", required=True, dest="request_type", choices=SENDABLE, help="what is asked for")
    creating.add_argument("--title", required=True, help="the title of the item asked for")
    creating.add_argument("--description", help="its description")
    creating.add_argument("--priority", type=int, choices=range(5), metavar="0-4", help="its priority (default 2)")
    creating.add_argument("--label", action="append", default=[], dest="labels", metavar="L",
                          help="a label (repeat for more)")
    creating.add_argument("--blocks", action="append", default=[], metavar="REF",
                          help="an item of ours the new item blocks (repeat for more)")
    creating.add_argument("--from-item", dest="from_item", metavar="REF",
                          help="our item it comes from (discovered-from; for --type delegate, the parent)")
    creating.add_argument("--from", dest="sender", metavar="WORKSPACE",
                          help="the sending workspace (default: --from-item's, else the one that knows REMOTE)")
    creating.add_argument("--rig", help="for a town receiver: the rig the item should go to")
    creating.add_argument("--portion", help="--type delegate: the portion delegated")
    creating.add_argument("--deadline", help="--type delegate: the due date (YYYY-MM-DD)")
    creating.add_argument("--kind", choices=("issue", "spec"),
                          help="--type delegate: what a sudocode receiver creates (default issue; a town creates a bead)")
    add_actor_option(creating, "who asks")
    add_common(creating)
    creating.set_defaults(run=run_create)

    needs_sub_verb(parser)


def run_create(args: argparse.Namespace, fed: Federation) -> int:
    def send(actor: str) -> SentRequest:
        moment = now()
        sender, payload = compose(
            fed, graph_of(fed), to=args.to, request_type=args.request_type, title=args.title, actor=actor,
            description=args.description, priority=args.priority, labels=args.labels, blocks=args.blocks,
            from_item=args.from_item, sender=args.sender, rig=args.rig, portion=args.portion,
            deadline=args.deadline, kind=args.kind, today=moment.date())
        return send_request(fed, sender, args.to, args.request_type, payload, actor, moment)

    return act("request create", args, fed, send, describe)


def http_line(sent: SentRequest) -> str:
    """What the HTTP remote answered (or why it could not be asked)."""
    from core.analysis.outgoing import created_key

    if sent.delivery_error:
        return (f"  not delivered: {one_line(sent.delivery_error)}; it stays pending here and the next "
                f"`crossdeck sync` of the remote delivers it")
    if sent.remote_status == "completed":
        created = created_key(sent.result)
        return "  completed there (auto-approved)" + (f": created {one_line(str(created))}" if created else "")
    reason = f": {one_line(sent.verdict_reason)}" if sent.verdict_reason else ""
    if sent.remote_status == "rejected":
        return f"  rejected there by its policy{reason}"
    return f"  delivered over HTTP: {one_line(sent.remote_status or '?')} there{reason}"


def git_line(sent: SentRequest) -> str:
    """What happens next to a request to a git remote."""
    there = one_line(sent.known_there_as or sent.sender)
    return (f"  recorded as outgoing in {one_line(sent.sender)} and committed; {one_line(sent.remote or sent.to_repo)} "
            f"sees it as pending when it syncs you (`crossdeck sync {there}` there), and you see its decision "
            f"when you sync it (`crossdeck sync {one_line(sent.remote or sent.to_repo)}`)")


def describe(sent: SentRequest) -> list[str]:
    lines = [(f"sent {sent.request_id} ({sent.request_type}) from {one_line(sent.sender)} to {one_line(sent.to_repo)} "
             f"as {one_line(sent.actor)}: {one_line(str(sent.payload.get('title')))}")]
    if sent.receiver is not None:
        verdict = f"; its policy says {sent.verdict}: {one_line(sent.verdict_reason or '')}" if sent.verdict else ""
        lines.append(f"  delivered to {one_line(sent.receiver)} (loaded here) as incoming{verdict}")
    elif sent.transport == "http":
        lines.append(http_line(sent))
    elif sent.transport == "git":
        lines.append(git_line(sent))
    else:  # addressed to a workspace that is not a remote of the sender: nothing will carry it
        lines.append(f"  recorded as outgoing in {one_line(sent.sender)} only: {one_line(sent.to_repo)} is not a "
                     "remote of it, so nothing delivers it; add the remote (crossdeck remote add) and send again")
    lines += [f"  wrote {one_line(path)}" for path in sent.files]
    return lines + [f"  {commit_text(commit)}" for commit in sent.commits]
