"""sudocode repos: ``.sudocode/`` issues and specs, config, the federation config (identity,
remote repos with their trust, policies) and the git-native federation records under
``.sudocode/federation/`` (requests, subscriptions, audit; see docs/formats.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import uri
from core.diagnostics import Diagnostics
from core.model import Relationship, SudocodeRepo, Workspace, WorkspaceKind, WorkUnit
from core.sources.federation_records import read_record_logs, read_remotes, remote_name
from core.sources.files import ReadLimits, iter_jsonl, load_json
from core.sources.keys import MemoKeys
from core.sources.schema import Schema, opt, req

_COMMON = {
    "id": req(str),
    "title": req(str),
    "content": opt(str, target="description"),
    "priority": opt(int),
    "created_at": opt(str),
    "updated_at": opt(str),
    "parent_id": opt(str),
    "tags": opt(list, target="labels"),
}
ISSUE = Schema("sudocode issue", {**_COMMON, "status": opt(str), "assignee": opt(str), "closed_at": opt(str)})
SPEC = Schema("sudocode spec", _COMMON)
RELATIONSHIP = Schema("sudocode relationship", {"from": req(str), "to": req(str), "type": req(str)})


class SudocodeKeys(MemoKeys):
    """``ORG/REPO#ID`` keys; a plain id in a relationship is an item of this repo."""

    def __init__(self, repo: str):
        super().__init__()
        self.repo = repo

    def key_for(self, ident: str) -> str:
        return uri.sudocode_key(self.repo, ident)

    def _resolve(self, ref: str) -> str | None:
        if "/" not in ref and "#" not in ref and ":" not in ref:
            # No form with a canonical key is written without these (``scheme://``, ``org/repo#id``):
            # a plain id of this repo, the common case, needs no parse.
            return self.key_for(ref) if ref.strip() else None
        parsed = uri.try_parse(ref)
        if parsed is not None:
            key = uri.canonical(parsed)
            if key is not None:
                return key
        return self.key_for(ref) if "/" not in ref and ref.strip() else None


def load_sudocode(root: Path, diags: Diagnostics, limits: ReadLimits) -> Workspace | None:
    folder = root / ".sudocode"
    if not folder.is_dir():
        return None
    config = _optional_json(folder / "config.json", diags, limits)
    federation = _optional_json(folder / "federation.config.json", diags, limits)
    identity = federation.get("local_identity") if isinstance(federation.get("local_identity"), dict) else {}
    url = identity.get("url") if isinstance(identity.get("url"), str) else None
    name = remote_name(url) if url else f"local/{root.name}"
    repo = SudocodeRepo(name=name, identity_url=url, display_name=identity.get("display_name"),
                        config=config, federation=federation, source=str(folder))
    ws = Workspace(kind=WorkspaceKind.SUDOCODE, name=name, root=str(root), info=repo)
    diags.workspace = name
    keys = SudocodeKeys(name)
    for file, schema, kind in (("issues.jsonl", ISSUE, "issue"), ("specs.jsonl", SPEC, "spec")):
        path = folder / file
        if path.is_file():
            _load_items(path, schema, kind, ws, keys, diags, limits)
    if federation:
        read_remotes(federation.get("remote_repos"), ws, folder / "federation.config.json", diags, "remote_repos")
    read_record_logs(folder / "federation", ws, diags, limits)
    return ws


def _optional_json(path: Path, diags: Diagnostics, limits: ReadLimits) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return load_json(path, diags, limits) or {}


def _load_items(path: Path, schema: Schema, kind: str, ws: Workspace, keys: SudocodeKeys,
                diags: Diagnostics, limits: ReadLimits) -> None:
    source = str(path)
    for number, raw in iter_jsonl(path, diags, limits):
        relationships = raw.pop("relationships", None)
        parsed = schema.read(raw)
        if isinstance(parsed, str):
            diags.error(path, parsed, number)
            continue
        known, extra = parsed
        labels = known.get("labels")
        if labels is not None and not all(isinstance(label, str) for label in labels):
            diags.error(path, f"sudocode {kind}: field 'tags' should be a list of strings", number)
            continue
        unit = WorkUnit(key=keys.key_for(known["id"]), workspace=ws.name, kind=kind,
                        status=known.pop("status", "open"), source=source, line=number, extra=extra, **known)
        ws.work_units.append(unit)
        if relationships is not None:
            _relationships(relationships, ws, keys, diags, path, source, number)
        if unit.description and "[[" in unit.description:
            for ref in uri.find_refs(unit.description):
                target = str(ref)
                ws.relationships.append(
                    Relationship(type="references", from_ref=unit.id, to_ref=target, from_key=unit.key,
                                 to_key=uri.canonical(ref), workspace=ws.name, source=source, line=number,
                                 extra={"mentioned_in": "content"})
                )


def _relationships(entries: Any, ws: Workspace, keys: SudocodeKeys, diags: Diagnostics, path: Path,
                   source: str, number: int) -> None:
    if not isinstance(entries, list):
        diags.error(path, "sudocode item: field 'relationships' should be a list", number)
        return
    for raw in entries:
        parsed = RELATIONSHIP.read(raw) if isinstance(raw, dict) else "sudocode relationship should be an object"
        if isinstance(parsed, str):
            diags.error(path, parsed, number)
            continue
        known, extra = parsed
        ws.relationships.append(
            Relationship(type=known["type"], from_ref=known["from"], to_ref=known["to"],
                         from_key=keys.resolve(known["from"]), to_key=keys.resolve(known["to"]),
                         workspace=ws.name, source=source, line=number, extra=extra)
        )
