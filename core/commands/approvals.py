"""``crossdeck approvals``: the queue of pending incoming requests with their policy verdicts;
``--all`` adds the decided incoming requests and the outgoing ones, each with its live status
(``core.analysis.outgoing``, as the dashboard's Approvals pane shows it)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import msgspec

from core.analysis.approvals import ApprovalsReport, IncomingRequest, Verdict, approvals_of
from core.analysis.outgoing import OutgoingRequest, outcome, receiving_remote
from core.commands.common import add_common, reads
from core.commands.output import emit_json, exit_code, report_diagnostics, table
from core.diagnostics import Diagnostics
from core.federation import Federation
from core.store import remote_states
from core.timeutil import age, now

_VERDICT_TEXT = {Verdict.AUTO_APPROVABLE: "auto-approvable", Verdict.NEEDS_HUMAN: "needs a human",
                 Verdict.DENIED: "denied"}
_PLURAL = {Verdict.NEEDS_HUMAN: "need a human"}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("approvals", help="pending incoming requests with their policy verdicts")
    parser.add_argument("--all", action="store_true", help="also decided incoming requests and outgoing ones")
    add_common(parser)
    reads(parser, "requests", other_files=False)  # requests and each workspace's configuration (policies)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    moment = now()
    day = moment.date()
    synced = {key: state.last_sync_at for key, state in remote_states(diags=Diagnostics()).items()}
    report = approvals_of(fed.workspaces, day, synced)
    if not args.all:
        report = ApprovalsReport(pending=report.pending)
    if args.json:
        emit_json(document(report, day.isoformat(), args.all))
    elif fed.workspaces:  # nothing loaded: nothing on stdout (stderr says why)
        _print(report, args.all, moment)
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    if not fed.workspaces:
        sys.stderr.write("no workspace could be loaded below: " + ", ".join(fed.roots) + "\n")
    return exit_code(fed)


def document(report: ApprovalsReport, day: str, all_requests: bool) -> dict[str, Any]:
    counts = Counter(row.verdict.value for row in report.pending if row.verdict)
    return {
        "today": day,
        "all": all_requests,
        "counts": {verdict.value: counts.get(verdict.value, 0) for verdict in Verdict},
        **msgspec.to_builtins(report),
    }


def _print(report: ApprovalsReport, all_requests: bool, moment: dt.datetime) -> None:
    out = sys.stdout
    pending = report.pending
    if not pending:
        out.write("no pending incoming requests\n")
    else:
        counts = Counter(row.verdict for row in pending)
        summary = ", ".join(f"{counts[v]} {_VERDICT_TEXT[v] if counts[v] == 1 else _PLURAL.get(v, _VERDICT_TEXT[v])}"
                            for v in Verdict if counts[v])
        out.write(f"{len(pending)} pending incoming request{'s' if len(pending) != 1 else ''}: {summary}\n\n")
        _table(out, ("AGE", "WORKSPACE", "REQUEST", "REQUESTER", "TRUST", "TYPE", "TITLE", "VERDICT", "WHY"),
               [_pending_row(row, moment) for row in pending], whole=(0, 2, 4, 7))
    if not all_requests:
        return
    out.write(f"\ndecided incoming requests: {len(report.decided)}\n")
    if report.decided:
        out.write("\n")
        _table(out, ("AGE", "WORKSPACE", "REQUEST", "REQUESTER", "TYPE", "TITLE", "STATUS", "BY / REASON"),
               [_decided_row(row, moment) for row in report.decided], whole=(0, 2, 6))
    out.write(f"\noutgoing requests: {len(report.outgoing)}\n")
    if report.outgoing:
        out.write("\n")
        _table(out, ("AGE", "WORKSPACE", "REQUEST", "TO REMOTE", "TYPE", "TITLE", "STATUS"),
               [_outgoing_row(row, moment) for row in report.outgoing], whole=(0, 2))


def _pending_row(row: IncomingRequest, moment: dt.datetime) -> list[str]:
    verdict = _VERDICT_TEXT[row.verdict] if row.verdict else ""
    return [age(row.created_at, moment), row.workspace, row.request_id, row.requester, row.trust_level.value,
            row.request_type, row.title or "", verdict, row.reason + notified(row.notify)]


def notified(targets: Sequence[str]) -> str:
    """``; notify @api-leads, @oncall``: who the policy rule says is to hear of the request."""
    return f"; notify {', '.join(targets)}" if targets else ""


def _decided_row(row: IncomingRequest, moment: dt.datetime) -> list[str]:
    by = row.rejection_reason or (f"by {row.approved_by}" if row.approved_by else "")
    return [age(row.created_at, moment), row.workspace, row.request_id, row.requester, row.request_type,
            row.title or "", row.status.value, by]


def _outgoing_row(row: OutgoingRequest, moment: dt.datetime) -> list[str]:
    return [age(row.created_at, moment), row.workspace, row.request_id, receiving_remote(row), row.request_type,
            row.title or "", outcome(row)]


def _table(out: Any, header: Sequence[str], rows: list[list[str]], whole: Sequence[int]) -> None:
    out.write("\n".join(table(header, rows, whole=whole)) + "\n")


