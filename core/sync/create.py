"""Writing work units in a workspace's own format: a new issue, spec or bead, and a change to
the fields of an existing one.

- **sudocode**: a line in ``.sudocode/issues.jsonl`` (or ``specs.jsonl``) with a fresh id
  (``i-`` / ``s-`` and hex digits), a uuid, sudocode's ``YYYY-MM-DD HH:MM:SS`` timestamps and
  ``relationships[]`` stated from the new item (``{"from": NEW, "to": REF, "type": T}``; a
  ``blocks`` relationship is read as "NEW blocks REF").
- **towns and beads folders**: a bead in the export form (``.beads/issues.jsonl`` of the rig, or
  of the town itself for a town-level item), its id made of the rig's prefix and base-36 digits,
  with ``dependencies[]`` (``issue_id`` NEW, ``depends_on_id`` REF) and ``metadata``. Beads state
  a dependency on the dependent item only, so "NEW blocks REF" cannot be written on NEW when REF
  lives elsewhere: it is kept in ``metadata.blocks`` and the plan's notes say so.

- **Dolt-backed folders** (``metadata.json`` says the beads live in the town's Dolt server): the
  same bead, written as rows of its database (``core.sync.bead_rows``), never into a JSONL file
  (beads never reads those back). A server that cannot be reached refuses the action before
  anything is written.

A new item can carry the request it was created for (``created_from_request``, in ``metadata``
for a bead): ``find_created`` finds it again, so approving a request twice, or again after a
crash between the item and the request's record, never creates a second item. Ids are derived
from a seed (the same seed gives the same id) and made longer while they clash with an id in use.
Callers hold the workspace's lock; a new item is one appended line (``appendlog``) or one SQL
transaction, a change rewrites its file whole (``core.atomic``) or updates its row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core import uri
from core.dolt.target import DoltTarget
from core.model import Town, Workspace, WorkspaceKind, WorkUnit
from core.sources.limits import ReadLimits
from core.sync import SyncError
from core.sync.appendlog import encode_line
from core.sync.gitcommit import workspace_owner
from core.timeutil import UTC

if TYPE_CHECKING:
    from core.sync.bead_rows import BeadRows
    from core.sync.journal import Plan

ORIGIN = "created_from_request"
_DIGITS = string.digits + string.ascii_lowercase
HEX = string.hexdigits[:16]
_decode = msgspec.json.Decoder().decode


class CreateError(SyncError):
    """A work unit could not be planned or written; the message says why."""


class Link(msgspec.Struct, frozen=True, kw_only=True):
    """A relationship stated from the new item to ``ref`` (a canonical key)."""

    type: str  # discovered-from, blocks, related, ...
    ref: str
    to_type: str = "issue"  # sudocode's to_type: issue or spec


class NewItem(msgspec.Struct, kw_only=True):
    title: str
    seed: str  # what the id is derived from
    description: str | None = None
    priority: int | None = None
    labels: list[str] = []
    kind: str = "issue"  # sudocode: issue or spec; a bead is always a bead
    issue_type: str = "task"  # a bead's issue_type
    rig: str | None = None  # towns: the rig; None for a town-level item
    links: list[Link] = []
    metadata: dict[str, Any] = {}  # a bead's metadata (delegated_from, ...)
    origin: dict[str, Any] | None = None  # the request it is created for


class Planned(msgspec.Struct, kw_only=True):
    """A new item ready to be appended: where, its id and key, the line, what it states."""

    workspace: str
    file: Path  # the file it is appended to; for a Dolt-backed folder, the export it is *not* written to
    id: str
    key: str
    kind: str  # issue | spec | bead
    record: dict[str, Any]
    links: list[Link]  # the links the record states
    notes: list[str] = []  # what could not be stated in this format, and where it went instead
    target: DoltTarget | None = None  # a Dolt-backed folder's database: the bead is rows there
    email: str = ""  # the author email of a Dolt commit (the workspace's owner)

    @property
    def where(self) -> str:
        """Where the item is written: its file, or its database."""
        return self.target.address if self.target is not None else str(self.file)

    @property
    def files(self) -> list[Path]:
        """The files writing it touches (none for a Dolt-backed folder)."""
        return [] if self.target is not None else [self.file]


class Created(msgspec.Struct, kw_only=True, frozen=True):
    """An item an action created (or found, created for the same request by an earlier attempt)."""

    id: str
    key: str
    kind: str  # issue | spec | bead
    workspace: str
    file: str
    links: list[Link] = []  # the relationships it states
    notes: list[str] = []  # what could not be stated in the workspace's format, and where it went
    delegated_from: dict[str, Any] | None = None  # for a delegated child: parent, terms, by, to
    existed: bool = False  # found: an earlier attempt created it and was cut short
    files: list[str] = []  # the files written


def plan_item(ws: Workspace, item: NewItem, actor: str, now: dt.datetime) -> Planned:
    """The new item ``item`` in ``ws``'s format (nothing written yet) created by ``actor`` at
    ``now`` (an aware datetime); raises ``CreateError``."""
    if not item.title.strip():
        raise CreateError("a new item needs a title")
    if ws.remote_cache:
        raise CreateError(f"{ws.name} is a cached copy of a remote workspace: items are created there")
    if ws.kind is WorkspaceKind.SUDOCODE:
        return _plan_sudocode(ws, item, now)
    if ws.kind in (WorkspaceKind.TOWN, WorkspaceKind.BEADS):
        return _plan_bead(ws, item, actor, now)
    raise CreateError(f"{ws.name} is a {ws.kind.value}: it holds no work units")


def journal_item(plan: Planned, writes: Plan) -> None:
    """Add writing the planned item to an action's journal plan: a line of its file, or a bead
    inserted into its database (``core.sync.journal`` makes the write, idempotently)."""
    if plan.target is None:
        writes.append(plan.file, plan.record)
        return
    origin = (plan.record.get("metadata") or {}).get(ORIGIN)
    why = f" for request {origin['request_id']}" if isinstance(origin, dict) and "request_id" in origin else ""
    writes.bead({"kind": "insert", "target": msgspec.to_builtins(plan.target), "record": plan.record,
                 "actor": plan.record.get("created_by") or "crossdeck", "email": plan.email,
                 "message": f"{plan.id}: {plan.record.get('title', '')} (created by crossdeck{why})"})


def find_created(plan: Planned, request_id: str) -> str | None:
    """The id of an item of ``plan``'s file (or database) created earlier for ``request_id``, if
    there is one; on Dolt it is committed too (an earlier attempt may have stopped short of it)."""
    if plan.target is not None:
        with _rows(plan.target) as rows:
            found = rows.find_by_request(request_id)
            if found is not None:
                rows.commit(f"{found}: created for request {request_id}", plan.record.get("created_by") or "crossdeck",
                            plan.email)
            return found
    needle = request_id.encode()
    for raw in _lines(plan.file):
        if needle not in raw or ORIGIN.encode() not in raw:
            continue
        record = _object(raw)
        if record is None:
            continue
        origin = record.get(ORIGIN) if plan.kind != "bead" else (record.get("metadata") or {}).get(ORIGIN)
        if isinstance(origin, dict) and origin.get("request_id") == request_id and isinstance(record.get("id"), str):
            return record["id"]  # type: ignore[no-any-return]
    return None


def key_of(plan: Planned, ident: str) -> str:
    """The key of item ``ident`` in the planned item's file (same workspace, same rig)."""
    return plan.key[: len(plan.key) - len(plan.id)] + ident


# -- sudocode -----------------------------------------------------------------------------------

def _plan_sudocode(ws: Workspace, item: NewItem, now: dt.datetime) -> Planned:
    if item.kind not in ("issue", "spec"):
        raise CreateError(f"a sudocode repo holds issues and specs, not {item.kind}s")
    path = Path(ws.root) / ".sudocode" / ("issues.jsonl" if item.kind == "issue" else "specs.jsonl")
    taken = _ids_in(path) | {u.id for u in ws.work_units}
    ident = fresh_id(("i-" if item.kind == "issue" else "s-"), item.seed, taken, HEX, 4)
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    record: dict[str, Any] = {
        "id": ident, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"crossdeck:{ws.name}#{ident}")),
        "title": item.title, "content": item.description or ""}
    if item.kind == "issue":
        record.update(status="open", priority=_priority(item), assignee=None)
    else:
        record["priority"] = _priority(item)
    record.update(archived=0, archived_at=None, created_at=stamp, updated_at=stamp)
    if item.kind == "issue":
        record["closed_at"] = None
    record.update(parent_id=None, parent_uuid=None, relationships=[
        {"from": ident, "from_type": item.kind, "to": link.ref, "to_type": link.to_type, "type": link.type}
        for link in item.links], tags=list(item.labels))
    if item.origin is not None:
        record[ORIGIN] = item.origin
    return Planned(workspace=ws.name, file=path, id=ident, key=uri.sudocode_key(ws.name, ident), kind=item.kind,
                   record=record, links=list(item.links))


# -- beads --------------------------------------------------------------------------------------

def _plan_bead(ws: Workspace, item: NewItem, actor: str, now: dt.datetime) -> Planned:
    folder, prefix, key_base = _bead_home(ws, item.rig)
    path = folder / "issues.jsonl"
    target = folder_database(ws, folder, item.rig)
    if target is not None:
        with _rows(target) as rows:
            taken = rows.taken_ids(prefix) | {u.id for u in ws.work_units}
    elif not path.is_file() and (folder / "backup" / "issues.jsonl").is_file():
        raise CreateError(f"{folder} holds beads in the backup form only: crossdeck writes the export form "
                          "(issues.jsonl); export the beads first (bd export)")
    else:
        taken = _ids_in(path) | {u.id for u in ws.work_units}
    ident = fresh_id(prefix, item.seed, taken, _DIGITS, 3)
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    dependencies, blocks = [], []
    for link in item.links:
        if link.type == "blocks":
            blocks.append(link)
        else:
            dependencies.append({"issue_id": ident, "depends_on_id": link.ref, "type": link.type,
                                 "created_at": stamp, "created_by": actor})
    metadata = dict(item.metadata)
    notes = []
    if blocks:
        metadata["blocks"] = [link.ref for link in blocks]
        notes.append("beads state a dependency on the dependent item only: that " + ident + " blocks "
                     + ", ".join(link.ref for link in blocks) + " is kept in its metadata.blocks")
    if item.origin is not None:
        metadata[ORIGIN] = item.origin
    record: dict[str, Any] = {"id": ident, "title": item.title}
    if item.description:
        record["description"] = item.description
    record.update(status="open", priority=_priority(item), issue_type=item.issue_type, created_at=stamp,
                  created_by=actor, updated_at=stamp)
    if item.labels:
        record["labels"] = list(item.labels)
    if dependencies:
        record["dependencies"] = dependencies
    if metadata:
        record["metadata"] = metadata
    return Planned(workspace=ws.name, file=path, id=ident, key=key_base + ident, kind="bead", record=record,
                   links=[link for link in item.links if link.type != "blocks"], notes=notes, target=target,
                   email=workspace_owner(ws))


def folder_database(ws: Workspace, folder: Path, rig: str | None) -> DoltTarget | None:
    """The database of a Dolt-backed ``.beads`` folder of ``ws`` (None: its beads are files); a
    ``CreateError`` when server access is off (its beads can be written nowhere else)."""
    from core.sources.beads_folder import SERVER_READS_OFF, dolt_backing

    town = ws.name if ws.kind is WorkspaceKind.TOWN else None
    target, settings = dolt_backing(folder, town=town, rig=rig, limits=ReadLimits())
    if target is not None and not settings.server_reads:
        raise CreateError(f"{folder}'s beads live in Dolt server {target.server} and {SERVER_READS_OFF}: "
                          "crossdeck cannot write them")
    return target


def _rows(target: DoltTarget) -> BeadRows:
    """A connection to the database (a ``CreateError`` when it cannot be had)."""
    from core.sync.bead_rows import BeadRows

    return BeadRows(target)


def _bead_home(ws: Workspace, rig_name: str | None) -> tuple[Path, str, str]:
    """(the .beads folder, the id prefix with its dash, the key every id is appended to)."""
    root = Path(ws.root)
    info = ws.info
    if not isinstance(info, Town):
        if rig_name:
            raise CreateError(f"{ws.name} is a beads folder: it has no rigs")
        return root / ".beads", _common_prefix(ws) or f"{root.name}-", uri.beads_key(root.name, "")
    if rig_name is None:
        town_routes = [r.prefix for r in info.routes if r.path.strip("/") in ("", ".")]
        prefix = min(town_routes, key=len) if town_routes else "hq-"
        return root / ".beads", prefix, uri.hop_key(info.owner, info.name, None, "")
    rig = next((r for r in info.rigs if r.name == rig_name), None)
    if rig is None:
        names = ", ".join(sorted(r.name for r in info.rigs)) or "none"
        raise CreateError(f"{ws.name} has no rig {rig_name!r} (its rigs: {names})")
    if not rig.beads_dir:
        raise CreateError(f"rig {rig_name} of {ws.name} has no .beads folder here (is it cloned?)")
    prefix = rig.prefix or next((r.prefix.rstrip("-") for r in info.routes if r.path.split("/")[0] == rig_name), None)
    if not prefix:
        raise CreateError(f"rig {rig_name} of {ws.name} has no beads prefix (config.json beads.prefix)")
    return Path(rig.beads_dir), prefix.rstrip("-") + "-", uri.hop_key(info.owner, info.name, rig_name, "")


def _common_prefix(ws: Workspace) -> str | None:
    """The prefix most ids of a standalone beads folder share (``bd-``)."""
    counts: dict[str, int] = {}
    for unit in ws.work_units:
        head, dash, _ = unit.id.rpartition("-")
        if dash:
            counts[head + "-"] = counts.get(head + "-", 0) + 1
    return max(counts, key=lambda p: (counts[p], p)) if counts else None


# -- delegations --------------------------------------------------------------------------------

def delegation_fields(parent: str, terms: dict[str, Any], delegated_by: str | None,
                      delegated_to: str | None) -> dict[str, Any]:
    """A delegation as the real form states it on the child (``metadata.delegated_from``) and
    the town's ``federation.jsonl`` record adds ``type`` and ``child`` to."""
    fields: dict[str, Any] = {"parent": parent, "terms": {k: v for k, v in terms.items() if v is not None}}
    if delegated_by:
        fields["delegated_by"] = delegated_by
    if delegated_to:
        fields["delegated_to"] = delegated_to
    return fields


def federation_record(child: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The ``.beads/federation.jsonl`` line of a delegation to ``child``."""
    return {"type": "delegation", "parent": fields["parent"], "child": child,
            **{k: v for k, v in fields.items() if k != "parent"}}


DELEGATED_LINK = "implements"  # the relationship a sudocode child states to its delegated parent


def delegation_links(ws: Workspace, parent: str) -> list[Link]:
    """What a delegated child states of its parent in its own record: a sudocode item (which has
    no field for a delegation) an ``implements`` relationship; a bead nothing (its metadata says)."""
    if ws.kind is not WorkspaceKind.SUDOCODE:
        return []
    return [Link(type=DELEGATED_LINK, ref=parent, to_type="spec" if parent.rpartition("#")[2].startswith("s-")
                 else "issue")]


def federation_file(ws: Workspace, parent: str) -> Path | None:
    """Where ``ws`` records a delegation from ``parent`` to one of its items, when it needs a
    record beside the child: a town, for a parent in another workspace (the child's metadata
    states it too); a sudocode repo, always (an issue or spec has no field for it); else None."""
    if ws.kind is WorkspaceKind.SUDOCODE:
        return Path(ws.root) / ".sudocode" / "federation" / "delegations.jsonl"
    if ws.kind is WorkspaceKind.TOWN and uri.workspace_of(parent) != ws.name:
        return Path(ws.root) / ".beads" / "federation.jsonl"
    return None


# -- changing an item ---------------------------------------------------------------------------

def update_item(ws: Workspace, unit: WorkUnit, changes: dict[str, Any], actor: str) -> Path | None:
    """Set ``changes`` on ``unit`` now (outside any journal): its Dolt row, or its line(s) in the
    file it was read from; returns the file, None for a database."""
    from core.sync.journal import Plan, apply_now

    writes = Plan("update", actor, workspace_owner(ws), "")
    path = journal_update(ws, unit, changes, actor, writes, {})
    try:
        apply_now(writes)
    except OSError as exc:
        raise CreateError(f"cannot rewrite {path}: {exc}") from None
    return path


def journal_update(ws: Workspace, unit: WorkUnit, changes: dict[str, Any], actor: str, writes: Plan,
                   pending: dict[Path, bytes]) -> Path | None:
    """Add setting ``changes`` on ``unit`` to an action's journal plan: in its database when its
    folder is Dolt-backed (one transaction, committed to Dolt as ``actor``; returns None), else on
    its line(s) in the file it was read from, the file rewritten whole (atomically; every other byte
    kept; returns it). ``pending`` holds the files this plan rewrites already (a rig file holding a
    child and its parent is rewritten once with both changes)."""
    target = _unit_database(ws, unit)
    if target is not None:
        writes.bead({"kind": "update", "target": msgspec.to_builtins(target), "id": unit.id, "changes": changes,
                     "actor": actor, "email": workspace_owner(ws),
                     "message": f"{unit.id}: " + ", ".join(f"{k} {v}" for k, v in changes.items()
                                                          if k != "updated_at")})
        return None
    path = Path(unit.source)
    if path.name not in ("issues.jsonl", "specs.jsonl") or path.parent.name == "backup":
        raise CreateError(f"{unit.key} comes from {path}, which crossdeck does not rewrite (only the export "
                          "form issues.jsonl and sudocode's issues.jsonl / specs.jsonl)")
    if path in pending:
        lines = pending[path].split(b"\n")
    else:
        try:
            lines = path.read_bytes().split(b"\n")
        except OSError as exc:
            raise CreateError(f"cannot read {path}: {exc.strerror or exc}") from None
    needle = msgspec.json.encode(unit.id)
    found = False
    for index, raw in enumerate(lines):
        if needle not in raw:
            continue
        record = _object(raw)
        if record is None or record.get("id") != unit.id:
            continue
        record.update(changes)
        lines[index] = encode_line(record)[:-1]
        found = True
    if not found:
        raise CreateError(f"{unit.id} is no longer in {path}")
    pending[path] = b"\n".join(lines)
    writes.replace(path, pending[path])
    return path


def _unit_database(ws: Workspace, unit: WorkUnit) -> DoltTarget | None:
    """The database of the Dolt-backed folder ``unit`` is in, whatever it was read from this time
    (its server may be down and the unit read from an export: it is still written there)."""
    if unit.kind != "bead":
        return None
    source = next((s for s in ws.sources if s.rig == unit.rig), None)
    return folder_database(ws, Path(source.folder), unit.rig) if source is not None and source.server else None


def close_changes(unit: WorkUnit, reason: str, now: dt.datetime) -> dict[str, Any]:
    """The fields that close ``unit`` in its format (sudocode has no close reason field)."""
    if unit.kind in ("issue", "spec"):
        stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return {"status": "closed", "closed_at": stamp, "updated_at": stamp}
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"status": "closed", "closed_at": stamp, "close_reason": reason, "updated_at": stamp}


# -- helpers ------------------------------------------------------------------------------------

def fresh_id(prefix: str, seed: str, taken: set[str], alphabet: str, length: int) -> str:
    """``prefix`` and ``length`` digits derived from ``seed``; longer while the id is taken."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    base = len(alphabet)
    digits = []
    while number and len(digits) < 40:
        number, rest = divmod(number, base)
        digits.append(alphabet[rest])
    text = "".join(digits)
    for size in range(length, len(text) + 1):
        candidate = prefix + text[:size]
        if candidate not in taken:
            return candidate
    raise CreateError(f"no free id with prefix {prefix!r}")  # pragma: no cover - 40 digits of sha256


def _ids_in(path: Path) -> set[str]:
    ids = set()
    for raw in _lines(path):
        record = _object(raw)
        if record is not None and isinstance(record.get("id"), str):
            ids.add(record["id"])
    return ids


def _lines(path: Path) -> list[bytes]:
    try:
        return [line for line in path.read_bytes().split(b"\n") if line.strip()]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise CreateError(f"cannot read {path}: {exc.strerror or exc}") from None


def _object(raw: bytes) -> dict[str, Any] | None:
    try:
        record = _decode(raw)
    except msgspec.DecodeError:
        return None  # a torn or bad line: the loader reports it, it is not ours to fix
    return record if isinstance(record, dict) else None


def _priority(item: NewItem) -> int:
    return item.priority if item.priority is not None else 2
