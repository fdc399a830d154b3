"""A bounded load test of the federation API over HTTP on loopback: N concurrent clients
querying and mutating against a real ``crossdeck serve`` process, for a fixed number of calls.

    PYTHONPATH=. .venv/bin/python benchmarks/http_load.py [--clients 8] [--requests 2000] [--mutate 0.25]
                                                          [--replay 0.05] [--json]

Copies the sample api-service (sample_workspaces/sudocode) into a temporary folder (its rate limit
and daily create limit raised so that the load, not the policy, is measured), issues a token for
its frontend remote, and starts ``python -m tui serve ROOT --port 0`` with ``CROSSDECK_HOME`` in the
same folder. Then ``--clients`` threads, each with its own ``core.sync.http_remote.HttpRemote``
(the client crossdeck uses), share ``--requests`` calls: a ``query`` of 50 issues, or (a
``--mutate`` share of them) a ``mutate`` creating an issue at priority 1 (which waits for a human:
one incoming request line each) under a fresh ``request_id``; a ``--replay`` share of the mutates
sends an earlier one again (same ``request_id``, same body), which must change nothing.

Reported: throughput (calls per second over the wall time), p50 and p99 latency (per call, and by
kind), errors, and the ground truth read back from the workspace's ``requests.jsonl``: every
``request_id`` sent is there exactly once (none lost, none applied twice). Exit 1 when any call
failed or any request was lost or doubled. Run on demand, not in CI.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
FRONTEND = "github.com/acme-dev/frontend"


def prepare(base: Path) -> Path:
    """The api-service copy, its limits raised; returns its root."""
    root = Path(shutil.copytree(PROJECT / "sample_workspaces" / "sudocode" / "api-service", base / "api-service"))
    config = root / ".sudocode" / "federation.config.json"
    doc = json.loads(config.read_text())
    doc["policies"]["incoming_requests"]["query"]["rate_limit"] = {"requests_per_minute": 10_000_000}
    for remote in doc["remote_repos"]:
        remote.get("permissions", {}).get("mutate", {})["max_creates_per_day"] = 10_000_000
    config.write_text(json.dumps(doc, indent=2))
    return root


def serve(root: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[str], str]:
    with log.open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "tui", "serve", str(root), "--port", "0"], env=env,
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if " on http://" not in line:
        process.kill()
        raise SystemExit(f"crossdeck serve did not start: {line!r}")
    return process, line.rsplit(" on ", 1)[1].strip()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def run(url: str, token: str, clients: int, total: int, mutate_share: float, replay_share: float,
        seed: int) -> dict[str, Any]:
    from core.sync.http_remote import HttpFailure, HttpRemote

    plan = random.Random(seed)
    kinds = ["mutate" if plan.random() < mutate_share else "query" for _ in range(total)]
    replays = [kind == "mutate" and plan.random() < replay_share for kind in kinds]
    counter = itertools.count()
    lock = threading.Lock()
    sent: list[str] = []  # request ids mutated (first sends)
    latencies: dict[str, list[float]] = collections.defaultdict(list)
    errors: list[str] = []
    answers: dict[str, tuple[int, str]] = {}

    def client() -> None:
        with HttpRemote(url, token) as remote:
            while (n := next(counter)) < total:
                kind = kinds[n]
                started = time.perf_counter()
                try:
                    if kind == "query":
                        remote.query("issue", limit=50)
                    else:
                        with lock:
                            again = replays[n] and bool(sent)
                            ident = plan.choice(sent) if again else f"load-{n:06d}"
                        status, answer = remote.mutate(ident, "create_issue", {"title": f"load {ident}", "priority": 1})
                        with lock:
                            if not again:
                                sent.append(ident)
                                answers[ident] = (status, str(answer.get("status")))
                            elif answers.get(ident) not in (None, (status, str(answer.get("status")))):
                                errors.append(f"replay of {ident} answered {status} {answer.get('status')}, "
                                              f"first {answers[ident]}")
                        kind = "replay" if again else kind
                except HttpFailure as exc:
                    with lock:
                        errors.append(str(exc))
                latencies[kind].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    every = [v for values in latencies.values() for v in values]
    return {"clients": clients, "calls": total, "wall_s": round(wall, 2), "throughput_per_s": round(total / wall, 1),
            "p50_ms": round(percentile(every, 0.50), 1), "p99_ms": round(percentile(every, 0.99), 1),
            "by_kind": {kind: {"calls": len(values), "p50_ms": round(percentile(values, 0.5), 1),
                               "p99_ms": round(percentile(values, 0.99), 1),
                               "mean_ms": round(statistics.fmean(values), 1)}
                        for kind, values in sorted(latencies.items())},
            "errors": errors[:10], "error_count": len(errors), "sent": sent}


def ground_truth(root: Path, sent: list[str]) -> dict[str, Any]:
    """How many lines of requests.jsonl each sent request id has (pending requests: one each)."""
    path = root / ".sudocode" / "federation" / "requests.jsonl"
    seen = collections.Counter()
    for line in path.read_text().splitlines():
        if '"load-' in line:
            ident = json.loads(line).get("request_id", "")
            if ident.startswith("load-"):
                seen[ident] += 1
    lost = [ident for ident in sent if ident not in seen]
    doubled = [ident for ident, count in seen.items() if count > 1]
    unknown = [ident for ident in seen if ident not in set(sent)]
    return {"mutates_sent": len(sent), "recorded": len(seen), "lost": len(lost), "doubled": len(doubled),
            "unexpected": len(unknown)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--mutate", type=float, default=0.25, help="the share of calls that mutate")
    parser.add_argument("--replay", type=float, default=0.05, help="the share of mutates that replay an earlier one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crossdeck-http-load-") as scratch:
        base = Path(scratch)
        os.environ["CROSSDECK_HOME"] = str(base / "home")
        env = {**os.environ, "PYTHONPATH": str(PROJECT)}
        root = prepare(base)
        from core import tokens

        _, token = tokens.issue("acme-dev/api-service", remote="acme-dev/frontend")
        log = base / "serve.log"
        process, url = serve(root, env, log)
        try:
            result = run(url, token, args.clients, args.requests, args.mutate, args.replay, args.seed)
            time.sleep(0.5)  # let the server's last writes land before reading the file back (nothing to await)
            truth = ground_truth(root, result.pop("sent"))
        finally:
            process.terminate()
            process.wait(10)
        failures = [line for line in log.read_text().splitlines() if "Error" in line or " 500 " in line]
    report = {**result, **truth, "server_errors": failures[:10]}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['calls']} calls by {report['clients']} clients in {report['wall_s']} s: "
              f"{report['throughput_per_s']} calls/s, p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms, "
              f"{report['error_count']} errors")
        for kind, figures in report["by_kind"].items():
            print(f"  {kind}: {figures['calls']} calls, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
        print(f"  mutates: {truth['mutates_sent']} sent, {truth['recorded']} recorded, {truth['lost']} lost, "
              f"{truth['doubled']} applied twice, {truth['unexpected']} unexpected")
        for error in report["errors"]:
            print(f"  error: {error}")
        for line in report["server_errors"]:
            print(f"  server: {line}")
    bad = report["error_count"] or truth["lost"] or truth["doubled"] or truth["unexpected"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
