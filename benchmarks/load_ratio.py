"""Whole-process load time of a federation as a ratio to the floor, measured in one run.

    python benchmarks/load_ratio.py DIR [--repeat 5] [--no-profile] [--out benchmarks/out]

Each measurement is a FRESH interpreter (``subprocess`` with ``time.perf_counter`` around it:
interpreter start + imports + work + exit), floor and load alternating, ``--repeat`` rounds
after one untimed warm-up round; medians are reported.

floor  reads every ``*.jsonl`` / ``*.json`` / ``*.yaml`` (``*.yml``) file below DIR and parses
       it, keeping nothing: ``orjson.loads`` per JSONL line (blank and ``#`` lines skipped),
       ``orjson.loads`` per JSON file, ``yaml.load(..., Loader=yaml.CSafeLoader)`` per YAML
       file; the garbage collector at its defaults.
load   ``core.federation.load_federation([DIR])`` and nothing else.

Also measured in the same rounds (context, not part of the ratio): ``imports`` (the load
process's imports only) and ``bare`` (an interpreter that does nothing).

Then, untimed for the ratio: record counts (floor side: files, lines, bytes; load side: what
was loaded), a warm in-process breakdown of the load (imports / discover / load per workspace
kind / dangling-reference pass / rest / teardown) next to the floor's own time for the same
workspaces, and a cProfile of one load (top functions by own time and by cumulative time).
Results go to stdout as a table and to ``benchmarks/out/load_ratio-<date>.json`` (+
``latest.json``); the profile to ``benchmarks/out/load.prof``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
OUT = PROJECT / "benchmarks" / "out"

FLOOR = r"""
import os, sys
import orjson, yaml
loads = orjson.loads
Loader = yaml.CSafeLoader
for dirpath, dirnames, filenames in os.walk(sys.argv[1]):
    for name in filenames:
        if name.endswith(".jsonl"):
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            for line in data.splitlines():
                if line and line[0] != 35:  # skip blank and '#' comment lines
                    loads(line)
        elif name.endswith(".json"):
            with open(os.path.join(dirpath, name), "rb") as f:
                loads(f.read())
        elif name.endswith((".yaml", ".yml")):
            with open(os.path.join(dirpath, name), "rb") as f:
                yaml.load(f.read(), Loader=Loader)
        else:  # e.g. .beads/redirect: read, nothing to parse
            with open(os.path.join(dirpath, name), "rb") as f:
                f.read()
"""

LOAD = r"""
import sys
from pathlib import Path
from core.federation import load_federation
fed = load_federation([Path(sys.argv[1])])
"""

IMPORTS = r"""
from core.federation import load_federation
"""

BARE = "pass"

# Untimed: a warm in-process breakdown of the load, by wrapping the functions load_federation
# calls (so it measures the real code path, whatever core does inside them).
BREAKDOWN = r"""
import gc, json, statistics, sys, time
from pathlib import Path
t0 = time.perf_counter()
import core.federation as F
imports_s = time.perf_counter() - t0
root = Path(sys.argv[1])
runs = int(sys.argv[2])
timers = {}
counts = {}

def timed(name, fn, count_kind=None):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        timers[name] = timers.get(name, 0.0) + time.perf_counter() - start
        if count_kind is not None:
            counts[count_kind] = counts.get(count_kind, 0) + 1
        return result
    return wrapper

F.discover = timed("discover", F.discover)
for kind, fn in list(F.LOADERS.items()):
    F.LOADERS[kind] = timed("load:" + kind.value, fn, kind.value)
F.dangling_references = timed("dangling_references", F.dangling_references)

results = []
loaded = {}
for run in range(runs):
    timers.clear(); counts.clear()
    start = time.perf_counter()
    fed = F.load_federation([root])
    total = time.perf_counter() - start
    phases = dict(timers)
    phases["rest (load_federation itself, gc.freeze)"] = total - sum(timers.values())
    if run == 0:
        kinds = {}
        for ws in fed.workspaces:
            k = kinds.setdefault(ws.kind.value, {"workspaces": 0})
            k["workspaces"] += 1
            for name, n in ws.counts().items():
                k[name] = k.get(name, 0) + n
        loaded = {"by_kind": kinds, "workspaces": len(fed.workspaces),
                  "work_units": sum(len(ws.work_units) for ws in fed.workspaces),
                  "relationships": sum(len(ws.relationships) for ws in fed.workspaces),
                  "delegations": sum(len(ws.delegations) for ws in fed.workspaces),
                  "audit_events": sum(len(ws.audit) for ws in fed.workspaces),
                  "contracts": sum(len(ws.contracts) for ws in fed.workspaces),
                  "imports": sum(len(ws.imports) for ws in fed.workspaces),
                  "requests": sum(len(ws.requests) for ws in fed.workspaces),
                  "remotes": sum(len(ws.remotes) for ws in fed.workspaces),
                  "errors": len(fed.errors), "warnings": len(fed.warnings),
                  "first_errors": [str(d) for d in fed.errors[:5]]}
    start = time.perf_counter()
    del fed
    teardown = time.perf_counter() - start
    results.append({"total": total, "phases": phases, "teardown": teardown})
    gc.collect()

print(json.dumps({"imports_s": imports_s, "runs": results, "loaded": loaded}))
"""

# Untimed: the floor's own work, warm and in-process, split by the workspace each file belongs
# to (found with crossdeck's discover, outside the timing), so it lines up with the load's
# per-kind times.
FLOOR_BREAKDOWN = r"""
import json, os, sys, time
from pathlib import Path
import orjson, yaml
from core.sources.discover import discover
from core.diagnostics import Diagnostics
root = Path(sys.argv[1]).resolve()
found = discover([root], Diagnostics())
owner = {str(f.path): f.kind.value for f in found}
loads = orjson.loads
Loader = yaml.CSafeLoader
per = {}
files = {"jsonl": 0, "json": 0, "yaml": 0, "other": 0}
records = {"jsonl_lines": 0, "json_docs": 0, "yaml_docs": 0}
size = {"jsonl": 0, "json": 0, "yaml": 0, "other": 0}

def kind_of(dirpath):
    p = Path(dirpath)
    for cand in (p, *p.parents):
        k = owner.get(str(cand))
        if k is not None:
            return k
        if cand == root:
            break
    return "outside any workspace"

for dirpath, dirnames, filenames in os.walk(root):
    kind = kind_of(dirpath)
    for name in filenames:
        path = os.path.join(dirpath, name)
        start = time.perf_counter()
        if name.endswith(".jsonl"):
            with open(path, "rb") as f:
                data = f.read()
            n = 0
            for line in data.splitlines():
                if line and line[0] != 35:
                    loads(line); n += 1
            ext = "jsonl"; records["jsonl_lines"] += n
        elif name.endswith(".json"):
            with open(path, "rb") as f:
                data = f.read()
            loads(data); ext = "json"; records["json_docs"] += 1
        elif name.endswith((".yaml", ".yml")):
            with open(path, "rb") as f:
                data = f.read()
            yaml.load(data, Loader=Loader); ext = "yaml"; records["yaml_docs"] += 1
        else:
            files["other"] += 1; size["other"] += os.path.getsize(path)
            continue
        elapsed = time.perf_counter() - start
        files[ext] += 1; size[ext] += len(data)
        per[kind] = per.get(kind, 0.0) + elapsed
        per["format:" + ext] = per.get("format:" + ext, 0.0) + elapsed
print(json.dumps({"seconds": per, "files": files, "records": records, "bytes": size}))
"""

# Untimed: where the load's time goes, by function. cProfile instruments every call (5M
# isinstance calls included) and inflates call-heavy code several times over; this instruments
# only the loader functions listed below (their exclusive time = time not spent in another
# listed function), measures the wrappers' own cost and subtracts it. Names missing from the
# current core are skipped, so the list survives refactors.
ATTRIBUTION = r"""
import functools, importlib, inspect, json, sys, time
from pathlib import Path
perf = time.perf_counter
TARGETS = json.loads(sys.argv[2])
MODELS = ["WorkUnit", "Relationship", "AuditEvent", "Delegation", "Diagnostic"]
stack = [[None, 0.0, 0, 0]]  # name, time in listed children, direct listed children, all listed descendants
stats = {}

def account(name, elapsed):
    frame = stack.pop()
    s = stats.setdefault(name, [0, 0.0, 0.0, 0, 0])  # calls, incl, excl, direct children, descendants
    s[0] += 1; s[1] += elapsed; s[2] += elapsed - frame[1]; s[3] += frame[2]; s[4] += frame[3]
    parent = stack[-1]
    parent[1] += elapsed; parent[2] += 1; parent[3] += frame[3] + 1

def wrap(name, fn):
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*a, **k):
            it = fn(*a, **k)
            while True:
                stack.append([name, 0.0, 0, 0]); t = perf()
                try:
                    item = next(it)
                except StopIteration:
                    account(name, perf() - t)
                    return
                account(name, perf() - t)
                yield item
        return gen_wrapper
    @functools.wraps(fn)
    def wrapper(*a, **k):
        stack.append([name, 0.0, 0, 0]); t = perf()
        try:
            return fn(*a, **k)
        finally:
            account(name, perf() - t)
    return wrapper

import core.federation as F
import core.model as M
for target in TARGETS:
    mod_name, attr = target.split(":")
    try:
        mod = importlib.import_module(mod_name)
        owner = mod
        parts = attr.split(".")
        for part in parts[:-1]:
            owner = getattr(owner, part)
        fn = getattr(owner, parts[-1])
    except (ImportError, AttributeError):
        continue
    wrapped = wrap(attr, fn)
    setattr(owner, parts[-1], wrapped)
    if owner is mod:  # rebind `from module import fn` copies in the other core modules
        for m in list(sys.modules.values()):
            if getattr(m, "__name__", "").startswith("core") and getattr(m, parts[-1], None) is fn:
                setattr(m, parts[-1], wrapped)
for m in list(sys.modules.values()):
    if getattr(m, "__name__", "").startswith(("core.sources", "core.federation", "core.diagnostics")):
        for cls in MODELS:
            real = getattr(M, cls, None) or getattr(sys.modules.get("core.diagnostics"), cls, None)
            if real is not None and getattr(m, cls, None) is real and m.__name__ != "core.diagnostics":
                setattr(m, cls, wrap(cls + "()", real))
for kind, fn in list(F.LOADERS.items()):
    mod = sys.modules.get(getattr(fn, "__module__", ""))
    if mod is not None and getattr(mod, fn.__name__, fn) is not fn:
        F.LOADERS[kind] = getattr(mod, fn.__name__)

def noop():
    return None
calib = wrap("calib", noop)
N = 200_000
t = perf()
for _ in range(N): noop()
bare = (perf() - t) / N
t = perf()
for _ in range(N): calib()
wrapped_call = (perf() - t) / N
inside = stats.pop("calib")[1] / N - bare  # the wrapper's cost counted inside the callee's time
outside = wrapped_call - bare - inside     # ... and the part its caller sees
stack[:] = [[None, 0.0, 0, 0]]
root = Path(sys.argv[1])
F.load_federation([root])  # warm-up
stats.clear(); stack[:] = [[None, 0.0, 0, 0]]
t = perf(); fed = F.load_federation([root]); wall = perf() - t
rows = []
for name, (calls, incl, excl, direct, desc) in stats.items():
    rows.append({"function": name, "calls": calls,
                 "excl_s": max(0.0, excl - calls * inside - direct * outside),
                 "incl_s": max(0.0, incl - (calls + desc) * inside - desc * outside)})
total_calls = sum(r["calls"] for r in rows)
print(json.dumps({"wall_instrumented_s": wall, "overhead_per_call_us": (inside + outside) * 1e6,
                  "overhead_total_s": total_calls * (inside + outside),
                  "rows": sorted(rows, key=lambda r: -r["excl_s"])}))
"""
ATTRIBUTION_TARGETS = [
    "core.sources.discover:discover",
    "core.sources.files:read_bytes", "core.sources.files:iter_jsonl", "core.sources.files:load_json",
    "core.sources.files:load_yaml", "core.sources.files:yaml_line_of", "core.sources.files:iter_typed",
    "core.sources.schema:Schema.read", "core.sources.schema:iter_records",
    "core.uri:try_parse", "core.uri:find_refs",
    "core.sources.town:load_town", "core.sources.town:_rigs", "core.sources.town:_routes",
    "core.sources.town:_load_events", "core.sources.town:_load_federation",
    "core.sources.town:TownKeys.resolve", "core.sources.town:TownKeys.key_for",
    "core.sources.beads:BeadsLoad._load_export", "core.sources.beads:BeadsLoad._load_backup_issues",
    "core.sources.beads:BeadsLoad._typed_unit", "core.sources.beads:BeadsLoad._add_dependency",
    "core.sources.beads:BeadsLoad._work_unit", "core.sources.beads:BeadsLoad._dependency",
    "core.sources.beads:BeadsLoad._references", "core.sources.beads:BeadsLoad._delegation_from_metadata",
    "core.sources.beads:BeadsLoad._join", "core.sources.beads:BeadsLoad._join_labels",
    "core.sources.beads:BeadsLoad._join_comments",
    "core.sources.beads:BeadsLoad._load_events",
    "core.sources.keys:FolderKeys.resolve", "core.sources.keys:FolderKeys.key_for",
    "core.sources.sudocode:load_sudocode", "core.sources.sudocode:ItemsLoad.load",
    "core.sources.sudocode:ItemsLoad._typed_unit", "core.sources.sudocode:ItemsLoad._checked",
    "core.sources.sudocode:ItemsLoad._relationship",
    "core.sources.sudocode:SudocodeKeys.resolve", "core.sources.sudocode:SudocodeKeys.key_for",
    "core.sources.federation_records:read_remotes", "core.sources.federation_records:read_record_logs",
    "core.sources.realm:load_realm",
    "core.federation:dangling_references",
    "core.diagnostics:Diagnostics.warning", "core.diagnostics:Diagnostics.error",
]

PROFILE = r"""
import cProfile, pstats, sys, io, json
from pathlib import Path
import core.federation as F
import core.sources.realm  # imported up front so the profile is the load, not the import
root = Path(sys.argv[1])
F.load_federation([root])  # warm-up (first-call costs, page cache)
prof = cProfile.Profile()
prof.enable()
fed = F.load_federation([root])
prof.disable()
prof.dump_stats(sys.argv[2])
stats = pstats.Stats(prof)
rows = []
for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
    short = file.replace(str(Path.cwd()) + "/", "")
    rows.append({"function": f"{short}:{line}({func})", "calls": nc, "tottime": tt, "cumtime": ct})
total = sum(r["tottime"] for r in rows)
print(json.dumps({"total_s": total, "by_tottime": sorted(rows, key=lambda r: -r["tottime"])[:30],
                  "by_cumtime": sorted(rows, key=lambda r: -r["cumtime"])[:40]}))
"""


PYC_CACHE = True  # children cache bytecode (as an installed package does); see --no-pyc-cache


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if PYC_CACHE:
        # With PYTHONDONTWRITEBYTECODE set (as in this sandbox) every fresh process would compile
        # core/ from source (~20 ms). Cache the bytecode outside the source tree instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    return env


LAST_CPU = [0.0]  # CPU seconds (user + system) of the last timed child


def _run_timed(code: str, args: list[str]) -> float:
    """Seconds from spawning a fresh interpreter running ``code`` to its exit (wall clock; the
    child's CPU seconds are left in LAST_CPU)."""
    cmd = [sys.executable, "-c", code, *args]
    env = _env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')[-3000:]}")
    return elapsed


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _run_json(code: str, args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", code, *args], check=False, cwd=PROJECT, env=_env(),
                          capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')[-3000:]}")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except (OSError, IndexError):
        pass
    versions = {}
    for mod in ("orjson", "yaml", "msgspec"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - reporting only
            versions[mod] = None
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory": mem, "platform": platform.platform(),
            "python": platform.python_version(), "libyaml": bool(getattr(__import__("yaml"), "__with_libyaml__", False)),
            "versions": versions}


def _git() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    return {"commit": git("rev-parse", "--short", "HEAD"), "core_changes": git("status", "--short", "core").splitlines()}


def measure(root: Path, repeat: int) -> dict[str, Any]:
    arg = [str(root)]
    kinds = {"floor": FLOOR, "load": LOAD, "imports": IMPORTS, "bare": BARE}
    for code in kinds.values():  # warm-up round: page cache, .pyc files
        _run_timed(code, arg)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    loadavg_before = _loadavg()
    for i in range(repeat):
        for name, code in kinds.items():
            times[name].append(_run_timed(code, arg))
            cpu[name].append(LAST_CPU[0])
        print(f"  round {i + 1}/{repeat}: floor {times['floor'][-1]:.3f} s, load {times['load'][-1]:.3f} s "
              f"({times['load'][-1] / times['floor'][-1]:.2f}x)", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    pair_ratios = [load / floor for floor, load in zip(times["floor"], times["load"], strict=True)]
    spread = max(max(v) / min(v) for k, v in times.items() if k in ("floor", "load"))
    return {"times": times, "median": med, "ratio": med["load"] / med["floor"],
            "pair_ratios": pair_ratios, "median_pair_ratio": statistics.median(pair_ratios),
            "cpu": cpu, "cpu_median": cpu_med, "cpu_ratio": cpu_med["load"] / cpu_med["floor"],
            "min_ratio": min(times["load"]) / min(times["floor"]), "spread": spread,
            "loadavg": {"before": loadavg_before, "after": _loadavg()}}


def _fmt_s(x: float) -> str:
    return f"{x:7.3f} s"


def report(res: dict[str, Any]) -> str:
    m = res["timing"]["median"]
    lines = [
        f"crossdeck load ratio: {res['dir']}",
        f"  {res['date']}  {res['machine']['cpus']} cpus  {res['machine']['cpu_model']}  Python {res['machine']['python']}",
        "",
        f"whole process, fresh interpreter each (median of {res['repeat']}, alternating)",
        f"  floor    {_fmt_s(m['floor'])}   (read + parse every file, keep nothing; GC at defaults)",
        f"  load     {_fmt_s(m['load'])}   (load_federation([DIR]))",
        f"  ratio    {res['timing']['ratio']:7.2f} x   (median load / median floor; median of per-round ratios "
        f"{res['timing']['median_pair_ratio']:.2f}x)   target <= 2.00x: "
        + ("PASS" if res["timing"]["ratio"] <= 2.0 else "FAIL"),
        (f"  cross-checks: best-of ratio {res['timing']['min_ratio']:.2f}x (min load / min floor); CPU-time "
         f"ratio {res['timing']['cpu_ratio']:.2f}x (user+sys: floor "
         f"{res['timing']['cpu_median']['floor']:.3f} s, load {res['timing']['cpu_median']['load']:.3f} s)"),
        f"  context: imports only {m['imports']:.3f} s, bare interpreter {m['bare']:.3f} s; bytecode cache "
        + ("on" if res.get("bytecode_cache") else "off (compiling core/ in every process)")
        + f"; load average {res['timing']['loadavg']['before']} -> {res['timing']['loadavg']['after']}",
        "  all runs: floor " + " ".join(f"{t:.3f}" for t in res["timing"]["times"]["floor"])
        + " | load " + " ".join(f"{t:.3f}" for t in res["timing"]["times"]["load"]),
    ]
    if res["timing"]["spread"] > 1.25:
        lines.append(f"  WARNING: runs spread {res['timing']['spread']:.2f}x (max/min): the machine was busy; "
                     "trust the CPU-time and best-of ratios more than the medians, or re-run when it is quiet")
    lines.append("")
    fb = res.get("floor_breakdown")
    if fb:
        lines.append(f"floor side: {fb['files']['jsonl']} JSONL files ({fb['records']['jsonl_lines']:,} lines), "
                     f"{fb['files']['json']} JSON, {fb['files']['yaml']} YAML, {fb['files']['other']} other; "
                     f"{sum(fb['bytes'].values()) / 1e6:.1f} MB")
    ld = res.get("breakdown", {}).get("loaded")
    if ld:
        lines.append(f"load side: {ld['workspaces']} workspaces, {ld['work_units']:,} work units, "
                     f"{ld['relationships']:,} relationships, {ld['delegations']:,} delegations, "
                     f"{ld['audit_events']:,} audit events, {ld['contracts']} contracts, {ld['imports']} imports, "
                     f"{ld['requests']} requests, {ld['remotes']} remotes; diagnostics: {ld['errors']} errors, "
                     f"{ld['warnings']:,} warnings")
        for k, v in sorted(ld["by_kind"].items()):
            lines.append(f"    {k:9} " + ", ".join(f"{n} {c:,}" for n, c in v.items() if c))
        for e in ld.get("first_errors", []):
            lines.append(f"    error: {e}")
    bd = res.get("breakdown")
    if bd:
        runs = bd["runs"]
        warm = runs[1:] or runs
        phases = sorted({p for r in runs for p in r["phases"]})
        lines += ["", f"warm in-process breakdown, one process (seconds; first run, then median of the next {len(warm)})",
                  f"  imports (core.federation)               {bd['imports_s']:.3f}"]
        floor_sec = (fb or {}).get("seconds", {})
        for p in phases:
            first = runs[0]["phases"].get(p, 0.0)
            med = statistics.median(r["phases"].get(p, 0.0) for r in warm)
            extra = ""
            kind = p.split(":", 1)[1] if p.startswith("load:") else None
            if kind and floor_sec.get(kind):
                extra = f"   floor for the same files {floor_sec[kind]:.3f} -> {med / floor_sec[kind]:.2f}x"
            lines.append(f"  {p:40} {first:.3f}  {med:.3f}{extra}")
        lines.append(f"  {'total load_federation':40} {runs[0]['total']:.3f}  "
                     f"{statistics.median(r['total'] for r in warm):.3f}")
        lines.append(f"  {'teardown (del fed)':40} {runs[0]['teardown']:.3f}  "
                     f"{statistics.median(r['teardown'] for r in warm):.3f}")
        if floor_sec:
            fmt = ", ".join(f"{k} {v:.3f}" for k, v in sorted(floor_sec.items()))
            lines.append(f"  floor in-process, same files: {fmt}")
    at = res.get("attribution")
    if at:
        rows = at["rows"]
        accounted = sum(r["excl_s"] for r in rows)
        lines += ["", ("where the load's time goes (one process): exclusive time of the loader's functions, warm, "
                       f"instrumented (wrapper cost {at['overhead_per_call_us']:.2f} us/call subtracted; instrumented "
                       f"run {at['wall_instrumented_s']:.3f} s - {at['overhead_total_s']:.3f} s overhead; "
                       f"listed functions account for {accounted:.3f} s)"),
                  f"  {'excl s':>7} {'incl s':>7} {'calls':>9}  function"]
        for r in rows:
            if r["excl_s"] >= 0.001 or r["incl_s"] >= 0.01:
                lines.append(f"  {r['excl_s']:7.3f} {r['incl_s']:7.3f} {r['calls']:>9,}  {r['function']}")
    prof = res.get("profile")
    if prof:
        lines += ["", (f"cProfile of one warm load in one process (profiled total {prof['total_s']:.2f} s: cProfile "
                       "inflates call-heavy code; use it for call counts, the table above for time; full profile in "
                       "benchmarks/out/load.prof): top by own time")]
        for r in prof["by_tottime"][:15]:
            lines.append(f"  {r['tottime']:7.3f} own {r['cumtime']:7.3f} cum {r['calls']:>9,}  {r['function']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--breakdown-runs", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-pyc-cache", action="store_true",
                        help="run children with the environment as it is (PYTHONDONTWRITEBYTECODE honoured)")
    args = parser.parse_args(argv)
    global PYC_CACHE
    PYC_CACHE = not args.no_pyc_cache
    root = args.dir.resolve()
    if not root.is_dir():
        parser.error(f"{root} is not a folder")
    now = dt.datetime.now(dt.UTC)
    res: dict[str, Any] = {"dir": str(root), "date": now.isoformat(timespec="seconds"), "repeat": args.repeat,
                           "machine": _machine(), "git": _git(), "python": sys.executable,
                           "bytecode_cache": PYC_CACHE}
    print(f"measuring {root} ({args.repeat} rounds of floor/load/imports/bare) ...", file=sys.stderr)
    res["timing"] = measure(root, args.repeat)
    print("breakdown ...", file=sys.stderr)
    res["floor_breakdown"] = _run_json(FLOOR_BREAKDOWN, [str(root)])
    res["breakdown"] = _run_json(BREAKDOWN, [str(root), str(args.breakdown_runs)])
    print("attribution ...", file=sys.stderr)
    res["attribution"] = _run_json(ATTRIBUTION, [str(root), json.dumps(ATTRIBUTION_TARGETS)])
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_profile:
        print("profile ...", file=sys.stderr)
        res["profile"] = _run_json(PROFILE, [str(root), str(args.out / "load.prof")])
    text = report(res)
    print(text)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for name in (f"load_ratio-{stamp}.json", "latest.json"):
        (args.out / name).write_text(json.dumps(res, indent=2) + "\n")
    (args.out / "latest.txt").write_text(text + "\n")
    print(f"\nwrote {args.out / f'load_ratio-{stamp}.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
