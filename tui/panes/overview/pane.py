"""Overview: workspaces by kind with their counts, remote health at a glance, diagnostics; with
no workspace found, what the command line says then: nothing here, and how to start."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from core.commands.summary import KIND_NAMES
from tui.panes.base import Pane
from tui.safe import literal, literal_block, shorten_path
from tui.widgets.table import Column, FastTable

if TYPE_CHECKING:
    from core.dashboard import DashboardData

_COUNTS = (("work_units", "units"), ("relationships", "links"), ("delegations", "deleg"),
           ("contracts", "exports"), ("imports", "imports"), ("remotes", "remotes"),
           ("requests", "requests"), ("audit_events", "events"))


class OverviewPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "focus_diagnostics", "Diagnostics"),
        Binding("w", "focus_workspaces", "Workspaces"),
    ]
    _diagnostics_shown: tuple[list[Any], list[str]] | None = None  # the diagnostics (and roots) in the table

    def compose(self) -> ComposeResult:
        yield Static("", id="overview-headline", classes="pane-headline")
        yield FastTable([Column("KIND", whole=True), Column("WORKSPACE")]
                        + [Column(label, whole=True, right=True) for _, label in _COUNTS],
                        empty="no workspace loaded yet", id="overview-workspaces")
        yield Static("", id="overview-remotes", classes="pane-subhead")
        yield Static("Diagnostics", classes="pane-subhead")
        yield FastTable([Column("SEVERITY", whole=True), Column("WHERE"), Column("MESSAGE")],
                        empty="no diagnostics: every file read cleanly", id="overview-diagnostics")

    def show(self, data: DashboardData) -> None:
        summary = data.summary
        kinds = ", ".join(f"{n} {KIND_NAMES[k][n != 1]}" for k, n in summary["by_kind"].items()) or "none"
        totals = summary["totals"]
        headline = (f"{len(summary['workspaces'])} workspaces ({kinds}) · {totals.get('work_units', 0)} work units · "
                    f"{len(data.approvals.pending)} pending requests · "
                    f"{sum(1 for r in data.stale if r.status != 'current')} imports need attention")
        found = bool(data.federation.workspaces)
        self.query_one("#overview-headline", Static).update(
            literal(headline) if found else literal_block(self._nothing_found(data)))
        self.query_one("#overview-diagnostics", FastTable).empty_text = (
            "no diagnostics: every file read cleanly" if found else "no diagnostics: no workspace was found to read")
        rows = [[w["kind"], w["name"]] + [w["counts"].get(key, 0) for key, _ in _COUNTS] for w in summary["workspaces"]]
        self.query_one("#overview-workspaces", FastTable).set_rows(rows, [w["name"] for w in summary["workspaces"]])
        counts = data.remotes.counts
        health = " · ".join(f"{n} {state}" for state, n in counts.items() if n) or "no remotes configured"
        self.query_one("#overview-remotes", Static).update(literal(f"Remotes: {health}"))
        diags = data.federation.diagnostics
        if (diags, data.federation.roots) == self._diagnostics_shown:
            return  # the same (a reload of what changed, most often): thousands of rows not made again
        self._diagnostics_shown = (list(diags), list(data.federation.roots))
        rows = [[d.severity.value, shorten_path(d.location(), data.federation.roots), d.message] for d in diags]
        self.query_one("#overview-diagnostics", FastTable).set_rows(rows, [str(i) for i in range(len(rows))])

    def _nothing_found(self, data: DashboardData) -> str:
        from core.roots import nothing_found
        from core.settings import config_path

        config = getattr(getattr(self.app, "settings", None), "path", None) or config_path()
        return nothing_found(data.federation.roots, config, verb="tui")

    def apply_filter(self, text: str) -> None:
        self.query_one("#overview-workspaces", FastTable).filter(text)
        self.query_one("#overview-diagnostics", FastTable).filter(text)

    def action_focus_diagnostics(self) -> None:
        self.query_one("#overview-diagnostics", FastTable).focus()

    def action_focus_workspaces(self) -> None:
        self.query_one("#overview-workspaces", FastTable).focus()

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        if event.table.id == "overview-workspaces":
            self.app.show_item(event.key)  # type: ignore[attr-defined]
