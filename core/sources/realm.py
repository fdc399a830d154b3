"""Blue realms: a realm's domains, the contracts they export and the imports that use them.

Two layouts (formats README, "Realms: Blue"); a realm may hold either, and both are read:
  draft (RFC 0001)  domains/<d>/domain.yaml, exports.yaml (with changelog), imports.yaml
  implemented       repos/<repo>.yaml, domains/<d>/domain.yaml, contracts/<c>.yaml (with
                    evolution), bindings/<repo>.yaml (a repo's exports and imports in domain <d>)
Keys: a contract is ``realm://REALM/DOMAIN/CONTRACT`` (the exporting domain); an import is
``realm://REALM/IMPORTER/imports/CONTRACT``, the importer being the importing domain (draft) or
the binding's repo (implemented). Import status is computed by the analyses, not here: this
module records what the files say. The user's index ``~/.blue/index.yaml`` and a repo's
``.blue/config.yaml`` are ``core.sources.blue``.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import yaml

from core import uri
from core.diagnostics import Diagnostics
from core.model import Contract, ContractVersion, Domain, Import, Realm, Workspace, WorkspaceKind
from core.sources import seen
from core.sources.federation_records import read_crossdeck_folder
from core.sources.files import ReadLimits, linked_out, yaml_line_of
from core.sources.schema import Schema, opt, req
from core.sources.yaml_records import Keys, load_mapping, record_line

_ANY = (dict, list, str, int, float, bool)
_VERSION = (str, int, float)  # humans write `version: 1.0`; a list or a mapping is an error
_DATE = (str, datetime.date)  # YAML turns unquoted dates into date/datetime objects
REALM = Schema("realm", {"name": req(str), "version": opt(*_VERSION), "created_at": opt(*_DATE),
                         "governance": opt(dict)})
DOMAIN = Schema("domain", {"name": opt(str), "description": opt(str), "repo_path": opt(str),
                           "repo_url": opt(str), "maintainers": opt(list), "members": opt(list),
                           "joined_at": opt(*_DATE), "created_at": opt(*_DATE)})
_CONTRACT_FIELDS = {"name": req(str), "version": req(*_VERSION), "description": opt(str), "owner": opt(str),
                    "schema": opt(*_ANY), "value": opt(*_ANY), "compatibility": opt(dict)}
EXPORT = Schema("export", {**_CONTRACT_FIELDS, "changelog": opt(list, target="history")})
CONTRACT = Schema("contract", {**_CONTRACT_FIELDS, "evolution": opt(list, target="history")})
_HISTORY_FIELDS = {"version": req(*_VERSION), "date": opt(*_DATE), "changes": opt(list), "compatible": opt(bool)}
CHANGELOG_ENTRY = Schema("changelog entry", _HISTORY_FIELDS)
EVOLUTION_ENTRY = Schema("evolution entry", _HISTORY_FIELDS)
IMPORT = Schema("import", {"contract": req(str), "version": req(*_VERSION, target="range"),
                           "from": opt(str, target="from_domain"), "binding": opt(str),
                           "status": opt(str, target="declared_status"), "resolved_version": opt(*_VERSION),
                           "resolved_at": opt(*_DATE)})
BINDING = Schema("binding", {"repo": opt(str), "role": opt(str), "exports": opt(list), "imports": opt(list)})
BINDING_EXPORT = Schema("binding export", {"contract": req(str), "source_files": opt(list)})

_NAME = re.compile(r"[^/\s#\[\]]+")  # one segment of a realm:// key (as core.uri parses them)


def load_realm(root: Path, diags: Diagnostics, limits: ReadLimits) -> Workspace | None:
    """The realm in ``root`` (a folder holding ``realm.yaml``), or None when there is none.

    A realm.yaml that cannot be read is an error, and the realm is named after its folder."""
    path = root / "realm.yaml"
    if not seen.is_file(path) or linked_out(path, diags, limits):
        return None
    realm = _read_realm(path, root, _detect_layout(root), diags, limits)
    if realm is None:
        return None
    ws = Workspace(kind=WorkspaceKind.REALM, name=f"realm://{realm.name}", root=str(root), info=realm)
    diags.workspace = ws.name
    _RealmReader(root, ws, realm, diags, limits).load()
    read_crossdeck_folder(root, ws, diags, limits)
    return ws


def _domain_folders(root: Path) -> list[Path]:
    folder = root / "domains"
    if not seen.is_dir(folder):
        return []
    return [folder / name for name in seen.names(folder) if not name.startswith(".") and (folder / name).is_dir()]


def _detect_layout(root: Path) -> str:
    """implemented when a domain has contracts/ or bindings/ or the realm has repos/, else draft."""
    if seen.is_dir(root / "repos"):
        return "implemented"
    for folder in _domain_folders(root):
        if seen.is_dir(folder / "contracts") or seen.is_dir(folder / "bindings"):
            return "implemented"
    return "draft"


def _read_realm(path: Path, root: Path, layout: str, diags: Diagnostics, limits: ReadLimits) -> Realm | None:
    raw = load_mapping(path, "realm", diags, limits)
    parsed = REALM.read(raw) if raw is not None else None
    if isinstance(parsed, str):
        diags.error(path, parsed, record_line(path, [], raw, parsed))
    known, extra = parsed if isinstance(parsed, tuple) else ({}, {})
    name = known.pop("name", None)
    if name is not None and not _NAME.fullmatch(name):
        diags.error(path, f"realm name {name!r} cannot be part of a realm:// key", record_line(path, ["name"]))
        name = None
    name = name or root.resolve().name
    if not _NAME.fullmatch(name):
        diags.error(path, f"the realm has no usable name (folder {name!r}); not loaded")
        return None
    if isinstance(known.get("created_at"), datetime.date):
        known["created_at"] = _Scalars().text(known["created_at"], path, ["created_at"])
    _check_grace_period(path, known.get("governance") or {}, diags)
    return Realm(name=name, layout=layout, source=str(path), extra=extra, **known)


def _check_grace_period(path: Path, governance: dict[str, Any], diags: Diagnostics) -> None:
    breaking = governance.get("breaking_changes")
    if breaking is None:
        return
    if not isinstance(breaking, dict):
        keys: Keys = ["governance", "breaking_changes"]
    else:
        days = breaking.get("grace_period_days")
        if days is None or (isinstance(days, int) and not isinstance(days, bool) and days >= 0):
            return
        keys = ["governance", "breaking_changes", "grace_period_days"]
    diags.error(path, "realm: governance.breaking_changes.grace_period_days should be a whole number "
                "of days; 14 is used", yaml_line_of(path, keys))


class _Scalars:
    """The exact text of a scalar YAML turned into a number or a timestamp (``1.10`` is not
    ``1.1``). Slow path, taken only for unquoted versions and timestamps: the file's node tree
    is composed once and kept while that file is being read."""

    def __init__(self) -> None:
        self._tree: tuple[Path, Any] | None = None

    def text(self, value: Any, path: Path, keys: Keys) -> str:
        if isinstance(value, str):
            return value
        if type(value) is datetime.date:  # a date-only scalar has one spelling: YYYY-MM-DD
            return value.isoformat()
        if self._tree is None or self._tree[0] != path:
            try:
                tree = yaml.compose(path.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                tree = None
            self._tree = (path, tree)
        node = self._tree[1]
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
            else:
                node = None
        return node.value if isinstance(node, yaml.ScalarNode) else str(value)


class _RealmReader:
    """One realm being read: contracts of every domain first, then the imports that use them."""

    def __init__(self, root: Path, ws: Workspace, realm: Realm, diags: Diagnostics, limits: ReadLimits):
        self.root, self.ws, self.realm, self.diags, self.limits = root, ws, realm, diags, limits
        self.scalars = _Scalars()
        self.domains: dict[str, str] = {}  # folder name or domain.yaml name -> the domain's name
        self.contracts: set[str] = set()
        self.import_keys: set[str] = set()
        self.exporters: dict[str, list[str]] = {}  # contract name -> domains exporting it
        self.repos: set[str] = set()

    def load(self) -> None:
        self._repos()
        folders = [(folder, self._domain(folder)) for folder in _domain_folders(self.root)]
        for folder, domain in folders:
            self._exports(folder, domain)
        for folder, domain in folders:
            self._imports(folder, domain)

    def _exports(self, folder: Path, domain: str) -> None:
        """A domain's contracts: draft exports.yaml, implemented contracts/*.yaml."""
        exports = folder / "exports.yaml"
        for index, entry in self._entries(exports, "exports") if seen.is_file(exports) else ():
            self._contract(EXPORT, entry, domain, exports, ["exports", index])
        for path in _yaml_files(folder / "contracts"):
            raw = load_mapping(path, "contract", self.diags, self.limits)
            if raw is not None:
                self._contract(CONTRACT, raw, domain, path, [])

    def _imports(self, folder: Path, domain: str) -> None:
        """A domain's imports: draft imports.yaml, implemented bindings/*.yaml."""
        imports = folder / "imports.yaml"
        for index, entry in self._entries(imports, "imports") if seen.is_file(imports) else ():
            self._import(entry, imports, ["imports", index], domain, None)
        for path in _yaml_files(folder / "bindings"):
            self._binding(path, domain)

    def _error(self, path: Path, message: str, keys: Keys, raw: Any = None) -> None:
        self.diags.error(path, message, record_line(path, keys, raw, message))

    def _warning(self, path: Path, message: str, keys: Keys) -> None:
        self.diags.warning(path, message, yaml_line_of(path, keys))

    def _entries(self, path: Path, field: str) -> list[tuple[int, dict[str, Any]]]:
        """The mappings listed under ``field`` in the file at ``path``."""
        return self._list(load_mapping(path, field, self.diags, self.limits) or {}, path, field)

    def _list(self, doc: dict[str, Any], path: Path, field: str) -> list[tuple[int, dict[str, Any]]]:
        """The mappings listed under ``doc[field]``; a bad entry is an error and is skipped."""
        entries = doc.get(field)
        if entries is None:
            return []
        if not isinstance(entries, list):
            self._error(path, f"'{field}' should be a list", [field])
            return []
        good: list[tuple[int, dict[str, Any]]] = []
        for index, raw in enumerate(entries):
            if isinstance(raw, dict):
                good.append((index, raw))
            else:
                self._error(path, f"{field}[{index}] should be a mapping", [field, index])
        return good

    def _repos(self) -> None:
        for path in _yaml_files(self.root / "repos"):
            raw = load_mapping(path, "repo", self.diags, self.limits)
            if raw is not None:
                self.realm.repos.append(raw)
                self.repos.add(raw["name"] if isinstance(raw.get("name"), str) else path.stem)

    def _domain(self, folder: Path) -> str:
        path = folder / "domain.yaml"
        raw = load_mapping(path, "domain", self.diags, self.limits) if seen.is_file(path) else None
        parsed = _read(DOMAIN, raw, ("maintainers", "members")) if raw else ({}, {})
        if isinstance(parsed, str):
            self._error(path, parsed, [], raw)
            parsed = ({}, {})
        known, extra = parsed
        name = known.pop("name", None) or folder.name
        if not _NAME.fullmatch(name):
            self._error(path, f"domain name {name!r} cannot be part of a realm:// key; the folder name is used",
                        ["name"])
            name = folder.name
        for field in ("joined_at", "created_at"):
            if field in known:
                known[field] = self.scalars.text(known[field], path, [field])
        self.domains[folder.name] = self.domains[name] = name
        self.realm.domains.append(Domain(name=name, realm=self.realm.name, source=str(path) if raw else "",
                                         extra=extra, **known))
        return name

    def _contract(self, schema: Schema, raw: dict[str, Any], domain: str, path: Path, keys: Keys) -> None:
        parsed = _read(schema, raw)
        if isinstance(parsed, str):
            self._error(path, parsed, keys, raw)
            return
        known, extra = parsed
        name = known.pop("name")
        if not _NAME.fullmatch(name):
            self._error(path, f"{schema.name} name {name!r} cannot be part of a realm:// key", [*keys, "name"])
            return
        key = uri.realm_contract_key(self.realm.name, domain, name)
        if key in self.contracts:
            self._error(path, f"{schema.name} {name!r} of domain {domain!r} is defined twice; only the first "
                        "is kept", keys)
            return
        history_field = "changelog" if schema is EXPORT else "evolution"
        entry_schema = CHANGELOG_ENTRY if schema is EXPORT else EVOLUTION_ENTRY
        history = self._history(known.pop("history", []), entry_schema, path, [*keys, history_field])
        version = self.scalars.text(known.pop("version"), path, [*keys, "version"])
        self.contracts.add(key)
        self.exporters.setdefault(name, []).append(domain)
        self.ws.contracts.append(Contract(key=key, name=name, realm=self.realm.name, domain=domain, version=version,
                                          history=history, source=str(path), extra=extra, **known))

    def _history(self, entries: list[Any], schema: Schema, path: Path, keys: Keys) -> list[ContractVersion]:
        history: list[ContractVersion] = []
        for index, raw in enumerate(entries):
            where = [*keys, index]
            parsed = _read(schema, raw, ("changes",)) if isinstance(raw, dict) else f"{schema.name} should be a mapping"
            if isinstance(parsed, str):
                self._error(path, parsed, where, raw)
                continue
            known, extra = parsed
            for field in ("version", "date"):
                if field in known:
                    known[field] = self.scalars.text(known[field], path, [*where, field])
            history.append(ContractVersion(source=str(path), extra=extra, **known))
        return history

    def _import(self, raw: dict[str, Any], path: Path, keys: Keys, importer: str, home: str | None) -> None:
        """One import by ``importer``; ``home`` is the binding's domain (implemented layout)."""
        parsed = _read(IMPORT, raw)
        if isinstance(parsed, str):
            self._error(path, parsed, keys, raw)
            return
        known, extra = parsed
        contract = known.pop("contract")
        if not _NAME.fullmatch(contract):
            self._error(path, f"import: contract name {contract!r} cannot be part of a realm:// key",
                        [*keys, "contract"])
            return
        key = uri.realm_import_key(self.realm.name, importer, contract)
        if key in self.import_keys:
            self._error(path, f"{importer} imports {contract!r} twice; only the first is kept", keys)
            return
        for field, name in (("range", "version"), ("resolved_version", "resolved_version"),
                            ("resolved_at", "resolved_at")):
            if field in known:
                known[field] = self.scalars.text(known[field], path, [*keys, name])
        from_domain = self._from_domain(known.pop("from_domain", None) or home, contract, path, keys)
        self.import_keys.add(key)
        self.ws.imports.append(Import(key=key, contract=contract, realm=self.realm.name, domain=importer,
                                      from_domain=from_domain, source=str(path), extra=extra, **known))

    def _from_domain(self, written: str | None, contract: str, path: Path, keys: Keys) -> str:
        """The exporting domain: as written (or the only domain exporting the contract); a
        domain or contract that is not in the realm is a warning."""
        if written is None:
            exporters = self.exporters.get(contract, [])
            if len(exporters) == 1:
                return exporters[0]
            self._warning(path, f"import of {contract!r} names no 'from' domain and "
                          f"{len(exporters) or 'no'} domains export it", keys)
            return ""
        domain = self.domains.get(written)
        if domain is None:
            self._warning(path, f"import of {contract!r} from domain {written!r}, which is not in realm "
                          f"{self.realm.name!r}", keys)
            return written
        if uri.realm_contract_key(self.realm.name, domain, contract) not in self.contracts:
            self._warning(path, f"import of {contract!r}, which domain {domain!r} does not export", keys)
        return domain

    def _binding(self, path: Path, domain: str) -> None:
        """One repo's binding. A ``repo`` or ``role`` that is wrong is that field's error, and the
        imports still load: under the file's name when ``repo`` is not a name (as a domain takes
        its folder's). The role and unknown fields have no record to live in yet."""
        known = load_mapping(path, "binding", self.diags, self.limits)
        if known is None:
            return
        header = BINDING.read({field: known[field] for field in ("repo", "role") if field in known})
        if isinstance(header, str):
            self._error(path, header + ("; the file name is used" if "'repo'" in header else ""), [], known)
        written = known.get("repo")
        repo = written if isinstance(written, str) and written else path.stem
        if not _NAME.fullmatch(repo) and repo != path.stem:
            self._error(path, f"binding: repo name {repo!r} cannot be part of a realm:// key; the file name is used",
                        ["repo"])
            repo = path.stem
        if not _NAME.fullmatch(repo):
            self._error(path, f"binding: repo name {repo!r} cannot be part of a realm:// key", ["repo"])
            return
        if self.repos and repo not in self.repos:
            self._warning(path, f"binding of repo {repo!r}, which is not in repos/", ["repo"])
        for index, entry in self._list(known, path, "exports"):
            export = _read(BINDING_EXPORT, entry, ("source_files",))
            if isinstance(export, str):
                self._error(path, export, ["exports", index], entry)
            elif uri.realm_contract_key(self.realm.name, domain, export[0]["contract"]) not in self.contracts:
                self._warning(path, f"{repo} exports {export[0]['contract']!r}, which is not a contract of "
                              f"domain {domain!r}", ["exports", index])
        for index, entry in self._list(known, path, "imports"):
            self._import(entry, path, ["imports", index], repo, domain)


def _yaml_files(folder: Path) -> list[Path]:
    if not seen.is_dir(folder):
        return []
    return [folder / name for name in seen.names(folder) if name.endswith((".yaml", ".yml")) and (folder / name).is_file()]


def _read(schema: Schema, raw: Any, strings: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """``schema.read``, also checking that the ``strings`` fields are lists of strings."""
    parsed = schema.read(raw)
    if isinstance(parsed, str):
        return parsed
    for field in strings:
        if not all(isinstance(item, str) for item in parsed[0].get(field, ())):
            return f"{schema.name}: field '{field}' should be a list of strings"
    return parsed
