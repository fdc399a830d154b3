"""The federation as an outline to browse: workspaces by kind, then what each holds.

* towns > rigs > work units; a town's own items (``hq-``, convoys) under the town, after its rigs
* realms > domains > contracts (the domain's exports) and imports (the domain's uses of others')
* sudocode repos > specs and issues
* standalone beads folders > work units

The outline is built once per load in one pass over the records, and read lazily: ``children``
makes the entries of one level when it is opened, so a 100k-unit federation costs little until
someone looks. ``path_to`` gives the keys from a top group down to a node (to reveal it);
``search`` finds items and containers by id, title or key, with the ancestors to show them under.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TYPE_CHECKING

import msgspec

from core.dolt.servers import backup_notes
from core.model import (
    Contract,
    Domain,
    Import,
    Realm,
    Rig,
    Town,
    Workspace,
    WorkspaceKind,
    WorkUnit,
)

if TYPE_CHECKING:
    from core.federation import Federation

GROUP_PREFIX = "group:"  # the keys of the top groups (they are not graph nodes)
_GROUPS = (
    (WorkspaceKind.TOWN, "towns"),
    (WorkspaceKind.REALM, "realms"),
    (WorkspaceKind.SUDOCODE, "sudocode repos"),
    (WorkspaceKind.BEADS, "beads folders"),
)
_WORKSPACE_KIND = {WorkspaceKind.TOWN: "town", WorkspaceKind.REALM: "realm",
                   WorkspaceKind.SUDOCODE: "sudocode-repo", WorkspaceKind.BEADS: "beads-folder"}


class OutlineEntry(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """One line of the outline."""

    key: str  # the graph node's key (``group:KIND`` for a top group)
    kind: str  # group | town | realm | sudocode-repo | beads-folder | rig | domain | contract | import
    #            | work-unit
    name: str  # a work unit's id, a rig's or domain's name, a workspace's key, a group's name
    title: str | None = None  # a work unit's title, a contract's version, an import's range
    status: str | None = None  # a work unit's status
    unit_kind: str | None = None  # bead | issue | spec, for a work unit
    children: int = 0  # how many entries it holds
    cached: bool = False  # a workspace read from a remote's cache
    from_backup: str | None = None  # a rig (or town, folder) whose Dolt server could not be read: why


class SearchResult(msgspec.Struct, kw_only=True):
    matches: list[str]  # keys of matching entries, in outline order, at most the limit
    total: int  # how many matched in all
    ancestors: set[str]  # every entry above a match (to open)
    shown: set[str]  # the matches and their ancestors: what a filtered outline shows


class Outline:
    """Parent and child links over a federation's records, in the order they are shown."""

    def __init__(self, federation: Federation):
        self._children: dict[str, list[str]] = {"": []}
        self._parent: dict[str, str] = {}
        self._records: dict[str, Any] = {}
        self._entries: dict[str, OutlineEntry] = {}
        self._backup: dict[str, str] = {}  # the key of a rig, town or folder shown from a backup -> why
        self._hay: list[tuple[str, str]] | None = None
        for kind, label in _GROUPS:
            members = sorted((ws for ws in federation.workspaces if ws.kind is kind), key=lambda w: w.name)
            if members:
                group = GROUP_PREFIX + kind.value
                self._entries[group] = OutlineEntry(key=group, kind="group", name=label, children=len(members))
                self._add("", group, None)
                for ws in members:
                    self._add(group, ws.name, ws)
                    self._workspace(ws)

    def _add(self, parent: str, key: str, record: Any) -> None:
        self._children.setdefault(parent, []).append(key)
        self._parent[key] = parent
        self._records[key] = record

    def _workspace(self, ws: Workspace) -> None:
        name = ws.name
        for (_, rig), note in backup_notes([ws]).items():
            self._backup[f"{name}/{rig}" if rig else name] = note
        units = sorted(ws.work_units, key=_unit_order)
        containers: set[str] = set()
        if isinstance(ws.info, Town):
            for rig in sorted(ws.info.rigs, key=lambda r: r.name):
                self._add(name, f"{name}/{rig.name}", rig)
                containers.add(f"{name}/{rig.name}")
            for unit in units:  # rig items under their rig, town-level items under the town
                home = f"{name}/{unit.rig}" if unit.rig else name
                self._add(home if home in containers else name, unit.key, unit)
        elif isinstance(ws.info, Realm):
            for domain in sorted(ws.info.domains, key=lambda d: d.name):
                self._add(name, f"{name}/{domain.name}", domain)
                containers.add(f"{name}/{domain.name}")
            for record in [*sorted(ws.contracts, key=_key), *sorted(ws.imports, key=_key)]:
                home = f"{name}/{record.domain}"
                self._add(home if home in containers else name, record.key, record)
        else:
            for unit in units:
                self._add(name, unit.key, unit)

    # -- reading --------------------------------------------------------------------------------
    def __contains__(self, key: object) -> bool:
        return key in self._parent

    def roots(self) -> list[OutlineEntry]:
        """The top groups: towns, realms, sudocode repos, beads folders (those with members)."""
        return self.children("")

    def children(self, key: str) -> list[OutlineEntry]:
        """The entries directly under ``key``, in outline order."""
        return [self.entry(child) for child in self._children.get(key, ())]

    def child_count(self, key: str) -> int:
        return len(self._children.get(key, ()))

    def entry(self, key: str) -> OutlineEntry:
        found = self._entries.get(key)
        if found is None:
            found = _entry(key, self._records.get(key), self.child_count(key))
            if key in self._backup:
                found = msgspec.structs.replace(found, from_backup=self._backup[key])
            self._entries[key] = found
        return found

    def parent(self, key: str) -> str | None:
        """The key of the entry ``key`` is under; None for a top group or a key not outlined."""
        return self._parent.get(key) or None

    def path_to(self, key: str) -> list[str] | None:
        """The keys from a top group down to ``key`` (included); None when it is not outlined."""
        if key not in self._parent:
            return None
        path = [key]
        while up := self._parent.get(path[-1]):
            path.append(up)
        return path[::-1]

    def search(self, text: str, limit: int = 500) -> SearchResult:
        """Entries whose name, title or key holds ``text`` (case ignored): the first ``limit``
        in outline order, how many in all, and what to show (each match with its ancestors)."""
        needle = text.strip().casefold()
        matches: list[str] = []
        total = 0
        if needle:
            found = [key for key, hay in self._haystack() if needle in hay]
            total = len(found)
            matches = found[:limit]
        ancestors: set[str] = set()
        for key in matches:
            up = self._parent.get(key)
            while up and up not in ancestors:
                ancestors.add(up)
                up = self._parent.get(up)
        return SearchResult(matches=matches, total=total, ancestors=ancestors, shown=ancestors | set(matches))

    def _walk(self) -> Iterator[str]:
        """Every key, depth first in outline order."""
        children = self._children
        stack = list(reversed(children[""]))
        while stack:
            key = stack.pop()
            yield key
            below = children.get(key)
            if below:
                stack.extend(reversed(below))

    def _haystack(self) -> list[tuple[str, str]]:
        """(key, what a search looks in: key, name, title, folded), in outline order; made once."""
        if self._hay is None:
            self._hay = []
            for key in self._walk():
                record = self._records.get(key)
                if isinstance(record, WorkUnit):
                    text = f"{key}\t{record.id}\t{record.title}"
                else:
                    entry = self.entry(key)
                    text = f"{key}\t{entry.name}\t{entry.title or ''}"
                self._hay.append((key, text.casefold()))
        return self._hay


def _key(record: Contract | Import) -> str:
    return record.key


def _unit_order(unit: WorkUnit) -> tuple[int, str]:
    """Specs before issues (sudocode); then by id."""
    return (0 if unit.kind == "spec" else 1, unit.id)


def _entry(key: str, record: Any, children: int) -> OutlineEntry:
    if isinstance(record, WorkUnit):
        return OutlineEntry(key=key, kind="work-unit", name=record.id, title=record.title, status=record.status,
                            unit_kind=record.kind)
    if isinstance(record, Contract):
        return OutlineEntry(key=key, kind="contract", name=record.name, title=record.version)
    if isinstance(record, Import):
        return OutlineEntry(key=key, kind="import", name=f"{record.domain} imports {record.contract}",
                            title=f"{record.range} from {record.from_domain}")
    if isinstance(record, (Rig, Domain)):
        return OutlineEntry(key=key, kind="rig" if isinstance(record, Rig) else "domain", name=record.name,
                            children=children)
    if isinstance(record, Workspace):
        info = record.info
        title = info.public_name if isinstance(info, Town) else getattr(info, "display_name", None)
        return OutlineEntry(key=key, kind=_WORKSPACE_KIND[record.kind], name=record.name, title=title,
                            children=children, cached=record.remote_cache)
    return OutlineEntry(key=key, kind="other", name=key, children=children)
