"""The command palette's item search: jump to any item of the federation by id, URI or title."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import Hit, Hits, Provider

from tui.safe import literal

MAX_HITS = 40


class ItemSearch(Provider):
    """Matches the query against every work unit's id, key and title (case-insensitive)."""

    async def search(self, query: str) -> Hits:
        app = self.app
        data = getattr(app, "data", None)
        needle = query.strip().casefold()
        if data is None or len(needle) < 2:
            return
        shown = 0
        for ws in data.federation.workspaces:
            for unit in ws.work_units:
                if needle in unit.id.casefold() or needle in unit.key.casefold() or needle in unit.title.casefold():
                    score = 1.0 if unit.id.casefold() == needle else 0.5
                    open_item: Callable[[], None] = partial(app.show_item, unit.key)  # type: ignore[attr-defined]
                    yield Hit(score, literal(f"{unit.id}  {unit.title}"), open_item, help=literal(unit.key).plain)
                    shown += 1
                    if shown >= MAX_HITS:
                        return
