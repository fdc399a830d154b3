"""The text of each section of the Explorer's detail pane, from ``core.analysis.item.describe``.

Every string from a workspace goes through ``literal`` / ``literal_block``: shown, never parsed.
Styles here are text attributes only (bold, dim, italic); colours come from the stylesheet.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from rich.text import Text

from core.analysis.blocking import BlockerReport, Step, StepTree, step_reading, step_state
from core.analysis.delegation import ChainItem, DelegationPosition, blocked_text
from core.analysis.item import Relation, blocked_across, item_fields, source_of
from core.analysis.neighbourhood import UNICODE, NodeInfo, node_text
from core.model import status_text
from tui.safe import literal, literal_block, shorten_path

NAME_WIDTH = 14


def _lines(lines: Sequence[Text]) -> Text:
    return Text("\n").join(lines) if lines else Text("none", style="dim italic")


def unwrapped(text: Text) -> Text:
    """``text`` drawn line by line, never wrapped (trees and paths keep their shape; the pane
    scrolls sideways instead)."""
    text.no_wrap = True
    text.overflow = "ignore"
    return text


def title(node: NodeInfo) -> Text:
    text = literal(node.key, "bold")
    if node.label != node.key:
        text.append_text(literal(f"  {node.label}"))
    return text


def stub_notice(node: NodeInfo) -> Text | None:
    """What is known of a node that is not loaded; None for a loaded one."""
    if not node.stub:
        return None
    known = f"cached status {node.cache_status}" if node.cache_status else "status unknown"
    where = f" in {node.workspace}" if node.workspace else ""
    return literal(f"not loaded: a {node.stub} stub{where} ({known})", "italic")


def fields(detail: dict[str, Any], roots: list[str]) -> Text:
    node: NodeInfo = detail["node"]
    record = detail["record"]
    lines = []
    shown = [(n, v) for n, v in item_fields(node, record) if n not in ("title", "id")]  # they head the pane
    width = max([NAME_WIDTH, *(len(n) + 1 for n, _ in shown)])
    for name, value in shown:
        if value.startswith("/"):
            value = shorten_path(value, roots)
        line = Text(f"{name:<{width}} ", style="dim")
        line.append_text(literal(value, "bold" if name == "status" else ""))
        lines.append(line)
    where = source_of(record)
    if where is not None:
        path, line_no = where
        line = Text(f"{'source':<{width}} ", style="dim")
        line.append_text(literal(shorten_path(path, roots) + (f":{line_no}" if line_no else "")))
        lines.append(line)
    return _lines(lines)


def description(detail: dict[str, Any]) -> Text | None:
    record = detail["record"] or {}
    text = record.get("description")
    return literal_block(text) if isinstance(text, str) and text.strip() else None


def relations(rows: list[Relation], outgoing: bool, total: int | None = None) -> Text:
    lines = []
    width = max((len(rel.label) for rel in rows), default=0)
    for rel in rows:
        line = Text("→ " if outgoing else "← ")
        line.append_text(literal(f"{rel.label:<{width}}  ", "bold" if rel.blocking else ""))
        line.append_text(literal(node_text(rel.peer)))
        if rel.cross and rel.peer.workspace:
            line.append_text(literal(f"  (in {rel.peer.workspace})", "italic"))
        if rel.peer.stub:
            line.append("  ◇ stub", style="bold")
        lines.append(line)
    return _lines(lines + _more(len(rows), total))


SHOWN_STEPS = 200  # steps of the blocker paths drawn in the detail; `crossdeck blockers` has them all


def why_blocked(report: BlockerReport) -> Text:
    if report.is_done:
        return literal(f"done ({report.status}): nothing blocks it")
    found, stuck, listed = report.groups()
    lines: list[Text] = []
    if report.is_blocked:
        across = blocked_across(report)
        head = f"blocked by {len(found)} open item{'s' if len(found) != 1 else ''}"
        if len(across) > 1:
            head += f" across {len(across)} workspaces:"
        lines.append(literal(head, "bold"))
        if len(across) > 1:
            lines.append(literal("  " + ", ".join(across)))
    else:
        lines.append(literal("not blocked by any open item" + (" it can see" if stuck else "")))
    if report.steps:
        lines.append(literal(f"paths from {report.key}", "italic"))
        for prefix, step in itertools.islice(StepTree(report).drawn(UNICODE), SHOWN_STEPS):
            lines.append(_step_line(step, prefix))
        if len(report.steps) > SHOWN_STEPS:
            lines.append(literal(f"... and {len(report.steps) - SHOWN_STEPS} more steps "
                                 f"(crossdeck blockers {report.key} lists them all)", "italic"))
    if stuck:
        lines.append(literal(f"{len(stuck)} unresolved (status unknown, not counted)", "italic"))
    if listed:
        lines.append(literal(f"{len(listed)} with no status (never a blocker, not counted)", "italic"))
    for cycle in report.cycles[:SHOWN_CYCLES]:
        lines.append(literal("cycle: " + " -> ".join(cycle[:SHOWN_STEPS] + cycle[:1]), "bold"))
    if len(report.cycles) > SHOWN_CYCLES:
        lines.append(literal(f"... and {len(report.cycles) - SHOWN_CYCLES} more cycles", "italic"))
    return Text("\n").join(lines)


SHOWN_CYCLES = 20


def _step_line(step: Step, prefix: str) -> Text:
    line = Text("  " + prefix)
    line.append_text(literal(f"{step_reading(step)} ", "dim"))
    line.append_text(literal(step.key, "italic" if step.unresolved or step.no_status else "bold"))
    line.append_text(literal(f" [{step_state(step)}]"))
    if step.cross and step.workspace:
        line.append_text(literal(f"  (in {step.workspace})", "italic"))
    return line


def delegation(position: DelegationPosition | None, totals: dict[str, int] | None = None) -> Text | None:
    """The item's delegations; ``totals`` (from ``describe`` with a limit): how many parents and
    children it has, when only the first were described."""
    if position is None:
        return None
    state = "complete" if position.complete else "not complete"
    state += f" ({blocked_text(position.blocked_by)})" if position.blocked_by else ""
    state += ", OVERDUE" if position.overdue else ""
    state += ", in a delegation cycle" if position.in_cycle else ""
    lines = [literal(state, "bold")]
    lines += [_link("from", node) for node in position.delegated_from]
    lines += _more(len(position.delegated_from), (totals or {}).get("delegated_from"))
    lines += [_link("to", node) for node in position.delegates_to]
    lines += _more(len(position.delegates_to), (totals or {}).get("delegates_to"))
    return Text("\n").join(lines)


def _more(shown: int, total: int | None) -> list[Text]:
    """``... and N more`` when ``total`` says some were left out, else nothing."""
    if total is None or total <= shown:
        return []
    return [literal(f"... and {total - shown} more (crossdeck show lists them all)", "italic")]


def _link(direction: str, node: ChainItem) -> Text:
    state = f"{node.stub} stub" if node.stub else status_text(node.status)
    state += ", complete" if node.complete else ""
    state += ", OVERDUE" if node.overdue else ""
    line = Text(f"{direction:<5} ", style="dim")
    line.append_text(literal(f"{node.key} [{state}]", "bold" if node.overdue else ""))
    terms = [f"{k}: {v}" for k, v in node.terms.items()]
    terms += [f"by {node.delegated_by}"] if node.delegated_by else []
    terms += [f"to {node.delegated_to}"] if node.delegated_to else []
    if terms:
        line.append_text(literal("  {" + ", ".join(terms) + "}", "italic"))
    return line


def dolt_history(found: Any) -> Text:
    """A bead's Dolt commits (``core.dolt.history.BeadHistory``), newest first, or why there are none."""
    if found.problem is not None:
        return literal(found.problem, "italic")
    if not found.commits:
        return literal(f"no commit of {found.database} on {found.server} changed it", "italic")
    lines = []
    for commit in found.commits:
        line = literal(f"{commit.time or '?'}  ", "dim")
        line.append_text(literal(f"{commit.author}  ", "bold"))
        line.append_text(literal(commit.message.strip().splitlines()[0] if commit.message.strip() else "(no message)"))
        what = commit.change + (": " + ", ".join(commit.fields) if commit.fields and commit.change != "added" else "")
        line.append_text(literal(f"  [{what}]  {commit.commit[:8]}", "italic"))
        lines.append(line)
    return Text("\n").join(lines)


def polecat_branches(found: Any) -> Text | None:
    """The open polecat branches whose rows touch the bead; None when history could not be read."""
    if found.problem is not None:
        return None
    lines = []
    for branch in found.branches:
        line = literal(branch.branch, "bold")
        line.append_text(literal(f"  polecat {branch.polecat}"))
        said = "  ".join(p for p in (branch.time, branch.committer, branch.message) if p)
        if said:
            line.append_text(literal(f"  ({said})", "italic"))
        lines.append(line)
    return _lines(lines)
