"""``crossdeck mcp [ROOT...]``: serve the federation to agents as MCP tools over stdio (the
official ``mcp`` SDK, the ``crossdeck[mcp]`` extra, imported only here). Each tool answers with
the JSON of the matching verb's ``--json`` (core/mcp_tools). The tools that change something
(send a request, approve, reject) are listed only when an actor is configured (``BD_ACTOR``, or
``actor`` in config.toml) and act as that actor. stdout is the protocol's; diagnostics go to
stderr. Exit 2 without the extra or with an actor name that cannot act."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.commands.output import EXIT_OK, EXIT_UNUSABLE
from core.text import one_line


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("mcp", help="serve the federation to agents as MCP tools over stdio",
                            description="an MCP server over stdio: the federation as tools for agents (docs/cli.md)")
    parser.add_argument("roots", nargs="*", metavar="ROOT", help="folders to search (default: config roots or .)")
    parser.set_defaults(run=run, needs_federation=False)


def missing_extra(extra: str, module: str) -> str | None:
    """A one-line error when the ``crossdeck[extra]`` packages cannot be imported, else None."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return None
    return f"crossdeck {extra} needs the {extra} extra: pip install 'crossdeck[{extra}]'"


def run(args: argparse.Namespace) -> int:
    from core.actor import acting_actor
    from core.settings import load_settings
    from core.sync.decisions import DecisionError, check_actor

    problem = missing_extra("mcp", "mcp.server.lowlevel")
    if problem:
        sys.stderr.write(problem + "\n")
        return EXIT_UNUSABLE
    acting = acting_actor(load_settings().actor)
    actor = None
    if acting is not None:
        try:
            actor = check_actor(acting.name)
        except DecisionError as exc:
            sys.stderr.write(f"crossdeck mcp: {acting.source}: {one_line(str(exc))}\n")
            return EXIT_UNUSABLE
    roots = [os.path.abspath(Path(r).expanduser()) for r in args.roots]
    from core.mcp_tools.server import serve

    sys.stderr.write("crossdeck mcp: serving over stdio, " +
                     (f"acting as {one_line(actor)} ({acting.source})" if acting and actor else
                      "read-only (no actor: set BD_ACTOR to approve, reject and send requests)") + "\n")
    serve(roots, actor)
    return EXIT_OK
