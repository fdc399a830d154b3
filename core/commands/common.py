"""What the read verbs share: their common options and the graph they read."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from core.commands.output import EXIT_UNUSABLE

if TYPE_CHECKING:
    import networkx as nx

    from core.federation import Federation


def add_common(parser: argparse.ArgumentParser) -> None:
    """ROOTS, --json and --verbose, after the verb's own argument (``crossdeck VERB [ARG] [ROOTS...]``)."""
    parser.add_argument("roots", nargs="*", metavar="ROOT", help="folders to search (default: config roots or .)")
    parser.add_argument("--json", action="store_true", help="print JSON only on stdout (schema: docs/cli.md)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every warning on stderr")
    add_no_cache(parser)
    parser.set_defaults(needs_federation=True)


def add_no_cache(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``: read every file, neither reading nor writing the parsed cache (core.cache)."""
    parser.add_argument("--no-cache", action="store_true", dest="no_cache",
                        help="read every workspace from its files (the parsed cache is neither read nor written)")


def reads(parser: argparse.ArgumentParser, *kinds: str, later: tuple[str, ...] = (),
          other_files: bool = True) -> None:
    """The verb reads only these of a workspace's bulky record kinds (``core.cache.entry.HEAVY``:
    work_units, relationships, delegations, audit, requests, subscriptions); a workspace read
    from the parsed cache leaves the others empty (its counts are kept). ``later``: kinds it
    reads of some workspaces only, asked for when needed (``Federation.held``);
    ``other_files=False``: the files that hold only other kinds (beads, sudocode issues, event
    logs) are not read at all, nor are their problems reported; what is left is each workspace's
    configuration and the files of these kinds, kept in cache entries of their own
    (``core.cli.load_roots``).
    Verbs that do not say read everything."""
    parser.set_defaults(reads=frozenset(kinds), reads_later=later, other_files=other_files)


def add_as_of(parser: argparse.ArgumentParser) -> None:
    """``--as-of REF``: Dolt-backed towns read as of a Dolt commit, branch or time (core.cli)."""
    parser.add_argument("--as-of", metavar="REF", dest="as_of",
                        help="read Dolt-backed towns as of a Dolt commit, branch or time (2026-12-01 09:30:00); "
                             "an error for a town not on a Dolt server")


def needs_sub_verb(parser: argparse.ArgumentParser) -> None:
    """A verb of sub-verbs (``remote``, ``realm``, ``request``) given none: its help on stderr, exit 2."""

    def usage(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_UNUSABLE

    parser.set_defaults(run=usage, needs_federation=False)


def graph_of(fed: Federation, *, walks_only: bool = False) -> nx.MultiDiGraph:
    """The federation graph, with each remote workspace's cached status from the state store;
    ``walks_only``: for ``chains`` and ``blockers``, the lighter graph their walks need
    (``core.graph.build_graph``)."""
    from core.graph import build_graph

    return build_graph(fed, remote_status=cached_remote_status(), walks_only=walks_only)


def cached_remote_status() -> dict[str, str]:
    """Each remote workspace's cached status (synced, stale, unreachable), from the state store."""
    from core.store import remote_status_by_workspace

    return remote_status_by_workspace()
