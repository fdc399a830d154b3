"""What the Delegation chains pane says about a ``ChainNode``: its one-line label (with the
completion mark), the headline, and the detail of the highlighted node.

Only presentation: completion, overdue terms and cycles come from ``core.analysis.delegation``.
Every string from a workspace goes through ``one_line`` and is drawn as text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.analysis.delegation import ChainNode, DelegationChains, blocked_text
from core.model import status_text
from core.text import one_line
from tui.widgets.master_detail import DetailText

COMPLETE, OPEN, OVERDUE = "complete", "open", "overdue"
_SCHEMES = ("hop://", "realm://", "beads://local/", "beads://")


@dataclass(frozen=True)
class ChainEntry:
    """One node of the tree: the chain node, the key of the node above it, its level, its label."""

    node: ChainNode
    parent: str | None  # the key of the node it is under (its delegating parent); None for a root
    level: int  # 0 for a chain's root
    text: str
    mark: str  # complete | open | overdue
    mark_len: int  # the label's first ``mark_len`` characters are the mark
    matched: bool = True  # False: shown only as the ancestor of a node the filter matches

    @property
    def ident(self) -> tuple[str | None, str]:
        """Which node of the forest this is: a key is expanded once in the trees, so (the key
        above, its own key) names one node, and stays the same across reloads."""
        return self.parent, self.node.key


@dataclass(frozen=True)
class Placeholder:
    """A line standing for what is not built: the next children of ``owner`` (``more``: ``owner``
    None for the chains themselves), or the levels below ``owner`` (``deeper``)."""

    kind: str  # more | deeper
    owner: ChainEntry | None
    start: int  # more: the index of the first child not shown yet
    text: str  # what it stands for and what Enter does (the detail says it)


def short_workspace(name: str | None) -> str:
    """``hop://globex.io/payments`` -> ``payments``; ``acme-dev/api-service`` -> ``api-service``."""
    if not name:
        return "?"
    bare = name
    for scheme in _SCHEMES:
        if bare.startswith(scheme):
            bare = bare[len(scheme):]
            break
    return bare.rstrip("/").rsplit("/", 1)[-1] or name


def mark_of(node: ChainNode) -> tuple[str, str]:
    """(kind, text): ``! OVERDUE (due D)``, ``✓``, or ``✗``."""
    if node.overdue:
        return OVERDUE, f"! OVERDUE (due {one_line(str(node.terms.get('deadline', '?')))})"
    return (COMPLETE, "✓") if node.complete else (OPEN, "✗")


def label_text(node: ChainNode) -> tuple[str, str, int]:
    """(label, mark kind, mark length) for ``node``, on one line."""
    kind, mark = mark_of(node)
    parts = [f"{mark} " + (node.key if node.label == node.key else f"{node.key}: {node.label}")]
    if node.stub:
        parts.append(f"(not loaded: {node.stub} stub, cache {node.cache_status or 'empty'})")
    else:
        parts.append(f"[{status_text(node.status)}]")
    parts.append(short_workspace(node.workspace))
    terms = []
    if "portion" in node.terms:
        terms.append(f"portion: {node.terms['portion']}")
    if "deadline" in node.terms and not node.overdue:
        terms.append(f"due {node.terms['deadline']}")
    if terms:
        parts.append("{" + ", ".join(str(t) for t in terms) + "}")
    if node.delegated_to:
        parts.append(f"→ {node.delegated_to}")
    if node.blocked_by:
        parts.append(f"({blocked_text(node.blocked_by)})")
    if node.cycle:
        parts.append("(cycle: delegated back to an item above)")
    elif node.repeated:
        parts.append("(shown above)")
    return one_line("  ".join(str(p) for p in parts)), kind, len(one_line(mark))


def entry(node: ChainNode, parent: str | None, level: int, matched: bool = True,
          label: tuple[str, str, int] | None = None) -> ChainEntry:
    text, kind, length = label or label_text(node)
    return ChainEntry(node=node, parent=parent, level=level, text=text, mark=kind, mark_len=length, matched=matched)


def headline(result: DelegationChains) -> str:
    """What the chains count, in the words of ``crossdeck chains`` (``ChainTotals.summary``); "0
    cycles" left out, so the line fits 120 columns (the line below it lists any cycles)."""
    counts = result.totals.summary()
    if not result.cycles:
        counts = counts[:-1]
    return " · ".join(counts) + f" (today {result.today}; ✓ complete, ✗ open, ! overdue)"


def cycles_text(result: DelegationChains) -> str:
    return "; ".join(" -> ".join(cycle + cycle[:1]) for cycle in result.cycles)


DETAIL_CHILDREN = 50  # delegated children the detail names; the tree has them all
_MARK_STYLE = {COMPLETE: "bold $success", OPEN: "$foreground-muted", OVERDUE: "bold $error"}
_TERM_NAMES = {"portion": "portion", "deadline": "deadline", "acceptance_criteria": "acceptance",
               "credit_share": "credit share"}


def detail(item: ChainEntry) -> DetailText:
    node = item.node
    kind, mark = mark_of(node)
    out = DetailText().title(node.key, node.label if node.label != node.key else "")
    state = {COMPLETE: "complete" + (" (done itself)" if node.done else " (every delegated child is complete)"),
             OPEN: "open", OVERDUE: "past its deadline and not complete"}[kind]
    out.line((mark, _MARK_STYLE[kind]), f"  {state}", indent=2)
    if node.blocked_by:
        out.field("blocked by", ", ".join(node.blocked_by), "bold $warning")
        out.line(("not closed by the close cascade while these are open", "$foreground-muted"), indent=2)
    if node.stub:
        out.field("not loaded", f"{node.stub} stub; cache {node.cache_status or 'empty'}", "$warning")
    else:
        out.field("status", status_text(node.status))
    out.field("workspace", node.workspace or "?")
    if item.parent is not None:
        out.section(f"Delegation from {item.parent}")
        for name, value in node.terms.items():
            out.field(_TERM_NAMES.get(name, name), str(value), "bold $error" if name == "deadline" and node.overdue
                      else "")
        out.field("delegated by", node.delegated_by or "-")
        out.field("delegated to", node.delegated_to or "-")
        if node.forms:
            out.field("stated in", ", ".join(node.forms))
    else:
        out.section("Root of its chain")
    if node.children:
        done = sum(child.complete for child in node.children)
        out.section(f"Delegated: {len(node.children)} ({done} complete)")
        for child in node.children[:DETAIL_CHILDREN]:
            child_kind, child_mark = mark_of(child)
            out.line((child_mark, _MARK_STYLE[child_kind]), " ", child.key, indent=2)
        if len(node.children) > DETAIL_CHILDREN:
            out.line((f"... and {len(node.children) - DETAIL_CHILDREN} more (in the tree)", "$foreground-muted"),
                     indent=2)
    if node.cycle:
        out.line(("cycle: this item is delegated back to an item above it; not expanded again", "bold $error"),
                 indent=2)
    elif node.repeated:
        out.line(("shown in full earlier in the tree (it has another parent)", "$foreground-muted"), indent=2)
    out.line(("Enter opens it in the Explorer", "$foreground-muted italic"))
    return out


def placeholder_detail(item: Placeholder) -> DetailText:
    """What a "more" or "deeper" line stands for, and what Enter does there."""
    out = DetailText()
    if item.kind == "more":
        out.title("more delegations", f"after the first {item.start}")
    else:
        out.title("deeper levels", f"below {item.owner.node.key}" if item.owner is not None else "")
    out.line((item.text, "$foreground-muted italic"), indent=2)
    return out
