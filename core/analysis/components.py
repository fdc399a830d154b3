"""Strongly connected components of a directed graph, by an iterative Tarjan: linear, no
recursion limit, never loops. ``core.analysis.blocking`` finds cycles with it, and
``core.analysis.nearest`` answers items in the order it gives (each component after every
component it reaches)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


def strong_components(roots: Iterable[str], successors: Callable[[str], Iterable[str]],
                      seen: dict[str, int] | None = None) -> Iterator[list[str]]:
    """The strongly connected components reachable from ``roots``, each in the order the walk met
    its members (its first one first), each after every component it reaches. ``successors`` is
    asked once per node. A node in ``seen`` (the visit order of an earlier walk, filled by this
    one) is taken as done: the caller answered its component already."""
    index = {} if seen is None else seen
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in roots:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors(root)))]
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(successors(target))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    above = work[-1][0]
                    low[above] = min(low[above], low[node])
                if low[node] == index[node]:
                    yield _pop_component(stack, on_stack, node)


def _pop_component(stack: list[str], on_stack: set[str], node: str) -> list[str]:
    """The members of ``node``'s component off the top of ``stack``, ``node`` first."""
    at = len(stack) - 1
    while stack[at] != node:
        at -= 1
    component = stack[at:]
    del stack[at:]
    on_stack.difference_update(component)
    return component
