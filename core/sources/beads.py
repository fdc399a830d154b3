"""Beads work units from a ``.beads`` folder, in both forms the real tool writes.

Export form: ``issues.jsonl``, one issue a line with its ``dependencies[]`` inline.
Backup form: ``backup/*.jsonl`` flat table dumps (issues, dependencies, labels, comments,
events; booleans as 0/1, ``metadata`` as a JSON string), joined back to their issues here. A
Dolt server's tables are read as the same rows (``core.sources.beads_server``).
Which form a folder is read from is decided by ``core.sources.beads_folder``; when the export is
read, the backup's events are added to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from core.diagnostics import Diagnostics
from core.model import AuditEvent, Delegation, Relationship, Workspace, WorkspaceKind, WorkUnit
from core.sources import seen
from core.sources.federation_records import read_crossdeck_folder
from core.sources.files import ReadLimits, iter_typed, line_too_deep, linked_out, too_deep
from core.sources.keys import FolderKeys, ItemKeys, reference_too_long
from core.sources.limits import MAX_REFERENCE
from core.sources.locate import nested_too_deep
from core.sources.schema import Schema, describe, opt, req

ISSUE = Schema(
    "beads issue",
    {
        "id": req(str),
        "title": req(str),
        "status": opt(str),
        "priority": opt(int),
        "issue_type": opt(str, target="type"),
        "description": opt(str),
        "assignee": opt(str),
        "owner": opt(str),
        "created_by": opt(str),
        "labels": opt(list),
        "created_at": opt(str),
        "updated_at": opt(str),
        "closed_at": opt(str),
        "close_reason": opt(str),
        "comments": opt(list),
    },
)
DEPENDENCY = Schema(
    "beads dependency",
    {
        "issue_id": opt(str),
        "depends_on_id": req(str),
        "type": opt(str),
        "created_at": opt(str),
        "created_by": opt(str),
    },
)
BACKUP_DEPENDENCY = Schema("beads dependency", {**DEPENDENCY.fields, "issue_id": req(str)})
LABEL = Schema("beads label", {"issue_id": req(str), "label": req(str)})
COMMENT = Schema("beads comment", {"issue_id": req(str)})
EVENT = Schema(
    "beads event",
    {"issue_id": opt(str), "event_type": req(str), "actor": opt(str), "created_at": req(str)},
)
# The fast path of an export line (files.iter_typed): the fields above, typed dependencies, and
# ``metadata`` (the unknown field most common in real exports); anything else takes the checked path.
ISSUE_LINE = msgspec.json.Decoder(ISSUE.line_type(
    "BeadsIssueLine",
    typed={"labels": list[str], "dependencies": list[DEPENDENCY.line_type("BeadsDependencyLine")]},  # type: ignore[misc]
    kept=("metadata",),
))
DELEGATED_FROM = "delegated-from"

_TERM_FIELDS = ("portion", "deadline", "acceptance_criteria", "credit_share")
_decode = msgspec.json.Decoder().decode
_UNSET = msgspec.UNSET


class Table(NamedTuple):
    """Rows of one beads table, wherever they come from: a backup file (``line`` is the file's
    line) or a Dolt server (``source`` is ``dolt://SERVER/DATABASE/TABLE``, ``line`` None)."""

    source: str
    rows: Iterable[tuple[int | None, dict[str, Any]]]


class TableSet(NamedTuple):
    """The tables of the backup form (and of a Dolt database): every column on every row."""

    issues: Table
    dependencies: Table | None = None
    labels: Table | None = None
    comments: Table | None = None
    events: Table | None = None


class BeadsLoad:
    """Everything read from one ``.beads`` folder into a workspace.

    Wisps (ephemeral beads: ``ephemeral`` 1 or true) are left out, as beads' exports leave them
    out, with everything stated on them (their labels, comments, events, dependencies)."""

    def __init__(self, ws: Workspace, keys: ItemKeys, diags: Diagnostics, limits: ReadLimits,
                 rig: str | None = None):
        self.ws = ws
        self.keys = keys
        self.diags = diags
        self.limits = limits
        self.rig = rig
        self.wisps: set[str] = set()
        # What every unit of this folder shares; _typed_unit copies it and sets the rest.
        self._template = WorkUnit(key="", id="", title="", workspace=ws.name, kind="bead", rig=rig)

    def for_workspace(self, ws: Workspace, diags: Diagnostics) -> BeadsLoad:
        """The same folder's load into another workspace and diagnostics (a trial read whose
        records are kept only when it succeeds whole)."""
        return BeadsLoad(ws, self.keys, diags, self.limits, self.rig)

    # -- issues ------------------------------------------------------------------------------
    def _work_unit(self, path: Path | str, number: int | None, raw: dict[str, Any]) -> WorkUnit | None:
        """The checked path: any issue line (or row), with its unknown fields kept in ``extra``."""
        parsed = ISSUE.read(raw)
        if isinstance(parsed, str):
            self._error(path, parsed, number, raw)
            return None
        known, extra = parsed
        if extra.get("ephemeral") in (1, True):
            self.wisps.add(known["id"])
            return None
        labels = known.get("labels")
        if labels is not None and not all(isinstance(label, str) for label in labels):
            self.diags.error(path, "beads issue: field 'labels' should be a list of strings", number)
            return None
        unit = WorkUnit(key=self.keys.key_for(known["id"]), workspace=self.ws.name, kind="bead", rig=self.rig,
                        source=str(path), line=number, extra=extra, **known)
        self._unit_extras(unit, path, number)
        return unit

    def _typed_unit(self, line: Any, path: Path, source: str, number: int) -> WorkUnit:
        """The fast path: an issue line that decoded straight into ``ISSUE_LINE``'s struct.

        The unit is a copy of this folder's template with each field set: a msgspec struct built
        from 16 keywords or more costs ~0.6 us more than from 15 (1.0 us for all 23 of WorkUnit's,
        against 0.5 us this way), 40 ms over a 100k-unit load.
        """
        unit = self._template.__copy__()
        unit.key = self.keys.key_for(line.id)
        unit.source = source
        unit.line = number
        unit.extra = {} if line.metadata is msgspec.UNSET else {"metadata": line.metadata}
        unit.id = line.id
        unit.title = line.title
        unit.status = "open" if line.status is None else line.status
        unit.priority = line.priority
        unit.type = line.type
        unit.description = line.description
        unit.labels = [] if line.labels is None else line.labels
        unit.assignee = line.assignee
        unit.owner = line.owner
        unit.created_by = line.created_by
        unit.created_at = line.created_at
        unit.updated_at = line.updated_at
        unit.closed_at = line.closed_at
        unit.close_reason = line.close_reason
        unit.comments = [] if line.comments is None else line.comments
        if unit.extra:
            self._delegation_from_metadata(unit, path, number)
        return unit

    def _unit_extras(self, unit: WorkUnit, path: Path | str, number: int | None) -> None:
        """What a work unit's unknown fields state: a delegation in its metadata, references."""
        self._delegation_from_metadata(unit, path, number)
        references = unit.extra.get("references")
        if references is not None:
            self._references(unit, references, path, number)

    def _references(self, unit: WorkUnit, references: Any, path: Path | str, number: int | None) -> None:
        """A work unit's ``references: [{"type": "depends_on", "target": URI}]`` (design form)."""
        if not isinstance(references, list):
            self.diags.error(path, "beads issue: field 'references' should be a list", number)
            return
        for ref in references:
            if not isinstance(ref, dict) or not isinstance(ref.get("target"), str):
                self.diags.error(path, "beads issue: each reference needs a 'target' string", number)
                continue
            if len(ref["target"]) > MAX_REFERENCE:
                self.diags.error(path, "beads issue: " + reference_too_long("reference", ref["target"]), number)
                continue
            rel_type = ref.get("type") if isinstance(ref.get("type"), str) else "references"
            self.ws.relationships.append(
                Relationship(type=rel_type, from_ref=unit.id, to_ref=ref["target"], from_key=unit.key,
                             to_key=self.keys.resolve(ref["target"]), workspace=self.ws.name,
                             source=str(path), line=number,
                             extra={k: v for k, v in ref.items() if k not in ("type", "target")})
            )

    def load_export(self, path: Path) -> None:
        """An export file: a line that fits ``ISSUE_LINE`` takes the fast path, any other line the
        checked one; both give the same records and messages (tests/test_typed_lines.py)."""
        units = self.ws.work_units
        source = str(path)
        key_for = self.keys.key_for
        for number, line in iter_typed(path, ISSUE_LINE, self.diags, self.limits, nesting_checked=True):
            if type(line) is dict:
                self._export_line(path, number, line)
                continue
            if (line.metadata is not _UNSET or line.comments is not None) and line_too_deep(line):
                self.diags.error(path, nested_too_deep(), number)
                continue
            unit = self._typed_unit(line, path, source, number)
            units.append(unit)
            if line.dependencies:
                for dep in line.dependencies:
                    child = dep.issue_id or unit.id
                    self._add_dependency(source, number, child, unit.key if child == unit.id else key_for(child),
                                         dep.depends_on_id, dep.type, dep.created_at, dep.created_by, {})

    def _export_line(self, path: Path, number: int, raw: dict[str, Any]) -> None:
        """One export line through the checked path."""
        deps = raw.pop("dependencies", None)
        unit = self._work_unit(path, number, raw)
        if unit is None:
            return
        self.ws.work_units.append(unit)
        if deps is None:
            return
        if not isinstance(deps, list):
            self.diags.error(path, "beads issue: field 'dependencies' should be a list", number)
            return
        for dep in deps:
            self._dependency(path, number, dep, unit.id, DEPENDENCY)

    def load_tables(self, tables: TableSet) -> None:
        """The backup form's tables (from files or a Dolt server), joined back to their issues."""
        by_id: dict[str, WorkUnit] = {}
        source = tables.issues.source
        for number, raw in tables.issues.rows:
            unit = self._work_unit(source, number, raw)
            if unit is not None:
                by_id[unit.id] = unit
        self._join(tables.labels, by_id, LABEL, "label",
                   lambda unit, row: setattr(unit, "labels", [*unit.labels, row["label"]]))
        self._join(tables.comments, by_id, COMMENT, "comment",
                   lambda unit, row: setattr(unit, "comments", [*unit.comments, row]))
        self.ws.work_units.extend(by_id.values())
        if tables.dependencies is not None:
            for number, raw in tables.dependencies.rows:
                if not self._of_a_wisp(raw):
                    self._dependency(tables.dependencies.source, number, raw, None, BACKUP_DEPENDENCY)
        if tables.events is not None:
            self.load_events(tables.events)

    def _of_a_wisp(self, row: dict[str, Any]) -> bool:
        """Whether a table row belongs to a wisp (left out); a row whose ``issue_id`` is not even a
        string is not, and its schema says what is wrong with it."""
        issue = row.get("issue_id")
        return isinstance(issue, str) and issue in self.wisps

    def _join(self, table: Table | None, by_id: dict[str, WorkUnit], schema: Schema, what: str,
              attach: Callable[[WorkUnit, dict[str, Any]], None]) -> None:
        """Join a table (labels, comments) back to its issues by ``issue_id``."""
        if table is None:
            return
        for number, raw in table.rows:
            parsed = schema.read(raw)
            if isinstance(parsed, str):
                self._error(table.source, parsed, number, raw)
                continue
            known, extra = parsed
            unit = by_id.get(known["issue_id"])
            if unit is None:
                if known["issue_id"] not in self.wisps:
                    self.diags.warning(table.source, f"{what} for unknown issue {known['issue_id']}", number)
                continue
            attach(unit, {**known, **extra})

    def _error(self, source: Path | str, message: str, number: int | None, raw: dict[str, Any]) -> None:
        """An error about a record; a row of a server table has no line, so its id is named."""
        if number is None:
            ident = raw.get("id") or raw.get("issue_id")
            message += f" (row {ident})" if isinstance(ident, (str, int)) else ""
        self.diags.error(source, message, number)

    # -- dependencies and delegations ----------------------------------------------------------
    def _dependency(self, path: Path | str, number: int | None, raw: Any, issue_id: str | None,
                    schema: Schema) -> None:
        if not isinstance(raw, dict):
            self.diags.error(path, "beads dependency should be an object", number)
            return
        parsed = schema.read(raw)
        if isinstance(parsed, str):
            self._error(path, parsed, number, raw)
            return
        known, extra = parsed
        child = known.get("issue_id") or issue_id or ""
        self._add_dependency(str(path), number, child, self.keys.key_for(child), known["depends_on_id"],
                             known.get("type"), known.get("created_at"), known.get("created_by"), extra)

    def _add_dependency(self, source: str, number: int | None, child: str, child_key: str, target: str,
                        dep_type: str | None, created_at: str | None, created_by: str | None,
                        extra: dict[str, Any]) -> None:
        """A dependency as a relationship (and a delegation when it is ``delegated-from``)."""
        if len(target) > MAX_REFERENCE:
            self.diags.error(source, "beads dependency: " + reference_too_long("depends_on_id", target), number)
            return
        dep_type = dep_type or "blocks"
        to_key = self.keys.resolve(target)
        self.ws.relationships.append(
            Relationship(type=dep_type, from_ref=child, to_ref=target, from_key=child_key, to_key=to_key,
                         workspace=self.ws.name, created_at=created_at, created_by=created_by, source=source,
                         line=number, extra=extra)
        )
        if dep_type == DELEGATED_FROM:
            self.ws.delegations.append(
                Delegation(parent=target, child=child, parent_key=to_key, child_key=child_key,
                           delegated_by=created_by, forms=["dependency"], workspace=self.ws.name, source=source,
                           line=number)
            )

    def _delegation_from_metadata(self, unit: WorkUnit, path: Path | str, number: int | None) -> None:
        metadata = unit.extra.get("metadata")
        if isinstance(metadata, str):  # the backup form stores metadata as a JSON string
            if metadata in ("", "{}"):
                return
            try:
                metadata = _decode(metadata)
            except (msgspec.DecodeError, RecursionError):
                self.diags.error(path, "beads issue: field 'metadata' holds malformed JSON", number)
                return
            if isinstance(metadata, dict) and too_deep(metadata):
                self.diags.error(path, f"beads issue: field 'metadata' holds JSON {nested_too_deep()}", number)
                return
        if not isinstance(metadata, dict) or "delegated_from" not in metadata:
            return
        stated = metadata["delegated_from"]
        if isinstance(stated, str):
            stated = {"parent": stated}
        problem = _delegated_from_problem(stated)
        if problem is not None:
            self.diags.error(path, f"beads issue: metadata.delegated_from {problem}", number)
            return
        terms = dict(stated.get("terms") or {})
        for field in _TERM_FIELDS:
            if field in stated:
                terms.setdefault(field, stated[field])
        self.ws.delegations.append(
            Delegation(
                parent=stated["parent"],
                child=unit.id,
                parent_key=self.keys.resolve(stated["parent"]),
                child_key=unit.key,
                terms=terms,
                delegated_by=stated.get("delegated_by"),
                delegated_to=stated.get("delegated_to"),
                forms=["metadata"],
                workspace=self.ws.name,
                source=str(path),
                line=number,
            )
        )

    # -- events ------------------------------------------------------------------------------
    def load_events(self, table: Table) -> None:
        audit = self.ws.audit
        source = table.source
        for number, raw in table.rows:
            parsed = EVENT.read(raw)
            if isinstance(parsed, str):
                self._error(source, parsed, number, raw)
                continue
            known, extra = parsed
            issue_id = known.get("issue_id")
            if issue_id in self.wisps:
                continue
            audit.append(
                AuditEvent(
                    ts=known["created_at"],
                    actor=known.get("actor") or None,
                    type=known["event_type"],
                    workspace=self.ws.name,
                    payload=extra,
                    subject=self.keys.key_for(issue_id) if issue_id else None,
                    origin="beads-events",
                    source=source,
                    line=number,
                )
            )


def _delegated_from_problem(stated: Any) -> str | None:
    """What is wrong with a bead's ``metadata.delegated_from`` (a mapping by now), if anything."""
    if not isinstance(stated, dict) or not isinstance(stated.get("parent"), str):
        return "needs a 'parent' reference"
    if len(stated["parent"]) > MAX_REFERENCE:
        return reference_too_long("parent", stated["parent"])
    terms = stated.get("terms")
    if terms is not None and not isinstance(terms, dict):
        return f"'terms' should be an object, found {describe(terms)}"
    for field in ("delegated_by", "delegated_to"):
        value = stated.get(field)
        if value is not None and not isinstance(value, str):
            return f"'{field}' should be a string, found {describe(value)}"
    return None


def load_beads_workspace(root: Path, diags: Diagnostics, limits: ReadLimits) -> Workspace | None:
    """A standalone ``.beads`` folder outside any town: ``beads://local/FOLDER``."""
    beads = root / ".beads"
    if not seen.is_dir(beads) or linked_out(beads, diags, limits):
        return None
    from core.sources.beads_folder import load_beads_folder

    keys = FolderKeys(root.name)
    ws = Workspace(kind=WorkspaceKind.BEADS, name=f"beads://local/{root.name}", root=str(root))
    diags.workspace = ws.name
    if limits.reads_units():
        load_beads_folder(BeadsLoad(ws, keys, diags, limits), beads, town=None, root=root)
    read_crossdeck_folder(root, ws, diags, limits)
    return ws
