"""The audit table: a ``FastTable`` whose rows can also be narrowed to a set chosen by the core
query (actor, org, workspace, type, since), under the ``/`` text filter.

The rows are built once per load; a structured filter only swaps the list of row numbers the
table may show, so narrowing 100k events costs a pass over the matches, not a rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.geometry import Size

from tui.widgets.table import FastTable


class AuditTable(FastTable):
    """A FastTable with ``restrict``: show only the given row numbers (in their order)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._allowed: Sequence[int] | None = None

    def load(self, rows: Sequence[Sequence[object]], keys: Sequence[str], allowed: Sequence[int] | None) -> None:
        """Replace the rows and the restriction together (row numbers index the new rows)."""
        self._allowed = allowed
        self.set_rows(rows, keys)

    def restrict(self, allowed: Sequence[int] | None) -> None:
        """Show only rows ``allowed`` (row numbers); None shows every row."""
        self._allowed = allowed
        self._refilter(self.current_key)

    @property
    def restricted(self) -> bool:
        return self._allowed is not None

    def _refilter(self, keep: str | None) -> None:
        if self._allowed is None:
            super()._refilter(keep)
            return
        needle = self.filter_text.casefold()
        hay = self._haystack
        self._view = [i for i in self._allowed if needle in hay[i]] if needle else list(self._allowed)
        self.virtual_size = Size(self._total_width(), len(self._view) + 1)
        position = 0
        if keep is not None:
            position = next((n for n, i in enumerate(self._view) if self._keys[i] == keep), 0)
        self.cursor = min(position, max(len(self._view) - 1, 0))
        self.refresh()
