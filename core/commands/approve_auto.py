"""``crossdeck approve --auto-approvable [ROOT...] [--dry-run]``: approve every pending incoming
request whose policy verdict is auto-approvable, each as its own decision
(``core.sync.auto_approve``, which calls ``core.sync.decisions.decide`` once per request).

One line per request (outcome, request, workspace, title, what it created or changed, its commit),
then a total; ``--json`` one document (``core/schemas/approve-auto.schema.json``). Exit codes: 0
every one approved (or nothing auto-approvable); 1 any was refused or not committed (the others
still ran); 2 no actor, a usage error, or nothing loadable.
"""

from __future__ import annotations

import argparse
import sys

from core.commands.decide import act, usage
from core.commands.output import EXIT_ERRORS, EXIT_OK
from core.federation import Federation
from core.sync.auto_approve import AutoApproval, AutoApproveReport, approve_auto_approvable
from core.text import one_line
from core.timeutil import now


def roots_first(args: argparse.Namespace) -> None:
    """With ``--auto-approvable`` there is no REQUEST: a word argparse gave to it is the first ROOT."""
    if getattr(args, "auto_approvable", False) and args.request is not None:
        args.roots = [args.request, *args.roots]
        args.request = None


def run_auto(args: argparse.Namespace, fed: Federation) -> int:
    if args.reason:
        return usage("approve", "--reason does not go with --auto-approvable: each approval notes the rule "
                                "that made it auto-approvable")
    reports: list[AutoApproveReport] = []

    def action(actor: str) -> AutoApproveReport:
        reports.append(approve_auto_approvable(fed, actor, now(), dry_run=args.dry_run))
        return reports[-1]

    code = act("approve", args, fed, action, describe_auto, who="approves")
    if code != EXIT_OK or not reports:
        return code
    for item in reports[0].requests:
        if item.failed:
            sys.stderr.write(f"crossdeck approve: {one_line(item.ref)} not approved: {one_line(item.error or '?')}\n"
                             if item.outcome != "approved" else
                             f"crossdeck approve: {one_line(item.ref)} approved but {one_line(item.error or '?')}\n")
    return EXIT_ERRORS if reports[0].failed else EXIT_OK


def describe_auto(report: AutoApproveReport) -> list[str]:
    """One line per request, then the total."""
    lines = [request_line(item) for item in report.requests]
    n = len(report.requests)
    if n == 0:
        return ["no pending incoming request is auto-approvable: nothing to approve"]
    found = f"{n} auto-approvable request{'s' if n != 1 else ''}"
    if report.dry_run:
        total = f"{found}: {report.approved} would be approved as {one_line(report.actor)}"
        total += f", {report.failed} would be refused" if report.failed else ""
        return [*lines, total + " (dry run: nothing written)"]
    unchanged = sum(item.outcome == "unchanged" for item in report.requests)
    total = f"{found}: {report.approved} approved as {one_line(report.actor)}, {report.failed} failed"
    total += f", {unchanged} decided already" if unchanged else ""
    return [*lines, total]


def request_line(item: AutoApproval) -> str:
    """``approved  req-7c2e41  acme-dev/api-service  "Title"  created KEY  (commit 1a2b3c4d5e6f)``."""
    title = f'"{item.title}"' if item.title is not None else "(no title)"
    what = _what(item)
    text = f"{item.outcome:<16}  {item.request_id}  {item.workspace}  {title}  {what}"
    if item.commit is not None and item.commit.sha:
        text += f"  (commit {item.commit.sha[:12]})"
    return one_line(text)


def _what(item: AutoApproval) -> str:
    if item.outcome in ("refused", "would be refused"):
        return f"not approved: {item.error}"
    if item.outcome == "would approve":
        return item.intent
    parts = [f"created {item.created}"] if item.created else []
    parts += [f"changed {item.updated}"] if item.updated else []
    if item.outcome == "unchanged":
        parts.insert(0, "approved already")
    if item.error:
        parts.append(f"not committed: {item.error}")
    return "; ".join(parts) or "approved"
