"""The graph around one item: every node within N hops (either direction), and the edges
between them, exportable as Mermaid, Graphviz dot or a plain-text tree.

Membership edges (item -> rig -> town) are left out: through them every item of a rig is two
hops from every other. The walk is breadth-first with neighbours in key order, so the same graph
always gives the same picture; it stops adding nodes at ``limit`` and says so (``truncated``).
Labels and keys are untrusted text: each export escapes them for its own syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import msgspec

from core.graph_kinds import BLOCKING, EdgeKind, NodeKind
from core.model import WorkUnit, status_text
from core.text import one_line

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_DEPTH = 1
DEFAULT_LIMIT = 200
SKIPPED = frozenset({EdgeKind.MEMBERSHIP.value})
_BLOCKING = frozenset(k.value for k in BLOCKING)


class NodeInfo(msgspec.Struct, kw_only=True):
    """What a picture of the graph says about one node."""

    key: str
    label: str
    kind: str
    workspace: str | None
    status: str | None  # a work unit's status
    stub: str | None = None  # remote | missing, for a node that is not loaded
    cache_status: str | None = None


class NeighbourNode(NodeInfo, kw_only=True):
    depth: int  # hops from the centre
    reached_from: str | None = None  # the node the walk reached it from (None for the centre)
    via: str | None = None  # the kind of the edge it was reached by
    outgoing: bool | None = None  # that edge runs from ``reached_from`` to this node


class NeighbourEdge(msgspec.Struct, kw_only=True):
    source: str
    target: str
    kind: str
    raw_type: str
    blocking: bool
    cross: bool


class Neighbourhood(msgspec.Struct, kw_only=True):
    center: str
    depth: int
    limit: int
    truncated: bool  # some node within ``depth`` was left out to keep to ``limit``
    nodes: list[NeighbourNode]  # by depth, then key; the centre first
    edges: list[NeighbourEdge]  # by source, target, kind


def neighbourhood(graph: nx.MultiDiGraph, key: str, depth: int = DEFAULT_DEPTH, limit: int = DEFAULT_LIMIT,
                  skip: Collection[str] = SKIPPED) -> Neighbourhood:
    """The nodes within ``depth`` hops of ``key`` (at most ``limit`` of them) and their edges."""
    succ, pred, nodes = graph._succ, graph._pred, graph._node
    depth_of = {key: 0}
    tree: dict[str, tuple[str, str, bool]] = {}
    frontier = [key]
    truncated = False
    for level in range(1, max(depth, 0) + 1):
        reached: list[str] = []
        for node in frontier:
            for other, kind, outgoing in _neighbours(succ[node], pred[node], skip):
                if other in depth_of:
                    continue
                if len(depth_of) >= limit:
                    truncated = True
                    break
                depth_of[other] = level
                tree[other] = (node, kind, outgoing)
                reached.append(other)
        frontier = reached
    edges = [
        NeighbourEdge(source=u, target=v, kind=k, raw_type=str(a.get("raw_type", k)), blocking=k in _BLOCKING,
                      cross=bool(a.get("cross", nodes[u].get("workspace") != nodes[v].get("workspace"))))
        for u in depth_of for v in succ[u] if v in depth_of
        for k, a in succ[u][v].items() if k not in skip
    ]
    edges.sort(key=lambda e: (e.source, e.target, e.kind))
    order = sorted(depth_of, key=lambda k: (depth_of[k], k))
    return Neighbourhood(center=key, depth=depth, limit=limit, truncated=truncated,
                         nodes=[_neighbour(graph, k, depth_of[k], tree.get(k)) for k in order], edges=edges)


def _neighbours(out: Mapping[str, Mapping[str, Any]], into: Mapping[str, Mapping[str, Any]],
                skip: Collection[str]) -> list[tuple[str, str, bool]]:
    """(node, edge kind, outgoing) for each neighbour by a kept edge, in key order (out first)."""
    found: dict[str, tuple[str, str, bool]] = {}
    for adjacency, outgoing in ((out, True), (into, False)):
        for other, edges in adjacency.items():
            kind = min((k for k in edges if k not in skip), default=None)
            if kind is not None and other not in found:
                found[other] = (other, kind, outgoing)
    return [found[k] for k in sorted(found)]


def node_info(graph: nx.MultiDiGraph, key: str) -> NodeInfo:
    return NodeInfo(**info_fields(graph, key))


def info_fields(graph: nx.MultiDiGraph, key: str) -> dict[str, Any]:
    """The ``NodeInfo`` fields of ``key``, for structs that extend it."""
    attrs = graph._node[key]
    record = attrs.get("record")
    kind = attrs.get("kind")
    stub = attrs.get("stub")
    return {"key": key, "label": str(attrs.get("label", key)), "kind": getattr(kind, "value", str(kind)),
            "workspace": attrs.get("workspace"), "status": record.status if isinstance(record, WorkUnit) else None,
            "stub": getattr(stub, "value", stub), "cache_status": attrs.get("cache_status")}


def _neighbour(graph: nx.MultiDiGraph, key: str, depth: int,
               reached: tuple[str, str, bool] | None) -> NeighbourNode:
    reached_from, via, outgoing = reached if reached is not None else (None, None, None)
    return NeighbourNode(**info_fields(graph, key), depth=depth, reached_from=reached_from,
                         via=via, outgoing=outgoing)


def node_text(node: NodeInfo) -> str:
    """``key: title [status]`` (``[-]`` for a work unit with no status, a sudocode spec; a stub:
    ``key [remote stub, cached: stale]``), on one line."""
    text = node.key if node.label == node.key else f"{node.key}: {node.label}"
    if node.status is not None or node.kind == NodeKind.WORK_UNIT.value:
        text += f" [{status_text(node.status)}]"
    elif node.stub:
        text += f" [{node.stub} stub" + (f", cached: {node.cache_status}]" if node.cache_status else "]")
    return one_line(text)


# -- Mermaid ----------------------------------------------------------------------------------

_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 _./:@,+=*!?'-]")


def mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: every character outside a small safe set as ``#NNN;``."""
    return "".join(ch if _MERMAID_SAFE.fullmatch(ch) else f"#{ord(ch)};" for ch in one_line(text))


def to_mermaid(hood: Neighbourhood) -> str:
    ids = {node.key: f"n{i}" for i, node in enumerate(hood.nodes)}
    lines = ["graph LR"]
    for node in hood.nodes:
        lines.append(f'  {ids[node.key]}["{mermaid_text(node_text(node))}"]')
    for edge in hood.edges:
        arrow = "==>" if edge.blocking else "-.->" if edge.kind == EdgeKind.DELEGATION.value else "-->"
        lines.append(f'  {ids[edge.source]} {arrow}|"{mermaid_text(_edge_label(edge))}"| {ids[edge.target]}')
    lines += ["  classDef center stroke-width:3px", "  classDef stub stroke-dasharray: 5 5",
              "  classDef done opacity:0.6", f"  class {ids[hood.center]} center"]
    for name, members in (("stub", [n for n in hood.nodes if n.stub]),
                          ("done", [n for n in hood.nodes if n.status in ("closed", "tombstone")])):
        if members:
            lines.append(f"  class {','.join(ids[n.key] for n in members)} {name}")
    return "\n".join(lines) + "\n"


def _edge_label(edge: NeighbourEdge) -> str:
    return edge.raw_type if edge.kind == EdgeKind.OTHER.value else edge.kind


# -- Graphviz dot -----------------------------------------------------------------------------

def dot_text(text: str) -> str:
    """Text for a double-quoted dot string: backslashes and quotes escaped, one line."""
    return one_line(text).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(hood: Neighbourhood) -> str:
    lines = ["digraph neighbourhood {", "  rankdir=LR;", "  node [shape=box];"]
    for node in hood.nodes:
        style = ["bold"] if node.key == hood.center else []
        style += ["dashed"] if node.stub else []
        extra = f', style="{",".join(style)}"' if style else ""
        lines.append(f'  "{dot_text(node.key)}" [label="{dot_text(node_text(node))}"{extra}];')
    for edge in hood.edges:
        style = ', style="bold"' if edge.blocking else ', style="dashed"' if edge.kind == "delegation" else ""
        lines.append(f'  "{dot_text(edge.source)}" -> "{dot_text(edge.target)}" '
                     f'[label="{dot_text(_edge_label(edge))}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- plain-text trees -------------------------------------------------------------------------

class Glyphs(NamedTuple):
    branch: str
    last: str
    pipe: str
    blank: str
    complete: str
    overdue: str


UNICODE = Glyphs("├── ", "└── ", "│   ", "    ", "✓", "!")
ASCII = Glyphs("|-- ", "`-- ", "|   ", "    ", "+", "!")


def glyphs_for(encoding: str | None) -> Glyphs:
    """Box-drawing glyphs where the output encoding can write them, else ASCII."""
    try:
        "".join(UNICODE).encode(encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return ASCII
    return UNICODE


T = TypeVar("T")

# Text trees indent each level by four columns down to this level; a line deeper than that keeps
# this level's indentation and starts with its level, ``[level 17]``: a chain N deep prints N lines
# of bounded width, not N lines growing to N * 4 columns.
INDENT_LEVELS = 16


def tree_walk(root: T, children: Callable[[T], Sequence[T]], glyphs: Glyphs,
              indent_levels: int = INDENT_LEVELS) -> Iterator[tuple[str, T]]:
    """(prefix, node) for ``root`` (prefix ``""``) and each of its descendants, depth first, the
    prefix being the connectors that draw the tree (no recursion; indentation capped at
    ``indent_levels``, deeper lines marked with their level)."""
    yield "", root
    stack: list[tuple[T, str, int, bool]] = [(c, "", 1, i == 0) for i, c in enumerate(reversed(children(root)))]
    while stack:
        node, indent, level, last = stack.pop()
        deep = f"[level {level}] " if level > indent_levels else ""
        yield indent + deep + (glyphs.last if last else glyphs.branch), node
        below = children(node)
        if below:
            inner = indent + (glyphs.blank if last else glyphs.pipe) if level < indent_levels else indent
            stack.extend((c, inner, level + 1, i == 0) for i, c in enumerate(reversed(below)))


def tree_lines(root: T, children: Callable[[T], Sequence[T]], line: Callable[[T], str],
               glyphs: Glyphs, indent_levels: int = INDENT_LEVELS) -> Iterable[str]:
    """A tree as text lines: ``root`` then its descendants with connectors (``tree_walk``)."""
    for prefix, node in tree_walk(root, children, glyphs, indent_levels):
        yield prefix + line(node)


def to_text(hood: Neighbourhood, glyphs: Glyphs = UNICODE) -> str:
    """The neighbourhood as the tree of the walk: each node under the node it was reached from,
    with the edge (``-> blocks`` out of the parent, ``<- blocks`` into it)."""
    by_key = {node.key: node for node in hood.nodes}
    kids: dict[str, list[str]] = {}
    for node in hood.nodes:
        if node.reached_from is not None:
            kids.setdefault(node.reached_from, []).append(node.key)

    def line(key: str) -> str:
        node = by_key[key]
        if node.reached_from is None:
            return node_text(node)
        return f"{'->' if node.outgoing else '<-'} {one_line(node.via or '')} {node_text(node)}"

    out = list(tree_lines(hood.center, lambda k: kids.get(k, []), line, glyphs))
    if hood.truncated:
        out.append(f"... (stopped at {hood.limit} nodes)")
    return "\n".join(out) + "\n"
