"""``Q`` (Explorer): send an outgoing ``create_issue`` request from the selected work unit's
workspace to one of its remotes (or another loaded workspace), the item linked as discovered-from.

Asks the remote and the title (prefilled with the item's), confirms, then composes and sends the
request in one thread worker (``core.sync.requests``: compose checks it, send_request writes it).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from core import uri
from tui.acting import actor_or_refuse, actor_row, confirm_then_run, say
from tui.delegating import work_unit_title

if TYPE_CHECKING:
    from textual.widget import Widget

    from core.dashboard import DashboardData
    from core.federation import Federation
    from core.sync.requests import SentRequest

REQUEST_TYPE = "create_issue"


def send(fed: Federation, graph: object, key: str, to: str, title: str, actor: str, now: dt.datetime) -> SentRequest:
    """In the worker thread: the request as ``crossdeck request create --type create_issue
    --from-item KEY`` would send it."""
    from core.sync.requests import compose, send_request

    sender, payload = compose(fed, graph, to=to, request_type=REQUEST_TYPE, title=title, actor=actor,
                              today=now.date(), from_item=key)
    return send_request(fed, sender, to, REQUEST_TYPE, payload, actor, now)


def request_from_selected(node: Widget, data: DashboardData | None, key: str | None) -> None:
    if data is None or key is None:
        say(node, "nothing selected to send a request from", "warning")
        return
    title = work_unit_title(data, key)
    ws = data.federation.workspace(uri.workspace_of(key) or "")
    if title is None or ws is None or ws.remote_cache:
        say(node, f"{key} is not a local work unit: a request is sent from a work unit of a local workspace",
            "warning")
        return
    actor = actor_or_refuse(node, "send a request")
    if actor is None:
        return
    from core.commands.request import describe
    from tui.screens.fields import Field, FieldsScreen

    fed, graph = data.federation, data.graph
    remotes = ", ".join(r.name for r in ws.remotes) or "none"

    def given(values: list[str] | None) -> None:
        if not values:
            return
        to, asked = values
        now = node.app.clock()  # type: ignore[attr-defined]
        rows = [("from", ws.name), ("to", to), ("type", REQUEST_TYPE), ("title", asked),
                ("discovered from", f"{key}: {title}"), actor_row(actor)]
        confirm_then_run(node, "Send request?", rows, "Send",
                         lambda: send(fed, graph, key, to, asked, actor.name, now), describe,
                         done="Request sent", not_done="Request not sent")

    node.app.push_screen(FieldsScreen(f"Request from {key}", f"Remotes of {ws.name}: {remotes}",
                                      [Field("to: remote name", remotes.split(", ")[0] if ws.remotes else "remote"),
                                       Field("title of the issue asked for", "title", title)]), given)
