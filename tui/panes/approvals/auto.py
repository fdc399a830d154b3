"""``A`` in the Approvals pane: approve every auto-approvable request at once.

The confirm modal lists each request it will carry out (request, workspace, title, requester and
what approving it does), the actor and the change; on yes one
``core.sync.auto_approve.approve_auto_approvable`` call (limited to exactly the requests listed)
runs in the action worker through ``tui.acting``, each request decided on its own by
``core.sync.decisions.decide``; the outcome is notified and the data re-read. With nothing
auto-approvable there is no modal, only a notification.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.actor import Actor
from core.analysis.approvals import IncomingRequest, Verdict
from core.maintainers import maintainers, standing
from core.model import Workspace
from core.text import one_line
from tui.acting import actor_or_refuse, actor_row, busy, confirm_then_run, say

if TYPE_CHECKING:
    from textual.widget import Widget

    from core.dashboard import DashboardData
    from core.sync.auto_approve import AutoApproveReport
    from tui.screens.confirm import Row

TITLE = "Approve every auto-approvable request?"


def begin(node: Widget, data: DashboardData | None) -> None:
    """Check, then ask with the confirm modal listing every request, then approve them."""
    if data is None:
        say(node, "the workspaces are still being read", "warning")
        return
    rows = [row for row in data.approvals.pending if row.verdict is Verdict.AUTO_APPROVABLE]
    if not rows:
        say(node, "nothing is auto-approvable: no pending request's policy verdict allows it", "information",
            title="Approve auto-approvable")
        return
    actor = actor_or_refuse(node, "approve")
    if actor is None or busy(node):
        return
    fed, clock = data.federation, node.app.clock  # type: ignore[attr-defined]
    refs = {f"{row.workspace}:{row.request_id}" for row in rows}

    def call() -> AutoApproveReport:
        from core.sync.auto_approve import approve_auto_approvable

        return approve_auto_approvable(fed, actor.name, clock(), only=refs)  # the app's clock, frozen in tests

    confirm_then_run(node, TITLE, confirm_rows(rows, actor, fed.workspaces), f"Approve {len(rows)}", call,
                     lambda report: [summary(report)], done="Auto-approvable requests approved",
                     not_done="Not every auto-approvable request was approved")


def confirm_rows(rows: Sequence[IncomingRequest], actor: Actor, workspaces: Sequence[Workspace] = ()) -> list[Row]:
    """One row per request (oldest first; one its workspace's maintainers will refuse says so),
    then the actor and the change."""
    from core.sync.auto_approve import intent

    by_name = {ws.name: ws for ws in workspaces if not ws.remote_cache}

    def refused(row: IncomingRequest) -> str:
        ws = by_name.get(row.workspace)
        if ws is None or standing(maintainers(ws), actor.name, "approve").allowed:
            return ""
        return f" · refused: {actor.name} is not among the maintainers of {row.workspace}"

    listed: list[Row] = [(row.request_id, f"{row.workspace} · {row.title or '(no title)'} · from {row.requester} · "
                               f"{intent(row.request_type)}{refused(row)}") for row in rows]
    return [("requests", f"{len(rows)} auto-approvable, each approved on its own (own audit entry, own commit)"),
            *listed, actor_row(actor),
            ("change", "each: status pending -> approved, and completed once its item is created or changed")]


def summary(report: AutoApproveReport) -> str:
    """``approved 2 auto-approvable requests as bob: req-7c2e41, req-3a6d55``; the refusals after."""
    done = [item.request_id for item in report.requests if item.outcome == "approved"]
    n = len(report.requests)
    text = f"approved {len(done)} of {n} auto-approvable requests" if report.failed else \
        f"approved {len(done)} auto-approvable request{'s' if len(done) != 1 else ''}"
    text += f" as {report.actor}" + (f": {', '.join(done)}" if done else "")
    for item in report.requests:
        if item.failed:
            text += f"; {item.request_id} not approved: {item.error}" if item.outcome != "approved" else \
                f"; {item.request_id} not committed: {item.error}"
    return one_line(text)
