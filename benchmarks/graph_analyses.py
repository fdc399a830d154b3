"""Graph build and every analysis on a large federation, as ratios and against their budgets.

    python benchmarks/graph_analyses.py DIR [--repeat 5]

Loads DIR once (e.g. the 100k-unit federation from generate.py), then measures, in this process,
medians of --repeat runs:
- graph build (``core.graph.build_graph``) against the floor: a bare networkx MultiDiGraph
  ``add_nodes_from`` + ``add_edges_from`` of the very same nodes and edges (with their
  attribute dicts), GC paused for both as the build pauses it. Target: at most 1.5x.
- each analysis, cold (first call on a fresh graph, paying any index it builds) and warm.
  Target: each at most 200 ms.
Blockers and neighbourhood are measured on every work unit with blocking edges (worst case
reported) and on a sample, since their cost depends on the item.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx  # noqa: E402

from core.analysis import aggregate, approvals, audit, blocking, delegation, lookup, neighbourhood, reach, stale  # noqa: E402
from core.federation import gc_paused, load_federation  # noqa: E402
from core.graph import build_graph  # noqa: E402

BUDGET_S = 0.200
BUILD_TARGET = 1.5
TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc)


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare_build(nodes: list[tuple[str, dict[str, Any]]], edges: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    with gc_paused():
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(nodes)
        graph.add_edges_from(edges)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fed = load_federation([args.dir])
    graph = build_graph(fed)
    nodes = list(graph.nodes(data=True))
    edges = [(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)]
    print(f"{len(fed.workspaces)} workspaces, {sum(len(w.work_units) for w in fed.workspaces):,} work units; "
          f"graph {len(nodes):,} nodes, {len(edges):,} edges")

    floor = median_time(lambda: bare_build(nodes, edges), args.repeat)
    build = median_time(lambda: build_graph(fed), args.repeat)
    print(f"\ngraph build {build:.3f} s; bare networkx add_nodes_from + add_edges_from {floor:.3f} s; "
          f"ratio {build / floor:.2f}x (target <= {BUILD_TARGET}x)")

    units = [u.key for ws in fed.workspaces for u in ws.work_units]
    blocked = [k for k in units if any(d.get("blocking") for _, _, d in graph.out_edges(k, data=True))]
    random.seed(1)
    sample = random.sample(units, min(500, len(units)))
    workspaces = fed.workspaces
    orgs = sorted({e.organization for ws in workspaces for e in ws.employments}) or ["none"]
    project = next(iter(delegation.delegation_children(graph)), units[0])

    def worst(fn: Callable[[str], Any], keys: list[str]) -> tuple[float, str]:
        slowest = (0.0, "")
        for key in keys:
            start = time.perf_counter()
            fn(key)
            slowest = max(slowest, (time.perf_counter() - start, key))
        return slowest

    cases: list[tuple[str, Callable[[nx.MultiDiGraph], Any]]] = [
        ("stale imports", lambda g: stale.stale_imports(g.graph["federation"].workspaces, TODAY)),
        ("approvals", lambda g: approvals.approvals(g, TODAY)),
        ("delegation chains", lambda g: delegation.delegation_chains(g, TODAY)),
        ("audit: whole timeline", lambda g: audit.audit_trail(workspaces, audit.AuditQuery())),
        ("audit: one org, last 30 days", lambda g: audit.audit_trail(
            workspaces, audit.AuditQuery(org=orgs[0], since=NOW - dt.timedelta(days=30)))),
        ("aggregate: an org's work", lambda g: aggregate.org_work(g, orgs[0])),
        ("aggregate: a project with delegated work", lambda g: aggregate.project_work(g, project)),
        ("remotes", lambda g: reach.remotes_report(workspaces, {}, NOW, 300)),
        ("lookup: index + one id", lambda g: lookup.find_node(g, units[len(units) // 2].rsplit("/", 1)[-1])),
    ]
    print(f"\n{'analysis':44} {'cold':>9} {'warm':>9}  budget {BUDGET_S * 1000:.0f} ms")
    failures = 0
    for name, fn in cases:
        fresh = build_graph(fed)
        gc.collect()
        start = time.perf_counter()
        fn(fresh)
        cold = time.perf_counter() - start
        warm = median_time(lambda: fn(fresh), args.repeat)
        ok = max(cold, warm) <= BUDGET_S
        failures += not ok
        print(f"{name:44} {cold * 1000:7.1f}ms {warm * 1000:7.1f}ms  {'ok' if ok else 'OVER'}")
    for name, fn, keys in (("blockers (worst over blocked items)", blocking.blockers, blocked),
                           ("blockers (worst over 500 random items)", blocking.blockers, sample),
                           ("neighbourhood depth 2 (worst of 500)",
                            lambda g, k: neighbourhood.to_mermaid(neighbourhood.neighbourhood(g, k, depth=2)), sample)):
        slowest, key = worst(lambda k, fn=fn: fn(graph, k), keys)  # type: ignore[misc]
        ok = slowest <= BUDGET_S
        failures += not ok
        print(f"{name:44} {'':9} {slowest * 1000:7.1f}ms  {'ok' if ok else 'OVER'}  ({len(keys):,} items; {key})")
    return 1 if failures or build / floor > BUILD_TARGET else 0


if __name__ == "__main__":
    raise SystemExit(main())
