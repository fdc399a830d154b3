"""sudocode repos: ``.sudocode/`` issues and specs, config, the federation config (identity,
remote repos with their trust, policies) and the git-native federation records under
``.sudocode/federation/`` (requests, subscriptions, audit; see docs/formats.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from msgspec import UNSET

from core import uri
from core.diagnostics import Diagnostics
from core.model import Relationship, SudocodeRepo, Workspace, WorkspaceKind, WorkUnit
from core.sources import seen
from core.sources.a2a_policies import check_a2a_policies
from core.sources.federation_records import (
    check_conditions,
    read_delegations,
    read_maintainers,
    read_record_logs,
    read_remotes,
    remote_name,
)
from core.sources.files import ReadLimits, iter_typed, line_too_deep, linked_out, load_json
from core.sources.keys import MemoKeys, reference_too_long
from core.sources.limits import MAX_REFERENCE
from core.sources.locate import nested_too_deep
from core.sources.schema import SCALAR, Schema, opt, req

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
# sudocode's specs have no status: a spec's is None, unless its line states one (kept, as written).
SPEC = Schema("sudocode spec", {**_COMMON, "status": opt(str)})
RELATIONSHIP = Schema("sudocode relationship",
                      {"from": req(str, target="from_ref"), "to": req(str, target="to_ref"), "type": req(str)})

# The fast path (files.iter_typed, exact): lines as sudocode writes them, every key in its order,
# unknown fields (uuid, archived, ...) kept, so ``extra`` is the line's own, in its order.
_RELATIONSHIP_LINE = RELATIONSHIP.line_type("SudocodeRelationshipLine",
                                            kept={"from_type": SCALAR, "to_type": SCALAR},
                                            order=("from", "from_type", "to", "to_type", "type"))
_TYPED = {"labels": list[str], "relationships": list[_RELATIONSHIP_LINE]}  # type: ignore[valid-type]
_ISSUE_KEPT = ("uuid", "archived", "archived_at", "parent_uuid", "feedback")
_SPEC_KEPT = ("uuid", "file_path", "archived", "archived_at", "parent_uuid")


def _kinds(kept: tuple[str, ...]) -> dict[str, Any]:
    """Kept fields as the fast path types them: scalars, but ``feedback`` (a list of objects)."""
    return {name: Any if name == "feedback" else SCALAR for name in kept}


ISSUE_LINE = msgspec.json.Decoder(ISSUE.line_type(
    "SudocodeIssueLine", typed=_TYPED, kept=_kinds(_ISSUE_KEPT),
    order=("id", "uuid", "title", "content", "status", "priority", "assignee", "archived", "archived_at", "created_at",
           "updated_at", "closed_at", "parent_id", "parent_uuid", "relationships", "tags", "feedback")))
# sudocode writes no status on a spec, so the fast path's spec line has none: a line that states one
# takes the checked path, which keeps it.
SPEC_LINE = msgspec.json.Decoder(Schema("sudocode spec", _COMMON).line_type(
    "SudocodeSpecLine", typed=_TYPED, kept=_kinds(_SPEC_KEPT),
    order=("id", "uuid", "title", "file_path", "content", "priority", "archived", "archived_at", "created_at",
           "updated_at", "parent_id", "parent_uuid", "relationships", "tags")))
_FILES = (("issues.jsonl", ISSUE, ISSUE_LINE, _ISSUE_KEPT, "issue"), ("specs.jsonl", SPEC, SPEC_LINE, _SPEC_KEPT, "spec"))
# The status of an item whose line states none: an issue is open, a spec has no status.
_NO_STATUS_GIVEN = {"issue": "open", "spec": None}


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
    if not seen.is_dir(folder) or linked_out(folder, diags, limits):
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
    for file, schema, line_type, kept, kind in _FILES if limits.reads_units() else ():
        path = folder / file
        if seen.is_file(path):
            ItemsLoad(ws, keys, diags, kind).load(path, schema, line_type, kept, limits)
    if federation:
        config_file = folder / "federation.config.json"
        read_remotes(federation.get("remote_repos"), ws, config_file, diags, "remote_repos")
        check_a2a_policies(federation.get("a2a_policies"), config_file, diags)
        read_maintainers(federation.get("maintainers"), ws, config_file, diags)
        for rules in ("auto_approve", "require_approval"):
            check_conditions(config_file, federation, ["policies", "incoming_requests", "mutate", rules],
                             f"policies.incoming_requests.mutate.{rules}", [], diags)
    read_record_logs(folder / "federation", ws, diags, limits)
    delegations = folder / "federation" / "delegations.jsonl"
    if limits.reads("delegations") and seen.is_file(delegations):
        read_delegations(delegations, ws, keys, diags, limits)
    return ws


def _optional_json(path: Path, diags: Diagnostics, limits: ReadLimits) -> dict[str, Any]:
    if not seen.is_file(path):
        return {}
    return load_json(path, diags, limits) or {}


class ItemsLoad:
    """The issues or specs of one file: each line through the fast path when it fits exactly,
    else through the checked path; both give the same records and messages
    (tests/test_typed_lines.py)."""

    def __init__(self, ws: Workspace, keys: SudocodeKeys, diags: Diagnostics, kind: str):
        self.ws = ws
        self.keys = keys
        self.diags = diags
        self.kind = kind
        self.default_status = _NO_STATUS_GIVEN[kind]
        # What every unit of this file shares; _typed_unit copies it and sets the rest.
        self._template = WorkUnit(key="", id="", title="", workspace=ws.name, kind=kind, status=self.default_status)

    def load(self, path: Path, schema: Schema, line_type: msgspec.json.Decoder[Any], kept: tuple[str, ...],
             limits: ReadLimits) -> None:
        source = str(path)
        has_feedback = "feedback" in kept
        for number, line in iter_typed(path, line_type, self.diags, limits, exact=True, nesting_checked=True):
            if type(line) is dict:
                self._checked(path, source, number, line, schema)
                continue
            if has_feedback and line.feedback is not UNSET and line_too_deep(line):
                self.diags.error(path, nested_too_deep(), number)
                continue
            unit = self._typed_unit(line, source, number, kept)
            self.ws.work_units.append(unit)
            for rel in line.relationships or ():
                extra = {} if rel.from_type is UNSET else {"from_type": rel.from_type}
                if rel.to_type is not UNSET:
                    extra["to_type"] = rel.to_type
                self._relationship(rel.type, rel.from_ref, rel.to_ref, source, number, extra)
            self._mentions(unit, source, number)

    def _typed_unit(self, line: Any, source: str, number: int, kept: tuple[str, ...]) -> WorkUnit:
        """A copy of the file's template with each field set (cheaper than 15+ keywords, see
        ``BeadsLoad._typed_unit``); ``extra`` is the kept fields present, in the line's order."""
        unit = self._template.__copy__()
        unit.key = self.keys.key_for(line.id)
        unit.source = source
        unit.line = number
        unit.extra = {key: value for key in kept if (value := getattr(line, key)) is not UNSET}
        unit.id = line.id
        unit.title = line.title
        unit.description = line.description
        unit.priority = line.priority
        unit.created_at = line.created_at
        unit.updated_at = line.updated_at
        unit.parent_id = line.parent_id
        unit.labels = [] if line.labels is None else line.labels
        if self.kind == "issue":
            unit.status = "open" if line.status is None else line.status
            unit.assignee = line.assignee
            unit.closed_at = line.closed_at
        return unit

    def _checked(self, path: Path, source: str, number: int, raw: dict[str, Any], schema: Schema) -> None:
        relationships = raw.pop("relationships", None)
        parsed = schema.read(raw)
        if isinstance(parsed, str):
            self.diags.error(path, parsed, number)
            return
        known, extra = parsed
        labels = known.get("labels")
        if labels is not None and not all(isinstance(label, str) for label in labels):
            self.diags.error(path, f"sudocode {self.kind}: field 'tags' should be a list of strings", number)
            return
        unit = WorkUnit(key=self.keys.key_for(known["id"]), workspace=self.ws.name, kind=self.kind,
                        status=known.pop("status", self.default_status), source=source, line=number, extra=extra,
                        **known)
        self.ws.work_units.append(unit)
        if relationships is not None:
            self._checked_relationships(relationships, path, source, number)
        self._mentions(unit, source, number)

    def _checked_relationships(self, entries: Any, path: Path, source: str, number: int) -> None:
        if not isinstance(entries, list):
            self.diags.error(path, "sudocode item: field 'relationships' should be a list", number)
            return
        for raw in entries:
            parsed = RELATIONSHIP.read(raw) if isinstance(raw, dict) else "sudocode relationship should be an object"
            if isinstance(parsed, str):
                self.diags.error(path, parsed, number)
                continue
            known, extra = parsed
            self._relationship(known["type"], known["from_ref"], known["to_ref"], source, number, extra)

    def _relationship(self, rel_type: str, from_ref: str, to_ref: str, source: str, number: int,
                      extra: dict[str, Any]) -> None:
        if len(from_ref) > MAX_REFERENCE or len(to_ref) > MAX_REFERENCE:
            field, ref = ("from", from_ref) if len(from_ref) > MAX_REFERENCE else ("to", to_ref)
            self.diags.error(source, "sudocode relationship: " + reference_too_long(field, ref), number)
            return
        resolve = self.keys.resolve
        self.ws.relationships.append(
            Relationship(type=rel_type, from_ref=from_ref, to_ref=to_ref, from_key=resolve(from_ref),
                         to_key=resolve(to_ref), workspace=self.ws.name, source=source, line=number, extra=extra)
        )

    def _mentions(self, unit: WorkUnit, source: str, number: int) -> None:
        """``[[org/repo#id]]`` references in an item's content."""
        if unit.description and "[[" in unit.description:
            for ref in uri.find_refs(unit.description):
                target = str(ref)
                if len(target) > MAX_REFERENCE:
                    self.diags.error(source, f"sudocode {self.kind}: " + reference_too_long("[[reference]]", target),
                                     number)
                    continue
                self.ws.relationships.append(
                    Relationship(type="references", from_ref=unit.id, to_ref=target, from_key=unit.key,
                                 to_key=uri.canonical(ref), workspace=self.ws.name, source=source, line=number,
                                 extra={"mentioned_in": "content"})
                )
