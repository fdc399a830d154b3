"""Deep and wide graphs (Hostile world I, 10-12): absolute times of the analyses and outputs on a
chain N deep and a node with N children, as ratios to a floor, and the scaling between sizes.

    PYTHONPATH=. .venv/bin/python benchmarks/deep_graphs.py [--sizes 25000 100000] [--tui] [--repeat 3]

For each shape of ``tests/deep_graphs.py`` and each size: the **floor** (read the rig's
``issues.jsonl`` and ``orjson.loads`` each line, keeping nothing), the **load** (discover, load
and build the graph, ``core.federation`` + ``core.graph``), and each output the verbs print for it
(built and encoded in process, as ``emit_json`` and the text verbs do, nothing written): its least
CPU time of ``--repeat``, its size, its time over the floor, and between consecutive sizes its time
ratio over the size ratio (about 1 for linear code). ``--tui``: the dashboard (headless, 120x40)
on the deep and the wide delegation chain: from start to the Delegation chains pane filled,
expand all, and ``q`` to the app's exit (wall times). The tests assert the scaling ratios with wide margins;
the seconds are here, and in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import orjson

from core.analysis.blocking import blockers
from core.analysis.delegation import delegation_chains, flat_chains
from core.analysis.item import describe
from core.analysis.neighbourhood import UNICODE
from core.commands.blockers import blockers_text
from core.commands.chains import chains_text
from tests.deep_graphs import graph_of, key, write_town

TODAY = dt.date(2026, 11, 20)


def _json(data: Any) -> bytes:
    return msgspec.json.format(msgspec.json.encode(data), indent=2)


OUTPUTS: dict[str, Callable[[Any], bytes | list[str]]] = {
    "chains --json": lambda g: _json(flat_chains(delegation_chains(g, TODAY))),
    "chains": lambda g: chains_text(delegation_chains(g, TODAY), UNICODE),
    "blockers --json": lambda g: _json(blockers(g, key(0))),
    "blockers": lambda g: blockers_text(blockers(g, key(0)), UNICODE),
    "show --json": lambda g: _json(describe(g, key(0), TODAY)),
}
SHAPES = {
    "deep-delegation": ("chains --json", "chains", "show --json"),
    "wide-delegation": ("chains --json", "chains", "show --json"),
    "deep-delegation-blocks": ("chains --json", "chains", "show --json"),
    "deep-blocks": ("blockers --json", "blockers", "show --json"),
    "wide-blocks": ("blockers --json", "blockers", "show --json"),
}


def best(work: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The least CPU time of ``repeat`` runs (``time.process_time``: what other work on a shared
    machine slows least; this work runs on one thread), and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.process_time()
        result = work()
        times.append(time.process_time() - start)
    return min(times), result


def floor(root: Path) -> None:
    for line in (root / "town" / "greenplace" / ".beads" / "issues.jsonl").read_bytes().splitlines():
        if line.strip():
            orjson.loads(line)


def size_of(out: Any) -> int:
    """Bytes of a JSON document, characters (and newlines) of text lines."""
    return len(out) if isinstance(out, bytes) else sum(len(line) + 1 for line in out)


def measure(base: Path, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    rows = []
    for shape, outputs in SHAPES.items():
        for n in sizes:
            root = write_town(base / f"{shape}-{n}", shape, n)
            low, _ = best(partial(floor, root), repeat)
            load, graph = best(partial(graph_of, root), repeat)
            rows.append({"shape": shape, "n": n, "what": "load", "s": load, "bytes": None, "floor": low})
            for output in outputs:
                spent, out = best(partial(OUTPUTS[output], graph), repeat)
                rows.append({"shape": shape, "n": n, "what": output, "s": spent, "bytes": size_of(out), "floor": low})
            del graph
            print(f"  {shape} {n}: done", file=sys.stderr)
    return rows


def table(rows: list[dict[str, Any]], sizes: list[int]) -> str:
    lines = ["| shape | output | " + " | ".join(f"N={n:,}: s (x floor), size" for n in sizes)
             + " | " + " | ".join(f"{b:,}->{a:,}: time ratio / size ratio" for a, b in zip(sizes[1:], sizes))
             + " |", "|---|---|" + "---|" * (2 * len(sizes) - 1)]
    keys = list(dict.fromkeys((r["shape"], r["what"]) for r in rows))
    by = {(r["shape"], r["what"], r["n"]): r for r in rows}
    for shape, what in keys:
        cells = []
        for n in sizes:
            r = by[(shape, what, n)]
            size = "" if r["bytes"] is None else f", {r['bytes'] / 1e6:.1f} MB"
            cells.append(f"{r['s']:.3f} s ({r['s'] / r['floor']:.1f}x){size}")
        for a, b in zip(sizes[1:], sizes):
            cells.append(f"{by[(shape, what, a)]['s'] / by[(shape, what, b)]['s'] / (a / b):.2f}")
        lines.append(f"| {shape} | {what} | " + " | ".join(cells) + " |")
    floors = {n: min(r["floor"] for r in rows if r["n"] == n) for n in sizes}
    lines.append("")
    lines.append("floor (orjson per line of the rig's issues.jsonl): "
                 + ", ".join(f"N={n:,}: {floors[n]:.3f} s" for n in sizes))
    return "\n".join(lines)


async def dashboard(root: Path) -> dict[str, float]:
    from tests.tui.test_deep_chains_pane import chains_pane

    times: dict[str, float] = {}
    start = time.perf_counter()
    async with chains_pane(root) as (app, pilot, pane):
        times["open, chains pane filled"] = time.perf_counter() - start
        step = time.perf_counter()
        await pilot.press("e")
        await pilot.pause()
        times["expand all"] = time.perf_counter() - step
        times["lines shown"] = len(pane.tree.labels())
        step = time.perf_counter()
        await pilot.press("q")
        while app.return_code is None:
            await pilot.pause(0.005)
        times["q to exit"] = time.perf_counter() - step
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tui", action="store_true", help="also time the dashboard on 100,000 delegations")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        print(table(measure(base, args.sizes, args.repeat), args.sizes))
        if args.tui:
            for shape in ("deep-delegation", "wide-delegation"):
                root = write_town(base / f"tui-{shape}", shape, 100_000)
                times = asyncio.run(dashboard(root))
                print(f"dashboard, {shape} 100,000: " + ", ".join(
                    f"{k} {v:.0f}" if k == "lines shown" else f"{k} {v:.2f} s" for k, v in times.items()))


if __name__ == "__main__":
    main()
