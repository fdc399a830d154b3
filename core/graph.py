"""One networkx graph of the whole federation.

Nodes are keyed by canonical URI (DESIGN "Keys") and carry ``kind`` (NodeKind), ``label``,
``workspace`` and the ``record`` they came from. Edges are keyed by their ``EdgeKind`` value and
carry ``kind``, ``blocking``, ``raw_type``, ``cross`` (ends in different workspaces) and the
``record`` they came from; delegation edges also carry ``terms``. Every dependency edge runs from
the dependent item to what it depends on (DESIGN "Edges, direction and blocking"): a sudocode
``blocks`` (A blocks B) becomes B -> A. A target that is not loaded becomes a stub node: ``remote``
when its workspace is a configured remote of a loaded workspace, else ``missing``.

The graph is built in two bulk calls with the cyclic GC paused (PERF-NOTES.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core.federation import Federation, gc_paused
from core.graph_kinds import BLOCKING, EdgeKind, NodeKind, StubKind, relationship_ends, unit_edges
from core.model import Delegation, Realm, Remote, Town, Workspace, WorkspaceKind
from core.not_loaded import NotLoaded
from core.sources.federation_records import remote_name
from core.uri import workspace_of

if TYPE_CHECKING:
    import networkx as nx

_WORKSPACE_NODE = {
    WorkspaceKind.TOWN: NodeKind.TOWN,
    WorkspaceKind.REALM: NodeKind.REALM,
    WorkspaceKind.SUDOCODE: NodeKind.SUDOCODE_REPO,
    WorkspaceKind.BEADS: NodeKind.BEADS_FOLDER,
}

_MEMBERSHIP_ATTRS = {"kind": EdgeKind.MEMBERSHIP, "blocking": False, "record": None, "raw_type": "membership"}

Node = tuple[str, dict[str, Any]]
Edge = tuple[str, str, str, dict[str, Any]]


def entity_key(entity: str) -> str:
    return f"hop://{entity}"


def remote_key(name: str) -> str:
    return f"remote://{name}"


def known_names(remote: Remote) -> set[str]:
    """The names the workspace behind ``remote`` is known by: the remote's, its URL's, and the
    workspace it says it serves."""
    names = {remote.name, remote_name(remote.url)}
    workspace = remote.extra.get("workspace")
    if isinstance(workspace, str):
        names.add(workspace)
    return names


class _Builder:
    def __init__(self, remote_status: Mapping[str, str], membership: bool = True):
        self.membership = membership  # the work units' membership edges (build_graph)
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[Edge] = []
        self.remote_status = remote_status
        self.known_remote_workspaces: set[str] = set()
        self.unread: NotLoaded | None = None  # keys of .beads folders that could not be read

    def node(self, key: str, kind: NodeKind, label: str, workspace: str | None, record: Any = None) -> None:
        self.nodes[key] = {"kind": kind, "label": label, "workspace": workspace, "record": record}

    def edge(self, source: str, target: str, kind: EdgeKind, record: Any = None, **attrs: Any) -> None:
        attrs.update(kind=kind, blocking=kind in BLOCKING, record=record)
        attrs.setdefault("raw_type", kind.value)
        self.edges.append((source, target, kind.value, attrs))

    def workspace(self, ws: Workspace) -> None:
        name = ws.name
        self.node(name, _WORKSPACE_NODE[ws.kind], name, name, ws.info)
        if isinstance(ws.info, Town):
            self._town(ws, ws.info)
        elif isinstance(ws.info, Realm):
            self._realm(ws, ws.info)
        # The hot loop (one node and one membership edge per work unit) builds its tuples inline;
        # networkx copies each attribute dict, so the membership edges share one.
        work_unit = NodeKind.WORK_UNIT
        self.nodes.update((u.key, {"kind": work_unit, "label": u.title, "workspace": name, "record": u})
                          for u in ws.work_units)
        if self.membership:
            membership = EdgeKind.MEMBERSHIP.value
            self.edges.extend((u.key, f"{name}/{u.rig}" if u.rig else name, membership, _MEMBERSHIP_ATTRS)
                              for u in ws.work_units)
        for child, parent in unit_edges(ws):
            self.edge(child, parent, EdgeKind.PARENT_CHILD, raw_type="parent_id", cross=False)
        for employment in ws.employments:
            self._entity(employment.entity)
            self._entity(employment.organization, kind="org")
            self.edge(entity_key(employment.entity), entity_key(employment.organization), EdgeKind.EMPLOYMENT,
                      employment)
        for entity in ws.entities:
            self._entity(entity.id, entity.kind, entity)
        for rel in ws.relationships:
            self._relationship(ws, rel)
        for remote in ws.remotes:
            key = remote_key(remote.name)
            if key not in self.nodes:
                self.node(key, NodeKind.REMOTE, remote.name, None, remote)
            self.edge(ws.name, key, EdgeKind.REMOTE, remote, trust_level=remote.trust_level)
            self.known_remote_workspaces.update(known_names(remote))

    def _entity(self, ident: str, kind: str = "person", record: Any = None) -> None:
        key = entity_key(ident)
        current = self.nodes.get(key)
        if current is None or record is not None:
            self.node(key, NodeKind.ENTITY, ident, None, record)
            self.nodes[key]["entity_kind"] = kind
        elif kind == "org":
            current["entity_kind"] = "org"

    def _town(self, ws: Workspace, town: Town) -> None:
        self._entity(town.owner)
        self.edge(ws.name, entity_key(town.owner), EdgeKind.MEMBERSHIP)
        for rig in town.rigs:
            key = f"{ws.name}/{rig.name}"
            self.node(key, NodeKind.RIG, rig.name, ws.name, rig)
            self.edge(key, ws.name, EdgeKind.MEMBERSHIP)

    def _realm(self, ws: Workspace, realm: Realm) -> None:
        for domain in realm.domains:
            key = f"{ws.name}/{domain.name}"
            self.node(key, NodeKind.DOMAIN, domain.name, ws.name, domain)
            self.edge(key, ws.name, EdgeKind.MEMBERSHIP)
        for contract in ws.contracts:
            self.node(contract.key, NodeKind.CONTRACT, f"{contract.name} {contract.version}", ws.name, contract)
            self.edge(contract.key, f"{ws.name}/{contract.domain}", EdgeKind.MEMBERSHIP)
        for imp in ws.imports:
            self.node(imp.key, NodeKind.IMPORT, f"{imp.domain} imports {imp.contract} {imp.range}", ws.name, imp)
            importer = f"{ws.name}/{imp.domain}"
            if importer in self.nodes:
                self.edge(imp.key, importer, EdgeKind.MEMBERSHIP)
            self.edge(imp.key, imp.contract_key(ws.name), EdgeKind.IMPORTS, imp)

    def _relationship(self, ws: Workspace, rel: Any) -> None:
        ends = relationship_ends(rel, ws.kind is WorkspaceKind.SUDOCODE)
        if ends is None:
            return
        source, target, kind = ends
        self.edges.append((source, target, kind.value, {
            "kind": kind, "blocking": kind in BLOCKING, "record": rel, "raw_type": rel.type,
            "cross": workspace_of(source) != workspace_of(target)}))

    def delegations(self, delegations: list[Delegation]) -> None:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for d in delegations:
            parent, child = d.parent_key or d.parent, d.child_key or d.child
            current = merged.setdefault((parent, child), {"terms": {}, "forms": [], "records": []})
            current["terms"] = {**d.terms, **current["terms"]}
            current["forms"] += [f for f in d.forms if f not in current["forms"]]
            current["records"].append(d)
            current.setdefault("delegated_by", d.delegated_by)
            current.setdefault("delegated_to", d.delegated_to)
            current["delegated_by"] = current["delegated_by"] or d.delegated_by
            current["delegated_to"] = current["delegated_to"] or d.delegated_to
        for (parent, child), attrs in merged.items():
            records = attrs.pop("records")
            self.edge(parent, child, EdgeKind.DELEGATION, records[0], records=records,
                      cross=workspace_of(parent) != workspace_of(child), **attrs)

    def stubs(self) -> None:
        """Give every edge end that is not a loaded node a stub node."""
        for source, target, _, _ in self.edges:
            for key in (source, target):
                if key in self.nodes:
                    continue
                workspace = workspace_of(key)
                known = workspace is not None and self._is_known_remote(workspace)
                unread = self.unread is not None and key in self.unread
                self.nodes[key] = {
                    "kind": NodeKind.STUB,
                    "label": key,
                    "workspace": workspace,
                    "record": None,
                    "stub": StubKind.NOT_LOADED if unread else StubKind.REMOTE if known else StubKind.MISSING,
                    "ref": key,
                    "cache_status": self.remote_status.get(workspace) if workspace else None,
                }

    def _is_known_remote(self, workspace: str) -> bool:
        if workspace in self.known_remote_workspaces or workspace in self.remote_status:
            return True
        # hop://OWNER/TOWN is known by its town name too
        return workspace.rsplit("/", 1)[-1] in self.known_remote_workspaces


class Walks:
    """The graph as the walks of ``chains`` and ``blockers`` read it, without networkx: its
    MultiDiGraph layout (``_node``, ``_succ``, ``_pred``: node -> neighbour -> edge key -> data,
    one dict for both directions) and ``graph`` (``federation``), which is all those walks touch
    (``core.analysis``: blocking, delegation, nearest, lookup)."""

    __slots__ = ("_node", "_pred", "_succ", "graph")

    def __init__(self, **attrs: Any):
        self._node: dict[str, dict[str, Any]] = {}
        self._succ: dict[str, dict[str, dict[str, Any]]] = {}
        self._pred: dict[str, dict[str, dict[str, Any]]] = {}
        self.graph: dict[str, Any] = dict(attrs)


def build_graph(fed: Federation, remote_status: Mapping[str, str] | None = None, *,
                walks_only: bool = False) -> nx.MultiDiGraph:
    """The federation as one MultiDiGraph; ``graph.graph["federation"]`` is the loaded federation.

    ``remote_status`` maps a workspace name to its cached remote status (synced, stale,
    unreachable), shown on stubs of that workspace. ``walks_only``: for ``chains`` and
    ``blockers`` only, a ``Walks`` (no networkx to import) without the work units' membership
    edges (one per unit: most of a large graph's edges), which their walks never follow
    (blocking, parent-child, delegation and implements edges; tests/test_graph_fill.py checks
    they answer the same).
    """
    builder = _Builder(remote_status or {}, membership=not walks_only)
    with gc_paused():
        delegations: list[Delegation] = []
        for ws in fed.workspaces:
            builder.workspace(ws)
            delegations.extend(ws.delegations)
        builder.delegations(delegations)
        builder.unread = NotLoaded(fed.workspaces)
        builder.stubs()
        if walks_only:
            graph: Any = Walks(federation=fed)
        else:
            import networkx as nx  # imported here: a verb that builds no graph does not pay for it

            graph = nx.MultiDiGraph(federation=fed)
        _fill(graph, builder.nodes, builder.edges)
    return graph  # type: ignore[no-any-return]


def _fill(graph: nx.MultiDiGraph | Walks, nodes: dict[str, dict[str, Any]], edges: list[Edge]) -> None:
    """``graph.add_nodes_from(nodes.items()); graph.add_edges_from(edges)`` on a new graph, with
    the same result (tests/test_graph_fill.py compares them), in a third of the time: the
    adjacency dicts are filled directly, without networkx's checks and bookkeeping per edge. The
    nodes' and edges' attribute dicts are taken as they are (the builder made each one for its
    node or edge), but for the one the builder shares between work units' membership edges: each
    of those gets its own copy, as networkx gives every edge. Every edge end is a node already
    (``_Builder.stubs``)."""
    node, succ, pred = graph._node, graph._succ, graph._pred
    for key, attrs in nodes.items():
        node[key] = attrs
        succ[key] = {}
        pred[key] = {}
    for source, target, kind, attrs in edges:
        keyed = succ[source].get(target)
        if keyed is None:
            keyed = succ[source][target] = pred[target][source] = {}
        known = keyed.get(kind)
        if known is None:
            keyed[kind] = dict(attrs) if attrs is _MEMBERSHIP_ATTRS else attrs
        else:  # the same edge again: networkx updates its attributes
            known.update(attrs)
