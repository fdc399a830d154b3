"""``crossdeck blockers REF``: the open items that hold REF up, across workspaces, with the path
to each; unresolved references and cycles. Exit 0 whether it is blocked or not."""

from __future__ import annotations

import argparse
import sys

from core.analysis.blocking import BlockerReport, Step, StepTree, blockers, step_reading, step_state, walked_blockers
from core.analysis.neighbourhood import Glyphs, glyphs_for
from core.commands.common import add_as_of, add_common, cached_remote_status, reads
from core.commands.output import EXIT_UNUSABLE, respond
from core.commands.show import add_ref_argument, open_ref
from core.federation import Federation
from core.model import status_text
from core.sources.limits import UNIT_RECORDS
from core.text import one_line


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("blockers", help="the open items blocking REF, with the path to each")
    add_ref_argument(parser)
    add_common(parser)
    reads(parser, later=UNIT_RECORDS)  # of the workspaces the walk reaches
    add_as_of(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    """REF given as the key of an item walks the workspaces the walk reaches; any other REF (a
    short id, a title) is looked up in the whole graph."""
    from core.graph_reach import walk_near, whole

    near = walk_near(fed, args.ref.strip(), walked_blockers, lambda walked: walked[1], cached_remote_status())
    if near is not None:
        return respond(args, fed, near[0], _text)
    opened = open_ref(args, whole(fed), walks_only=True)
    if opened is None:
        return EXIT_UNUSABLE
    return respond(args, fed, blockers(*opened), _text)


def _text(report: BlockerReport) -> list[str]:
    return blockers_text(report, glyphs_for(sys.stdout.encoding))


def blockers_text(report: BlockerReport, glyphs: Glyphs) -> list[str]:
    """Each blocker once, then the paths as one tree (each item under the one it is reached
    from): lines in proportion to the items, however deep the chain (``tree_lines`` caps the
    indentation)."""
    head = report.key if report.label == report.key else f"{report.key}: {report.label}"
    state = status_text(report.status) if report.kind is not None else "not a work unit"
    lines = [one_line(f"{head} [{state}]")]
    if report.is_done:
        lines.append("done: nothing blocks it")
        return lines
    tree = StepTree(report)
    found, stuck, listed = report.groups()
    if found:
        lines.append(f"blocked by {len(found)} open item{'s' if len(found) != 1 else ''}:")
        lines += [f"  {_item_text(tree.by_key[key])}" for key in found]
    else:
        lines.append("not blocked by any open item")
    if stuck:
        lines.append(f"unresolved (status unknown, not counted): {len(stuck)}")
        lines += [f"  {_item_text(step)}" for step in report.unresolved]
    if listed:
        lines.append(f"no status (never a blocker, not counted): {len(listed)}")
        lines += [f"  {_item_text(step)}" for step in report.not_blocking]
    if report.steps:
        lines.append("paths:")
        lines.append("  " + one_line(report.key))
        lines += [f"  {prefix}{_hop_text(step)}" for prefix, step in tree.drawn(glyphs)]
    if report.cycles:
        lines.append(f"cycles: {len(report.cycles)}")
        lines += ["  " + one_line(" -> ".join(cycle + cycle[:1])) for cycle in report.cycles]
    return lines


def _item_text(step: Step) -> str:
    """``KEY [state] (in WS): title`` for one blocker."""
    text = f"{step.key} [{step_state(step)}]"
    if step.workspace and step.cross:
        text += f" (in {step.workspace})"
    if step.label != step.key:
        text += f": {step.label}"
    return one_line(text)


def _hop_text(step: Step) -> str:
    """``depends on KEY (in WS)``: one step of a path, read from the item above it."""
    hop = f"{step_reading(step)} {step.key}"
    if step.cross and step.workspace:
        hop += f" (in {step.workspace})"
    return one_line(hop)
