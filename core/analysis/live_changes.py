"""What a live event from a remote means to the person watching: the one-line notes the dashboard
shows after it has re-read the state the event changed.

Two kinds of event are worth a note (the rest just refresh the panes):

- an outgoing request of ours whose status changed over there: ``req-7c2e41 approved by
  api-service``, ``... completed by api-service: created acme-dev/api-service#i-9``, ``...
  rejected by api-service: REASON``;
- a work unit of the remote whose status changed while a local item depends on it (a blocking
  edge from a local work unit): ``blocker acme-dev/api-service#i-084 open -> closed: Add user
  profile endpoint (blocks acme-dev/frontend#i-100)``.

Pure functions over the freshly analysed data: no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.analysis.outgoing import NOT_DELIVERED, OutgoingRequest
from core.model import RequestStatus, WorkUnit

if TYPE_CHECKING:
    from core.analysis.approvals import ApprovalsReport
    from core.federation import Federation

SHOWN_DEPENDENTS = 2  # local items named in a blocker note; the rest are counted


def request_note(report: ApprovalsReport, workspace: str, request_id: str, remote: str) -> str | None:
    """The note for our outgoing request ``request_id`` (sent by ``workspace``) after ``remote``
    reported on it; None when it is not ours or still pending."""
    row = next((r for r in report.outgoing if r.request_id == request_id and r.workspace == workspace), None)
    if row is None:
        row = next((r for r in report.outgoing if r.request_id == request_id), None)
    if row is None or row.state in (RequestStatus.PENDING.value, NOT_DELIVERED):
        return None
    return f"{request_id} {row.state} by {remote}{_detail(row)}"


def _detail(row: OutgoingRequest) -> str:
    if row.status is RequestStatus.COMPLETED and row.created:
        return f": created {row.created}"
    if row.status is RequestStatus.REJECTED and row.rejection_reason:
        return f": {row.rejection_reason}"
    return ""


def blocker_note(graph: Any, fed: Federation, key: str, previous: dict[str, Any], status: str | None) -> str | None:
    """The note for work unit ``key`` whose status went from ``previous["status"]`` to ``status``,
    when it blocks a work unit of a local workspace; None otherwise."""
    before = previous.get("status")
    if before is None or status is None or before == status or key not in graph:
        return None
    dependents = local_dependents(graph, fed, key)
    if not dependents:
        return None
    record = graph.nodes[key].get("record")
    title = f": {record.title}" if isinstance(record, WorkUnit) and record.title else ""
    named = ", ".join(dependents[:SHOWN_DEPENDENTS])
    more = f" and {len(dependents) - SHOWN_DEPENDENTS} more" if len(dependents) > SHOWN_DEPENDENTS else ""
    return f"blocker {key} {before} -> {status}{title} (blocks {named}{more})"


def local_dependents(graph: Any, fed: Federation, key: str) -> list[str]:
    """The work units of local workspaces with a blocking edge to ``key``, sorted."""
    local = {ws.name for ws in fed.workspaces if not ws.remote_cache}
    found = set()
    for source, edges in graph._pred[key].items():
        record = graph.nodes[source].get("record")
        if (isinstance(record, WorkUnit) and record.workspace in local
                and any(attrs.get("blocking") for attrs in edges.values())):
            found.add(source)
    return sorted(found)
