"""``crossdeck blockers REF``: the open items that hold REF up, across workspaces, with the path
to each; unresolved references and cycles. Exit 0 whether it is blocked or not."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core.analysis.blocking import BlockerReport, Step, blockers, longest_paths, step_state
from core.commands.common import add_common
from core.commands.output import EXIT_UNUSABLE, respond
from core.commands.show import add_ref_argument, open_ref
from core.federation import Federation
from core.model import status_text
from core.text import one_line


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("blockers", help="the open items blocking REF, with the path to each")
    add_ref_argument(parser)
    add_common(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, fed: Federation) -> int:
    opened = open_ref(args, fed)
    if opened is None:
        return EXIT_UNUSABLE
    return respond(args, fed, blockers(*opened), _text)


def _text(report: BlockerReport) -> list[str]:
    head = report.key if report.label == report.key else f"{report.key}: {report.label}"
    state = status_text(report.status) if report.kind is not None else "not a work unit"
    lines = [one_line(f"{head} [{state}]")]
    if report.is_done:
        lines.append("done: nothing blocks it")
        return lines
    found, stuck, listed = report.path_groups()
    if found:
        lines.append(f"blocked by {len(found)} open item{'s' if len(found) != 1 else ''}:")
        lines += [f"  {_item_text(path[-1])}" for path in found]
    else:
        lines.append("not blocked by any open item")
    if stuck:
        lines.append(f"unresolved (status unknown, not counted): {len(stuck)}")
        lines += [f"  {_item_text(path[-1])}" for path in stuck]
    if listed:
        lines.append(f"no status (never a blocker, not counted): {len(listed)}")
        lines += [f"  {_item_text(path[-1])}" for path in listed]
    if found or stuck or listed:
        lines.append("paths:")
        lines += [f"  {_path_text(path)}" for path in longest_paths(found + stuck + listed)]
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


def _path_text(path: Sequence[Step]) -> str:
    """``blocks KEY -> depends-on KEY (in WS)`` for one path, on one line."""
    hops = []
    for step in path:
        hop = f"{step.edge} {step.key}"
        if step.cross and step.workspace:
            hop += f" (in {step.workspace})"
        hops.append(hop)
    return one_line(" -> ".join(hops))
