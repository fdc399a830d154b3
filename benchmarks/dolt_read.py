"""Reading 100k beads from a town's Dolt server, against the server's own client doing the same.

Starts a private MariaDB (Debian's mariadb-server, as the tests do: tests/dolt_server.py) on a
free loopback port, fills one beads database (the split dependency layout) with ``--beads``
generated beads (with labels, dependencies and events in the proportions of the real gastown
backup), then times two whole processes, in turns, in the same run:

- crossdeck: ``load_federation`` of a ``.beads`` folder whose ``metadata.json`` points at that
  database (interpreter start, imports, connect, every query, every record built);
- the floor: ``mariadb --batch`` running exactly the SELECTs crossdeck sends (the shape query,
  the change token, one ``JSON_OBJECT`` select per table) with its output to /dev/null.

    PYTHONPATH=. .venv/bin/python benchmarks/dolt_read.py [--beads 100000] [--repeat 5]
    PYTHONPATH=. .venv/bin/python benchmarks/dolt_read.py --serve cmds.txt &   # for an external timer

Prints each side's median wall time and the ratio (target: at most 2x). Run on demand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from core.dolt.tables import SHAPE_SQL, dependency_queries, json_rows, shape_from_rows  # noqa: E402
from tests.beads_sql import insert_rows  # noqa: E402
from tests.dolt_server import MariaDB, find_binary  # noqa: E402

STATUSES = ["closed"] * 6 + ["open"] * 3 + ["in_progress", "blocked", "hooked"]
TYPES = ["task", "bug", "feature", "epic", "chore"]
ACTORS = ["mayor", "gastown/crew/joe", "gastown/polecats/furiosa", "gastown/witness", "deacon"]


def fill(server: MariaDB, database: str, beads: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    ids = [f"gt-{i:06x}" for i in range(beads)]
    stamp = "2026-{:02d}-{:02d} {:02d}:{:02d}:00"

    def when() -> str:
        return stamp.format(rnd.randint(1, 11), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59))

    with server.connect(database) as conn:
        batch: list[dict] = []
        for ident in ids:
            created = when()
            batch.append({"id": ident, "title": f"Work item {ident}: " + " ".join(rnd.choices(
                ["refactor", "router", "tests", "flaky", "dolt", "merge", "witness", "cache", "sync"], k=5)),
                "description": "Details. " * rnd.randint(5, 40), "status": rnd.choice(STATUSES),
                "priority": rnd.randint(0, 4), "issue_type": rnd.choice(TYPES), "created_at": created,
                "updated_at": created, "created_by": rnd.choice(ACTORS), "owner": "steve@example.com",
                "metadata": "{}"})
            if len(batch) == 5000:
                insert_rows(conn, "issues", batch)
                batch = []
        if batch:
            insert_rows(conn, "issues", batch)
        labels = [{"issue_id": i, "label": rnd.choice(["gt:bug", "infra", "dolt", "ui", "p0"])}
                  for i in rnd.sample(ids, beads // 4)]
        insert_rows(conn, "labels", labels)
        deps = []
        for n, ident in enumerate(ids[1:], start=1):
            if rnd.random() < 0.5:
                deps.append({"source_id": ident, "depends_on_issue_id": ids[rnd.randrange(n)],
                             "type": rnd.choice(["blocks", "parent-child", "related"]), "created_at": when(),
                             "created_by": rnd.choice(ACTORS)})
        for start in range(0, len(deps), 5000):
            insert_rows(conn, "issue_issue_dependencies", deps[start:start + 5000])
        events = [{"issue_id": rnd.choice(ids), "event_type": rnd.choice(["status_changed", "updated", "closed"]),
                   "actor": rnd.choice(ACTORS), "old_value": '{"status":"open"}', "new_value": '{"status":"closed"}',
                   "created_at": when()} for _ in range(beads)]
        for start in range(0, len(events), 5000):
            insert_rows(conn, "events", events[start:start + 5000])


def queries(server: MariaDB, database: str) -> list[str]:
    """The SELECTs crossdeck sends to read the database, in its order."""
    with server.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute(SHAPE_SQL, (database,))
        shape = shape_from_rows(database, cursor.fetchall())
    out = [SHAPE_SQL.replace("%s", f"'{database}'"), "SELECT dolt_version()"]
    token = []
    for name in ("issues", "labels", "comments", "events", *[t for t, _ in dependency_queries(shape)]):
        token.append(f"(SELECT COUNT(*) FROM `{name}`)")
        newest = next((c for c in ("updated_at", "created_at") if c in shape.columns(name)), None)
        token.append(f"(SELECT MAX(`{newest}`) FROM `{name}`)" if newest else "NULL")
    out.append("SELECT " + ", ".join(token))
    out.append(json_rows("issues", shape.columns("issues")))
    out += [json_rows(t, shape.columns(t)) for t in ("labels", "comments")]
    out += [sql for _, sql in dependency_queries(shape)]
    out.append(json_rows("events", shape.columns("events")))
    return out


def timed(command: list[str], stdin: Path | None = None) -> float:
    started = time.perf_counter()
    with open(stdin or "/dev/null", "rb") as source:
        subprocess.run(command, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--serve", metavar="FILE", help="set up, write the two commands to FILE (crossdeck's, "
                        "then the floor's, one a line, shell-quoted), keep the server up until interrupted")
    args = parser.parse_args()
    mariadbd, install_db, client = find_binary("mariadbd"), find_binary("mariadb-install-db"), find_binary("mariadb")
    if not (mariadbd and install_db and client):
        sys.exit("needs Debian's mariadb-server (mariadbd, mariadb-install-db, mariadb)")
    work = Path(tempfile.mkdtemp(prefix="crossdeck-dolt-bench-"))
    server = MariaDB(root=work / "server", mariadbd=mariadbd)
    (work / "server").mkdir()
    try:
        server.install(install_db)
        server.start()
        database = server.create_database("beads_bench", "split")
        began = time.perf_counter()
        fill(server, database, args.beads)
        print(f"filled {args.beads:,} beads in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        folder = work / "town-rig"
        (folder / ".beads").mkdir(parents=True)
        (folder / ".beads" / "metadata.json").write_text(json.dumps({
            "backend": "dolt", "dolt_mode": "server", "dolt_database": database, "dolt_server_port": server.port}))
        sql = work / "queries.sql"
        sql.write_text("".join(q + ";\n" for q in queries(server, database)).replace(
            "SELECT dolt_version();\n", ""))  # MariaDB refuses it; crossdeck's one refused call costs nothing here
        ours = [sys.executable, "-c", "import sys; from pathlib import Path; from core.federation import "
                "load_federation; fed = load_federation([Path(sys.argv[1])]); "
                "assert fed.workspaces[0].sources[0].read_from == 'server', fed.diagnostics; "
                "print(len(fed.workspaces[0].work_units))", str(folder)]
        floor = [client, "--batch", "-h", "127.0.0.1", "-P", str(server.port), "-u", "root", database]
        env_ok = subprocess.run(ours, capture_output=True, text=True, cwd=PROJECT, check=False)
        if env_ok.returncode != 0:
            sys.exit(env_ok.stderr)
        print(f"crossdeck read {env_ok.stdout.strip()} beads", file=sys.stderr)
        if args.serve:
            floor_sh = " ".join(shlex.quote(c) for c in floor) + " < " + shlex.quote(str(sql))
            Path(args.serve).write_text(" ".join(shlex.quote(c) for c in ours) + "\n" + floor_sh + "\n")
            print(f"commands in {args.serve}; serving until interrupted", file=sys.stderr)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        pairs = []
        for _ in range(args.repeat + 1):
            pairs.append((timed(ours), timed(floor, sql)))
        pairs = pairs[1:]  # the first pair warms the server's buffer pool and the page cache
        ratios = [a / b for a, b in pairs]
        print(f"crossdeck load  median {statistics.median(a for a, _ in pairs):.3f} s")
        print(f"mariadb --batch median {statistics.median(b for _, b in pairs):.3f} s")
        print(f"ratio (pair by pair) median {statistics.median(ratios):.2f}x, min {min(ratios):.2f}x, "
              f"max {max(ratios):.2f}x")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
