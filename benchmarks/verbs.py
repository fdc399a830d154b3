"""Whole-process cost of crossdeck's verbs on a generated federation: time as a ratio to the floor
(cold, warm, ``--no-cache``) and peak memory as a ratio to the federation's bytes.

    PYTHONPATH=. python benchmarks/verbs.py DIR [--repeat 5] [--verbs summary,stale,chains,approvals,blockers,show]
        [--blockers REF] [--json]

Run on demand (a few minutes), never in CI. Every measurement is a fresh process, timed from
spawn to exit with ``time.perf_counter``; its peak resident memory and CPU time are the
kernel's accounting of that process (``os.wait4``; the largest single process of it and the
children it waited for, such as the loader's forked second process).

floor      ``load_ratio.py``'s floor, the same code: read and parse every file below DIR
           (``orjson`` per JSONL line, ``yaml.CSafeLoader`` per YAML file), keep nothing.
VERB cold  ``python -m tui VERB --json DIR`` with ``CROSSDECK_HOME`` a new empty folder (no
           parsed cache, made outside the timed region).
VERB warm  the same command again with the ``CROSSDECK_HOME`` the cold run has just filled.
--no-cache the same command with ``--no-cache`` (reads every file, neither reads nor writes the
           cache); skipped, and said so, where the verb does not take the flag.
imports    ``python -c "import core.cli"``: the process whose peak memory is subtracted.

Order: one untimed warm-up round (page cache, bytecode, exit codes checked), then ``--repeat``
rounds; in each round every verb runs as: floor, cold, warm, no-cache (so each verb's runs sit
next to a floor of the same moment). Reported: medians; ratio = median(verb) / median(floor of
all rounds), with the median of the per-round ratios (each to the floor just before it) next
to it; memory = (median peak of the verb - median peak of ``imports``) / bytes of every file
below DIR. The issue's targets (issue 17) are printed next to each figure.

``blockers`` needs an item with open blockers: the first bead, in path order, of a rig of a town
in the real layout, that is open and ``blocks``-depends on an open bead of its rig, and for which
``blockers --json`` says ``is_blocked`` (``--blockers REF`` to choose one); ``show`` shows the
same item.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_ratio import FLOOR, PROJECT, _env, _loadavg, _machine

VERBS = ("summary", "stale", "chains", "approvals", "blockers", "show")
_ON_AN_ITEM = ("blockers", "show")
MODES = ("cold", "warm", "no-cache")
# issue 17's targets: time (x floor) cold / warm; memory (peak less imports, x the files' bytes)
TARGETS = {"summary": (2.0, 1.0)} | {verb: (2.5, 1.2) for verb in ("stale", "chains", "approvals", "blockers")}
MEMORY_TARGET = 3.0
IMPORTS = "import core.cli"
DONE = {"closed", "tombstone"}


class Run:
    """One finished child: wall seconds, CPU seconds, peak RSS in bytes, exit code."""

    def __init__(self, cmd: list[str], env: dict[str, str], capture: bool = False, stderr: Path | None = None):
        """``capture``: untimed, stdout and stderr read through pipes. Else stdout goes to
        /dev/null and stderr (a few hundred lines of warnings) to the file ``stderr``."""
        if capture:
            done = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, check=False)
            self.stdout, self.stderr, self.code = done.stdout, done.stderr, done.returncode
            self.wall = self.cpu = self.peak = 0.0
            return
        with open(stderr or os.devnull, "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            self.wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
        self.code = proc.returncode
        self.cpu = usage.ru_utime + usage.ru_stime
        self.peak = usage.ru_maxrss * 1024.0  # KiB on Linux
        self.stdout = b""
        self.stderr = stderr.read_bytes() if stderr is not None else b""


def _verb_cmd(verb: str, root: Path, ref: str | None, no_cache: bool = False) -> list[str]:
    cmd = [sys.executable, "-m", "tui", verb]
    if verb in _ON_AN_ITEM:
        cmd.append(str(ref))
    cmd.append("--json")
    if no_cache:
        cmd.append("--no-cache")
    return [*cmd, str(root)]


def _files_bytes(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def _tree_bytes(root: Path) -> int:
    return _files_bytes(root)[1] if root.exists() else 0


def _blocked_candidates(root: Path) -> Iterator[str]:
    """Open rig beads that ``blocks``-depend on an open bead of their rig, in path order."""
    for town_json in sorted(root.glob("towns/*/mayor/town.json")):
        town_root = town_json.parent.parent
        try:
            town = json.loads(town_json.read_bytes())
            rigs = json.loads((town_root / "mayor" / "rigs.json").read_bytes())["rigs"]
        except (OSError, ValueError, KeyError):
            continue
        for rig in sorted(rigs):
            for rel in (f"{rig}/.beads/issues.jsonl", f"{rig}/mayor/rig/.beads/issues.jsonl"):
                path = town_root / rel
                if not path.is_file():
                    continue
                rows = [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
                status = {row["id"]: row.get("status") for row in rows}
                for row in rows:
                    if row.get("status") in DONE:
                        continue
                    if any(dep.get("type") == "blocks" and status.get(dep.get("depends_on_id"), "closed") not in DONE
                           for dep in row.get("dependencies", ())):
                        yield f"hop://{town['owner']}/{town['name']}/{rig}/{row['id']}"


def pick_blocked(root: Path, env: dict[str, str], tries: int = 5) -> str | None:
    for i, ref in enumerate(_blocked_candidates(root)):
        if i >= tries:
            break
        run = Run(_verb_cmd("blockers", root, ref), env, capture=True)
        try:
            report = json.loads(run.stdout)
        except ValueError:
            continue
        if report.get("is_blocked") and report.get("blockers"):
            return ref
    return None


def _takes_no_cache(verb: str, env: dict[str, str]) -> bool:
    run = Run([sys.executable, "-m", "tui", verb, "--help"], env, capture=True)
    return b"--no-cache" in run.stdout


def measure(root: Path, verbs: list[str], repeat: int, ref: str | None, work: Path) -> dict[str, Any]:
    base_env = _env()
    home_n = [0]

    def fresh_home() -> Path:
        home_n[0] += 1
        home = work / f"home-{home_n[0]}"
        home.mkdir()
        return home

    def env_for(home: Path) -> dict[str, str]:
        return base_env | {"CROSSDECK_HOME": str(home)}

    check_env = env_for(fresh_home())
    notes: list[str] = []
    if any(verb in _ON_AN_ITEM for verb in verbs) and ref is None:
        ref = pick_blocked(root, check_env)
        if ref is None:
            notes.append("blockers, show: no blocked item found in the first 5 candidates; skipped")
            verbs = [v for v in verbs if v not in _ON_AN_ITEM]
    modes = {verb: [m for m in MODES if m != "no-cache" or _takes_no_cache(verb, check_env)] for verb in verbs}
    refused = [verb for verb in verbs if "no-cache" not in modes[verb]]
    if refused:
        notes.append(f"{', '.join(refused)}: this crossdeck has no --no-cache there (those rows are skipped)")

    floor_cmd = [sys.executable, "-c", FLOOR, str(root)]
    imports_cmd = [sys.executable, "-c", IMPORTS]
    codes: dict[str, int] = {}
    cache_bytes: dict[str, int] = {}

    def one(name: str, cmd: list[str], env: dict[str, str], record: dict[str, list[Run]] | None) -> None:
        run = Run(cmd, env, stderr=work / "stderr")
        crashed = b"Traceback (most recent call last)" in run.stderr
        expected = codes.setdefault(name, run.code)
        # exit 1 is a full run that found an unreadable file; a crash also exits 1
        if crashed or run.code not in (0, 1) or run.code != expected:
            err = run.stderr.decode(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited {run.code} (before: {expected}):\n{err}")
        if record is not None:
            record.setdefault(name, []).append(run)

    def round_(record: dict[str, list[Run]] | None) -> None:
        one("imports", imports_cmd, base_env, record)
        for verb in verbs:
            one("floor", floor_cmd, base_env, record)
            if record is not None:
                record.setdefault(f"floor before {verb}", []).append(record["floor"][-1])
            home = fresh_home()
            one(f"{verb} cold", _verb_cmd(verb, root, ref), env_for(home), record)
            cache_bytes[verb] = _tree_bytes(home / "cache")
            one(f"{verb} warm", _verb_cmd(verb, root, ref), env_for(home), record)
            if "no-cache" in modes[verb]:
                one(f"{verb} no-cache", _verb_cmd(verb, root, ref, no_cache=True), env_for(home), record)
            shutil.rmtree(home, ignore_errors=True)

    loadavg_before = _loadavg()
    round_(None)  # warm-up: page cache, bytecode, exit codes
    runs: dict[str, list[Run]] = {}
    for i in range(repeat):
        round_(runs)
        print(f"  round {i + 1}/{repeat}: floor {statistics.median(r.wall for r in runs['floor'][-len(verbs):]):.3f} s, "
              + ", ".join(f"{v} {runs[f'{v} cold'][-1].wall:.2f}/{runs[f'{v} warm'][-1].wall:.2f} s" for v in verbs),
              file=sys.stderr)

    files, size = _files_bytes(root)
    floor = statistics.median(r.wall for r in runs["floor"])
    imports_peak = statistics.median(r.peak for r in runs["imports"])
    rows = []
    for verb in verbs:
        floors = runs[f"floor before {verb}"]
        for mode in modes[verb]:
            name = f"{verb} {mode}"
            mine = runs[name]
            wall = statistics.median(r.wall for r in mine)
            peak = statistics.median(r.peak for r in mine)
            target = TARGETS[verb][0 if mode == "cold" else 1] if mode in ("cold", "warm") and verb in TARGETS else None
            rows.append({
                "verb": verb, "mode": mode, "exit": codes[name],
                "wall_s": wall, "walls_s": [r.wall for r in mine], "cpu_s": statistics.median(r.cpu for r in mine),
                "ratio": wall / floor,
                "pair_ratio": statistics.median(r.wall / f.wall for r, f in zip(mine, floors, strict=True)),
                "cpu_ratio": statistics.median(r.cpu for r in mine) / statistics.median(r.cpu for r in runs["floor"]),
                "target": target,
                "peak_bytes": peak, "memory_ratio": (peak - imports_peak) / size if size else None,
                "cache_bytes_after_cold": cache_bytes.get(verb, 0) if mode == "cold" else None,
            })
    if not any(cache_bytes.values()):
        notes.append("nothing was written under CROSSDECK_HOME/cache by a cold run: 'warm' is a second cold run")
    walls = [r.wall for r in runs["floor"]]
    return {
        "dir": str(root), "files": files, "bytes": size, "repeat": repeat, "blockers_ref": ref,
        "floor": {"wall_s": floor, "walls_s": walls, "cpu_s": statistics.median(r.cpu for r in runs["floor"]),
                  "peak_bytes": statistics.median(r.peak for r in runs["floor"]), "spread": max(walls) / min(walls)},
        "imports": {"wall_s": statistics.median(r.wall for r in runs["imports"]), "peak_bytes": imports_peak},
        "verbs": rows, "notes": notes, "memory_target": MEMORY_TARGET,
        "loadavg": {"before": loadavg_before, "after": _loadavg()},
    }


def _mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def report(res: dict[str, Any]) -> str:
    fl, imp = res["floor"], res["imports"]
    lines = [(f"{res['dir']}: {res['files']:,} files, {res['bytes'] / 1e6:.1f} MB; {res['repeat']} rounds, medians; "
             f"load average {res['loadavg']['before']} -> {res['loadavg']['after']}"),
             (f"floor {fl['wall_s']:.3f} s (CPU {fl['cpu_s']:.3f} s, peak {_mib(fl['peak_bytes'])}); "
             f"import core.cli {imp['wall_s']:.3f} s, peak {_mib(imp['peak_bytes'])}"),
             "",
             (f"{'verb':<10} {'mode':<9} {'wall':>8} {'x floor':>8} {'per-round':>9} {'CPU x':>6} {'target':>7}  "
             f"{'peak':>8} {'(peak-imports)/bytes':>21}  cache after cold")]
    for row in res["verbs"]:
        target = f"<= {row['target']:.1f}" if row["target"] is not None else ""
        flag = " !" if row["target"] is not None and row["ratio"] > row["target"] else ""
        mem = row["memory_ratio"]
        mem_text = f"{mem:.2f}x" + (" !" if mem is not None and mem > res["memory_target"] else "") if mem is not None else "-"
        cache = row["cache_bytes_after_cold"]
        lines.append(f"{row['verb']:<10} {row['mode']:<9} {row['wall_s']:7.3f}s {row['ratio']:7.2f}x{flag:2}"
                     f"{row['pair_ratio']:7.2f}x {row['cpu_ratio']:5.2f}x {target:>7}  {_mib(row['peak_bytes']):>8} "
                     f"{mem_text:>21}  {'' if cache is None else _mib(cache)}")
    lines.append("")
    lines.append(f"targets (issue 17): summary cold <= 2.0x, warm <= 1.0x; the others cold <= 2.5x, warm <= 1.2x; "
                 f"memory <= {res['memory_target']:.0f}x the files' bytes ('!' marks a figure over its target)")
    if res["blockers_ref"]:
        lines.append(f"blockers REF: {res['blockers_ref']}")
    if fl["spread"] > 1.25:
        lines.append(f"warning: the floor's runs spread {fl['spread']:.2f}x: the machine was busy, compare ratios only")
    lines += [f"note: {n}" for n in res["notes"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--verbs", default=",".join(VERBS), help=f"comma-separated, of {','.join(VERBS)}")
    parser.add_argument("--blockers", metavar="REF", help="the item for blockers (default: found in DIR)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = parser.parse_args(argv)
    root = args.dir.resolve()
    if not root.is_dir():
        parser.error(f"{root} is not a folder")
    verbs = [v for v in args.verbs.split(",") if v]
    unknown = sorted(set(verbs) - set(VERBS))
    if unknown or not verbs:
        parser.error(f"--verbs: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(VERBS)}")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    with tempfile.TemporaryDirectory(prefix="crossdeck-verbs-") as work:
        res = measure(root, verbs, args.repeat, args.blockers, Path(work))
    res["machine"] = _machine()
    print(json.dumps(res, indent=2) if args.json else report(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
