"""Stale imports (core/analysis/stale.py): each rule on a small realm written to tmp_path, loaded by
the real loader and graph; git history from a real repository made with GitPython."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.analysis.stale import ImportReport, ImportStatus, parse_range, parse_version, stale_imports
from core.federation import load_federation

TODAY = dt.date(2026, 3, 1)


def write_yaml(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def realm_yaml(root: Path, name: str, grace: int | None = None) -> None:
    governance: dict[str, Any] = {"admission": "open"}
    if grace is not None:
        governance["breaking_changes"] = {"require_approval": True, "grace_period_days": grace}
    write_yaml(root / "realm.yaml", {"name": name, "version": 1, "governance": governance})


def draft_realm(root: Path, exports: dict[str, list[dict[str, Any]]], imports: dict[str, list[dict[str, Any]]],
                grace: int | None = None, name: str = "acme") -> Path:
    """A draft-layout realm: ``exports`` and ``imports`` by domain (each domain gets a folder)."""
    realm_yaml(root, name, grace)
    for domain in {*exports, *imports}:
        write_yaml(root / "domains" / domain / "domain.yaml", {"name": domain, "maintainers": ["a@example.com"]})
    for domain, entries in exports.items():
        write_yaml(root / "domains" / domain / "exports.yaml", {"exports": entries})
    for domain, entries in imports.items():
        write_yaml(root / "domains" / domain / "imports.yaml", {"imports": entries})
    return root


def implemented_realm(root: Path, contracts: dict[str, list[dict[str, Any]]],
                      bindings: dict[tuple[str, str], list[dict[str, Any]]], grace: int | None = None,
                      name: str = "platform") -> Path:
    """An implemented-layout realm: ``contracts`` by domain, ``bindings`` by (domain, repo)."""
    realm_yaml(root, name, grace)
    repos = {repo for _, repo in bindings}
    for repo in repos:
        write_yaml(root / "repos" / f"{repo}.yaml", {"name": repo, "path": f"/src/{repo}"})
    for domain in {*contracts, *(d for d, _ in bindings)}:
        write_yaml(root / "domains" / domain / "domain.yaml", {"name": domain, "members": sorted(repos)})
    for domain, entries in contracts.items():
        for contract in entries:
            write_yaml(root / "domains" / domain / "contracts" / f"{contract['name']}.yaml", contract)
    for (domain, repo), entries in bindings.items():
        write_yaml(root / "domains" / domain / "bindings" / f"{repo}.yaml",
                   {"repo": repo, "role": "consumer", "imports": entries})
    return root


def export(name: str, version: str, *changelog: tuple[str, str | None]) -> dict[str, Any]:
    """A draft export; changelog entries are (version, date or None)."""
    entries = [{"version": v, **({"date": d} if d else {}), "changes": [f"release {v}"]} for v, d in changelog]
    return {"name": name, "version": version, "changelog": entries}


def contract(name: str, version: str, *evolution: tuple[str, bool]) -> dict[str, Any]:
    """An implemented contract; evolution entries are (version, compatible)."""
    entries = [{"version": v, "changes": [f"release {v}"], "compatible": c} for v, c in evolution]
    return {"name": name, "version": version, "owner": "api", "evolution": entries}


def use(name: str, rng: str, resolved: str | None = "1.0.0", **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"contract": name, "version": rng, "binding": f"src/{name}.py"}
    if resolved is not None:
        entry["resolved_version"] = resolved
    entry.update(fields)
    return entry


def analyse(root: Path, today: dt.date = TODAY) -> dict[str, ImportReport]:
    fed = load_federation([root])
    assert fed.workspaces, [str(d) for d in fed.diagnostics]
    return {r.key: r for r in stale_imports(fed.workspaces, today)}


def one(root: Path, today: dt.date = TODAY) -> ImportReport:
    reports = analyse(root, today)
    assert len(reports) == 1, reports
    return next(iter(reports.values()))


# --- statuses ------------------------------------------------------------------------------

def test_current_stale_and_pending(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm", {"auth": [export("token", "1.2.0", ("1.2.0", "2026-02-01"),
                                                               ("1.0.0", "2026-01-01"))]},
                       {"web": [use("token", "^1.0.0", "1.2.0", status="current")],
                        "api": [use("token", "^1.0.0", "1.0.0", status="outdated")],
                        "cli": [use("token", "^1.0.0", None, status="pending")]})
    reports = analyse(root)
    web, api, cli = (reports[f"realm://acme/{d}/imports/token"] for d in ("web", "api", "cli"))
    assert (web.status, web.current_version, web.changes, web.days_stale) == (ImportStatus.CURRENT, "1.2.0", [], None)
    assert api.status is ImportStatus.STALE
    assert [e.version for e in api.changes] == ["1.2.0"]
    assert (api.incompatible, api.disagreement) == (False, False)  # Blue's "outdated" is stale
    assert cli.status is ImportStatus.PENDING and not cli.disagreement
    assert api.contract_key == "realm://acme/auth/token"
    assert api.binding == "src/token.py" and api.declared_in.endswith("domains/api/imports.yaml")


def test_a_vanished_contract_breaks_its_imports(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm", {"auth": [export("token", "1.0.0")]},
                       {"web": [use("session", "^1.0.0", status="current", **{"from": "auth"})]})
    report = one(root)
    assert report.status is ImportStatus.BROKEN
    assert report.contract_key == "realm://acme/auth/session"
    assert "'session' is gone" in report.reasons[0]
    assert report.disagreement and report.declared_status == "current"


def test_a_range_that_excludes_the_current_version_is_broken(tmp_path: Path) -> None:
    root = implemented_realm(tmp_path / "realm",
                             {"billing": [contract("invoice", "2.1.0", ("1.0.0", True), ("2.0.0", True),
                                                   ("2.1.0", True))]},
                             {("billing", "web"): [use("invoice", "^1.0.0")]})
    report = one(root)
    assert report.status is ImportStatus.BROKEN
    assert report.reasons == ["range ^1.0.0 does not admit the current version 2.1.0"]
    assert not report.incompatible  # every entry says compatible: the range alone breaks it


def test_prereleases_are_not_the_current_version(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm",
                       {"auth": [export("token", "2.0.0-beta.1", ("2.0.0-beta.1", "2026-02-20"),
                                        ("1.4.0", "2026-02-10"), ("1.0.0", "2026-01-01"))]},
                       {"web": [use("token", "^1.0.0", "1.0.0")], "api": [use("token", "^1.0.0", "1.4.0")]})
    reports = analyse(root)
    web, api = reports["realm://acme/web/imports/token"], reports["realm://acme/api/imports/token"]
    assert web.current_version == "1.4.0"
    assert web.status is ImportStatus.STALE  # not broken: ^1.0.0 admits the newest stable, 1.4.0
    assert [e.version for e in web.changes] == ["1.4.0"]
    assert api.status is ImportStatus.CURRENT


def test_an_incompatible_evolution_entry_breaks_even_inside_the_range(tmp_path: Path) -> None:
    root = implemented_realm(tmp_path / "realm",
                             {"identity": [contract("session", "1.2.0", ("1.0.0", True), ("1.1.0", False),
                                                    ("1.2.0", True))]},
                             {("identity", "web"): [use("session", "^1.0.0", status="outdated")]})
    report = one(root)
    assert report.status is ImportStatus.BROKEN and report.incompatible
    assert report.reasons == ["1.1.0 is marked incompatible"]
    assert [(e.version, e.compatible) for e in report.changes] == [("1.1.0", False), ("1.2.0", True)]
    assert report.disagreement


def test_a_major_bump_declared_compatible_is_only_stale(tmp_path: Path) -> None:
    root = implemented_realm(tmp_path / "realm",
                             {"identity": [contract("session", "2.0.0", ("1.0.0", True), ("2.0.0", True))]},
                             {("identity", "web"): [use("session", ">=1.0.0")]})
    assert one(root).status is ImportStatus.STALE


def test_a_draft_major_bump_is_incompatible(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm",
                       {"billing": [export("invoice", "2.0.0", ("2.0.0", "2026-02-01"), ("1.0.0", "2026-01-01"))]},
                       {"web": [use("invoice", ">=1.0.0")]})
    report = one(root)
    assert report.status is ImportStatus.BROKEN and report.incompatible
    assert report.reasons == ["major version change 1 -> 2"]


def test_a_minor_draft_bump_is_only_stale(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm", {"billing": [export("invoice", "1.3", ("1.3", None), ("1.0", None))]},
                       {"web": [use("invoice", "1.x", "1.0")]})
    report = one(root)  # two-part versions are coerced: 1.0 -> 1.0.0
    assert (report.status, report.current_version, report.resolved_version) == (ImportStatus.STALE, "1.3", "1.0")


@pytest.mark.parametrize("field, value, reason", [
    ("version", "not a range!", "range 'not a range!' cannot be read"),
    ("resolved_version", "banana", "resolved version 'banana' cannot be read"),
])
def test_unreadable_ranges_and_versions_break_the_import(tmp_path: Path, field: str, value: str,
                                                         reason: str) -> None:
    imp = use("token", "^1.0.0")
    imp[field] = value
    root = draft_realm(tmp_path / "realm", {"auth": [export("token", "1.0.0")]}, {"web": [imp]})
    report = one(root)
    assert (report.status, report.reasons) == (ImportStatus.BROKEN, [reason])


def test_an_unreadable_contract_version_breaks_every_import_of_it(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm", {"auth": [export("token", "latest")]},
                       {"web": [use("token", "*")], "api": [use("token", "^1.0.0", None)]})
    reports = analyse(root)
    assert {r.status for r in reports.values()} == {ImportStatus.BROKEN}
    assert all("a version cannot be read" in r.reasons[0] for r in reports.values())


# --- ranges and versions -------------------------------------------------------------------

@pytest.mark.parametrize("text, admitted, refused", [
    ("^1.2.0", "1.9.0", "2.0.0"),
    ("~1.2", "1.2.9", "1.3.0"),
    (">=1.2, <2", "1.5.0", "2.0.0"),  # cargo: a comma list
    (">=1.2 <2", "1.5.0", "2.0.0"),  # npm: a space-separated list
    (">= 1.2", "1.2.0", "1.1.9"),
    ("1.x", "1.7.3", "2.0.0"),
    ("*", "9.0.0", "1.0.0-rc.1"),  # prereleases are outside ranges that do not name them
    ("^1 || ^3", "3.1.0", "2.0.0"),
])
def test_npm_and_cargo_ranges(text: str, admitted: str, refused: str) -> None:
    spec = parse_range(text)
    assert spec.match(parse_version(admitted))
    assert not spec.match(parse_version(refused))


@pytest.mark.parametrize("text", ["nope", "^x.y", ">=", "1.2.3 - ", "809| -,+3", ">,8bb - +vv"])
def test_garbage_ranges_raise_value_error_only(text: str) -> None:
    # semantic_version itself raises AttributeError on the last two; the analysis must not crash
    with pytest.raises(ValueError):
        parse_range(text)


def test_a_range_the_library_chokes_on_breaks_the_import_with_a_reason(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm", {"auth": [export("token", "1.0.0")]},
                       {"web": [use("token", "809| -,+3")]})
    report = one(root)
    assert (report.status, report.reasons) == (ImportStatus.BROKEN, ["range '809| -,+3' cannot be read"])


def test_two_part_versions_are_coerced() -> None:
    assert str(parse_version("1.0")) == "1.0.0"
    assert parse_version("1.10") > parse_version("1.9")
    with pytest.raises(ValueError):
        parse_version("latest")


# --- days stale and the grace period -------------------------------------------------------

def test_days_count_from_the_first_newer_changelog_entry(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm",
                       {"auth": [export("token", "1.2.0", ("1.2.0", "2026-02-20"), ("1.1.0", "2026-02-01"),
                                        ("1.0.0", "2026-01-01"))]},
                       {"web": [use("token", "^1.0.0", resolved_at="2026-01-02")]})
    report = one(root)
    assert (report.days_stale, report.stale_since, report.since_source) == (28, "2026-02-01", "changelog")
    assert (report.grace_period_days, report.past_grace) == (14, True)


def test_a_release_candidate_in_between_does_not_start_the_clock(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm",
                       {"auth": [export("token", "1.1.0", ("1.1.0", "2026-02-20"), ("1.1.0-rc.1", "2026-01-10"),
                                        ("1.0.0", "2026-01-01"))]},
                       {"web": [use("token", "^1.0.0")], "api": [use("token", "^1.0.0", "1.1.0+build.7")]})
    reports = analyse(root)
    web = reports["realm://acme/web/imports/token"]
    assert [e.version for e in web.changes] == ["1.1.0-rc.1", "1.1.0"]
    assert (web.stale_since, web.days_stale) == ("2026-02-20", 9)
    assert reports["realm://acme/api/imports/token"].status is ImportStatus.CURRENT  # build metadata ignored


def test_the_grace_period_comes_from_realm_yaml(tmp_path: Path) -> None:
    exports = {"auth": [export("token", "1.1.0", ("1.1.0", "2026-02-10"), ("1.0.0", "2026-01-01"))]}
    relaxed = one(draft_realm(tmp_path / "relaxed", exports, {"web": [use("token", "^1.0.0")]}, grace=30))
    strict = one(draft_realm(tmp_path / "strict", exports, {"web": [use("token", "^1.0.0")]}, grace=7,
                             name="other"))
    default = one(draft_realm(tmp_path / "default", exports, {"web": [use("token", "^1.0.0")]}, name="third"))
    assert relaxed.days_stale == strict.days_stale == default.days_stale == 19
    assert [(r.grace_period_days, r.past_grace) for r in (relaxed, strict, default)] == [
        (30, False), (7, True), (14, True)]


def test_undated_history_falls_back_to_resolved_at(tmp_path: Path) -> None:
    root = implemented_realm(tmp_path / "realm",
                             {"identity": [contract("session", "1.1.0", ("1.0.0", True), ("1.1.0", True))]},
                             {("identity", "web"): [use("session", "^1.0.0", resolved_at="2026-02-25T10:00:00Z")]})
    report = one(root)  # not a git repository: skipped quietly
    assert (report.status, report.days_stale, report.since_source) == (ImportStatus.STALE, 4, "resolved_at")
    assert report.past_grace is False


def test_no_date_anywhere_leaves_the_age_unknown(tmp_path: Path) -> None:
    root = implemented_realm(tmp_path / "realm",
                             {"identity": [contract("session", "1.1.0", ("1.0.0", True), ("1.1.0", True))]},
                             {("identity", "web"): [use("session", "^1.0.0")]})
    report = one(root)
    assert (report.status, report.days_stale, report.past_grace) == (ImportStatus.STALE, None, False)


def _git_date(day: str) -> str:
    """A fixed author date in git's own format: seconds since the epoch and the offset."""
    stamp = dt.datetime.fromisoformat(f"{day}T12:00:00+00:00").timestamp()
    return f"{int(stamp)} +0000"


def _commit(repo: Any, path: Path, doc: Any, when: str) -> None:
    write_yaml(path, doc)
    repo.index.add([str(path.relative_to(repo.working_tree_dir))])
    date = _git_date(when)
    repo.index.commit(f"contract at {when}", author_date=date, commit_date=date)


def test_undated_history_is_dated_by_the_contract_files_git_history(tmp_path: Path) -> None:
    git = pytest.importorskip("git")
    root = implemented_realm(tmp_path / "realm",
                             {"identity": [contract("session", "1.0.0", ("1.0.0", True))]},
                             {("identity", "web"): [use("session", "^1.0.0", resolved_at="2026-01-05")]})
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "test").set_value("user", "email", "test@example.com")
    path = root / "domains" / "identity" / "contracts" / "session.yaml"
    _commit(repo, path, contract("session", "1.0.0", ("1.0.0", True)), "2026-01-01")
    _commit(repo, path, contract("session", "1.1.0", ("1.0.0", True), ("1.1.0", True)), "2026-02-10")
    later = contract("session", "1.1.0", ("1.0.0", True), ("1.1.0", True))
    _commit(repo, path, {**later, "owner": "platform-team"}, "2026-02-25")  # not a new version
    report = one(root)
    assert (report.status, report.stale_since, report.since_source) == (ImportStatus.STALE, "2026-02-10", "git")
    assert report.days_stale == 19 and report.past_grace


def test_a_draft_exports_file_is_read_from_git_too(tmp_path: Path) -> None:
    git = pytest.importorskip("git")
    exports = {"auth": [export("token", "1.10", ("1.10", None), ("1.0", None)), export("other", "5.0.0")]}
    root = draft_realm(tmp_path / "realm", exports, {"web": [use("token", "^1.0", "1.0")]})
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "test").set_value("user", "email", "test@example.com")
    path = root / "domains" / "auth" / "exports.yaml"
    _commit(repo, path, {"exports": [export("token", "1.0", ("1.0", None)), export("other", "5.0.0")]},
            "2026-01-01")
    (path.parent / "exports.yaml").write_text("exports:\n  - name: token\n    version: 1.10\n"
                                              "    changelog: [{version: 1.10}, {version: 1.0}]\n"
                                              "  - {name: other, version: 5.0.0}\n")
    repo.index.add([str(path.relative_to(root))])
    repo.index.commit("1.10", author_date=_git_date("2026-02-15"), commit_date=_git_date("2026-02-15"))
    report = one(root)  # "1.10" read as text, not the number 1.1
    assert (report.stale_since, report.since_source, report.days_stale) == ("2026-02-15", "git", 14)


def test_a_realm_whose_git_folder_is_broken_is_skipped_quietly(tmp_path: Path) -> None:
    root = implemented_realm(tmp_path / "realm",
                             {"identity": [contract("session", "1.1.0", ("1.0.0", True), ("1.1.0", True))]},
                             {("identity", "web"): [use("session", "^1.0.0", resolved_at="2026-02-01")]})
    (root / ".git").write_text("gitdir: /nowhere\n")
    report = one(root)
    assert (report.status, report.since_source, report.days_stale) == (ImportStatus.STALE, "resolved_at", 28)


# --- declared vs computed, and the order -----------------------------------------------------

def test_declared_and_computed_statuses_are_both_shown(tmp_path: Path) -> None:
    root = draft_realm(tmp_path / "realm",
                       {"auth": [export("token", "1.1.0", ("1.1.0", "2026-02-01"), ("1.0.0", "2026-01-01"))]},
                       {"web": [use("token", "^1.0.0", status="current")],
                        "api": [use("token", "^1.0.0", status="stale")]})
    reports = analyse(root)
    web, api = reports["realm://acme/web/imports/token"], reports["realm://acme/api/imports/token"]
    assert (web.declared_status, web.status, web.disagreement) == ("current", ImportStatus.STALE, True)
    assert (api.declared_status, api.status, api.disagreement) == ("stale", ImportStatus.STALE, False)


def test_reports_are_sorted_broken_stale_by_urgency_pending_current(tmp_path: Path) -> None:
    exports = {"auth": [export("token", "1.3.0", ("1.3.0", "2026-02-25"), ("1.2.0", "2026-02-01"),
                               ("1.1.0", "2026-01-10"), ("1.0.0", "2026-01-01"))],
               "billing": [export("invoice", "2.0.0", ("2.0.0", "2026-02-01"))]}
    root = draft_realm(tmp_path / "realm", exports, {
        "a": [use("token", "^1.0.0", "1.3.0")],                   # current
        "b": [use("token", "^1.0.0", "1.2.0")],                   # stale 4 days, within grace
        "c": [use("token", "^1.0.0", None)],                      # pending
        "d": [use("token", "^1.0.0", "1.0.0")],                   # stale 50 days
        "e": [use("invoice", "^1.0.0", "1.0.0", **{"from": "billing"})],  # broken
        "f": [use("token", "^1.0.0", "1.1.0")],                   # stale 28 days
    })
    order = [(r.key.split("/")[3], r.status.value, r.days_stale) for r in stale_imports(
        load_federation([root]).workspaces, TODAY)]
    assert order == [("e", "broken", 28), ("d", "stale", 50), ("f", "stale", 28), ("b", "stale", 4),
                     ("c", "pending", None), ("a", "current", None)]


def test_fixture_realms_of_both_layouts() -> None:
    fixtures = Path(__file__).parent / "fixtures" / "realms"
    reports = {**analyse(fixtures / "draft", dt.date(2025, 3, 15)),
               **analyse(fixtures / "implemented", dt.date(2025, 4, 20))}
    statuses = {key: r.status.value for key, r in reports.items()}
    assert statuses == {
        "realm://acme/auth/imports/invoice": "broken",  # ^1.0.0 does not admit 2.0.0
        "realm://acme/billing/imports/session-token": "current",
        "realm://acme/billing/imports/user-profile": "broken",  # ~1.0 does not admit 1.10
        "realm://platform/web/imports/user-session": "broken",  # 3.0.0 is compatible: false
        "realm://platform/web/imports/invoice": "current",
    }
    profile = reports["realm://acme/billing/imports/user-profile"]
    assert (profile.declared_status, profile.disagreement, profile.grace_period_days) == ("stale", True, 7)
    session = reports["realm://platform/web/imports/user-session"]
    assert (session.days_stale, session.since_source) == (10, "resolved_at")


def test_gitpython_is_not_imported_when_no_realm_is_a_git_repository() -> None:
    import subprocess
    import sys

    fixtures = Path(__file__).parent / "fixtures" / "realms"
    code = ("import sys, datetime; from pathlib import Path; from core.federation import load_federation; "
            "from core.analysis.stale import stale_imports; "
            f"r = stale_imports(load_federation([Path({str(fixtures)!r})]).workspaces, datetime.date(2026, 1, 1)); "
            "assert len(r) == 5; print('git' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).parents[1], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_demo_federation_tells_its_stale_imports_story() -> None:
    """sample_workspaces/README.md, "Stale imports": every row, on the demo's anchor day."""
    import json

    samples = Path(__file__).parents[1] / "sample_workspaces"
    anchor = dt.date.fromisoformat(json.loads((samples / "demo.json").read_text("utf-8"))["anchor"])
    reports = stale_imports(load_federation([samples]).workspaces, anchor)
    rows = {r.key: (r.resolved_version, r.current_version, r.status.value, r.declared_status, r.days_stale,
                    r.past_grace) for r in reports}
    assert rows == {
        "realm://commerce/globex-payments/imports/catalog-feed": ("1.3.0", "1.3.0", "current", "current", None, False),
        "realm://commerce/acme-checkout/imports/payment-intents": ("2.1.0", "2.3.0", "stale", "current", 30, True),
        "realm://commerce/acme-checkout/imports/webhook-events": ("2.4.0", "3.0.0", "broken", "stale", 18, True),
        "realm://globex-platform/ledger/imports/card-token": ("1.6.0", "1.6.0", "current", "current", None, False),
        "realm://globex-platform/paysdk/imports/card-token": ("1.5.0", "1.6.0", "stale", "outdated", 5, False),
        "realm://globex-platform/gateway/imports/risk-score": ("1.1.0", "1.3.0", "broken", "current", 39, True),
        "realm://globex-platform/ledger/imports/risk-score": (None, "1.3.0", "pending", "pending", None, False),
    }
    by_key = {r.key: r for r in reports}
    webhooks = by_key["realm://commerce/acme-checkout/imports/webhook-events"]
    assert "range ^2.0.0 does not admit the current version 3.0.0" in webhooks.reasons
    risk = by_key["realm://globex-platform/gateway/imports/risk-score"]
    assert risk.incompatible and [e.version for e in risk.changes] == ["1.2.0", "1.3.0"]
    assert [r.key.rsplit("/", 1)[1] for r in reports][:4] == [
        "webhook-events", "risk-score", "payment-intents", "card-token"]  # broken, then overdue first
    assert sum(r.disagreement for r in reports) == 3  # not paysdk's "outdated" is Blue's word for stale
