"""``crossdeck graph REF``: the graph around an item, as Mermaid, Graphviz dot or a text tree;
``--json`` gives its nodes and edges."""

from __future__ import annotations

import argparse
import sys

from core.analysis.neighbourhood import (
    DEFAULT_DEPTH, DEFAULT_LIMIT, glyphs_for, neighbourhood, to_dot, to_mermaid, to_text,
)
from core.commands.common import add_common
from core.commands.output import EXIT_UNUSABLE, emit_json, report_diagnostics
from core.commands.show import add_ref_argument, open_ref
from core.commands.output import exit_code
from core.federation import Federation

FORMATS = ("mermaid", "dot", "text")


def _count(minimum: int) -> type[int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more: {value}")
        return value

    return parse  # type: ignore[return-value]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("graph", help="the graph around REF as mermaid, dot or a text tree")
    add_ref_argument(parser)
    parser.add_argument("--depth", type=_count(0), default=DEFAULT_DEPTH, metavar="N",
                        help=f"hops from REF, either direction (default {DEFAULT_DEPTH})")
    parser.add_argument("--limit", type=_count(1), default=DEFAULT_LIMIT, metavar="N",
                        help=f"at most this many nodes (default {DEFAULT_LIMIT})")
    parser.add_argument("--format", choices=FORMATS, default="mermaid", help="diagram format (default mermaid)")
    add_common(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    opened = open_ref(args, fed)
    if opened is None:
        return EXIT_UNUSABLE
    graph, key = opened
    hood = neighbourhood(graph, key, depth=args.depth, limit=args.limit)
    if args.json:
        emit_json(hood)
    elif args.format == "dot":
        sys.stdout.write(to_dot(hood))
    elif args.format == "text":
        sys.stdout.write(to_text(hood, glyphs_for(sys.stdout.encoding)))
    else:
        sys.stdout.write(to_mermaid(hood))
    if hood.truncated:
        sys.stderr.write(f"stopped at {hood.limit} nodes (--limit raises it)\n")
    report_diagnostics(fed.diagnostics, verbose=args.verbose)
    return exit_code(fed)
