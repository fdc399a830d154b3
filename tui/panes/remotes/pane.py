"""Remotes: every remote every workspace names, worst state first, with what it may do, what
the state store last saw of it, and (LIVE) whether the dashboard follows its event stream."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from core.analysis.reach import RemoteReport
from tui.panes.base import Pane
from tui.panes.remotes import describe
from tui.safe import literal
from tui.widgets.master_detail import MasterDetail
from tui.widgets.table import FastTable

if TYPE_CHECKING:
    from core.dashboard import DashboardData
    from core.store import Check


class RemotesPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sync(False)", "Sync this remote"),
        Binding("S", "sync(True)", "Sync all"),
        Binding("enter", "open", "Open the remote in Explorer", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._by_key: dict[str, RemoteReport] = {}
        self._moment: dt.datetime | None = None
        self._ttl = 0
        self._roots: list[str] = []
        self._history: dict[str, list[Check]] = {}
        self._live: dict[str, str] = {}  # each HTTP remote's live state (tui.live), by row key

    def compose(self) -> ComposeResult:
        yield Static("", id="remotes-headline", classes="pane-headline")
        table = FastTable(describe.COLUMNS, empty="no remotes loaded yet", id="remotes-table")
        yield MasterDetail(table, placeholder="no remote highlighted", id="remotes-view")

    @property
    def table(self) -> FastTable:
        return self.query_one("#remotes-table", FastTable)

    def show(self, data: DashboardData) -> None:
        summary = data.remotes
        live = getattr(self.app, "live", None)
        self._live = dict(live.states) if live is not None else {}
        self._moment, self._ttl = data.loaded_at, summary.ttl_seconds
        self._roots = list(data.federation.roots)
        self._history = data.remote_history
        self._by_key = {describe.key_of(r): r for r in summary.remotes}
        self.query_one("#remotes-headline", Static).update(literal(describe.headline(summary)))
        table = self.table
        table.empty_text = ("no workspace names a remote (.sudocode/federation.config.json remote_repos, "
                            ".crossdeck/remotes.json)")
        self._fill()

    def show_live(self, states: dict[str, str]) -> None:
        """A remote's live state changed: redraw the rows (the cursor stays on its remote)."""
        self._live = dict(states)
        self._fill()

    def _fill(self) -> None:
        table, moment = self.table, self._moment
        if moment is None:
            return
        table.set_rows([describe.row(r, moment, self._live) for r in self._by_key.values()], list(self._by_key))
        self._describe(table.current_key)

    def apply_filter(self, text: str) -> None:
        self.table.filter(text)

    def action_sync(self, everything: bool) -> None:
        """Sync the highlighted remote (or all of them) in a worker; the pane updates from the store."""
        key = self.table.current_key
        report = None if everything or key is None else self._by_key.get(key)
        if not everything and report is None:
            return
        name = None if report is None else f"{report.workspace}:{report.name}"
        self.notify(f"syncing {'every remote' if name is None else report.name}…", timeout=3,  # type: ignore[union-attr]
                    markup=False)
        self.app.sync_remotes(name)  # type: ignore[attr-defined]

    def action_open(self) -> None:
        key = self.table.current_key
        if key is not None:
            self._open(key)

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        event.stop()
        self._describe(event.key)

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        event.stop()
        self._open(event.key)

    def _open(self, key: str) -> None:
        report = self._by_key.get(key)
        if report is not None:
            # core.graph brings networkx: imported here, out of the cold start
            from core.graph import remote_key

            self.app.show_item(remote_key(report.name))  # type: ignore[attr-defined]

    def _describe(self, key: str | None) -> None:
        report = self._by_key.get(key) if key is not None else None
        view = self.query_one("#remotes-view", MasterDetail)
        if report is None or self._moment is None:
            view.show_detail(None)
        else:
            errors = getattr(getattr(self.app, "live", None), "errors", {})
            view.show_detail(describe.detail(report, self._moment, self._ttl, self._roots,
                                             self._history.get(key or ""), self._live, errors.get(key or "")))
