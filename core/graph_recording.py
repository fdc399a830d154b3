"""A walk over a graph with every node it looked up noted: what a walk read, to read again or to
grow the working set it needs (``core.working_set``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from core.graph import Walks

T = TypeVar("T")


def recorded(graph: Walks, walk: Callable[[Walks], T]) -> tuple[T, set[str]]:
    """``walk(graph)``, and every node it looked up (``Recording``)."""
    seen: set[str] = set()
    plain = graph._node, graph._succ, graph._pred
    graph._node, graph._succ, graph._pred = (Recording(part, seen) for part in plain)
    try:
        return walk(graph), seen
    finally:
        graph._node, graph._succ, graph._pred = plain


class Recording(dict):  # type: ignore[type-arg]
    """A graph's dict that notes every key looked up in it (``_node``, ``_succ``, ``_pred``)."""

    __slots__ = ("seen",)

    def __init__(self, data: dict[str, Any], seen: set[str]):
        super().__init__(data)
        self.seen = seen

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self.seen.add(key)  # type: ignore[arg-type]
        return dict.__contains__(self, key)
