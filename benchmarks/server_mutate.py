"""What a mutate that waits for a human costs the server, on a small workspace and a large one
(issue 17: "the server's mutate cost does not grow with the workspace").

    PYTHONPATH=. .venv/bin/python benchmarks/server_mutate.py [--items 10,10000] [--mutates 200]
                                                              [--warmup 20] [--clients 1] [--requests 0]
                                                              [--json]

For each size in ``--items``: copies the sample api-service (sample_workspaces/sudocode; its rate
and daily create limits raised, as benchmarks/http_load.py does) into a temporary folder, appends
issues to its ``issues.jsonl`` until it holds that many items (issues and specs), makes it a git
repository (so every mutate commits, as in a real checkout), and starts
``python -m tui serve ROOT --port 0`` with ``CROSSDECK_HOME`` in the same folder. Then one client
(``core.sync.http_remote.HttpRemote``, the client crossdeck uses) sends ``--warmup`` and then
``--mutates`` ``create_issue`` mutates at priority 1, one after the other, each under a fresh
``request_id``: the policy's ``require_approval`` holds each for a human (202), so each is one
request line and one audit line, committed. Only the ``--mutates`` calls after the warm-up count.
With ``--clients N``, N clients share the measured mutates, sending at the same time (the
warm-up is still one client's). With ``--requests N`` the workspace's request and audit logs hold
N settled requests (and an audit line each) before the first call.

Reported, per size: the median, p90 and p99 latency of a call (whole milliseconds, measured by the
client around the HTTP call) and the size of ``issues.jsonl``; and the ratio of the largest size's
median (and p99) to the smallest's. The target: the 10,000-item median within 1.5x of the 10-item
one. Exit 1 when any call was not answered 202. Run on demand, not in CI; one run per size, on
whatever else the machine is doing (say so beside the figures).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.http_load import percentile, prepare, serve
from benchmarks.server_siege import make_repository

FRONTEND_REMOTE = "acme-dev/frontend"


def grow(root: Path, items: int) -> int:
    """Append issues to ``root``'s issues.jsonl until it holds ``items`` items; its size in bytes."""
    folder = root / ".sudocode"
    issues = folder / "issues.jsonl"
    held = sum(1 for name in ("issues.jsonl", "specs.jsonl") if (folder / name).is_file()
               for line in (folder / name).read_text().splitlines() if line.strip())
    with issues.open("a") as out:
        for n in range(max(0, items - held)):
            out.write(json.dumps({
                "id": f"i-b{n:05d}", "uuid": f"00000000-0000-4000-8000-{n:012d}",
                "title": f"Generated issue {n}", "content": f"Body of generated issue {n}, a line or two of text.\n",
                "status": ("open", "in_progress", "closed")[n % 3], "priority": n % 5, "assignee": None,
                "archived": 0, "archived_at": None, "created_at": "2026-11-01 09:00:00",
                "updated_at": "2026-11-02T10:00:00Z", "closed_at": None, "parent_id": None, "parent_uuid": None,
                "relationships": [{"from": f"i-b{n:05d}", "from_type": "issue", "to": f"i-b{n - 1:05d}",
                                   "to_type": "issue", "type": "blocks"}] if n else [],
                "tags": ["generated", f"area-{n % 7}"]}, separators=(",", ":")) + "\n")
    return issues.stat().st_size


def settled(root: Path, requests: int) -> None:
    """``requests`` rejected requests of the frontend in ``root``'s request log, an audit line each."""
    folder = root / ".sudocode" / "federation"
    with (folder / "requests.jsonl").open("a") as log, (folder / "audit.jsonl").open("a") as audit:
        for n in range(requests):
            ident = f"old-{n:06d}"
            log.write(json.dumps({
                "request_id": ident, "direction": "incoming", "from_repo": "github.com/acme-dev/frontend",
                "to_repo": "github.com/acme-dev/api-service", "request_type": "create_issue", "status": "rejected",
                "payload": {"title": f"old {n}", "priority": 1}, "rejection_reason": "not now",
                "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"}) + "\n")
            audit.write(json.dumps({
                "timestamp": "2026-11-01T10:00:00Z", "operation_type": "mutate", "direction": "incoming",
                "local_repo": "github.com/acme-dev/api-service", "remote_repo": "github.com/acme-dev/frontend",
                "request_id": ident, "payload": {}, "result": None, "status": "pending", "error_message": None,
                "duration_ms": 3, "actor": "acme-dev/frontend"}) + "\n")


def measure(items: int, mutates: int, warmup: int, clients: int = 1, requests: int = 0) -> dict[str, Any]:
    from core import tokens
    from core.sync.http_remote import HttpRemote

    with tempfile.TemporaryDirectory(prefix="crossdeck-server-mutate-") as scratch:
        base = Path(scratch)
        os.environ["CROSSDECK_HOME"] = str(base / "home")
        root = prepare(base)
        size = grow(root, items)
        settled(root, requests)
        make_repository(root)
        _, token = tokens.issue("acme-dev/api-service", remote=FRONTEND_REMOTE)
        process, url = serve(root, {**os.environ, "PYTHONPATH": str(PROJECT)}, base / "serve.log")
        latencies: list[float] = []
        statuses: collections.Counter[int] = collections.Counter()
        lock = threading.Lock()

        def send(numbers: range, kept: bool) -> None:
            with HttpRemote(url, token) as remote:
                for n in numbers:
                    started = time.perf_counter()
                    status, _ = remote.mutate(f"bench-{n:06d}", "create_issue", {"title": f"bench {n}", "priority": 1})
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        statuses[status] += 1
                        if kept:
                            latencies.append(elapsed)

        try:
            send(range(warmup), kept=False)
            threads = [threading.Thread(target=send, args=(range(warmup + c, warmup + mutates, clients), True))
                       for c in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            process.terminate()
            process.wait(10)
    return {"items": items, "issues_bytes": size, "requests": requests, "mutates": mutates, "clients": clients,
            "statuses": dict(statuses),
            "median_ms": round(statistics.median(latencies)), "p90_ms": round(percentile(latencies, 0.90)),
            "p99_ms": round(percentile(latencies, 0.99)), "mean_ms": round(statistics.fmean(latencies))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", default="10,10000", help="workspace sizes in items, comma-separated")
    parser.add_argument("--mutates", type=int, default=200, help="mutates measured per size")
    parser.add_argument("--warmup", type=int, default=20, help="mutates sent first and not measured")
    parser.add_argument("--clients", type=int, default=1, help="clients sending the measured mutates at once")
    parser.add_argument("--requests", type=int, default=0, help="settled requests in the log before the first call")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(part) for part in args.items.split(",") if part.strip()]
    runs = [measure(items, args.mutates, args.warmup, args.clients, args.requests) for items in sizes]
    small, large = min(runs, key=lambda r: r["items"]), max(runs, key=lambda r: r["items"])
    report = {"runs": runs, "load_average": os.getloadavg()[0],
              "ratio_median": round(large["median_ms"] / max(small["median_ms"], 1), 2),
              "ratio_p99": round(large["p99_ms"] / max(small["p99_ms"], 1), 2)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for run in runs:
            print(f"{run['items']:>7,} items ({run['issues_bytes']:,} bytes of issues, {run['requests']:,} requests): "
                  f"{run['mutates']} pending "
                  f"mutates by {run['clients']} client(s), median {run['median_ms']} ms, p90 {run['p90_ms']} ms, p99 {run['p99_ms']} ms "
                  f"(answers {run['statuses']})")
        print(f"{large['items']:,} items / {small['items']:,} items: median {report['ratio_median']}x, "
              f"p99 {report['ratio_p99']}x (load average {report['load_average']:.2f})")
    return 0 if all(set(run["statuses"]) == {202} for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
