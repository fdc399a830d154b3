"""``crossdeck summary``: the workspaces found by kind, record counts, diagnostics."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import msgspec

from core.commands.common import add_as_of, add_no_cache, reads
from core.commands.output import emit_json, exit_code, report_diagnostics, table
from core.text import one_line, plural

if TYPE_CHECKING:
    from core.federation import Federation
    from core.model import BeadsSource


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("summary", help="workspaces found, record counts, diagnostics")
    parser.add_argument("roots", nargs="*", metavar="ROOT", help="folders to search (default: config roots or .)")
    parser.add_argument("--json", action="store_true", help="print JSON only on stdout")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every warning")
    add_as_of(parser)
    add_no_cache(parser)
    reads(parser)  # counts, sources and diagnostics only: no records
    parser.set_defaults(run=run, needs_federation=True)


def summarize(fed: Federation) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    rows = []
    for ws in fed.workspaces:
        counts = ws.counts()
        totals.update(counts)
        rows.append({"name": ws.name, "kind": ws.kind.value, "root": ws.root, "counts": counts,
                     "sources": [_source(s) for s in ws.sources]})
    by_severity = Counter(d.severity.value for d in fed.diagnostics)
    return {
        "roots": fed.roots,
        "workspaces": rows,
        "by_kind": dict(sorted(Counter(ws.kind.value for ws in fed.workspaces).items())),
        "totals": dict(totals),
        "diagnostics": {"error": by_severity.get("error", 0), "warning": by_severity.get("warning", 0)},
    }


def run(args: argparse.Namespace, fed: Federation) -> int:
    data = summarize(fed)
    if args.json:
        emit_json(data)
    elif fed.workspaces:  # nothing loaded: no empty table (stdout holds data only; stderr says why)
        _print_table(data)
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    if not fed.workspaces:
        sys.stderr.write("no workspace could be loaded below: " + ", ".join(fed.roots) + "\n")
    return exit_code(fed)


def _source(source: BeadsSource) -> dict[str, Any]:
    fields = msgspec.structs.asdict(source)
    return {k: fields[k] for k in ("folder", "rig", "read_from", "file", "as_of", "server", "database", "dolt",
                                   "token", "problem")}


KIND_NAMES = {"town": ("town", "towns"), "realm": ("realm", "realms"),
               "sudocode": ("sudocode repo", "sudocode repos"), "beads": ("beads folder", "beads folders")}
_COLUMNS = (("work_units", "units"), ("relationships", "links"), ("delegations", "deleg"),
            ("contracts", "exports"), ("imports", "imports"), ("remotes", "remotes"),
            ("requests", "requests"), ("audit_events", "events"))


def _print_table(data: dict[str, Any]) -> None:
    out = sys.stdout
    kinds = ", ".join(f"{n} {KIND_NAMES[k][n != 1]}" for k, n in data["by_kind"].items())
    out.write(f"{len(data['workspaces'])} workspaces ({kinds or 'none'})\n\n")
    rows = [[row["kind"], row["name"], *(row["counts"].get(key, 0) for key, _ in _COLUMNS)]
            for row in data["workspaces"]]
    rows.append(["total", "", *(data["totals"].get(key, 0) for key, _ in _COLUMNS)])
    numbers = range(2, 2 + len(_COLUMNS))
    out.write("\n".join(table(("KIND", "WORKSPACE", *(label for _, label in _COLUMNS)), rows, right=numbers,
                              whole=(0, *numbers))) + "\n")
    told = [(row, source) for row in data["workspaces"] for source in row["sources"]
            if source["server"] or source["problem"]]
    if told:
        out.write("\nwhere the beads came from:\n")
        for row, source in told:
            where = row["name"] + (f"/{source['rig']}" if source["rig"] else "")
            out.write(f"  {one_line(where)}: {one_line(describe_source(source, row['root']))}\n")
    diags = data["diagnostics"]
    out.write(f"\ndiagnostics: {plural(diags['error'], 'error')}, {plural(diags['warning'], 'warning')}\n")


def describe_source(source: dict[str, Any], root: str) -> str:
    """Where one folder's beads came from, in words."""
    if source["read_from"] == "server":
        kind = "Dolt" if source["dolt"] else "not Dolt: no history"
        return f"Dolt server {source['server']}, database {source['database']} ({kind}), live"
    if source["read_from"] == "none":
        text = "not loaded"
    else:
        where = os.path.relpath(source["file"], root) if source["file"] else source["read_from"]
        when = source["as_of"].replace("T", " ")[:16] if source["as_of"] else "undated"
        text = f"{source['read_from']} {where} as of {when}"
    if source["server"]:
        text += f", not database {source['database']}"
    return text + (f": {source['problem']}" if source["problem"] else "")
