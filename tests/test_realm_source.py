"""Blue realms (core/sources/realm.py): both layouts from fixtures, then bad input in tmp_path."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from core.diagnostics import Diagnostic, Diagnostics
from core.model import Contract, Import, Realm, Workspace, WorkspaceKind, to_raw
from core.sources.blue import load_blue_index, read_blue_config
from core.sources.files import ReadLimits
from core.sources.realm import load_realm

FIXTURES = Path(__file__).parent / "fixtures" / "realms"
LIMITS = ReadLimits()


def load(root: Path) -> tuple[Workspace, Diagnostics]:
    diags = Diagnostics()
    ws = load_realm(root, diags, LIMITS)
    assert ws is not None
    return ws, diags


def realm_of(ws: Workspace) -> Realm:
    assert isinstance(ws.info, Realm)
    return ws.info


def contracts(ws: Workspace) -> dict[str, Contract]:
    return {c.key: c for c in ws.contracts}


def imports(ws: Workspace) -> dict[str, Import]:
    return {i.key: i for i in ws.imports}


def only(items: list[Diagnostic]) -> Diagnostic:
    assert len(items) == 1, [str(d) for d in items]
    return items[0]


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    """A copy of the draft fixture that a test may break."""
    return Path(shutil.copytree(FIXTURES / "draft", tmp_path / "acme"))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


# --- the draft layout (RFC 0001) ---------------------------------------------------------

def test_draft_realm_loads_without_diagnostics() -> None:
    ws, diags = load(FIXTURES / "draft")
    realm = realm_of(ws)
    assert list(diags) == []
    assert (ws.kind, ws.name, ws.root) == (WorkspaceKind.REALM, "realm://acme", str(FIXTURES / "draft"))
    assert (realm.name, realm.layout, realm.grace_period_days) == ("acme", "draft", 7)
    assert realm.created_at == "2025-01-10"  # an unquoted date stays the string the file holds
    assert realm.governance["admission"] == "approval"
    assert [(d.name, d.repo_path, d.repo_url, d.maintainers, d.joined_at) for d in realm.domains] == [
        ("auth", "../auth-service", None, ["alice@example.com"], "2025-01-10"),
        ("billing", None, "https://github.com/acme/billing", ["carol@example.com"], "2025-01-12"),
    ]


def test_draft_contracts_have_keys_versions_and_changelog() -> None:
    ws, _ = load(FIXTURES / "draft")
    by_key = contracts(ws)
    assert sorted(by_key) == ["realm://acme/auth/session-token", "realm://acme/auth/user-profile",
                              "realm://acme/billing/invoice"]
    token = by_key["realm://acme/auth/session-token"]
    assert (token.name, token.domain, token.realm, token.version) == ("session-token", "auth", "acme", "2.0.0")
    assert token.description == "Signed session tokens"
    assert token.schema == {"type": "object", "required": ["sub", "exp"]}
    assert token.value == {"issuer": "auth.acme.dev"}
    assert [(h.version, h.date, h.changes) for h in token.history] == [
        ("2.0.0", "2025-03-01", ["Renamed uid to sub"]),
        ("1.2.0", "2025-02-01", ["Added exp"]),
        ("1.0.0", "2025-01-10", ["Initial version"]),
    ]
    assert all(h.compatible is None for h in token.history)
    assert token.source.endswith("domains/auth/exports.yaml")


def test_versions_written_as_yaml_numbers_keep_their_text() -> None:
    ws, _ = load(FIXTURES / "draft")
    profile = contracts(ws)["realm://acme/auth/user-profile"]
    assert profile.version == "1.10"  # not "1.1": the float's text as written
    assert [(h.version, h.date) for h in profile.history] == [("1.10", "2025-02-20"), ("1.0", None)]
    assert imports(ws)["realm://acme/billing/imports/user-profile"].resolved_version == "1.0"


def test_draft_imports_are_keyed_by_the_importing_domain() -> None:
    ws, _ = load(FIXTURES / "draft")
    by_key = imports(ws)
    assert sorted(by_key) == ["realm://acme/auth/imports/invoice", "realm://acme/billing/imports/session-token",
                              "realm://acme/billing/imports/user-profile"]
    current = by_key["realm://acme/billing/imports/session-token"]
    assert (current.domain, current.from_domain, current.contract) == ("billing", "auth", "session-token")
    assert (current.range, current.declared_status, current.binding) == (">=2.0.0 <3.0.0", "current",
                                                                        "src/auth/session.py")
    assert (current.resolved_version, current.resolved_at) == ("2.0.0", "2025-03-02T09:00:00Z")
    stale = by_key["realm://acme/billing/imports/user-profile"]
    assert (stale.range, stale.declared_status, stale.resolved_at) == ("~1.0", "stale", "2025-01-15T10:00:00Z")
    broken = by_key["realm://acme/auth/imports/invoice"]
    assert (broken.domain, broken.from_domain, broken.range, broken.declared_status, broken.resolved_version) == (
        "auth", "billing", "^1.0.0", "broken", "1.0.0")


def test_unknown_fields_are_kept_and_written_back() -> None:
    ws, _ = load(FIXTURES / "draft")
    realm = realm_of(ws)
    token = contracts(ws)["realm://acme/auth/session-token"]
    assert realm.extra == {"charter": "Shared contracts of the acme services"}
    assert realm.domains[0].extra == {"team": "identity"}
    assert token.extra == {"stability": "stable"}
    assert token.history[1].extra == {"reviewed_by": "bob@example.com"}
    assert imports(ws)["realm://acme/billing/imports/session-token"].extra == {"note": "bumped by carol"}
    raw = to_raw(token)
    assert raw["stability"] == "stable"
    assert raw["history"][1]["version"] == "1.2.0" and raw["version"] == "2.0.0"


# --- the implemented layout (Blue today) --------------------------------------------------

def test_implemented_realm_loads_repos_domains_and_contracts() -> None:
    ws, diags = load(FIXTURES / "implemented")
    realm = realm_of(ws)
    assert list(diags) == []
    assert (ws.name, realm.layout, realm.version, realm.grace_period_days) == (
        "realm://platform", "implemented", "1.0", 14)
    assert [r["name"] for r in realm.repos] == ["api", "web"]
    assert realm.repos[1]["url"] == "https://github.com/acme/web"
    assert [(d.name, d.description, d.members) for d in realm.domains] == [
        ("billing", "Money", ["api", "web"]), ("identity", "Who is signed in", ["api", "web"])]
    session = contracts(ws)["realm://platform/identity/user-session"]
    assert (session.version, session.owner, session.domain) == ("3.0.0", "api", "identity")
    assert session.compatibility == {"backwards": False, "forwards": True}
    assert session.value == {"read": ["user_id", "expires_at"], "write": []}
    assert session.extra == {"validation": {"max_age_seconds": 3600}}
    assert [(h.version, h.compatible, h.changes) for h in session.history] == [
        ("1.0.0", True, ["Initial version"]), ("2.0.0", True, ["Added expires_at"]),
        ("3.0.0", False, ["Dropped legacy_id"])]


def test_implemented_imports_are_keyed_by_the_binding_repo() -> None:
    ws, _ = load(FIXTURES / "implemented")
    by_key = imports(ws)
    assert sorted(by_key) == ["realm://platform/web/imports/invoice", "realm://platform/web/imports/user-session"]
    session = by_key["realm://platform/web/imports/user-session"]
    assert (session.domain, session.from_domain, session.contract) == ("web", "identity", "user-session")
    assert (session.range, session.declared_status, session.binding) == (">=2.0.0", "outdated", "src/session.ts")
    assert (session.resolved_version, session.resolved_at) == ("2.0.0", "2025-04-10T08:30:00Z")
    assert session.source.endswith("domains/identity/bindings/web.yaml")
    assert by_key["realm://platform/web/imports/invoice"].from_domain == "billing"


@pytest.mark.parametrize(("files", "layout"), [
    ({"repos/a.yaml": "name: a\n"}, "implemented"),
    ({"domains/d/bindings/a.yaml": "repo: a\n"}, "implemented"),
    ({"domains/d/contracts/c.yaml": "name: c\nversion: 1.0.0\n"}, "implemented"),
    ({"domains/d/imports.yaml": "imports: []\n"}, "draft"),
    ({"domains/d/exports.yaml": "exports: []\n"}, "draft"),
])
def test_layout_is_detected_from_the_files(tmp_path: Path, files: dict[str, str], layout: str) -> None:
    write(tmp_path / "realm.yaml", "name: r\n")
    for name, text in files.items():
        write(tmp_path / name, text)
    ws, diags = load(tmp_path)
    assert realm_of(ws).layout == layout
    assert diags.errors == []


def test_missing_optional_files_are_not_diagnostics(tmp_path: Path) -> None:
    write(tmp_path / "realm.yaml", "name: quiet\n")
    (tmp_path / "domains" / "lonely").mkdir(parents=True)  # no domain.yaml, exports or imports
    ws, diags = load(tmp_path)
    assert list(diags) == []
    assert [d.name for d in realm_of(ws).domains] == ["lonely"]
    assert (ws.contracts, ws.imports) == ([], [])


def test_a_folder_without_realm_yaml_is_not_a_realm(tmp_path: Path) -> None:
    diags = Diagnostics()
    assert load_realm(tmp_path, diags, LIMITS) is None
    assert list(diags) == []


def test_crossdeck_folder_of_a_realm_is_read(draft: Path) -> None:
    write(draft / ".crossdeck" / "remotes.json",
          '{"remotes": [{"url": "https://github.com/acme/realm.git", "trust_level": "trusted"}]}')
    ws, diags = load(draft)
    assert diags.errors == []
    assert [(r.name, r.workspace) for r in ws.remotes] == [("acme/realm", "realm://acme")]


# --- bad input ---------------------------------------------------------------------------

def test_malformed_yaml_names_file_and_line_and_the_rest_loads(draft: Path) -> None:
    bad = write(draft / "domains" / "billing" / "exports.yaml", "exports:\n  - name: invoice\n    version: [1.0\n")
    ws, diags = load(draft)
    error = only(diags.errors)
    assert error.path == str(bad) and error.message.startswith("malformed YAML")
    assert error.line is not None and error.line >= 3
    assert error.workspace == "realm://acme"
    assert "realm://acme/auth/session-token" in contracts(ws)
    assert "realm://acme/billing/invoice" not in contracts(ws)


def test_malformed_realm_yaml_falls_back_to_the_folder_name(draft: Path) -> None:
    write(draft / "realm.yaml", "name: acme\ngovernance: {admission: open\n")
    ws, diags = load(draft)
    error = only(diags.errors)
    assert error.path == str(draft / "realm.yaml") and error.line is not None
    assert ws.name == "realm://acme"  # the folder is called acme too
    assert len(ws.contracts) == 3


def test_export_missing_version_is_an_error_at_its_line(draft: Path) -> None:
    path = write(draft / "domains" / "billing" / "exports.yaml", """\
exports:
  - name: invoice
    version: 2.0.0
  - name: receipt
    description: no version here
  - name: refund
    version: 1.0.0
""")
    ws, diags = load(draft)
    error = only(diags.errors)
    assert (error.path, error.line) == (str(path), 4)
    assert "'version' is missing" in error.message
    keys = contracts(ws)
    assert "realm://acme/billing/invoice" in keys and "realm://acme/billing/refund" in keys
    assert "realm://acme/billing/receipt" not in keys


@pytest.mark.parametrize(("value", "found"), [("[1, 2]", "a list"), ("{major: 1}", "an object"), ("true", "true")])
def test_a_version_of_the_wrong_type_is_an_error_at_the_field(draft: Path, value: str, found: str) -> None:
    path = write(draft / "domains" / "billing" / "exports.yaml",
                 f"exports:\n  - name: invoice\n    description: d\n    version: {value}\n")
    ws, diags = load(draft)
    error = only(diags.errors)
    assert (error.path, error.line) == (str(path), 4)
    assert "'version'" in error.message and found in error.message
    assert "realm://acme/billing/invoice" not in contracts(ws)


def test_a_bad_changelog_entry_is_skipped_and_the_contract_kept(draft: Path) -> None:
    path = write(draft / "domains" / "billing" / "exports.yaml", """\
exports:
  - name: invoice
    version: 2.0.0
    changelog:
      - version: 2.0.0
        changes:
          - Amounts in cents: true
      - version: 1.0.0
""")
    ws, diags = load(draft)
    error = only(diags.errors)
    assert (error.path, error.line) == (str(path), 7)  # where the field's list (and the bad item) starts
    assert "list of strings" in error.message
    assert [h.version for h in contracts(ws)["realm://acme/billing/invoice"].history] == ["1.0.0"]


def test_import_of_an_unknown_domain_or_contract_is_a_warning(draft: Path) -> None:
    path = write(draft / "domains" / "auth" / "imports.yaml", """\
imports:
  - contract: invoice
    from: billing
    version: ^2.0.0
  - contract: ledger
    from: accounting
    version: ^1.0.0
  - contract: refund
    from: billing
    version: ^1.0.0
""")
    ws, diags = load(draft)
    assert diags.errors == []
    assert [(w.path, w.line) for w in diags.warnings] == [(str(path), 5), (str(path), 8)]
    assert "accounting" in diags.warnings[0].message and "refund" in diags.warnings[1].message
    ledger = imports(ws)["realm://acme/auth/imports/ledger"]  # still recorded
    assert (ledger.from_domain, ledger.range) == ("accounting", "^1.0.0")


def test_import_without_from_uses_the_only_exporter(draft: Path) -> None:
    write(draft / "domains" / "auth" / "imports.yaml", "imports:\n  - contract: invoice\n    version: '*'\n")
    ws, diags = load(draft)
    assert list(diags) == []
    assert imports(ws)["realm://acme/auth/imports/invoice"].from_domain == "billing"


def test_import_missing_contract_is_an_error_and_the_next_loads(draft: Path) -> None:
    path = write(draft / "domains" / "auth" / "imports.yaml",
                 "imports:\n  - from: billing\n    version: ^1\n  - contract: invoice\n    from: billing\n    version: 1\n")
    ws, diags = load(draft)
    error = only(diags.errors)
    assert (error.path, error.line) == (str(path), 2) and "'contract' is missing" in error.message
    assert imports(ws)["realm://acme/auth/imports/invoice"].range == "1"


def test_binding_import_of_an_absent_contract_warns(tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURES / "implemented", tmp_path / "platform"))
    path = write(root / "domains" / "billing" / "bindings" / "web.yaml",
                 "repo: web\nimports:\n  - contract: refund\n    version: ^1.0.0\n")
    ws, diags = load(root)
    warning = only(diags.warnings)
    assert (warning.path, warning.line) == (str(path), 3) and "refund" in warning.message
    assert imports(ws)["realm://platform/web/imports/refund"].from_domain == "billing"


def test_a_duplicate_contract_is_an_error(draft: Path) -> None:
    path = write(draft / "domains" / "billing" / "exports.yaml",
                 "exports:\n  - name: invoice\n    version: 1.0.0\n  - name: invoice\n    version: 2.0.0\n")
    ws, diags = load(draft)
    assert (only(diags.errors).path, only(diags.errors).line) == (str(path), 4)
    assert contracts(ws)["realm://acme/billing/invoice"].version == "1.0.0"


def test_a_bad_grace_period_is_an_error_and_the_default_applies(draft: Path) -> None:
    write(draft / "realm.yaml", "name: acme\ngovernance:\n  breaking_changes:\n    grace_period_days: two weeks\n")
    ws, diags = load(draft)
    assert only(diags.errors).line == 4
    assert realm_of(ws).grace_period_days == 14


def test_a_yaml_alias_bomb_is_an_error_not_a_hang(draft: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = write(draft / "domains" / "billing" / "exports.yaml", "\n".join(lines) + "\nexports: *a9\n")
    started = time.perf_counter()
    ws, diags = load(draft)
    assert time.perf_counter() - started < 10
    error = only(diags.errors)
    assert error.path == str(path) and "alias" in error.message
    assert "realm://acme/auth/session-token" in contracts(ws)


def test_a_file_that_is_not_a_mapping_is_an_error(draft: Path) -> None:
    path = write(draft / "domains" / "billing" / "exports.yaml", "- name: invoice\n  version: 1.0.0\n")
    ws, diags = load(draft)
    assert only(diags.errors).path == str(path)
    assert "realm://acme/billing/invoice" not in contracts(ws)


# --- the Blue index and a repo's .blue/config.yaml ----------------------------------------

def test_blue_index_lists_realm_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for folder in ("code/acme", "clones/platform", "home/realms/mine"):
        write(tmp_path / folder / "realm.yaml", "name: x\n")
    (tmp_path / "code" / "empty").mkdir()
    index = write(tmp_path / ".blue" / "index.yaml", f"""\
realms:
  - name: acme
    path: code/acme
  - name: platform
    url: https://github.com/acme/platform-realm
    local_path: {tmp_path / "clones" / "platform"}
  - name: gone
    path: code/gone
  - name: mine
    path: ~/realms/mine
  - name: empty
    path: code/empty
  - path: code/acme
  - name: remote-only
    url: https://example.com/realm.git
""")
    diags = Diagnostics()
    folders = load_blue_index(index, diags, LIMITS)
    assert folders == [tmp_path / "code" / "acme", tmp_path / "clones" / "platform",
                       tmp_path / "home" / "realms" / "mine"]
    assert [(d.line, "name" in d.message) for d in diags.errors] == [(13, True)]
    assert [d.line for d in diags.warnings] == [7, 11, 14]
    assert "not there" in diags.warnings[0].message and "no realm.yaml" in diags.warnings[1].message


def test_blue_index_that_is_absent_or_malformed(tmp_path: Path) -> None:
    diags = Diagnostics()
    assert load_blue_index(tmp_path / ".blue" / "index.yaml", diags, LIMITS) == []
    assert list(diags) == []
    index = write(tmp_path / ".blue" / "index.yaml", "realms: {name: acme}\n")
    assert load_blue_index(index, diags, LIMITS) == []
    assert (only(diags.errors).path, only(diags.errors).line) == (str(index), 1)


def test_blue_config_names_the_realm(tmp_path: Path) -> None:
    path = write(tmp_path / ".blue" / "config.yaml",
                 "realm:\n  name: acme\n  path: ../acme-realm\n  domain: billing\n  since: 2025\n")
    diags = Diagnostics()
    assert read_blue_config(path, diags, LIMITS) == {"name": "acme", "path": "../acme-realm", "domain": "billing",
                                                    "since": 2025}
    assert list(diags) == []


@pytest.mark.parametrize(("text", "line"), [
    ("realm: [acme]\n", 1),
    ("realm:\n  path: ../acme-realm\n", 2),
    ("realm:\n  name: acme\n  domain: [a, b]\n", 3),
])
def test_blue_config_of_the_wrong_shape_is_an_error(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path / ".blue" / "config.yaml", text)
    diags = Diagnostics()
    assert read_blue_config(path, diags, LIMITS) is None
    assert (only(diags.errors).path, only(diags.errors).line) == (str(path), line)


def test_blue_config_without_a_realm_is_silent(tmp_path: Path) -> None:
    diags = Diagnostics()
    assert read_blue_config(tmp_path / ".blue" / "config.yaml", diags, LIMITS) is None
    path = write(tmp_path / ".blue" / "config.yaml", "editor: vim\n")
    assert read_blue_config(path, diags, LIMITS) is None
    assert list(diags) == []
