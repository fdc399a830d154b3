"""Gas Town workspaces: the town file, its rigs and routes, each rig's beads, the town's own
beads, its event logs and its federation records (employment, delegation).

Real form: ``mayor/town.json`` + ``mayor/rigs.json`` + ``<rig>/config.json``.
Design form: ``.town.json``; rigs are the sub-folders holding ``.beads/`` or a rig config.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core import uri
from core.diagnostics import Diagnostics
from core.model import AuditEvent, Employment, Entity, Rig, Route, Town, Workspace, WorkspaceKind, WorkUnit
from core.sources import seen
from core.sources.beads import BeadsLoad
from core.sources.federation_records import DELEGATION, delegation, delegation_problem, read_crossdeck_folder
from core.sources.files import ReadLimits, folder_problem, iter_jsonl, json_line_of, load_json, read_text, shown
from core.sources.keys import MemoKeys
from core.sources.schema import Schema, describe, iter_records, opt, req

TOWN = Schema(
    "town",
    {"name": req(str), "owner": opt(str), "public_name": opt(str), "created_at": opt(str)},
)
RIG_ENTRY = Schema("rig", {"git_url": opt(str), "beads": opt(dict)})
RIG_CONFIG = Schema("rig config", {"name": opt(str), "git_url": opt(str), "default_branch": opt(str),
                                   "beads": opt(dict)})
ROUTE = Schema("route", {"prefix": req(str), "path": req(str)})
EVENT = Schema("town event", {"ts": req(str), "type": req(str), "actor": opt(str), "payload": opt(dict)})
EMPLOYMENT = Schema("employment", {"entity": req(str), "organization": req(str), "role": opt(str)})
ENTITY = Schema("entity", {"id": req(str), "kind": opt(str), "display_name": opt(str)})
_FEDERATION_RECORDS = {"employment": EMPLOYMENT, "entity": ENTITY, "delegation": DELEGATION}
# Module constants: an Enum member read off its class costs four times a global (Python 3.11).
_LOCAL_SHORT, _RIG_SHORT, _EXTERNAL = uri.RefForm.LOCAL_SHORT, uri.RefForm.RIG_SHORT, uri.RefForm.EXTERNAL
_NOT_RIGS = frozenset({"mayor", "deacon", "settings", "docs", "plugins"})
# The owner of a town whose town.json names none (Gas Town writes ``owner`` only when it is set).
NO_OWNER = "local"


def town_file(root: Path) -> Path | None:
    for candidate in (root / "mayor" / "town.json", root / ".town.json"):
        if seen.is_file(candidate):
            return candidate
    return None


class TownKeys(MemoKeys):
    """Keys of a town's items, and resolution of the references they make (routes, rigs)."""

    def __init__(self, owner: str, town: str, routes: uri.RouteTable, rig_prefixes: uri.RouteTable,
                 route_rigs: dict[str, str | None], rig_names: set[str], rig: str | None = None):
        super().__init__()
        self.owner = owner
        self.town = town
        self.routes = routes
        self.rig_prefixes = rig_prefixes
        self.route_rigs = route_rigs
        self.rig_names = rig_names
        self.rig = rig
        self._rig_prefix = uri.hop_key(owner, town, rig, "") if rig is not None else None

    def for_rig(self, rig: str | None) -> TownKeys:
        return TownKeys(self.owner, self.town, self.routes, self.rig_prefixes, self.route_rigs,
                        self.rig_names, rig)

    def rig_of(self, ident: str) -> tuple[bool, str | None]:
        """(found, rig) for an id by its prefix: routes first, then the rigs' own prefixes."""
        path = self.routes.path_for(ident)
        if path is not None:
            return True, self.route_rigs.get(path)
        rig = self.rig_prefixes.path_for(ident)
        return (rig is not None), rig

    def key_for(self, ident: str) -> str:
        if self._rig_prefix is not None:  # a rig's own beads: every key starts the same
            return self._rig_prefix + ident
        _, rig = self.rig_of(ident)
        return uri.hop_key(self.owner, self.town, rig, ident)

    def _resolve(self, ref: str) -> str | None:
        parsed = uri.try_parse(ref)
        if parsed is None:
            return None
        key = uri.canonical(parsed)
        if key is not None:
            return key
        form = parsed.form
        if form is _LOCAL_SHORT:
            return uri.hop_key(self.owner, self.town, self.rig, parsed.id)
        if form is _RIG_SHORT:
            rig = parsed.segments[0]
            return uri.hop_key(self.owner, self.town, rig, parsed.id) if rig in self.rig_names else None
        if form is _EXTERNAL:
            project = parsed.segments[0]
            if project in self.rig_names:
                return uri.hop_key(self.owner, self.town, project, parsed.id)
            for candidate in (parsed.id, project):
                found, rig = self.rig_of(candidate)
                if found:
                    return uri.hop_key(self.owner, self.town, rig, parsed.id)
            return None
        found, rig = self.rig_of(parsed.id)
        if found:
            return uri.hop_key(self.owner, self.town, rig, parsed.id)
        # Unrouted: a rig's own short reference is its own; the town's is the town's, the key
        # ``key_for`` names its own items with.
        return uri.hop_key(self.owner, self.town, self.rig, parsed.id)

    def with_town_prefixes(self, prefixes: set[str]) -> TownKeys:
        """These keys, with ids of ``prefixes`` known to be the town's own (the prefixes of the
        town-level beads that no route names): a rig's reference to one is the town's item."""
        extra = sorted(p for p in prefixes if not self.rig_of(p + "x")[0])
        if not extra:
            return self
        routes = uri.RouteTable([*self.routes.entries(), *((p, ".") for p in extra)])
        return TownKeys(self.owner, self.town, routes, self.rig_prefixes, {**self.route_rigs, ".": None},
                        self.rig_names, self.rig)


def load_town(root: Path, diags: Diagnostics, limits: ReadLimits) -> Workspace | None:
    path = town_file(root)
    if path is None:
        return None
    doc = load_json(path, diags, limits)
    if doc is None:
        return None
    parsed = TOWN.read(doc)
    if isinstance(parsed, str):
        diags.error(path, parsed, json_line_of(path, [], doc, parsed))
        return None
    known, extra = parsed
    if not (known.get("owner") or "").strip():
        known["owner"] = NO_OWNER
        diags.warning(path, f"the town names no owner (Gas Town leaves it out when none is set): its items are "
                            f"keyed hop://{NO_OWNER}/{known['name']}/...; set \"owner\" to give them their owner's keys")
    town = Town(layout="real" if path.parent.name == "mayor" else "design", source=str(path),
                extra=extra, **known)
    ws = Workspace(kind=WorkspaceKind.TOWN, name=f"hop://{town.owner}/{town.name}", root=str(root), info=town)
    diags.workspace = ws.name
    town.routes = _routes(root, diags, limits)
    town.rigs = _rigs(root, town, diags, limits)
    keys = _keys(root, town)
    if limits.reads_units():
        _load_work(root, ws, town, keys, diags, limits)
    if limits.reads("audit"):
        _load_events(root, ws, diags, limits)
    _load_federation(root / ".beads" / "federation.jsonl", ws, keys, diags, limits)
    read_crossdeck_folder(root, ws, diags, limits)
    return ws


def _routes(root: Path, diags: Diagnostics, limits: ReadLimits) -> list[Route]:
    path = root / ".beads" / "routes.jsonl"
    routes: list[Route] = []
    if not seen.is_file(path):
        return routes
    for number, known, extra in iter_records(path, ROUTE, diags, limits):
        problem = folder_problem(root / known["path"])
        if problem is not None:
            diags.warning(path, f"route {shown(known['prefix'])} points to {shown(known['path'])}/, which {problem}",
                          number)
        routes.append(Route(source=str(path), line=number, extra=extra, **known))
    return routes


def _rigs(root: Path, town: Town, diags: Diagnostics, limits: ReadLimits) -> list[Rig]:
    rigs: dict[str, Rig] = {}
    registry = root / "mayor" / "rigs.json"
    if seen.is_file(registry):
        doc = load_json(registry, diags, limits)
        entries = doc.get("rigs") if doc is not None else None
        if doc is not None and not isinstance(entries, dict):
            diags.error(registry, "rigs.json: field 'rigs' should be an object of rig name -> rig",
                        json_line_of(registry, ["rigs"]))
            entries = None
        for name, raw in (entries or {}).items():
            parsed = RIG_ENTRY.read(raw) if isinstance(raw, dict) else "rig entry should be an object"
            if isinstance(parsed, str) or not _folder_name(name):
                message = parsed if isinstance(parsed, str) else "the name is not one a rig's folder can have"
                diags.error(registry, f"rig '{shown(name)}': {message}",
                            json_line_of(registry, ["rigs", name], raw, message))
                continue
            known, extra = parsed
            rigs[name] = Rig(name=name, town=town.name, path=str(root / name), git_url=known.get("git_url"),
                             prefix=_prefix(known.get("beads")), source=str(registry), extra=extra)
    seen.folder(root)
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.name in _NOT_RIGS or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        config = folder / "config.json"
        if seen.is_file(config):
            _merge_rig_config(config, rigs, town, diags, limits)
        elif entry.name not in rigs and town.layout == "design" and seen.is_dir(folder / ".beads"):
            rigs[entry.name] = Rig(name=entry.name, town=town.name, path=str(folder))
    for rig in rigs.values():
        rig.beads_dir = _beads_dir(Path(rig.path), town, diags, limits)
    return list(rigs.values())


def _merge_rig_config(config: Path, rigs: dict[str, Rig], town: Town, diags: Diagnostics,
                      limits: ReadLimits) -> None:
    doc = load_json(config, diags, limits)
    if doc is None or doc.get("type", "rig") != "rig":
        return
    parsed = RIG_CONFIG.read(doc)
    if isinstance(parsed, str):
        diags.error(config, parsed, json_line_of(config, [], doc, parsed))
        return
    known, extra = parsed
    name = config.parent.name
    rig = rigs.get(name) or Rig(name=name, town=town.name, path=str(config.parent), source=str(config))
    rig.git_url = rig.git_url or known.get("git_url")
    rig.default_branch = known.get("default_branch")
    rig.prefix = rig.prefix or _prefix(known.get("beads"))
    rig.extra = {**rig.extra, **extra}
    rigs[name] = rig


def _folder_name(name: str) -> bool:
    """Whether ``name`` can be one folder's name below the town (rigs.json names each rig's)."""
    return (0 < len(name.encode("utf-8", "surrogateescape")) <= 255 and name not in (".", "..")
            and not any(c in name for c in "/\\\0"))


def _prefix(beads: Any) -> str | None:
    prefix = beads.get("prefix") if isinstance(beads, dict) else None
    return prefix if isinstance(prefix, str) and prefix else None


def _beads_dir(rig_dir: Path, town: Town, diags: Diagnostics, limits: ReadLimits) -> str | None:
    """The rig's .beads folder, following a ``redirect`` (relative to the rig folder). An empty
    redirect names no folder: a warning says so, and the .beads folder holding it is read."""
    beads = rig_dir / ".beads"
    redirect = beads / "redirect"
    if seen.is_file(redirect):
        data = read_text(redirect, diags, limits)  # a BOM, UTF-16 or CRLF as in every file
        if data is None:
            return None
        try:
            target = data.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            diags.error(redirect, "cannot read redirect: not valid UTF-8", data.count(b"\n", 0, exc.start) + 1)
            return None
        if not target:
            diags.warning(redirect, "redirect is empty: it names no folder; this .beads folder is read instead", 1)
            return str(beads)
        try:
            resolved: Path | str = (rig_dir / target).resolve()
        except (OSError, ValueError, RuntimeError):  # too long, a NUL, a loop of links: as written
            resolved = rig_dir / target
        problem = folder_problem(resolved)
        if problem is not None:
            diags.warning(redirect, f"redirect points to {shown(target)}, which {problem}", 1)
            return None
        return str(resolved)
    return str(beads) if seen.is_dir(beads) else None


def _keys(root: Path, town: Town) -> TownKeys:
    rig_names = {rig.name for rig in town.rigs}
    route_rigs: dict[str, str | None] = {}
    for route in town.routes:
        path = route.path.strip("/")
        first = path.split("/", 1)[0]
        route_rigs[route.path] = None if path in ("", ".") else first
    rig_prefixes = uri.RouteTable(
        (rig.prefix if rig.prefix.endswith("-") else rig.prefix + "-", rig.name) for rig in town.rigs if rig.prefix
    )
    return TownKeys(town.owner, town.name, uri.RouteTable((r.prefix, r.path) for r in town.routes),
                    rig_prefixes, route_rigs, rig_names)


def _load_work(root: Path, ws: Workspace, town: Town, keys: TownKeys, diags: Diagnostics,
               limits: ReadLimits) -> None:
    """The town's own beads, then each rig's. Ids of the town's own beads whose prefix no route
    names are still the town's: a rig's reference to one resolves to it."""
    from core.sources.beads_folder import load_beads_folder

    if seen.is_dir(root / ".beads"):
        before = len(ws.work_units)
        load_beads_folder(BeadsLoad(ws, keys.for_rig(None), diags, limits), root / ".beads", town=ws.name, root=root)
        keys = keys.with_town_prefixes(_prefixes(root / ".beads", ws.work_units[before:]))
    for rig in town.rigs:
        if rig.beads_dir:
            load_beads_folder(BeadsLoad(ws, keys.for_rig(rig.name), diags, limits, rig=rig.name),
                              Path(rig.beads_dir), town=ws.name, root=root)


def _prefixes(beads_dir: Path, units: list[WorkUnit]) -> set[str]:
    """The id prefixes of a folder's beads (``hq-`` of ``hq-abc``, ``hq-cv-`` of ``hq-cv-x1``) and
    the one its ``config.yaml`` names (``issue-prefix``)."""
    prefixes = {unit.id[: unit.id.rindex("-") + 1] for unit in units if "-" in unit.id}
    configured = _configured_prefix(beads_dir / "config.yaml")
    if configured:
        prefixes.add(configured.rstrip("-") + "-")
    return prefixes


def _configured_prefix(path: Path) -> str | None:
    """``issue-prefix: "hq"`` in a beads ``config.yaml``, read as a line (no YAML parser needed)."""
    try:
        started = seen.reading(path, os.fspath(path))
        data = path.read_bytes()
    except OSError:
        seen.looked_up(path)
        return None
    seen.read(started, data)
    text = data.decode("utf-8-sig", "replace")
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "issue-prefix":
            value = value.split("#", 1)[0].strip().strip("\"'")
            return value or None
    return None


def _load_events(root: Path, ws: Workspace, diags: Diagnostics, limits: ReadLimits) -> None:
    """``.events.jsonl`` (the audit log) then ``.feed.jsonl`` (a curated copy: only what the
    log does not already hold is added)."""
    logged: set[tuple[str, str, str | None]] = set()
    for name, origin in ((".events.jsonl", "town-events"), (".feed.jsonl", "town-feed")):
        path = root / name
        if not seen.is_file(path):
            continue
        source = str(path)
        for number, known, extra in iter_records(path, EVENT, diags, limits):
            ident = (known["ts"], known["type"], known.get("actor"))
            if ident in logged and origin == "town-feed":
                continue
            logged.add(ident)
            payload = known.get("payload") or {}
            ws.audit.append(
                AuditEvent(ts=known["ts"], actor=known.get("actor"), type=known["type"], workspace=ws.name,
                           payload=payload, origin=origin, source=source, line=number, extra=extra)
            )


def _load_federation(path: Path, ws: Workspace, keys: TownKeys, diags: Diagnostics, limits: ReadLimits) -> None:
    """The town's relationship records: employment, entities and delegations."""
    if not seen.is_file(path):
        return
    for number, raw in iter_jsonl(path, diags, limits):
        kind = raw.pop("type", None)
        if kind is not None and not isinstance(kind, str):
            diags.error(path, f"federation record: field 'type' should be a string, found {describe(kind)}", number)
            continue
        schema = _FEDERATION_RECORDS.get(kind)
        if schema is None:
            diags.warning(path, f"unknown federation record type {shown(kind) if kind else kind!r}; skipped", number)
            continue
        parsed = schema.read(raw)
        problem = parsed if isinstance(parsed, str) else delegation_problem(parsed[0]) if schema is DELEGATION else None
        if problem is not None:
            diags.error(path, problem, number)
            continue
        known, extra = parsed
        common: dict[str, Any] = {"source": str(path), "line": number, "extra": extra}
        if kind == "employment":
            ws.employments.append(Employment(**known, **common))
        elif kind == "entity":
            ws.entities.append(Entity(**known, **common))
        else:
            ws.delegations.append(delegation(known, extra, keys, ws, path, number, "federation"))
