"""``crossdeck chains``: every delegation chain as a tree, with completion (computed: done, or
every delegated child complete), overdue terms and cycles."""

from __future__ import annotations

import argparse
import sys

from core.analysis.delegation import (
    ChainNode,
    DelegationChains,
    blocked_text,
    delegated_keys,
    delegation_chains,
    flat_chains,
)
from core.analysis.neighbourhood import Glyphs, glyphs_for, node_text, tree_lines
from core.commands.common import add_common, cached_remote_status, reads
from core.commands.output import EXIT_UNUSABLE, emit_json, exit_code, report_diagnostics
from core.commands.show import terms_text
from core.federation import Federation
from core.sources.limits import UNIT_RECORDS
from core.text import one_line
from core.timeutil import today


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("chains", help="delegation chains: completion, overdue terms, cycles")
    add_common(parser)
    # those its walks read (core.working_set), read from the cache one workspace at a time
    reads(parser, later=UNIT_RECORDS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    if not fed.workspaces:
        report_diagnostics(fed.diagnostics, verbose=args.verbose)
        sys.stderr.write("no workspace could be loaded below: " + one_line(", ".join(fed.roots)) + "\n")
        return EXIT_UNUSABLE
    from core.working_set import walk_kept

    day = today()
    result = walk_kept(fed, "chains", lambda graph: delegation_chains(graph, day), cached_remote_status(),
                       delegated_keys)
    if args.json:
        emit_json(flat_chains(result))  # flat: a JSON encoder recurses once per level of a tree
    else:
        sys.stdout.write("\n".join(chains_text(result, glyphs_for(sys.stdout.encoding))) + "\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    return exit_code(fed)


def chains_text(result: DelegationChains, glyphs: Glyphs) -> list[str]:
    chains, delegations, overdue, cycles = result.totals.summary()
    lines = [f"{chains}; {delegations}, {overdue}; {cycles} (today {result.today}; "
             + f"{glyphs.complete} complete, {glyphs.overdue} overdue)"]
    for chain in result.chains:
        lines.append("")
        lines += tree_lines(chain, lambda node: node.children, lambda node: _line(node, glyphs), glyphs)
    for cycle in result.cycles:
        lines.append("cycle: " + one_line(" -> ".join(cycle + cycle[:1])))
    return lines


def _line(node: ChainNode, glyphs: Glyphs) -> str:
    mark = glyphs.overdue if node.overdue else glyphs.complete if node.complete else " "
    text = f"{mark} {node_text(node)}"
    if node.stub and node.workspace:
        text += f" (in {one_line(node.workspace)})"
    terms = terms_text(node)
    if terms:
        text += f"  {{{terms}}}"
    if node.blocked_by:
        text += f"  ({blocked_text(node.blocked_by)})"
    if node.cycle:
        text += "  (cycle: delegated back to an item above)"
    elif node.repeated:
        text += "  (shown above)"
    return text
