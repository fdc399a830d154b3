"""The kinds of node and edge in the federation graph, and which edges block."""

from __future__ import annotations

import enum


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
