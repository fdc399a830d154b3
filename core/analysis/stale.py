"""Stale imports: how far each realm import lags the contract it uses, and whether it still fits.

For every import of a realm the analysis finds the contract it uses (the graph's ``imports``
edge, ``Import.contract_key``; no graph is built) and computes a status (formats README,
"Realms: Blue"); the computed status wins over the one the file declares, and a disagreement
is reported:

- **pending**: no resolved version yet;
- **broken**: the contract is gone, or the range does not admit the current version, or an
  incompatible change lies between resolved and current (an entry with ``compatible: false``, or
  where entries say nothing about compatibility, a different major version), or a range or a
  version cannot be read (a reason says which; never an exception);
- **current**: resolved equals current;
- **stale** (Blue: outdated): resolved is behind current.

The current version is the newest *stable* version of the export (prereleases are ignored, as
npm ranges do). Ranges are npm / cargo style, read by ``semantic_version``. Days stale count from
the date of the first (stable) history entry newer than the resolved version; where that entry has
no date, from the contract file's git history (when the realm folder is a git repository; read
only then, through GitPython imported lazily), else from ``resolved_at``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
from semantic_version import NpmSpec, SimpleSpec, Version

from core.model import Contract, ContractVersion, Import, Realm, Workspace
from core.timeutil import parse_date

DEFAULT_GRACE_DAYS = 14
_LIBRARY_ERRORS = (ValueError, AttributeError, TypeError, IndexError, KeyError)
_OPERATOR_SPACE = re.compile(r"(<=|>=|<|>|=|\^|~)\s+(?=[\dxX*])")  # ">= 1.2" -> ">=1.2"


class ImportStatus(str, enum.Enum):
    BROKEN = "broken"
    STALE = "stale"
    PENDING = "pending"
    CURRENT = "current"


# What Blue writes in a file, as the status the analysis computes.
_DECLARED = {"outdated": ImportStatus.STALE, "stale": ImportStatus.STALE, "current": ImportStatus.CURRENT,
             "broken": ImportStatus.BROKEN, "pending": ImportStatus.PENDING}


class HistoryEntry(msgspec.Struct, kw_only=True, frozen=True):
    """One changelog / evolution entry between the resolved and the current version."""

    version: str
    date: str | None = None
    changes: list[str] = []
    compatible: bool | None = None


class ImportReport(msgspec.Struct, kw_only=True, frozen=True):
    """One import, as the stale-imports pane, ``crossdeck stale`` and ``crossdeck check`` show it."""

    key: str  # realm://REALM/IMPORTER/imports/CONTRACT
    contract_key: str  # realm://REALM/DOMAIN/CONTRACT
    realm: str  # the realm workspace, realm://REALM
    importer: str  # the importing domain (draft) or repo (implemented)
    status: ImportStatus
    declared_status: str | None  # as the file writes it
    disagreement: bool  # the declared status is not the computed one
    range: str
    resolved_version: str | None
    current_version: str | None = None  # as the export writes it
    changes: list[HistoryEntry] = []  # oldest first, after resolved, up to current
    incompatible: bool = False
    reasons: list[str] = []  # why broken (or how far behind)
    days_stale: int | None = None
    stale_since: str | None = None  # ISO date the staleness counts from
    since_source: str | None = None  # changelog | git | resolved_at
    grace_period_days: int = DEFAULT_GRACE_DAYS
    past_grace: bool = False
    binding: str | None = None  # the importer's file that uses the contract
    declared_in: str = ""  # the file declaring the import
    line: int | None = None


# (realm folder, contract, resolved version) -> the day a newer version was first committed.
ChangeDates = Callable[[Path, Contract, Version], "dt.date | None"]


def parse_version(text: str) -> Version:
    """A semantic version; ``1.0`` and ``v1.2`` are coerced, build metadata (``+abc``) is dropped
    as it does not count in precedence. Raises ValueError."""
    cleaned = text.strip().lstrip("=v")
    try:
        return Version(cleaned).truncate("prerelease")
    except _LIBRARY_ERRORS:
        pass
    try:
        return Version.coerce(cleaned).truncate("prerelease")
    except _LIBRARY_ERRORS as exc:
        raise ValueError(f"not a version: {text!r}") from exc


def parse_range(text: str) -> NpmSpec | SimpleSpec:
    """An npm or cargo range (``^``, ``~``, ``>=``, ``*``, ``1.x``, ``>=1.2, <2``). Raises ValueError."""
    spaced = " ".join(_OPERATOR_SPACE.sub(r"\1", text.replace(",", " ")).split())
    try:
        return NpmSpec(spaced)
    except _LIBRARY_ERRORS:
        pass
    try:
        return SimpleSpec(text)
    except _LIBRARY_ERRORS as exc:  # semantic_version raises more than ValueError on some garbage
        raise ValueError(f"not a version range: {text!r}") from exc


class _Versions(NamedTuple):
    """One contract's versions, parsed once however many imports use it."""

    entries: list[tuple[Version, ContractVersion]]  # ascending
    current: Version | None  # newest stable
    current_text: str | None
    error: str | None = None


def contract_versions(contract: Contract) -> _Versions:
    try:
        own = parse_version(contract.version)
        entries = [(parse_version(entry.version), entry) for entry in contract.history]
    except ValueError as exc:
        return _Versions([], None, None, f"contract {contract.name}: a version cannot be read ({exc})")
    entries.sort(key=lambda pair: pair[0])
    written = {version: entry.version for version, entry in entries}
    written[own] = contract.version
    stable = [version for version in written if not version.prerelease]
    current = max(stable) if stable else None
    return _Versions(entries, current, written[current] if current is not None else None)


def stale_imports(workspaces: Iterable[Workspace], today: dt.date,
                  change_dates: ChangeDates | None = None) -> list[ImportReport]:
    """Every import of the realms among ``workspaces`` with its computed status, sorted broken,
    stale (past grace first, most days first), pending, current. ``change_dates`` dates an
    undated change (default: the contract file's git history, read only when needed).

    No graph is needed: an import uses the contract keyed ``Import.contract_key`` (the graph's
    ``imports`` edge); where two workspaces give the same key, the later one's record stands,
    as in the graph (``core.graph``)."""
    if change_dates is None:
        change_dates = GitChangeDates().first_newer
    realms: dict[str, Realm | None] = {}
    contracts: dict[str, Contract] = {}
    imports: dict[str, tuple[Import, str]] = {}
    for ws in workspaces:
        realms[ws.name] = ws.info if isinstance(ws.info, Realm) else None
        contracts.update((contract.key, contract) for contract in ws.contracts)
        imports.update((imp.key, (imp, ws.name)) for imp in ws.imports if isinstance(ws.info, Realm))
    analysis = _Analysis(realms, contracts, today, change_dates)
    reports = [analysis.report(key, imp, realm) for key, (imp, realm) in imports.items()]
    reports.sort(key=_order)
    return reports


_RANK = {ImportStatus.BROKEN: 0, ImportStatus.STALE: 1, ImportStatus.PENDING: 2, ImportStatus.CURRENT: 3}


def _order(report: ImportReport) -> tuple[int, bool, int, str]:
    days = report.days_stale if report.days_stale is not None else -1
    stale = report.status is ImportStatus.STALE
    return _RANK[report.status], stale and not report.past_grace, -days if stale else 0, report.key


class _Analysis:
    def __init__(self, realms: dict[str, Realm | None], contracts: dict[str, Contract], today: dt.date,
                 change_dates: ChangeDates):
        self.realms, self.contracts, self.today, self.change_dates = realms, contracts, today, change_dates
        self.versions: dict[str, _Versions] = {}

    def report(self, key: str, imp: Import, workspace: str) -> ImportReport:
        contract_key = imp.contract_key(workspace)
        contract = self.contracts.get(contract_key)
        realm = self.realms.get(workspace)
        grace = realm.grace_period_days if realm is not None else DEFAULT_GRACE_DAYS
        base: dict[str, Any] = dict(
            key=key, contract_key=contract_key, realm=workspace, importer=imp.domain,
            declared_status=imp.declared_status,
            range=imp.range, resolved_version=imp.resolved_version, grace_period_days=grace,
            binding=imp.binding, declared_in=imp.source, line=imp.line)
        if contract is None:
            reason = f"contract {imp.contract!r} is gone: domain {imp.from_domain or '?'!r} does not export it"
            return _finish(base, ImportStatus.BROKEN, reasons=[reason])
        versions = self.versions.get(contract_key)
        if versions is None:
            versions = self.versions[contract_key] = contract_versions(contract)
        base["current_version"] = versions.current_text
        fatal = [versions.error] if versions.error else []
        try:
            spec = parse_range(imp.range)
        except ValueError:
            fatal.append(f"range {imp.range!r} cannot be read")
        if fatal:
            return _finish(base, ImportStatus.BROKEN, reasons=fatal)
        if imp.resolved_version is None:
            return _finish(base, ImportStatus.PENDING, reasons=["no resolved version yet"])
        try:
            resolved = parse_version(imp.resolved_version)
        except ValueError:
            return _finish(base, ImportStatus.BROKEN,
                           reasons=[f"resolved version {imp.resolved_version!r} cannot be read"])
        return self._resolved(base, imp, contract, versions, spec, resolved, realm)

    def _resolved(self, base: dict[str, Any], imp: Import, contract: Contract, versions: _Versions,
                  spec: NpmSpec | SimpleSpec, resolved: Version, realm: Realm | None) -> ImportReport:
        current = versions.current
        if current is None:
            return _finish(base, ImportStatus.BROKEN, reasons=[f"contract {contract.name} has no stable version"])
        reasons: list[str] = []
        if not spec.match(current):
            reasons.append(f"range {imp.range} does not admit the current version {versions.current_text}")
        if resolved > current:
            reasons.append(f"resolved version {imp.resolved_version} is newer than the newest stable version "
                           f"{versions.current_text}")
        between = [(v, e) for v, e in versions.entries if resolved < v <= current]
        breaking = _incompatible(resolved, current, between)
        reasons += breaking
        if reasons:
            status = ImportStatus.BROKEN
        elif resolved == current:
            status = ImportStatus.CURRENT
        else:
            status = ImportStatus.STALE
            reasons.append(f"resolved {imp.resolved_version}, current {versions.current_text}")
        dating: dict[str, Any] = {}
        if resolved < current:
            dating = self._days(imp, contract, resolved, between, realm, base["grace_period_days"])
        changes = [HistoryEntry(version=e.version, date=e.date, changes=list(e.changes), compatible=e.compatible)
                   for _, e in between]
        return _finish(base, status, reasons=reasons, changes=changes, incompatible=bool(breaking), **dating)

    def _days(self, imp: Import, contract: Contract, resolved: Version,
              between: list[tuple[Version, ContractVersion]], realm: Realm | None, grace: int) -> dict[str, Any]:
        first = next((entry for version, entry in between if not version.prerelease), None)
        since, source = (parse_date(first.date), "changelog") if first else (None, None)
        if since is None and realm is not None and realm.source:
            since, source = self.change_dates(Path(realm.source).parent, contract, resolved), "git"
        if since is None:
            since, source = parse_date(imp.resolved_at), "resolved_at"
        if since is None:
            return {}
        days = max(0, (self.today - since).days)
        return {"days_stale": days, "stale_since": since.isoformat(), "since_source": source,
                "past_grace": days > grace}


def _incompatible(resolved: Version, current: Version,
                  between: list[tuple[Version, ContractVersion]]) -> list[str]:
    """Why the change from ``resolved`` to ``current`` is not compatible (empty when it is)."""
    if resolved >= current:
        return []
    reasons = [f"{entry.version} is marked incompatible" for _, entry in between if entry.compatible is False]
    undeclared = [v for v, e in between if e.compatible is None]
    if current not in {v for v, _ in between}:
        undeclared.append(current)  # the export's own version, with no entry of its own
    if not reasons and any(v.major != resolved.major for v in undeclared):
        reasons.append(f"major version change {resolved.major} -> {current.major}")
    return reasons


def _finish(base: dict[str, Any], status: ImportStatus, **fields: Any) -> ImportReport:
    declared = base["declared_status"]
    normal = _DECLARED.get(declared.lower()) if isinstance(declared, str) else None
    disagreement = declared is not None and normal is not status
    return ImportReport(**base, status=status, disagreement=disagreement, **fields)


class GitChangeDates:
    """The day a version newer than the resolved one was first committed to a contract file, from
    the git history of the realm folder (read only; skipped quietly when the folder is not a git
    repository). GitPython and YAML are imported only when a realm is one; each repository is
    opened once and each file's history read once."""

    def __init__(self) -> None:
        self._repos: dict[Path, Any] = {}
        self._histories: dict[tuple[Path, str, str], list[tuple[dt.date, list[str]]]] = {}

    def first_newer(self, realm_root: Path, contract: Contract, resolved: Version) -> dt.date | None:
        for day, texts in self._history(realm_root, contract):
            if any(_stable_newer(text, resolved) for text in texts):
                return day
        return None

    def _repo(self, root: Path) -> Any:
        if root not in self._repos:
            self._repos[root] = None
            if (root / ".git").exists():
                try:
                    import git

                    self._repos[root] = git.Repo(root)
                except (ImportError, OSError, ValueError, git.exc.GitError):
                    pass
        return self._repos[root]

    def _history(self, root: Path, contract: Contract) -> list[tuple[dt.date, list[str]]]:
        """(author date, the contract's versions in the file) for each commit of the file, oldest first."""
        key = (root, contract.source, contract.name)
        if key in self._histories:
            return self._histories[key]
        history: list[tuple[dt.date, list[str]]] = []
        self._histories[key] = history
        repo = self._repo(root)
        if repo is None or not contract.source:
            return history
        import git
        import yaml

        try:
            path = Path(contract.source).resolve().relative_to(root.resolve()).as_posix()
            for commit in reversed(list(repo.iter_commits(paths=path))):
                data = (commit.tree / path).data_stream.read()
                history.append((commit.authored_datetime.date(), _versions_in(data, contract.name)))
        except (ValueError, KeyError, OSError, UnicodeDecodeError, git.exc.GitError, yaml.YAMLError):
            pass  # what was read before the problem still dates the change
        return history


def _stable_newer(text: str, resolved: Version) -> bool:
    try:
        version = parse_version(text)
    except ValueError:
        return False
    return not version.prerelease and version > resolved


def _versions_in(data: bytes, name: str) -> list[str]:
    """Every version written for contract ``name`` in a contract file (implemented) or an
    exports.yaml (draft), read with YAML's base loader so ``1.10`` stays ``1.10``."""
    import yaml

    doc = yaml.load(data, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    if not isinstance(doc, dict):
        return []
    exports = doc.get("exports")
    candidates = [doc, *(exports if isinstance(exports, list) else [])]
    for item in candidates:
        if isinstance(item, dict) and item.get("name") == name:
            history = item.get("changelog") or item.get("evolution")
            entries = history if isinstance(history, list) else []
            texts = [item.get("version"), *(e.get("version") for e in entries if isinstance(e, dict))]
            return [text for text in texts if isinstance(text, str)]
    return []
