"""What an approved incoming request creates: a ``create_issue``, ``create_spec`` or ``delegate``
request becomes a new item of the approving workspace, in its own format (``core.sync.create``).

``plan_creation`` reads the request's payload and plans the item (nothing written; a
``CreateError`` says what is missing); ``journal_creation`` adds its writes to the decision's
journal plan (``core.sync.journal``), under the workspace lock the caller
(``core.sync.decisions``) holds, unless an interrupted earlier attempt wrote it already.
Read from the payload: ``title`` (required), ``description``, ``priority``, ``labels``, ``rig``
(a town's rig; else a town-level item), ``relationships[]`` (``{"type", "remote_ref"}``, as
sudocode's mutate message writes them; ``from_item`` / ``discovered_from`` name the requester's
item too), ``blocks`` (``true``: the new item blocks the requester's item; or a reference, or a
list of them; use case 1 of the sudocode federation design), and for a ``delegate`` request
``parent``, ``terms``, ``delegated_to`` and, for a sudocode receiver, ``kind`` (``issue``, else
``spec``: use case 2). A reference written without its workspace is the requester's.

A delegated child is stored as its workspace's format can hold it: a bead carries
``metadata.delegated_from`` (plus the town's ``federation.jsonl`` record when the parent is
elsewhere); a sudocode issue or spec, which has no field for it, states an ``implements``
relationship to the parent and the delegation is recorded in ``.sudocode/federation/delegations.jsonl``
(docs/formats.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core import uri
from core.model import Request, Workspace, WorkspaceKind
from core.sources.federation_records import remote_name
from core.sync.create import (
    Created,
    CreateError,
    Link,
    NewItem,
    Planned,
    delegation_fields,
    delegation_links,
    federation_file,
    federation_record,
    find_created,
    journal_item,
    key_of,
    plan_item,
)
from core.sync.gitcommit import workspace_owner
from core.sync.records import holds_record

if TYPE_CHECKING:
    from core.sync.journal import Plan

CREATES = {"create_issue": "issue", "create_spec": "spec", "delegate": "issue"}


def creates_item(request_type: str) -> bool:
    return request_type in CREATES


class Creation(msgspec.Struct, kw_only=True):
    """What approving a request will create: the planned item and, for a delegation from another
    workspace, the ``federation.jsonl`` record too."""

    request_id: str
    plan: Planned
    delegated_from: dict[str, Any] | None = None
    federation: Path | None = None  # where the delegation record goes, when it needs one


def plan_creation(ws: Workspace, request: Request, actor: str, now: dt.datetime) -> Creation:
    """The item ``request`` asks ``ws`` for; raises ``CreateError`` (nothing written)."""
    payload = request.payload
    title = payload.get("title")
    if not isinstance(title, str) or not title.strip():
        raise CreateError(f"it asks for a new {CREATES[request.request_type]} but its payload has no title")
    links = _links(payload, request.from_repo)
    metadata: dict[str, Any] = {}
    delegated_from = None
    federation = None
    kind = "spec" if request.request_type == "create_spec" else "issue"
    if request.request_type == "delegate":
        parent = payload.get("parent")
        if not isinstance(parent, str) or not parent.strip():
            raise CreateError("a delegate request needs the parent item (payload.parent)")
        parent = _qualified(parent, request.from_repo)
        terms = payload.get("terms") if isinstance(payload.get("terms"), dict) else {}
        by = payload.get("requester") if isinstance(payload.get("requester"), str) else request.from_repo
        to = payload.get("delegated_to") if isinstance(payload.get("delegated_to"), str) else workspace_owner(ws)
        delegated_from = delegation_fields(parent, terms, by, to)
        metadata["delegated_from"] = delegated_from
        federation = federation_file(ws, parent)
        links += delegation_links(ws, parent)  # a sudocode item: a relationship sudocode keeps, beside our record
        if ws.kind is WorkspaceKind.SUDOCODE and payload.get("kind") == "spec":
            kind = "spec"
    priority = payload.get("priority")
    labels = payload.get("labels")
    description = payload.get("description")
    rig = payload.get("rig")
    item = NewItem(
        title=title.strip(), seed=f"{ws.name}:{request.request_id}",
        description=description if isinstance(description, str) else None,
        priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else None,
        labels=[label for label in labels if isinstance(label, str)] if isinstance(labels, list) else [],
        kind=kind, rig=rig if isinstance(rig, str) and rig else None, links=links, metadata=metadata,
        origin={"request_id": request.request_id, "from_repo": request.from_repo})
    return Creation(request_id=request.request_id, plan=plan_item(ws, item, actor, now),
                    delegated_from=delegated_from, federation=federation)


def journal_creation(creation: Creation, writes: Plan) -> Created:
    """Add writing the planned item (and its delegation record) to an action's journal plan,
    unless an earlier attempt for the same request wrote it already; what will exist once the
    plan is carried out. The caller holds the workspace's lock."""
    plan = creation.plan
    existing = find_created(plan, creation.request_id)
    files: list[str] = []
    if existing is None:
        journal_item(plan, writes)
        files += [str(f) for f in plan.files]
    ident = existing or plan.id
    key = key_of(plan, ident)
    if creation.federation is not None and creation.delegated_from is not None and not _has_delegation(
            creation.federation, key):
        writes.append(creation.federation, federation_record(key, creation.delegated_from))
        files.append(str(creation.federation))
    return Created(id=ident, key=key, kind=plan.kind, workspace=plan.workspace, file=plan.where,
                   links=plan.links, notes=plan.notes, delegated_from=creation.delegated_from,
                   existed=existing is not None, files=files)


def _links(payload: dict[str, Any], requester: str) -> list[Link]:
    """The relationships the payload asks the new item to state (discovered-from, blocks, ...)."""
    pairs: list[tuple[str, str]] = []
    entries = payload.get("relationships")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            continue
        ref = next((entry[k] for k in ("remote_ref", "ref", "target", "to") if isinstance(entry.get(k), str)), None)
        if ref:
            pairs.append((entry["type"], ref))
    for field in ("from_item", "discovered_from"):
        if isinstance(payload.get(field), str):
            pairs.append(("discovered-from", payload[field]))
    blocks = payload.get("blocks")
    if blocks is True:
        pairs += [("blocks", ref) for kind, ref in list(pairs) if kind == "discovered-from"]
    elif isinstance(blocks, str):
        pairs.append(("blocks", blocks))
    elif isinstance(blocks, list):
        pairs += [("blocks", ref) for ref in blocks if isinstance(ref, str)]
    links = [Link(type=kind, ref=(q := _qualified(ref, requester)), to_type=_type_of(q)) for kind, ref in pairs]
    return list(dict.fromkeys(links))


def _qualified(ref: str, requester: str) -> str:
    """``ref`` as a canonical key where it can be: a bare sudocode id is the requester's."""
    parsed = uri.try_parse(ref)
    key = uri.canonical(parsed) if parsed is not None else None
    if key is not None:
        return key
    if parsed is not None and parsed.form is uri.RefForm.SHORT and "hop://" not in requester:
        return uri.sudocode_key(remote_name(requester), parsed.id)
    return ref.strip()


def _type_of(key: str) -> str:
    return "spec" if key.rpartition("#")[2].startswith("s-") else "issue"


def _has_delegation(path: Path, child: str) -> bool:
    return holds_record(path, child, lambda record: record.get("type") == "delegation" and record.get("child") == child)
