"""Checking and syncing an HTTP remote, and reading what its last sync fetched as a workspace.

``check`` is ``GET info``: the latency, and the caller as the server sees it (our remote name,
trust level and permissions there). ``fetch`` is the sync: ``info``, then every work unit with
its relationships (``query`` of each work-unit entity the server offers, page after page), kept
as one **snapshot** in the state store (``store.http_snapshot``: the items in key order, and the
server's ``info``). The snapshot's digest (SHA-256 of the items) is the remote's ``fetched_ref``,
so a sync that brought nothing new says "unchanged". Both are one attempt: ``core.sync.fetch_pool``
retries them and keeps the circuit, as for git remotes.

``snapshot_workspace`` turns a snapshot back into a ``Workspace`` (``remote_cache = True``): each
item decoded into ``core.model.WorkUnit`` with ``msgspec.convert`` and the relationships (each
stated once) into ``Relationship``, with the keys the server resolved, so an api-service issue
that blocks a frontend issue is an edge of the local graph. ``core.sync.remote_workspaces``
includes them beside the git caches (a workspace loaded locally still wins).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import Any

import msgspec

from core import store, timeutil
from core.diagnostics import Diagnostics
from core.model import Relationship, Remote, SudocodeRepo, Workspace, WorkspaceKind, WorkUnit
from core.query_filters import WORK_UNIT_KINDS
from core.store import Snapshot, iso
from core.sync.git_remote import Contact
from core.sync.http_remote import READ_TIMEOUT, HttpFailure, HttpRemote, token_for

__all__ = ["READ_TIMEOUT", "check", "fetch", "query_work_units", "snapshot_workspace"]


class Seen(msgspec.Struct, kw_only=True, frozen=True):
    """What a check or sync learnt of the server besides reachability."""

    remote_workspace: str | None = None  # the workspace it serves
    caller: dict[str, Any] | None = None  # who we are there: remote, trust_level, permissions
    items: int | None = None  # sync: work units fetched
    skipped_entities: list[str] = []  # sync: entities our permissions there do not allow


def check(remote: Remote, where: str, timeout: float) -> Contact:
    """``GET info``; raises HttpFailure."""
    start = time.perf_counter()
    with HttpRemote(where, token_for(remote), timeout=timeout) as client:
        info = client.info()
    return Contact(None, (time.perf_counter() - start) * 1000, _seen(info))


def fetch(remote: Remote, where: str, timeout: float, store_path: Any = None) -> Contact:
    """Fetch every work unit of the remote into its snapshot; the snapshot's digest is the
    contact's commit. Raises HttpFailure."""
    start = time.perf_counter()
    with HttpRemote(where, token_for(remote), timeout=timeout) as client:
        info = client.info()
        items, refused = query_work_units(client, info, include=["relationships"])
    skipped = list(refused)
    latency = (time.perf_counter() - start) * 1000
    items = sorted({str(i.get("key")): i for i in items}.values(), key=lambda i: str(i.get("key")))
    digest = digest_of(items)
    served = info.get("workspace") if isinstance(info.get("workspace"), str) else store.served_workspace(remote)
    store.save_snapshot(Snapshot(workspace=remote.workspace, remote=remote.name, remote_workspace=served,
                                 fetched_at=iso(timeutil.now()), digest=digest,
                                 body=msgspec.json.encode({"info": info, "items": items})), store_path)
    seen = _seen(info)
    return Contact(digest, latency, msgspec.structs.replace(seen, items=len(items), skipped_entities=skipped))


def query_work_units(client: HttpRemote, info: dict[str, Any], filters: dict[str, Any] | None = None,
                     include: Iterable[str] = ()) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every work unit the server answers ``filters`` with: a ``query`` of each work-unit entity
    its ``info`` offers, page after page; and the entities our permissions there refuse (a 403,
    skipped), each with the server's reason. Raises HttpFailure, a 403 when every one is refused."""
    items: list[dict[str, Any]] = []
    refused: dict[str, str] = {}
    entities = _entities(info)
    for entity in entities:
        try:
            items += client.query_all(entity, filters, include=include)
        except HttpFailure as exc:
            if exc.status != 403:
                raise
            refused[entity] = str(exc)
    if len(refused) == len(entities):  # every query refused: nothing to answer with
        raise HttpFailure(f"{client.base}: our permissions there allow no query of work units ({', '.join(refused)})",
                          permanent=True, status=403, code="forbidden")
    return items, refused


def digest_of(items: list[dict[str, Any]]) -> str:
    return hashlib.sha256(msgspec.json.encode(items, order="sorted")).hexdigest()


def _entities(info: dict[str, Any]) -> list[str]:
    capabilities = info.get("capabilities")
    offered = capabilities.get("query") if isinstance(capabilities, dict) else None
    if not isinstance(offered, list):
        return ["work_unit"]
    return [e for e in WORK_UNIT_KINDS if e in offered] or ["work_unit"]


def _seen(info: dict[str, Any]) -> Seen:
    caller = info.get("caller")
    served = info.get("workspace")
    return Seen(remote_workspace=served if isinstance(served, str) else None,
                caller=caller if isinstance(caller, dict) else None)


# -- reading a snapshot -------------------------------------------------------------------------
def snapshot_workspace(snapshot: Snapshot, where: str, diags: Diagnostics) -> Workspace | None:
    """The workspace a snapshot holds, marked ``remote_cache``; None (and a warning) when its body
    cannot be read. An item that does not decode is a warning, and left out."""
    try:
        doc = msgspec.json.decode(snapshot.body)
        info, items = doc["info"], doc["items"]
    except (msgspec.DecodeError, KeyError, TypeError):
        diags.warning(where, f"the snapshot of remote {snapshot.remote} of {snapshot.workspace} cannot be read; "
                             "sync it again")
        return None
    kind = info.get("kind") if isinstance(info, dict) else None
    ws = Workspace(kind=WorkspaceKind(kind) if kind in WorkspaceKind._value2member_map_ else WorkspaceKind.SUDOCODE,
                   name=snapshot.remote_workspace, root=where, remote_cache=True)
    identity = info.get("identity") if isinstance(info.get("identity"), dict) else {}
    if ws.kind is WorkspaceKind.SUDOCODE:
        ws.info = SudocodeRepo(name=ws.name, source=where, display_name=_text(identity.get("display_name")),
                               identity_url=_text(identity.get("url")))
    ws.work_units, ws.relationships = decode_items(items if isinstance(items, list) else [], where, diags)
    return ws


def decode_items(items: Iterable[Any], where: str,
                 diags: Diagnostics) -> tuple[list[WorkUnit], list[Relationship]]:
    units: list[WorkUnit] = []
    relationships: dict[tuple[Any, ...], Relationship] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        fields = {k: v for k, v in item.items() if k not in ("relationships", "source", "line")}
        try:
            unit = msgspec.convert(fields, WorkUnit)
        except msgspec.ValidationError as exc:
            diags.warning(where, f"item {index} of the snapshot cannot be read: {exc}")
            continue
        unit.source = where
        units.append(unit)
        for raw in item.get("relationships") or ():
            rel = _relationship(raw, where)
            if rel is not None:
                relationships.setdefault((rel.type, rel.from_key or rel.from_ref, rel.to_key or rel.to_ref), rel)
    return units, list(relationships.values())


def decode_item(item: dict[str, Any], where: str) -> WorkUnit | None:
    """One work unit of an event (``item.updated``'s ``item``), or None when it does not decode."""
    units, _ = decode_items([item], where, Diagnostics())
    return units[0] if units else None


def _relationship(raw: Any, where: str) -> Relationship | None:
    if not isinstance(raw, dict):
        return None
    try:
        rel = msgspec.convert({k: v for k, v in raw.items() if k not in ("source", "line")}, Relationship)
    except msgspec.ValidationError:
        return None
    rel.source = where
    return rel


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
