"""A bounded siege of the federation server on loopback (issue "Hostile world II"): writers,
a flood without tokens, and a crowd of idle event streams, all at once, against a real
``crossdeck serve`` process; it stops by itself.

    PYTHONPATH=. .venv/bin/python benchmarks/server_siege.py [--seconds 60] [--writers 16]
        [--flooders 4] [--streams 1000] [--json]

Copies the sample api-service into a temporary folder (its rate limit and daily create limit
raised so that the load, not the policy, is measured; made a git repository so that every write
commits), issues a token for its frontend remote and one maintainer token for every 16 streams
(the per-caller cap), and starts ``python -m tui serve ROOT --port 0`` with ``CROSSDECK_HOME`` in
the same folder. Then, for ``--seconds`` (or until the counts given are done):

- ``--writers`` clients each send mutates (``create_issue``, half auto-approvable, half waiting
  for a human) under request_ids of their own, one after the other; a 503 is retried with the
  same request_id (a 503 only ever comes before anything was written);
- ``--flooders`` clients without a token send ``query`` and ``info`` as fast as they can, a new
  connection every 50 calls;
- ``--streams`` event streams are opened first and left idle (their sockets are never read);
- ``--big-events`` items of 200 KB each are added to the workspace's ``issues.jsonl`` by hand
  (ten a second), so every stream is handed that many events of 200 KB it never reads.

At the end the streams are closed, and it reports: calls per second (mutates, flood), every
status seen, the 5xx count, the ground truth of the workspace's ``requests.jsonl`` against what
was sent (each mutate answered 200/202 written exactly once, each one only ever answered 503 not
at all: none lost, none doubled), the server's RSS (before the streams, at its peak, after they
closed), how many idle streams the server cut off, the commits made and the repository's packed
size after ``git gc`` (per mutate). Exit 1 when anything was lost or doubled or any call got a
5xx. ``siege(...)`` is importable (tests/test_server_siege.py runs it at a small size).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.http_load import prepare, serve

FRONTEND = "github.com/acme-dev/frontend"
WORKSPACE = "acme-dev/api-service"
STREAMS_PER_CALLER = 16
STREAMS_PER_SUBSCRIPTION = 4
NEW_CONNECTION_EVERY = 50


@dataclass
class Plan:
    seconds: float | None = 60.0  # None: until the counts are done
    writers: int = 16
    mutates: int | None = None  # per writer; None: until the time is up
    flooders: int = 4
    flood_calls: int | None = None  # per flooder; None: until the time is up
    streams: int = 1000
    big_events: int = 200
    settle: float = 12.0  # seconds after the streams closed before the RSS is read (the server trims every 10 s)


@dataclass
class Tally:
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)  # "kind status" -> n
    answered: dict[str, list[int]] = field(default_factory=dict)  # request_id -> statuses, in order
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, status: int) -> None:
        with self.lock:
            self.statuses[f"{kind} {status}"] += 1


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def make_repository(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=siege", "-c", "user.email=siege@localhost", "commit", "-qm", "start")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def packed(root: Path) -> dict[str, int]:
    git(root, "gc", "-q")
    figures = dict(line.split(": ") for line in git(root, "count-objects", "-v").splitlines())
    return {"size_pack_kib": int(figures["size-pack"]), "loose_kib": int(figures["size"]),
            "commits": int(git(root, "rev-list", "--count", "HEAD").strip())}


def open_idle_streams(url: str, count: int, tally: Tally) -> list[socket.socket]:
    """``count`` event streams, STREAMS_PER_CALLER per maintainer token, STREAMS_PER_SUBSCRIPTION
    per subscription, their sockets left unread once the response's head is in."""
    import httpx

    from core import tokens

    host, port = url.removeprefix("http://").rsplit(":", 1)
    sockets: list[socket.socket] = []
    callers = [tokens.issue(WORKSPACE, maintainer=f"siege/crew/watcher{n}")[1]
               for n in range(-(-count // STREAMS_PER_CALLER))]  # all issued first: the server reads them once
    for caller, token in enumerate(callers):
        with httpx.Client(base_url=url + "/api/v1/federation", headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as client:
            for n in range(STREAMS_PER_CALLER // STREAMS_PER_SUBSCRIPTION):
                answer = client.post("/subscribe", json={"type": "subscribe", "request_id": f"siege-sub-{caller}-{n}"})
                tally.note("subscribe", answer.status_code)
                if answer.status_code != 201:
                    tally.errors.append(f"subscribe: {answer.status_code} {answer.text[:200]}")
                    continue
                sub = answer.json()["subscription_id"]
                for _ in range(STREAMS_PER_SUBSCRIPTION):
                    if len(sockets) >= count:
                        break
                    sock = socket.create_connection((host, int(port)), timeout=30)
                    sock.sendall(f"GET /api/v1/federation/events?subscription={sub} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                                 f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode())
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < 8192:
                        head += sock.recv(1)
                    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
                    tally.note("events", status)
                    if status != 200:
                        tally.errors.append(f"events: {head[:200]!r}")
                        sock.close()
                        continue
                    sockets.append(sock)
    return sockets


def cut_off(sockets: list[socket.socket]) -> int:
    """How many of the idle streams the server has closed (end of stream or reset waiting)."""
    closed = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    closed += 1
                    break
        except BlockingIOError:
            pass  # still open: nothing more to read now
        except OSError:
            closed += 1
    return closed


def writer(url: str, token: str, n: int, plan: Plan, deadline: float, tally: Tally) -> None:
    import httpx

    with httpx.Client(base_url=url + "/api/v1/federation", headers={"Authorization": f"Bearer {token}"},
                      timeout=300) as client:
        k = 0
        while (plan.mutates is None or k < plan.mutates) and time.monotonic() < deadline:
            ident = f"siege-w{n}-{k}"
            body = {"type": "mutate", "request_id": ident, "operation": "create_issue",
                    "data": {"title": f"Siege {ident}", "priority": 2 if k % 2 == 0 else 1, "labels": ["siege"]}}
            statuses: list[int] = []
            for _ in range(10):
                try:
                    status = client.post("/mutate", json=body).status_code
                except httpx.HTTPError as exc:
                    with tally.lock:
                        tally.errors.append(f"{ident}: {type(exc).__name__}: {exc}")
                    status = 0
                statuses.append(status)
                tally.note("mutate", status)
                if status not in (0, 503):
                    break
                time.sleep(1)
            with tally.lock:
                tally.answered[ident] = statuses
            k += 1


def flooder(url: str, plan: Plan, deadline: float, tally: Tally) -> None:
    import httpx

    base = url + "/api/v1/federation"
    sent = 0
    while (plan.flood_calls is None or sent < plan.flood_calls) and time.monotonic() < deadline:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(NEW_CONNECTION_EVERY):
                if (plan.flood_calls is not None and sent >= plan.flood_calls) or time.monotonic() >= deadline:
                    break
                if sent % 2:
                    answer = client.get("/info")
                    tally.note("flood-info", answer.status_code)
                else:
                    answer = client.post("/query", json={"type": "query", "entity": "issue"})
                    tally.note("flood-query", answer.status_code)
                sent += 1


def big_items(root: Path, count: int, deadline: float) -> None:
    """Append ``count`` items of about 200 KB to the workspace's issues, ten a second."""
    path = root / ".sudocode" / "issues.jsonl"
    for n in range(count):
        if time.monotonic() >= deadline:
            return
        record = {"id": f"i-big{n:04d}", "title": f"Big item {n}", "status": "open", "priority": 3,
                  "content": f"{n} " + "x" * 200_000, "created_at": "2026-12-01T00:00:00Z",
                  "updated_at": "2026-12-01T00:00:00Z"}
        with path.open("a") as out:
            out.write(json.dumps(record) + "\n")
        time.sleep(0.1)


def ground_truth(root: Path, answered: dict[str, list[int]]) -> dict[str, int]:
    """Each request answered 200/202 is in requests.jsonl once (its pending line); one only ever
    answered 503 is not there at all."""
    written = collections.Counter()
    for line in (root / ".sudocode" / "federation" / "requests.jsonl").read_text().splitlines():
        if '"siege-w' in line:
            record = json.loads(line)
            if record.get("status") == "pending":
                written[record["request_id"]] += 1
    lost = [i for i, statuses in answered.items() if statuses[-1] in (200, 202) and written[i] != 1]
    doubled = [i for i, count in written.items() if count > 1]
    after_503 = [i for i, statuses in answered.items() if statuses[-1] == 503 and written[i]]
    unexpected = [i for i in written if i not in answered]
    return {"mutates_sent": len(answered), "written": len(written), "lost": len(lost), "doubled": len(doubled),
            "written_then_503": len(after_503), "unexpected": len(unexpected)}


def siege(plan: Plan, base: Path, log: Path | None = None) -> dict[str, Any]:
    """Run the siege in ``base`` (a scratch folder: the workspace copy and CROSSDECK_HOME go
    there) and report its figures."""
    os.environ["CROSSDECK_HOME"] = str(base / "home")
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    root = prepare(base)
    make_repository(root)
    start_pack = packed(root)
    from core import tokens

    _, token = tokens.issue(WORKSPACE, remote="acme-dev/frontend")
    log = log or base / "serve.log"
    process, url = serve(root, env, log)
    tally = Tally()
    try:
        import httpx

        httpx.get(url + "/api/v1/federation/info", timeout=30)
        rss_start = rss_kib(process.pid)
        opened = time.monotonic()
        sockets = open_idle_streams(url, plan.streams, tally)
        opening_s = time.monotonic() - opened
        rss_streams = rss_kib(process.pid)
        peak = rss_streams
        started = time.monotonic()
        deadline = started + plan.seconds if plan.seconds is not None else float("inf")
        threads = [threading.Thread(target=writer, args=(url, token, n, plan, deadline, tally), daemon=True)
                   for n in range(plan.writers)]
        threads += [threading.Thread(target=flooder, args=(url, plan, deadline, tally), daemon=True)
                    for _ in range(plan.flooders)]
        threads.append(threading.Thread(target=big_items, args=(root, plan.big_events, deadline), daemon=True))
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            peak = max(peak, rss_kib(process.pid))
            time.sleep(0.2)
        wall = time.monotonic() - started
        was_cut = cut_off(sockets)
        for sock in sockets:
            sock.close()
        time.sleep(plan.settle)  # the server lets the closed streams go, and gives their memory back
        rss_end = rss_kib(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    truth = ground_truth(root, tally.answered)
    end_pack = packed(root)
    mutate_calls = sum(n for key, n in tally.statuses.items() if key.startswith("mutate "))
    flood_calls = sum(n for key, n in tally.statuses.items() if key.startswith("flood-"))
    five = sum(n for key, n in tally.statuses.items() if key.split()[1].startswith("5"))
    server_errors = [line for line in log.read_text().splitlines() if "Traceback" in line or " 500 " in line]
    growth = end_pack["size_pack_kib"] - start_pack["size_pack_kib"]
    return {
        "plan": plan.__dict__, "wall_s": round(wall, 1), "streams_opened": len(sockets),
        "streams_open_s": round(opening_s, 1), "streams_cut_off": was_cut,
        "mutates_per_s": round(mutate_calls / wall, 1) if wall else None,
        "flood_calls_per_s": round(flood_calls / wall, 1) if wall else None,
        "statuses": dict(sorted(tally.statuses.items())), "five_xx": five, **truth,
        "rss_kib": {"start": rss_start, "with_streams": rss_streams, "peak": peak, "end": rss_end},
        "commits": end_pack["commits"] - start_pack["commits"],
        "packed_kib": {"start": start_pack["size_pack_kib"], "end": end_pack["size_pack_kib"],
                       "per_mutate": round(growth / max(1, truth["written"]), 2)},
        "errors": tally.errors[:10], "error_count": len(tally.errors), "server_errors": server_errors[:10],
    }


def failed(report: dict[str, Any]) -> list[str]:
    """What the siege found wrong (nothing: an empty list)."""
    problems = []
    for name in ("lost", "doubled", "written_then_503", "unexpected", "five_xx", "error_count"):
        if report[name]:
            problems.append(f"{name}: {report[name]}")
    if report["server_errors"]:
        problems.append(f"server errors: {report['server_errors'][:3]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--flooders", type=int, default=4)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--big-events", type=int, default=200, help="items of 200 KB added by hand (0: none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    plan = Plan(seconds=args.seconds, writers=args.writers, flooders=args.flooders, streams=args.streams,
                big_events=args.big_events)
    with tempfile.TemporaryDirectory(prefix="crossdeck-siege-") as scratch:
        report = siege(plan, Path(scratch))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        rss = report["rss_kib"]
        print(f"{report['wall_s']} s: {report['mutates_per_s']} mutates/s by {args.writers} writers, "
              f"{report['flood_calls_per_s']} calls/s without a token by {args.flooders} flooders, "
              f"{report['streams_opened']} idle streams (opened in {report['streams_open_s']} s, "
              f"{report['streams_cut_off']} cut off by the server)")
        print("  statuses: " + ", ".join(f"{key}: {n}" for key, n in report["statuses"].items()))
        print(f"  5xx: {report['five_xx']}; mutates: {report['mutates_sent']} sent, {report['written']} written, "
              f"{report['lost']} lost, {report['doubled']} doubled, {report['written_then_503']} written then 503")
        print(f"  server RSS: {rss['start'] // 1024} MiB at start, {rss['with_streams'] // 1024} MiB with the streams, "
              f"{rss['peak'] // 1024} MiB at peak, {rss['end'] // 1024} MiB after they closed")
        print(f"  git: {report['commits']} commits; packed {report['packed_kib']['start']} -> "
              f"{report['packed_kib']['end']} KiB after gc, {report['packed_kib']['per_mutate']} KiB per mutate")
        for label, key in (("error", "errors"), ("server", "server_errors")):
            print("".join(f"  {label}: {line}\n" for line in report[key]), end="")
    problems = failed(report)
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
