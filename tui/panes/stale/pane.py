"""Stale imports: every realm import that lags or no longer fits its contract, worst first, with
the reasons, the day count and the changes in between for the highlighted one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from core.analysis.stale import ImportReport
from tui.acting import actor_or_refuse, confirm_then_run, say
from tui.panes.base import Pane
from tui.panes.stale import actions, describe
from tui.safe import literal
from tui.widgets.master_detail import MasterDetail
from tui.widgets.table import FastTable

if TYPE_CHECKING:
    from core.dashboard import DashboardData


class StalePane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_all", "Show all"),
        Binding("enter", "open", "Open in Explorer", show=False),
        Binding("R", "resolve", "Resolve import"),
        Binding("B", "bump", "Bump export", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_all = False
        self._reports: list[ImportReport] = []
        self._by_key: dict[str, ImportReport] = {}
        self._roots: list[str] = []
        self._data: DashboardData | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="stale-headline", classes="pane-headline")
        table = FastTable(describe.COLUMNS, empty="no realm imports loaded yet", id="stale-table")
        yield MasterDetail(table, placeholder="no import highlighted", id="stale-view")

    @property
    def table(self) -> FastTable:
        return self.query_one("#stale-table", FastTable)

    def show(self, data: DashboardData) -> None:
        self._data = data
        self._reports = list(data.stale)
        self._by_key = {r.key: r for r in self._reports}
        self._roots = list(data.federation.roots)
        self._refresh_rows()

    def _refresh_rows(self) -> None:
        rows = describe.shown(self._reports, self.show_all)
        self.query_one("#stale-headline", Static).update(literal(describe.headline(self._reports, self.show_all)))
        table = self.table
        table.empty_text = describe.empty_text(self._reports, self.show_all)
        table.set_rows([describe.row(r) for r in rows], [r.key for r in rows])
        self._describe(table.current_key)

    def apply_filter(self, text: str) -> None:
        self.table.filter(text)

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._refresh_rows()

    def action_open(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.app.show_item(key)  # type: ignore[attr-defined]

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        event.stop()
        self._describe(event.key)

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        event.stop()
        self.app.show_item(event.key)  # type: ignore[attr-defined]

    def _describe(self, key: str | None) -> None:
        report = self._by_key.get(key) if key is not None else None
        view = self.query_one("#stale-view", MasterDetail)
        view.show_detail(describe.detail(report, self._roots) if report is not None else None)

    def _highlighted(self) -> ImportReport | None:
        key = self.table.current_key
        report = self._by_key.get(key) if key is not None else None
        if report is None or self._data is None:
            say(self, "no import highlighted", "warning")
            return None
        return report

    def action_resolve(self) -> None:
        """``R``: resolve the highlighted import to its contract's current version (one core call)."""
        report = self._highlighted()
        if report is None:
            return
        if not report.current_version:
            say(self, f"{report.key}: its contract lists no current version to resolve to", "warning")
            return
        actor = actor_or_refuse(self, "resolve")
        if actor is None:
            return
        from core.commands.realm import describe as described
        from core.sync.realm_actions import resolve

        fed, now = self._data.federation, self.app.clock()  # type: ignore[union-attr, attr-defined]
        confirm_then_run(self, "Resolve import?", actions.resolve_rows(report, actor, self._roots), "Resolve",
                         lambda: resolve(fed, report.key, None, None, actor.name, now), described,
                         done="Import resolved", not_done="Import not resolved")

    def action_bump(self) -> None:
        """``B``: bump the export the highlighted import uses: a new version and one change line."""
        report = self._highlighted()
        if report is None:
            return
        actor = actor_or_refuse(self, "bump")
        if actor is None:
            return
        from core.commands.realm import describe as described
        from core.sync.realm_actions import bump
        from tui.screens.fields import Field, FieldsScreen

        fed = self._data.federation  # type: ignore[union-attr]

        def given(values: list[str] | None) -> None:
            if not values:
                return
            version, change = values
            now = self.app.clock()  # type: ignore[attr-defined]
            confirm_then_run(self, "Bump export?", actions.bump_rows(report, version, change, actor), "Bump",
                             lambda: bump(fed, report.contract_key, version, [change], False, actor.name, now),
                             described, done="Export bumped", not_done="Export not bumped")

        current = report.current_version or "-"
        self.app.push_screen(FieldsScreen(f"Bump {report.contract_key}", f"The current version is {current}.",
                                          [Field("new version", f"newer than {current}"),
                                           Field("what changed (one changelog line)", "change")],
                                          check=actions.check_version), given)
