"""Loading a federation: discover the workspaces below the roots, load each with its adapter,
then check that the references between them point somewhere. Through the parsed cache
(``core.cache``), a workspace whose files did not change is read from its entry.

The cyclic GC is paused during the bulk load and what was loaded is frozen afterwards: records
hold no cycles, and re-scanning a growing heap of 100k records is most of a naive load's time
(PERF-NOTES.md).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core.diagnostics import Diagnostic, Diagnostics, Severity
from core.dolt.session import server_session
from core.model import Relationship, Workspace, WorkspaceKind, WorkUnit
from core.not_loaded import NotLoaded
from core.sources.beads import load_beads_workspace
from core.sources.discover import Found, discover
from core.sources.files import ReadLimits
from core.sources.sudocode import load_sudocode
from core.sources.town import load_town

if TYPE_CHECKING:
    from core.cache.store import ParsedCache


def load_realm(root: Path, diags: Diagnostics, limits: ReadLimits) -> Workspace | None:
    from core.sources import realm  # YAML only loads when there is a realm to read

    return realm.load_realm(root, diags, limits)


Loader = Callable[[Path, Diagnostics, ReadLimits], "Workspace | None"]
LOADERS: dict[WorkspaceKind, Loader] = {
    WorkspaceKind.TOWN: load_town,
    WorkspaceKind.REALM: load_realm,
    WorkspaceKind.SUDOCODE: load_sudocode,
    WorkspaceKind.BEADS: load_beads_workspace,
}


class Ambiguous(ValueError):
    """A name two loaded workspaces share (two copies of one repository); the message names them."""


class Federation(msgspec.Struct, kw_only=True, gc=False):
    roots: list[str]
    workspaces: list[Workspace] = []
    diagnostics: list[Diagnostic] = []
    held: Any = None  # a Held when records were held back (load_federation's ``later``); never encoded

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def workspace(self, name: str) -> Workspace | None:
        return next((ws for ws in self.workspaces if ws.name == name), None)

    def named(self, where: str) -> list[Workspace]:
        """The workspaces ``where`` names: by name (several when they share one: two copies of
        the same repository), else by folder (a path, relative to the current folder)."""
        by_name = [ws for ws in self.workspaces if ws.name == where]
        if by_name or not where:
            return by_name
        folder = os.path.realpath(os.path.expanduser(where))
        return [ws for ws in self.workspaces if os.path.realpath(ws.root) == folder]

    def local(self, name: str) -> Workspace | None:
        """The one local workspace named ``name``; ``Ambiguous`` when two loaded copies share it
        (the message names their folders and how to pick one)."""
        found = [ws for ws in self.workspaces if ws.name == name and not ws.remote_cache]
        if len(found) > 1:
            raise Ambiguous(f"{len(found)} loaded workspaces are {name}: " + ", ".join(ws.root for ws in found)
                            + "; give the folder of the one you mean as the only ROOT")
        return found[0] if found else None

    def label(self, ws: Workspace) -> str:
        """How to name ``ws`` so that it names no other: its name, else (a name two loaded
        workspaces share) its folder."""
        shared = sum(other.name == ws.name for other in self.workspaces) > 1
        return ws.root if shared else ws.name


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what was just loaded is long-lived: keep it out of future collections
        if was_enabled:
            gc.enable()


def load_workspace(path: Path, kind: WorkspaceKind, limits: ReadLimits | None = None) -> tuple[Workspace | None, Diagnostics]:
    """One workspace; nothing a link leads out of its root is read (``ReadLimits.within``)."""
    diags = Diagnostics()
    limits = msgspec.structs.replace(limits or ReadLimits(), within=os.path.realpath(path))
    try:
        with server_session():
            ws = LOADERS[kind](path, diags, limits)
    except RecursionError:
        diags.error(path, "data nested too deeply to read")
        ws = None
    return ws, diags


def load_federation(roots: Sequence[Path], limits: ReadLimits | None = None, max_depth: int = 8, *,
                    cache: ParsedCache | None = None, wanted: Collection[str] | None = None,
                    later: Collection[str] = (), helpers: int | None = 0) -> Federation:
    """Load every workspace below ``roots``; never raises for bad input.

    With a ``cache`` (``core.cache``), a workspace whose files have not changed since its entry
    was written is read from the entry; the others are read from their files and their entries
    written. ``wanted``: the bulky record kinds (``core.cache.entry.HEAVY``) the caller reads
    (None: all); the others are left empty, their counts kept, and a workspace read from its
    files gives them up as soon as the references between workspaces have been checked against
    it, so a verb that reads few records holds one workspace's records at a time. ``later``: the
    kinds the caller reads for some workspaces only; with a cache they are held back too, and
    ``Federation.held`` gives them back one workspace at a time (``Held.whole``), but for a
    workspace the cache holds no entry of, which keeps them (without a cache they are wanted,
    and ``Federation.held`` gives each workspace as it is)."""
    limits = limits or ReadLimits()
    held = Held(cache, limits) if later else None
    if cache is None and wanted is not None:
        wanted, later = {*wanted, *later}, ()
    fed = Federation(roots=[str(r) for r in roots])
    with gc_paused(), server_session():
        found_diags = Diagnostics()
        found = discover(roots, found_diags, limits, max_depth=max_depth)
        fed.diagnostics.extend(found_diags)
        cached = [cache.read(item.path, item.kind, limits, wanted) if cache is not None else None for item in found]
        missed = [index for index, hit in enumerate(cached) if hit is None]  # read from their files
        identities = _identities(found, limits) if cache is not None else [""] * len(found)
        kept = cache.federation_part(identities) if cache is not None and not missed else None
        references = References() if kept is None else None

        def load(item: Found) -> tuple[Workspace | None, Diagnostics]:
            if cache is not None:
                return cache.load(item.path, item.kind, limits)
            return load_workspace(item.path, item.kind, limits)

        team = None
        if cache is not None and helpers != 0 and len(missed) > 1:
            from core.cache import fill

            team = fill.start(cache, found, missed, limits, helpers)
        try:
            names: dict[str, str] = {}
            for index, (item, key, hit) in enumerate(zip(found, identities, cached, strict=True)):
                sent = team.take(index) if team is not None and hit is None else None
                if sent is not None:  # a helper wrote its entry: read as any entry is
                    hit = cache.read(item.path, item.kind, limits, wanted)  # type: ignore[union-attr]
                    if hit is None or cache.entry_ids.get(key) != sent.entry_id:  # type: ignore[union-attr]
                        sent = None  # changed since: what the helper sent is of another entry
                # each read from its files when its turn comes: one workspace's records at a time
                ws, diags = hit if hit is not None else load(item)
                fed.diagnostics.extend(diags)
                if ws is None:
                    continue
                if references is not None and sent is not None:
                    references.add_part(ws.name, sent.keys, sent.outward)
                elif references is not None:
                    whole = ws if ws.counted is None else _whole(cache, item, limits)  # type: ignore[arg-type]
                    references.add(whole)
                given_back = held is not None and cache is not None and key in cache.entry_ids
                if wanted is not None and ws.counted is None:
                    ws = without(ws, wanted if given_back else {*wanted, *later})
                if held is not None and cache is not None:
                    held.found[key] = item
                    held.identities[(ws.root, ws.kind)] = key
                    if hit is None and not given_back:
                        held.kept.add(key)
                if ws.name in names:
                    fed.diagnostics.append(Diagnostic(
                        Severity.WARNING, ws.root, f"same workspace as {names[ws.name]} ({ws.name}); both loaded",
                        workspace=ws.name))
                names.setdefault(ws.name, ws.root)
                fed.workspaces.append(ws)
        finally:
            if team is not None:
                team.close()
        if references is None:
            fed.diagnostics.extend(kept or ())
        else:
            dangling = references.dangling(fed.workspaces)
            fed.diagnostics.extend(dangling)
            if cache is not None:
                cache.keep_federation_part(identities, dangling)
    fed.held = held
    return fed


class Held:
    """What gives back the records a federation was loaded without (``load_federation``'s
    ``later``), one workspace at a time: the parsed cache, where each workspace was found, and
    which other workspaces' items have edges stored in each (``core.graph_kinds.edges_from``).
    Without a cache (``--no-cache``, ``--as-of``) nothing is held back:
    every workspace has its records, and the walks that ask (``core.graph_reach``,
    ``core.working_set``) still build their graphs of a part of the federation."""

    def __init__(self, cache: ParsedCache | None, limits: ReadLimits):
        self.cache, self.limits = cache, limits
        self.found: dict[str, Found] = {}  # cache identity -> where the workspace was found
        self.identities: dict[tuple[str, WorkspaceKind], str] = {}  # (root, kind) -> cache identity
        self.kept: set[str] = set()  # identities of those that kept the records held back

    def whole(self, ws: Workspace) -> Workspace:
        """``ws`` with all its records (itself when it has them)."""
        key = self._held_back(ws)
        return ws if key is None else _whole(self.cache, self.found[key], self.limits)

    def some(self, ws: Workspace, kinds: Collection[str]) -> Workspace:
        """``ws`` with its records of ``kinds`` at least (only those decoded from its entry;
        itself when it has its records)."""
        key = self._held_back(ws)
        if key is None:
            return ws
        item = self.found[key]
        hit = self.cache.read(item.path, item.kind, self.limits, kinds)
        return hit[0] if hit is not None and hit[0] is not None else self.whole(ws)

    def units(self, ws: Workspace, keys: Container[str]) -> list[WorkUnit]:
        """``ws``'s work units whose key is in ``keys`` (only those decoded from its entry)."""
        key = self._held_back(ws)
        if key is not None:
            item = self.found[key]
            units = self.cache.units(item.path, item.kind, self.limits, keys)  # type: ignore[union-attr]
            if units is not None:
                return units
        return [unit for unit in self.whole(ws).work_units if unit.key in keys]

    def edges_from(self, ws: Workspace) -> list[str] | None:
        """The other workspaces whose items have edges going out of them stored in ``ws``; None
        when not known."""
        from core.graph_kinds import edges_from

        key = self._held_back(ws)
        if key is None:
            return edges_from(ws)
        return self.cache.edges_from.get(key)  # type: ignore[union-attr]

    def entry_identity(self, ws: Workspace) -> str | None:
        """The cache identity of ``ws`` when it was read through an entry (or wrote one); None
        for one that was not (not cached, or joined whole: a remote's copy)."""
        key = self.identities.get((ws.root, ws.kind))
        return key if key is not None and self.cache is not None and key in self.cache.entry_ids else None

    def _held_back(self, ws: Workspace) -> str | None:
        """The cache identity of ``ws`` when its records were held back; None when it has them
        (it kept them, or was joined whole after the load: a remote's copy)."""
        key = self.identities.get((ws.root, ws.kind))
        return None if self.cache is None or key is None or key in self.kept else key


def _identities(found: Sequence[Found], limits: ReadLimits) -> list[str]:
    from core.cache.store import identity

    return [identity(item.path, item.kind, limits) for item in found]


def _whole(cache: ParsedCache, item: Found, limits: ReadLimits) -> Workspace:
    """A workspace read from the cache without some of its records, with all of them (from its
    entry again, else from its files)."""
    whole, _ = cache.read(item.path, item.kind, limits) or cache.load(item.path, item.kind, limits)
    return whole if whole is not None else Workspace(kind=item.kind, name="", root=str(item.path))


def without(ws: Workspace, wanted: Collection[str]) -> Workspace:
    """``ws`` without the bulky record kinds not in ``wanted``; its counts kept (``counted``)."""
    from core.cache.entry import HEAVY

    dropped = {name: [] for name in HEAVY if name not in wanted}
    return msgspec.structs.replace(ws, **dropped, counted=ws.counts()) if dropped else ws


def dangling_references(workspaces: Sequence[Workspace]) -> list[Diagnostic]:
    """Warnings for references that resolve to nothing loaded (``References``)."""
    references = References()
    for ws in workspaces:
        references.add(ws)
    return references.dangling(workspaces)


class References:
    """The references between workspaces, taken one workspace at a time, and those that resolve
    to nothing loaded: a warning each (``unresolved``)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.relationships: list[tuple[str, list[Relationship]]] = []  # (workspace name, its relationships)

    def add(self, ws: Workspace) -> None:
        self.add_part(ws.name, (unit.key for unit in ws.work_units), ws.relationships)

    def add_part(self, name: str, keys: Iterable[str], relationships: list[Relationship]) -> None:
        """A workspace by what the check needs of it: its work units' keys and its relationships
        (those that resolve to one of its own keys may be left out: they never dangle)."""
        self.keys.update(keys)
        self.relationships.append((name, relationships))

    def dangling(self, workspaces: Sequence[Workspace]) -> list[Diagnostic]:
        """The warnings, once every workspace has been added (``workspaces``: those loaded)."""
        loaded = loaded_prefixes(workspaces)
        unread = NotLoaded(workspaces)
        return [diag for name, rels in self.relationships for diag in unresolved(name, rels, self.keys, loaded, unread)]


def unresolved(name: str, relationships: Iterable[Relationship], keys: Container[str], loaded: tuple[str, ...],
               unread: NotLoaded) -> Iterator[Diagnostic]:
    """The warnings for workspace ``name``'s references that resolve to nothing loaded: ``keys``
    the work units loaded, ``loaded`` the loaded workspaces' key prefixes (``loaded_prefixes``).
    A reference into a workspace that is not loaded at all is a remote reference (the graph makes
    it a stub), not a warning; nor is one into a ``.beads`` folder whose beads could not be read
    (``unread``: its load warned once)."""
    for rel in relationships:
        target = rel.to_key
        if target is None:
            yield Diagnostic(Severity.WARNING, rel.source,
                             f"{rel.type} reference {rel.to_ref!r} from {rel.from_ref} cannot be resolved",
                             rel.line, name)
        elif target not in keys and target.startswith(loaded) and target not in unread:
            yield Diagnostic(Severity.WARNING, rel.source,
                             f"{rel.type} reference from {rel.from_ref} points to {rel.to_ref}, which is not there",
                             rel.line, name)


def loaded_prefixes(workspaces: Iterable[Workspace]) -> tuple[str, ...]:
    """The key prefixes of the workspaces loaded, longest first."""
    return tuple(sorted({ws.item_prefix() for ws in workspaces}, key=len, reverse=True))
