"""What-if: a loader variant against the floor, measured the way ``load_ratio.py`` measures (a fresh
process each, alternating with the floor, medians), with a digest of what each variant loads.

    python benchmarks/whatif.py DIR [--repeat 5] [--variants baseline]

Variants (each set up in the measured process by ``apply``, then ``load_federation`` runs):

baseline      core as it is.

A prototype is added as a variant: ``apply`` patches core for it. The last one kept here, the
load on one process against the load on two (a forked child), was settled: the two-process load
was removed (it did not pay on a busy 2-core machine, and the parsed cache serves repeat runs).

The prototypes this script once held (a compiled ``Schema.read``, beads and sudocode lines decoded
straight into structs, a cheaper resolver) are in core now; see benchmarks/README.md. The digest
below covers work units, relationships, delegations and diagnostics (``extra`` sorted);
``model_digest.py`` covers every record with ``extra`` in its key order.
"""

# No ``from __future__ import annotations`` here: a variant may define structs msgspec must resolve.
import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_ratio import FLOOR, LAST_CPU, OUT, _run_json, _run_timed

VARIANTS = ("baseline",)


def apply(variant: str) -> None:
    """Set up ``variant`` in this process (baseline: nothing)."""


# -- measuring ---------------------------------------------------------------------------------------

LOAD = r"""
import sys
sys.path.insert(0, "benchmarks")
import whatif
whatif.apply(sys.argv[2])
from pathlib import Path
from core.federation import load_federation
fed = load_federation([Path(sys.argv[1])])
"""

DIGEST = r"""
import hashlib, json, statistics, sys, time, gc
sys.path.insert(0, "benchmarks")
import whatif
whatif.apply(sys.argv[2])
from pathlib import Path
from core.federation import load_federation
root = Path(sys.argv[1])
times = []
for i in range(3):
    t = time.perf_counter(); fed = load_federation([root]); times.append(time.perf_counter() - t)
    if i == 0:
        model, extra = hashlib.sha1(), hashlib.sha1()
        for ws in fed.workspaces:
            for u in ws.work_units:
                model.update(repr((u.key, u.id, u.workspace, u.kind, u.title, u.status, u.priority, u.type,
                                   u.description, u.labels, u.assignee, u.owner, u.created_by, u.rig, u.parent_id,
                                   u.created_at, u.updated_at, u.closed_at, u.close_reason, u.comments, u.source,
                                   u.line)).encode())
                extra.update(repr(sorted(u.extra.items())).encode())
            for r in ws.relationships:
                model.update(repr((r.type, r.from_ref, r.to_ref, r.from_key, r.to_key, r.workspace, r.created_at,
                                   r.created_by, r.source, r.line)).encode())
                extra.update(repr(sorted(r.extra.items())).encode())
            for d in ws.delegations:
                model.update(repr((d.parent, d.child, d.parent_key, d.child_key, sorted(d.terms.items()),
                                   d.delegated_by, d.delegated_to, d.forms)).encode())
        for d in fed.diagnostics:
            model.update(str(d).encode())
        result = {"model_digest": model.hexdigest()[:16], "extra_digest": extra.hexdigest()[:16],
                  "work_units": sum(len(ws.work_units) for ws in fed.workspaces),
                  "relationships": sum(len(ws.relationships) for ws in fed.workspaces),
                  "delegations": sum(len(ws.delegations) for ws in fed.workspaces),
                  "diagnostics": len(fed.diagnostics)}
    del fed
    gc.collect()
result["warm_load_s"] = statistics.median(times[1:])
print(json.dumps(result))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    root = str(args.dir.resolve())
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        if v not in VARIANTS:
            parser.error(f"unknown variant {v!r}; known: {', '.join(VARIANTS)}")
    _run_timed(FLOOR, [root])
    for v in variants:
        _run_timed(LOAD, [root, v])
    times: dict[str, list[float]] = {"floor": [], **{v: [] for v in variants}}
    cpu: dict[str, list[float]] = {k: [] for k in times}
    for i in range(args.repeat):
        for v in variants:
            times["floor"].append(_run_timed(FLOOR, [root]))
            cpu["floor"].append(LAST_CPU[0])
            times[v].append(_run_timed(LOAD, [root, v]))
            cpu[v].append(LAST_CPU[0])
        print(f"  round {i + 1}/{args.repeat}: " + ", ".join(f"{k} {t[-1]:.3f}" for k, t in times.items()),
              file=sys.stderr)
    floor = statistics.median(times["floor"])
    floor_cpu = statistics.median(cpu["floor"])
    results: dict[str, Any] = {"dir": root, "floor_s": floor, "floor_cpu_s": floor_cpu, "times": times, "cpu": cpu,
                               "variants": {}}
    lines = [(f"what-if on {root}: whole process, fresh interpreter each, medians of {args.repeat} "
              f"(floor measured before each variant run, {len(times['floor'])} floor runs)"),
             (f"  {'variant':14} {'load s':>7} {'ratio':>6} {'min s':>6} {'cpu s':>6} {'cpu ratio':>9} {'warm s':>7}  "
              "work units / relationships / delegations / diagnostics   model digest      extra digest"),
             f"  {'floor':14} {floor:7.3f} {'':6} {min(times['floor']):6.3f} {floor_cpu:6.3f}"]
    for v in variants:
        info = _run_json(DIGEST, [root, v])
        med = statistics.median(times[v])
        med_cpu = statistics.median(cpu[v])
        results["variants"][v] = {"load_s": med, "ratio": med / floor, "cpu_s": med_cpu, "cpu_ratio": med_cpu / floor_cpu,
                                  **info}
        lines.append(f"  {v:14} {med:7.3f} {med / floor:5.2f}x {min(times[v]):6.3f} {med_cpu:6.3f} "
                     f"{med_cpu / floor_cpu:8.2f}x {info['warm_load_s']:7.3f}  "
                     f"{info['work_units']:,} / "
                     f"{info['relationships']:,} / {info['delegations']:,} / {info['diagnostics']:,}   "
                     f"{info['model_digest']}  {info['extra_digest']}")
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "whatif-latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "whatif-latest.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
