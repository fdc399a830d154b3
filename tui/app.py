"""The crossdeck dashboard: panes over the federation graph.

The first screen is composed before anything is read; the load (files, graph, analyses) runs in
a thread worker and posts its result; every pane then reads the same ``DashboardData``. Actions
go through core functions; after one, the affected data is re-read from disk. After the first
load the app follows its HTTP remotes' event streams (``tui.live``) and re-reads what an event
changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Static, Tab, Tabs

from core import timeutil
from core.settings import Settings, save_setting
from tui.dolt_watch import WatchesDolt
from tui.live import FollowsRemotes, LiveLink
from tui.messages import DataLoaded, LoadFailed, LoadProgress
from tui.panes.base import Pane
from tui.panes.registry import PANES, make_pane, spec_of
from tui.reloads import Reloads, reload_note
from tui.safe import literal, plural
from tui.themes import DEFAULT_THEME, load_themes

if TYPE_CHECKING:
    from textual.command import Provider

    from core.dashboard import DashboardData

AUTO_SYNC_SECONDS = 60.0  # how often remotes with sync.auto_sync are checked for being due


def _item_search() -> type[Provider]:
    from tui.search import ItemSearch

    return ItemSearch


class CrossdeckApp(FollowsRemotes, WatchesDolt, Reloads, App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses (tests, benchmarks) live elsewhere
    TITLE = "crossdeck"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {_item_search}  # imported when the palette first opens
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+r", "reload", "Reload"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, roots: Sequence[Path], settings: Settings | None = None, theme: str | None = None,
                 now: Callable[[], dt.datetime] | None = None, watch: bool = True, live: bool | None = None) -> None:
        super().__init__()
        self.roots = list(roots)
        self.settings = settings or Settings()
        self.requested_theme = theme
        self.clock = now or timeutil.now
        self.watch_files = watch
        self.live_updates = watch if live is None else live  # follow the HTTP remotes (tui/live.py)
        self.live = LiveLink(self)
        self._live_notes: list[tuple[int, object]] = []
        self._live_seq = 0
        self._live_reload_pending = False
        self._live_local = False
        self.data: DashboardData | None = None
        self.init_reloads()  # tui/reloads.py: Ctrl+R, files changed on disk, syncs
        self.panes: dict[str, Pane] = {}  # the panes mounted so far, by id (each on first show)
        for spec in PANES:
            self.bind(spec.key, f"show_pane('{spec.pane_id}')", description=spec.title, show=False)
        self._theme_problems: list[str] = []
        self._choose_theme()

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("crossdeck", id="title-bar")
        yield Tabs(*[Tab(f"{spec.key} {spec.title}", id=f"tab-{spec.pane_id}") for spec in PANES], id="pane-tabs")
        yield Static("reading workspaces…", id="status-line")
        with ContentSwitcher(initial=_slot(PANES[0].pane_id), id="panes"):
            for spec in PANES:
                yield Vertical(id=_slot(spec.pane_id), classes="pane-slot")

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(problem, severity="warning", title="theme", markup=False)
        self.sub_title = ", ".join(str(r) for r in self.roots)
        self.query_one("#title-bar", Static).update(literal(f"crossdeck — {self.sub_title}"))
        self.call_after_refresh(self._after_first_paint)
        if self.watch_files:  # files: by the OS's file events, from the first load on (tui/reloads.py)
            self.set_interval(AUTO_SYNC_SECONDS, lambda: self.sync_remotes(due_only=True), name="auto sync")

    async def _after_first_paint(self) -> None:
        """What comes right after the first paint (title, tabs and "reading workspaces…"): the
        key footer, the first pane, then the load, which holds the GIL for a while."""
        await self.mount(Footer())
        await self.ensure_pane(PANES[0].pane_id)
        self.load_data()

    def _choose_theme(self) -> None:
        """Register the theme files and pick the theme before the first paint: switching themes
        later re-parses every stylesheet."""
        themes, self._theme_problems = load_themes()
        for theme in themes:
            self.register_theme(theme)
        wanted = self.requested_theme or self.settings.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self._theme_problems.append(f"unknown theme {wanted!r}; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME
        self.theme = wanted

    # -- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load", name="load federation")
    def load_data(self, reason: str | None = None) -> None:
        """Read every workspace again; with a ``reason`` (``tui.reloads``), say it and what
        changed once the new data is shown."""
        def progress(what: str, fraction: float) -> None:
            self.post_message(LoadProgress(what, fraction))

        seq = self._live_seq  # the live events this load will see (they were applied before it starts)
        before = self.data
        try:
            from core.dashboard import (
                load_dashboard,  # networkx and friends load here, after the first paint
            )

            from core.dolt.reuse import reusing

            with reusing(self.dolt_reads):  # a Dolt database whose token has not changed is not read again
                data = load_dashboard(self.roots, self.settings, self.clock(), progress)
            note = None if reason is None else reload_note(reason, before, data)
        except Exception as exc:  # noqa: BLE001 - the dashboard must say what failed, not die
            self.post_message(LoadFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(DataLoaded(data, seq, note))
        if self.watch_files:  # what a reread after a change on disk needs, made now (tui/reloads.py)
            from core.dashboard import prepare_reread

            try:
                prepare_reread(data)
            except Exception:  # noqa: BLE001, S110 - only made ahead: the reread makes it when missing
                pass

    def _status_line(self) -> Static | None:
        """The status line; None once the app is closing, when a load thread's late message
        (it cannot be cancelled) arrives after the widgets are gone."""
        found = self.query("#status-line").results(Static)
        return next(found, None)

    def on_load_progress(self, message: LoadProgress) -> None:
        if (line := self._status_line()) is not None:
            line.update(f"{message.what}… {message.fraction:.0%}")

    def on_load_failed(self, message: LoadFailed) -> None:
        if (line := self._status_line()) is None:
            return
        line.update(f"load failed: {message.error}")
        self.notify(message.error, severity="error", title="load failed", timeout=10, markup=False)

    def on_data_loaded(self, message: DataLoaded) -> None:
        line = self._status_line()
        if line is None:  # closing: nothing left to show it in
            return
        first = self.data is None
        self.data = message.data
        fed = message.data.federation
        errors, warnings = len(fed.errors), len(fed.warnings)
        status = f"{plural(len(fed.workspaces), 'workspace')} · {plural(errors, 'error')} · {plural(warnings, 'warning')}"
        if not fed.workspaces:
            status = f"no workspace found below {', '.join(fed.roots)}: the Overview (1) says how to start"
        line.update(literal(status))
        for pane in self.panes.values():
            pane.show(message.data)
        if message.note:
            self.notify(message.note, title="reload", markup=False, timeout=6)
        if first and errors:
            self.notify(f"{errors} files or records could not be read: see Overview", severity="error",
                        title="diagnostics", timeout=8)
        if first and self.current_pane is not None:
            self.current_pane.focus_main()
        if first:
            self.start_live()
            self.start_dolt_watch()  # tui/dolt_watch.py: each town's Dolt server, every few seconds
        self.after_live_reload(message.live_seq)
        self.follow_files()  # tui/reloads.py: the OS's file events below the workspaces now loaded

    # -- panes -------------------------------------------------------------------------------
    @property
    def current_pane(self) -> Pane | None:
        """The pane on screen; None only in the first moments, before the first pane is mounted."""
        switcher = self.query_one("#panes", ContentSwitcher)
        return self.panes.get((switcher.current or "").removeprefix("slot-"))

    async def ensure_pane(self, pane_id: str) -> Pane:
        """The pane ``pane_id``, mounted (and shown the loaded data) on first use: its module
        is imported then, so the first screen does not wait for every pane."""
        pane = self.panes.get(pane_id)
        if pane is None:
            pane = make_pane(spec_of(pane_id))
            self.panes[pane_id] = pane
            await self.query_one(f"#{_slot(pane_id)}", Vertical).mount(pane)
            if self.data is not None:
                pane.show(self.data)
        return pane

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one("#pane-tabs", Tabs).active = f"tab-{pane_id}"

    @on(Tabs.TabActivated, "#pane-tabs")
    async def _tab_activated(self, event: Tabs.TabActivated) -> None:
        pane_id = (event.tab.id or "").removeprefix("tab-")
        switcher = self.query_one("#panes", ContentSwitcher)
        if switcher.current != _slot(pane_id):
            pane = await self.ensure_pane(pane_id)
            self._close_filter()  # the pane being left drops its filter before the switch
            switcher.current = _slot(pane_id)
            pane.focus_main()

    def show_item(self, key: str) -> None:
        """Open the Explorer on the node ``key`` (from search, a table row, a path step)."""
        self.call_later(self._show_item, key)

    async def _show_item(self, key: str) -> None:
        explorer = await self.ensure_pane("explorer")
        self.action_show_pane("explorer")
        explorer.reveal(key)  # type: ignore[attr-defined]

    # -- filter ------------------------------------------------------------------------------
    async def action_filter(self) -> None:
        if not self.query("#filter-bar"):  # made on first use: the first screen does without it
            await self.mount(Horizontal(Static("filter:", id="filter-label"),
                                        Input(placeholder="type to filter this pane; Esc clears", id="filter"),
                                        id="filter-bar"), after="#pane-tabs")
        self.query_one("#filter-bar").display = True
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self.current_pane is not None:
            self.current_pane.apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self.current_pane is not None:
            self.current_pane.focus_main()

    def action_clear_filter(self) -> None:
        self._close_filter()
        if self.current_pane is not None:
            self.current_pane.focus_main()

    def _close_filter(self) -> None:
        """Clear the filter and hide its bar: its rows go back to the pane."""
        if not self.query("#filter-bar"):
            return
        field = self.query_one("#filter", Input)
        if field.value:
            field.value = ""
            if self.current_pane is not None:
                self.current_pane.apply_filter("")
        self.query_one("#filter-bar").display = False

    # -- help, themes --------------------------------------------------------------------------
    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if self.current_pane is not None:
            self.push_screen(HelpScreen(self.current_pane, self))

    def get_system_commands(self, screen: Screen) -> ...:  # type: ignore[no-untyped-def]
        yield from super().get_system_commands(screen)
        for spec in PANES:
            yield SystemCommand(f"Pane: {spec.title}", spec.description,
                                lambda p=spec.pane_id: self.action_show_pane(p))
        for name in sorted(self.available_themes):
            if name.startswith("crossdeck"):
                yield SystemCommand(f"Theme: {name}", "switch to this theme and remember it",
                                    lambda n=name: self.use_theme(n))

    def use_theme(self, name: str) -> None:
        self.theme = name
        try:
            save_setting("theme", name)
        except OSError as exc:
            self.notify(f"theme not remembered: {exc}", severity="warning", markup=False)


def _slot(pane_id: str) -> str:
    """The id of the switcher's slot that holds pane ``pane_id`` once it is mounted."""
    return f"slot-{pane_id}"
