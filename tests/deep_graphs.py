"""Deep and wide federations for the tests of Hostile world I (10-12), and how they time code:
a scaling ratio (time at 4N over time at N: about 4 for linear code, 16 for quadratic) with a
deadline per case, so a regression fails in seconds instead of hanging the suite."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tests.conftest import bead, dep, real_town, write_jsonl

TOWN = "hop://steve@example.com/main-town"
GP = f"{TOWN}/greenplace"
SHAPES = ("deep-delegation", "wide-delegation", "deep-blocks", "wide-blocks", "deep-delegation-blocks")
LINEAR = 10.0  # the largest time(4N) / time(N) allowed: linear code gives about 4, quadratic 16

T = TypeVar("T")


def key(i: int) -> str:
    return f"{GP}/gp-{i}"


def rows(shape: str, n: int) -> list[dict[str, Any]]:
    """The beads of one shape of ``n`` items, gp-0 first:

    * deep-delegation: gp-0 delegates to gp-1, which delegates to gp-2, ... (a chain n deep)
    * wide-delegation: gp-0 delegates to each of gp-1 ... gp-(n-1)
    * deep-blocks: gp-0 depends on gp-1, which depends on gp-2, ...
    * wide-blocks: gp-0 depends on each of gp-1 ... gp-(n-1)
    * deep-delegation-blocks: a deep delegation chain whose every parent also depends on its
      child, the last child closed: every item is complete and held open by its child
    """
    def delegated(i: int, parent: int, **fields: Any) -> dict[str, Any]:
        return bead(f"gp-{i}", metadata={"delegated_from": {"parent": key(parent)}}, **fields)

    if shape == "deep-delegation":
        return [bead("gp-0")] + [delegated(i, i - 1) for i in range(1, n)]
    if shape == "wide-delegation":
        return [bead("gp-0")] + [delegated(i, 0) for i in range(1, n)]
    if shape == "deep-blocks":
        return [bead(f"gp-{i}", dependencies=[dep(f"gp-{i}", f"gp-{i + 1}")] if i < n - 1 else [])
                for i in range(n)]
    if shape == "wide-blocks":
        return [bead("gp-0", dependencies=[dep("gp-0", f"gp-{i}") for i in range(1, n)])] + [
            bead(f"gp-{i}") for i in range(1, n)]
    if shape == "deep-delegation-blocks":
        below = [dep(f"gp-{0}", "gp-1")]
        return [bead("gp-0", dependencies=below)] + [
            delegated(i, i - 1, status="closed" if i == n - 1 else "open",
                      dependencies=[dep(f"gp-{i}", f"gp-{i + 1}")] if i < n - 1 else [])
            for i in range(1, n)]
    raise ValueError(shape)


def write_town(root: Path, shape: str, n: int) -> Path:
    """A town at ``root`` whose rig holds one shape of ``n`` beads; ``root``."""
    town = real_town(root / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", rows(shape, n))
    return root


def graph_of(root: Path) -> Any:
    from core.federation import load_federation
    from core.graph import build_graph

    fed = load_federation([root])
    assert not fed.errors, fed.errors
    return build_graph(fed)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """A ``TimeoutError`` in this (main) thread when the block runs longer than ``seconds``."""
    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def best_time(work: Callable[[], object], repeats: int = 3) -> float:
    """The shortest of ``repeats`` runs, in seconds (the machine's noise only ever adds)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def scaling(prepare: Callable[[int], T], work: Callable[[T], object], n: int,
            timeout: float = 120.0) -> float:
    """time(work at 4n) / time(work at n), each input made by ``prepare`` outside the timing;
    the whole within ``timeout`` seconds."""
    with deadline(timeout):
        small, large = prepare(n), prepare(4 * n)
        return best_time(lambda: work(large)) / max(best_time(lambda: work(small)), 1e-4)
