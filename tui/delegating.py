"""``D`` (Explorer, Delegation chains): delegate the selected work unit to a town or rig.

Asks the target (``WORKSPACE`` or ``WORKSPACE/RIG``) and the child's title (prefilled with the
parent's), confirms, then makes one ``core.sync.delegate.delegate`` call in a thread worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.model import WorkUnit
from tui.acting import actor_or_refuse, actor_row, confirm_then_run, say

if TYPE_CHECKING:
    from textual.widget import Widget

    from core.dashboard import DashboardData


def work_unit_title(data: DashboardData, key: str) -> str | None:
    """The title of the loaded work unit ``key``; None when ``key`` is not one."""
    if key not in data.graph:
        return None
    record = data.graph.nodes[key].get("record")
    return record.title if isinstance(record, WorkUnit) else None


def delegate_selected(node: Widget, data: DashboardData | None, key: str | None) -> None:
    if data is None or key is None:
        say(node, "nothing selected to delegate", "warning")
        return
    title = work_unit_title(data, key)
    if title is None:
        say(node, f"{key} is not a loaded work unit: only work units can be delegated", "warning")
        return
    actor = actor_or_refuse(node, "delegate")
    if actor is None:
        return
    from core.commands.delegate import describe_delegation
    from core.sync.delegate import delegate
    from tui.screens.fields import Field, FieldsScreen

    fed = data.federation

    def given(values: list[str] | None) -> None:
        if not values:
            return
        to, child_title = values
        now = node.app.clock()  # type: ignore[attr-defined]
        rows = [("item", key), ("title", title), ("to", to), ("child title", child_title), actor_row(actor)]
        confirm_then_run(node, "Delegate?", rows, "Delegate",
                         lambda: delegate(fed, key, to, child_title, actor.name, now), describe_delegation,
                         done="Delegated", not_done="Not delegated")

    node.app.push_screen(FieldsScreen(f"Delegate {key}", "Creates the child work unit in the target town.",
                                      [Field("to: workspace or workspace/rig", "hop://OWNER/TOWN/RIG"),
                                       Field("title of the delegated work", "title", title)]), given)
