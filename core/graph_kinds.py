"""The kinds of node and edge in the federation graph, and which edges block."""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator

from core.model import Relationship, Workspace, WorkspaceKind
from core.uri import workspace_of


class NodeKind(str, enum.Enum):
    ENTITY = "entity"
    TOWN = "town"
    RIG = "rig"
    REALM = "realm"
    DOMAIN = "domain"
    CONTRACT = "contract"
    IMPORT = "import"
    SUDOCODE_REPO = "sudocode-repo"
    BEADS_FOLDER = "beads-folder"
    REMOTE = "remote"
    WORK_UNIT = "work-unit"
    STUB = "stub"  # a reference to something not loaded


class StubKind(str, enum.Enum):
    REMOTE = "remote"  # a workspace we know of (a configured remote) but did not load
    MISSING = "missing"  # nothing known
    NOT_LOADED = "not-loaded"  # in a loaded workspace's .beads folder that could not be read (its server down)


class EdgeKind(str, enum.Enum):
    # structure
    EMPLOYMENT = "employment"  # entity -> organisation
    MEMBERSHIP = "membership"  # rig -> town, town -> entity, domain -> realm, item -> its container
    REMOTE = "remote"  # workspace -> a remote it federates with (edge carries trust)
    DELEGATION = "delegation"  # parent work -> child work (edge carries terms)
    IMPORTS = "imports"  # import -> the contract (export) it uses
    # work-unit relationships, one per type the formats use
    BLOCKS = "blocks"
    CONDITIONAL_BLOCKS = "conditional-blocks"
    WAITS_FOR = "waits-for"
    DEPENDS_ON = "depends-on"
    PARENT_CHILD = "parent-child"  # child -> parent
    RELATED = "related"
    RELATES_TO = "relates-to"
    DISCOVERED_FROM = "discovered-from"
    REPLIES_TO = "replies-to"
    DUPLICATES = "duplicates"
    SUPERSEDES = "supersedes"
    TRACKS = "tracks"
    DELEGATED_FROM = "delegated-from"
    IMPLEMENTS = "implements"
    REFERENCES = "references"
    OTHER = "other"  # a type we do not know: kept as a plain, never-blocking edge (raw type on the edge)


BLOCKING = frozenset({EdgeKind.BLOCKS, EdgeKind.CONDITIONAL_BLOCKS, EdgeKind.WAITS_FOR, EdgeKind.DEPENDS_ON})

_ALIASES = {"depends_on": EdgeKind.DEPENDS_ON, "depends-on": EdgeKind.DEPENDS_ON}


@functools.lru_cache(maxsize=256)  # a few dozen distinct types
def relationship_kind(raw_type: str) -> EdgeKind:
    """The edge kind of a relationship type as written (``depends_on`` and ``depends-on`` alike)."""
    kind = _ALIASES.get(raw_type)
    if kind is not None:
        return kind
    try:
        kind = EdgeKind(raw_type)
    except ValueError:
        return EdgeKind.OTHER
    return kind if kind not in _STRUCTURAL else EdgeKind.OTHER


_STRUCTURAL = frozenset({EdgeKind.EMPLOYMENT, EdgeKind.MEMBERSHIP, EdgeKind.REMOTE, EdgeKind.DELEGATION,
                         EdgeKind.IMPORTS, EdgeKind.OTHER})


def relationship_ends(rel: Relationship, sudocode: bool) -> tuple[str, str, EdgeKind] | None:
    """(source, target, kind) of the graph edge a relationship of a workspace stands for
    (``sudocode``: of a sudocode repo); None for one that stands for no edge: a
    ``delegated-from`` (its delegation edge stands for it) or one without a source key. Every
    dependency edge runs from the dependent item: a sudocode ``blocks`` (A blocks B, stored from
    A) becomes B -> A."""
    kind = relationship_kind(rel.type)
    if kind is EdgeKind.DELEGATED_FROM or rel.from_key is None:
        return None
    if kind is EdgeKind.BLOCKS and sudocode:
        return rel.to_key or rel.to_ref, rel.from_key, kind
    return rel.from_key, rel.to_key or rel.to_ref, kind


def edges_from(ws: Workspace) -> list[str]:
    """The other workspaces whose items have relationship edges going out of them stored in
    ``ws`` (a sudocode ``blocks`` into them): a walk along relationships (``blockers``) out of an
    item of one of those must read ``ws`` too (``core.graph_reach``). Delegation edges are not
    counted: such a walk does not follow them."""
    sudocode = ws.kind is WorkspaceKind.SUDOCODE
    own = ws.item_prefix()
    names: set[str] = set()
    for rel in ws.relationships:
        if (rel.from_key or "").startswith(own) and not sudocode:
            continue  # the common case, decided without looking further
        ends = relationship_ends(rel, sudocode)
        if ends is not None and not ends[0].startswith(own):
            name = workspace_of(ends[0])
            if name is not None and name != ws.name:
                names.add(name)
    return sorted(names)


def unit_edges(ws: Workspace) -> Iterator[tuple[str, str]]:
    """(source, target) of each edge between items that a work unit's own fields stand for, not
    a relationship: a sudocode item's ``parent_id`` (child -> parent, ``parent-child``)."""
    if ws.kind is WorkspaceKind.SUDOCODE:
        name = ws.name
        for unit in ws.work_units:
            if unit.parent_id:
                yield unit.key, f"{name}#{unit.parent_id}"
