"""Realm actions: bump an export's version with a changelog entry; resolve an import to a version.

**bump** ``REALM/DOMAIN/CONTRACT`` to ``V`` with changes: a history entry dated today goes into
the export's ``changelog`` (draft layout, ``exports.yaml``) or ``evolution`` (implemented layout,
``contracts/<c>.yaml``, with ``compatible``), newest first or last as the list already runs, and
the export's ``version`` becomes ``V`` unless ``V`` is a prerelease (the current version is the
newest stable one). ``V`` must be newer than every version the export lists; bumping to a version
it already lists with the same changes changes nothing. ``incompatible`` marks the entry
``compatible: false``, which makes the importers on older versions broken.

**resolve** ``REALM/IMPORTER/imports/CONTRACT``: the import's ``resolved_version`` becomes ``V``
(default: the contract's current version), ``resolved_at`` now and ``status`` ``current`` (or,
for an older ``V``, ``stale`` in the draft layout, ``outdated`` in the implemented one). ``V``
must be a version the contract lists and one the import's range admits (``range`` widens it).

Who may: when a domain (or, implemented layout, the repo) lists maintainers and the actor is an
entity id (``bob@acme.dev``), the actor must be one of them; a ``BD_ACTOR`` name cannot be
matched to a person and is let through. Where the realm's ``governance.approvers`` lists anyone
(matched by name or by the email config.toml gives the actor, ``core.maintainers``), an approver
may do either; an incompatible bump (unless ``breaking_changes.require_approval`` is ``false``) is
theirs alone, and a resolve is theirs or the importing domain's maintainers' (strictly, by name or
email); anyone else is refused, naming the lists. A compatible bump is checked as before.

**The YAML is edited in place** (``core.sync.yaml_edit``), so comments, key order and quoting
survive; where the editor cannot, the whole document is re-dumped and the result says the
comments were lost (``comments_kept`` false).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml

from core.analysis.stale import contract_versions, parse_range, parse_version
from core.federation import Federation, load_workspace
from core.maintainers import Rule, approvers, standing
from core.model import Contract, Realm, Workspace, WorkspaceKind
from core.sync import SyncError
from core.sync.appendlog import append_jsonl
from core.sync.decisions import check_actor
from core.sync.gitcommit import CommitOutcome, commit_workspace
from core.sync.lock import workspace_lock
from core.sync.records import audit_record, record_logs, timestamp, utc
from core.sync.yaml_edit import Keys, YamlDoc


class RealmError(SyncError):
    """A realm action was refused; the message says why."""


class RealmChange(msgspec.Struct, kw_only=True, frozen=True):
    """What a bump or a resolve changed (``changed`` false: it was so already; nothing written)."""

    action: str  # bump | resolve
    realm: str  # realm://REALM
    key: str  # the contract's key (bump) or the import's (resolve)
    changed: bool
    before: dict[str, Any]  # bump: version; resolve: status, resolved_version, resolved_at, range
    after: dict[str, Any]
    entry: dict[str, Any] | None = None  # bump: the history entry added
    file: str
    comments_kept: bool = True  # false: the file had to be re-dumped, its comments are gone
    actor: str
    files: list[str] = []
    commit: CommitOutcome | None = None


def bump(fed: Federation, ref: str, version: str, changes: list[str], incompatible: bool, actor: str,
         now: dt.datetime) -> RealmChange:
    actor, now = check_actor(actor), utc(now)
    changes = [c.strip() for c in changes if c and c.strip()]
    if not changes:
        raise RealmError("say what changed: at least one --change")
    try:
        wanted = parse_version(version)
    except ValueError:
        raise RealmError(f"{version!r} is not a version (MAJOR.MINOR.PATCH)") from None
    ws, key = _realm_of(fed, ref, 1)
    with _locked(ws):
        fresh = _reload(ws)
        contract = next((c for c in fresh.contracts if c.key == key), None)
        if contract is None:
            raise RealmError(f"{ws.name} exports no {key.rpartition('/')[2]} in domain {key.split('/')[3]}")
        breaking = incompatible and _breaking_needs_approval(fresh)
        _authorise(fresh, actor, f"bump {key} incompatibly" if breaking else f"bump {key}", contract.domain,
                   contract.owner, "approvers" if breaking else "lenient")
        path, at = _record_of(Path(contract.source), "exports", "name", contract.name)
        field = "evolution" if not at else "changelog"
        error = contract_versions(contract).error
        if error:
            raise RealmError(f"{key}: {error}")
        listed = {parse_version(v): v for v in [contract.version, *(e.version for e in contract.history)]}
        same = next((e for e in contract.history if parse_version(e.version) == wanted), None)
        if same is not None and same.changes == changes:
            return RealmChange(action="bump", realm=ws.name, key=key, changed=False, before={"version": contract.version},
                               after={"version": contract.version}, file=str(path), actor=actor)
        newest = max(listed)
        if wanted <= newest:
            raise RealmError(f"{key} already lists {listed[newest]}: bump to a newer version than that")
        entry: dict[str, Any] = {"version": version, "date": now.date(), "changes": changes}
        if field == "evolution" or incompatible:
            entry["compatible"] = not incompatible
        doc = YamlDoc(path)
        doc.insert([*at, field], entry, first=not _ascending(contract, field))
        after = contract.version if wanted.prerelease else version
        if not wanted.prerelease:
            doc.set([*at, "version"], version)
        kept = _save(doc)
        payload = {"contract": contract.name, "from": contract.version, "to": version, "breaking": incompatible}
        change = RealmChange(action="bump", realm=ws.name, key=key, changed=True, before={"version": contract.version},
                             after={"version": after}, entry={**entry, "date": now.date().isoformat()}, file=str(path),
                             comments_kept=kept, actor=actor)
        return _finish(fresh, change, "export", payload, f"realm bump {key} {contract.version} -> {version}", now)


def resolve(fed: Federation, ref: str, version: str | None, range_: str | None, actor: str,
            now: dt.datetime) -> RealmChange:
    actor, now = check_actor(actor), utc(now)
    ws, key = _realm_of(fed, ref, 2)
    with _locked(ws):
        fresh = _reload(ws)
        imp = next((i for i in fresh.imports if i.key == key), None)
        if imp is None:
            raise RealmError(f"{ws.name} has no import {key}")
        _authorise(fresh, actor, f"resolve {key}", imp.domain, imp.domain, "strict")
        contract = next((c for c in fresh.contracts if c.domain == imp.from_domain and c.name == imp.contract), None)
        if contract is None:
            raise RealmError(f"{key}: the contract {imp.contract} is gone from domain {imp.from_domain or '?'}: "
                             "there is no version to resolve to")
        target, current = _target_version(contract, version)
        wanted_range = (range_ or "").strip() or imp.range
        try:
            admitted = parse_range(wanted_range).match(parse_version(target))
        except ValueError as exc:
            raise RealmError(f"{key}: {exc}") from None
        if not admitted:
            raise RealmError(f"{key}: the range {wanted_range} does not admit {target}; widen it with --range")
        path, at = _record_of(Path(imp.source), "imports", "contract", imp.contract)
        layout_stale = "stale" if at and path.name == "imports.yaml" else "outdated"
        status = "current" if target == current else layout_stale
        before = {"status": imp.declared_status, "resolved_version": imp.resolved_version,
                  "resolved_at": imp.resolved_at, "range": imp.range}
        if (imp.declared_status, imp.resolved_version, imp.range) == (status, target, wanted_range):
            return RealmChange(action="resolve", realm=ws.name, key=key, changed=False, before=before,
                               after=before, file=str(path), actor=actor)
        stamp = timestamp(now)
        doc = YamlDoc(path)
        if wanted_range != imp.range:
            doc.set([*at, "version"], wanted_range)
        for field, value in (("status", status), ("resolved_version", target), ("resolved_at", stamp)):
            doc.set([*at, field], value)
        kept = _save(doc)
        after = {"status": status, "resolved_version": target, "resolved_at": stamp, "range": wanted_range}
        change = RealmChange(action="resolve", realm=ws.name, key=key, changed=True, before=before, after=after,
                             file=str(path), comments_kept=kept, actor=actor)
        payload = {"import": key, "contract": contract.key, "from": imp.resolved_version, "to": target}
        return _finish(fresh, change, "resolve", payload, f"realm resolve {key} to {target}", now)


# -- finding and checking -----------------------------------------------------------------------

def _realm_of(fed: Federation, ref: str, extra: int) -> tuple[Workspace, str]:
    """The local realm workspace ``ref`` (``[realm://]REALM/DOMAIN/CONTRACT``, or with
    ``/imports/`` before the contract) is in, and ``ref`` as a key."""
    bare = ref.strip().removeprefix("realm://").strip("/")
    parts = bare.split("/")
    shape = "REALM/DOMAIN/CONTRACT" if extra == 1 else "REALM/IMPORTER/imports/CONTRACT"
    if len(parts) != 2 + extra or not all(parts) or (extra == 2 and parts[2] != "imports"):
        raise RealmError(f"{ref!r} is not {shape}")
    name = f"realm://{parts[0]}"
    ws = next((w for w in fed.workspaces if w.name == name and not w.remote_cache), None)
    if ws is None:
        realms = ", ".join(sorted(w.name for w in fed.workspaces if w.kind is WorkspaceKind.REALM)) or "none"
        raise RealmError(f"no local realm {name} is loaded (realms: {realms})")
    return ws, f"realm://{bare}"


def _locked(ws: Workspace) -> Any:
    return workspace_lock(Path(ws.root))


def _reload(ws: Workspace) -> Workspace:
    fresh, diags = load_workspace(Path(ws.root), WorkspaceKind.REALM)
    if fresh is None:
        raise RealmError(f"{ws.root} no longer holds a readable realm: " + "; ".join(str(d) for d in diags.items))
    return fresh


def _check_maintainer(ws: Workspace, domain: str, repo: str | None, actor: str) -> None:
    if "@" not in actor or "/" in actor:
        return
    listed = _domain_maintainers(ws, domain, repo)
    if listed and actor not in listed:
        raise RealmError(f"{actor} is not a maintainer of {domain} in {ws.name} (maintainers: {', '.join(listed)})")


def _breaking_needs_approval(ws: Workspace) -> bool:
    breaking = ws.info.governance.get("breaking_changes") if isinstance(ws.info, Realm) else None
    return not (isinstance(breaking, dict) and breaking.get("require_approval") is False)


def _authorise(ws: Workspace, actor: str, doing: str, domain: str, repo: str | None,
               domain_check: Literal["approvers", "strict", "lenient"]) -> None:
    """Refuse ``actor`` doing ``doing`` unless the realm's approvers (where it lists some) let it,
    or the domain's maintainers do: not at all (``approvers``), by name or email (``strict``), or as
    ``_check_maintainer`` always did (``lenient``)."""
    rule = approvers(ws)
    if rule is None or domain_check == "lenient":
        if rule is None or not standing(rule, actor, doing).allowed:
            _check_maintainer(ws, domain, repo, actor)
        return
    allowed, why = standing(rule, actor, doing)
    if allowed:
        return
    if domain_check == "approvers":
        raise RealmError(why)
    listed = tuple(_domain_maintainers(ws, domain, repo))
    if not listed:
        raise RealmError(why)
    own = Rule(listed, rule.file, f"the maintainers of {domain}", f"the maintainers of {domain}")
    if not standing(own, actor, doing).allowed:
        raise RealmError(f"{why}; nor is it among the maintainers of {domain} ({', '.join(listed)})")


def _domain_maintainers(ws: Workspace, domain: str, repo: str | None) -> list[str]:
    realm = ws.info if isinstance(ws.info, Realm) else None
    listed = next((d.maintainers for d in realm.domains if d.name == domain), []) if realm else []
    return list(listed) + [m for r in (realm.repos if realm else []) if r.get("name") == repo
                           for m in r.get("maintainers") or [] if isinstance(m, str)]


def _ascending(contract: Contract, field: str) -> bool:
    """Whether the export's history runs oldest first (then a new entry goes last); with fewer
    than two entries, as each layout usually writes it: evolution oldest first, changelog newest."""
    history = contract.history
    if len(history) < 2:
        return field == "evolution"
    return parse_version(history[0].version) < parse_version(history[-1].version)


def _target_version(contract: Contract, version: str | None) -> tuple[str, str | None]:
    """(the version to resolve to as the contract spells it, the contract's current version)."""
    versions = contract_versions(contract)
    if versions.error:
        raise RealmError(versions.error)
    if version is None:
        if versions.current_text is None:
            raise RealmError(f"{contract.key} has no stable version to resolve to")
        return versions.current_text, versions.current_text
    try:
        wanted = parse_version(version)
    except ValueError:
        raise RealmError(f"{version!r} is not a version") from None
    spelled = {parsed: entry.version for parsed, entry in versions.entries}
    spelled.setdefault(parse_version(contract.version), contract.version)
    if wanted not in spelled:
        raise RealmError(f"{contract.key} lists no version {version} (it lists {', '.join(sorted(spelled.values()))})")
    return spelled[wanted], versions.current_text


def _record_of(path: Path, field: str, name_field: str, name: str) -> tuple[Path, Keys]:
    """The file and the keys of the record named ``name`` in it: ``[field, index]`` in a file
    listing several (exports.yaml, imports.yaml, a binding), ``[]`` for a contract file."""
    if path.parent.name == "contracts":
        return path, []
    doc = yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader) or {}
    entries = doc.get(field) if isinstance(doc, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and entry.get(name_field) == name:
            return path, [field, index]
    raise RealmError(f"{path} no longer lists {name}")


def _save(doc: YamlDoc) -> bool:
    try:
        return doc.save()
    except OSError as exc:  # a link out of the realm (core.workspace_paths), a full disk
        raise RealmError(f"cannot write {doc.path}: {exc.strerror or exc}") from None


def _finish(ws: Workspace, change: RealmChange, operation: str, payload: dict[str, Any], message: str,
            now: dt.datetime) -> RealmChange:
    """The audit entry, then the commit; the change with the files written and the commit."""
    audit = record_logs(ws).audit
    entry = audit_record(operation, change.actor, timestamp(now), time.monotonic(), direction="local",
                         local_repo=ws.name, payload=payload,
                         result={"file": Path(change.file).relative_to(ws.root).as_posix()})
    try:
        append_jsonl(audit, entry)
    except OSError as exc:
        raise RealmError(f"{change.file} is written, but the audit entry could not be: {exc.strerror or exc}") from None
    files = [change.file, str(audit)]
    commit = commit_workspace(ws, [Path(f) for f in files], change.actor, message, now)
    return msgspec.structs.replace(change, files=files, commit=commit)
