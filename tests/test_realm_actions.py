"""Realm actions (core.sync.realm_actions, crossdeck realm bump / resolve) on the demo's realms,
each a git repository: the YAML edited in place, what the stale analysis then says, the refusals,
the audit entry and the commit by the actor."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from core.analysis.stale import ImportStatus, stale_imports
from core.demo_git import make_repositories
from core.federation import load_federation
from core.sync.realm_actions import RealmError, bump, resolve
from tests.conftest import PROJECT
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_sync_create import NOW, STAMP, by_author, demo_copy, git, lines

CATALOG = "realm://commerce/acme-catalog/catalog-feed"
CATALOG_IMPORT = "realm://commerce/globex-payments/imports/catalog-feed"
WEBHOOKS_IMPORT = "realm://commerce/acme-checkout/imports/webhook-events"
INTENTS_IMPORT = "realm://commerce/acme-checkout/imports/payment-intents"
CARD_TOKEN = "realm://globex-platform/payments/card-token"

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)



def commerce(demo: Path) -> Path:
    return demo / "realms" / "commerce"


def platform(demo: Path) -> Path:
    return demo / "realms" / "globex-platform"


def status_of(root: Path, key: str) -> ImportStatus:
    reports = {r.key: r for r in stale_imports(load_federation([root]).workspaces, NOW.date(), lambda *_: None)}
    return reports[key].status


def bump_in(root: Path, ref: str, version: str, changes: list[str], incompatible: bool = False,
            actor: str = "bob@acme.dev"):  # type: ignore[no-untyped-def]
    return bump(load_federation([root]), ref, version, changes, incompatible, actor, NOW)


def resolve_in(root: Path, ref: str, version: str | None = None, range_: str | None = None,
               actor: str = "carol@globex.io"):  # type: ignore[no-untyped-def]
    return resolve(load_federation([root]), ref, version, range_, actor, NOW)


# -- bump ----------------------------------------------------------------------------------------

def test_bumping_a_draft_export_edits_its_yaml_in_place(demo: Path) -> None:
    exports = commerce(demo) / "domains" / "acme-catalog" / "exports.yaml"
    before = exports.read_text()
    change = bump_in(demo, "commerce/acme-catalog/catalog-feed", "1.4.0", ["Added gift_wrap", "Added a: colon"])
    assert (change.changed, change.before, change.after, change.comments_kept) == (
        True, {"version": "1.3.0"}, {"version": "1.4.0"}, True)
    assert change.entry == {"version": "1.4.0", "date": "2026-11-20", "changes": ["Added gift_wrap", "Added a: colon"]}
    expected = before.replace('    version: "1.3.0"\n', '    version: "1.4.0"\n').replace(
        "    changelog:\n", "    changelog:\n      - version: 1.4.0\n        date: 2026-11-20\n"
                           "        changes: [Added gift_wrap, 'Added a: colon']\n")
    assert exports.read_text() == expected  # one scalar replaced, one entry inserted: nothing else moved
    assert status_of(demo, CATALOG_IMPORT) is ImportStatus.STALE  # Globex resolved 1.3.0


def test_a_new_major_breaks_the_imports_whose_range_it_leaves(demo: Path) -> None:
    bump_in(demo, CATALOG, "2.0.0", ["Dropped the legacy price field"])
    assert status_of(demo, CATALOG_IMPORT) is ImportStatus.BROKEN  # ^1.0.0


def test_an_incompatible_bump_of_an_implemented_contract(demo: Path) -> None:
    contract = platform(demo) / "domains" / "payments" / "contracts" / "card-token.yaml"
    assert status_of(demo, "realm://globex-platform/ledger/imports/card-token") is ImportStatus.CURRENT
    change = bump_in(demo, CARD_TOKEN, "1.7.0", ["Tokens expire after 90 days"], True, "carol@globex.io")
    assert change.entry == {"version": "1.7.0", "date": "2026-11-20", "changes": ["Tokens expire after 90 days"],
                            "compatible": False}
    text = contract.read_text()
    assert text.startswith("name: card-token\nversion: 1.7.0\n")
    # evolution runs oldest first: the entry goes last, at the items' indentation
    assert text.endswith("    compatible: true\n  - version: 1.7.0\n    date: 2026-11-20\n"
                         "    changes: [Tokens expire after 90 days]\n    compatible: false\n")
    assert status_of(demo, "realm://globex-platform/ledger/imports/card-token") is ImportStatus.BROKEN


def test_a_prerelease_bump_adds_the_entry_but_keeps_the_current_version(demo: Path) -> None:
    change = bump_in(demo, CARD_TOKEN, "1.7.0-rc.1", ["Preview of expiring tokens"], actor="gateway/crew/carol")
    assert (change.before, change.after) == ({"version": "1.6.0"}, {"version": "1.6.0"})
    assert "version: 1.6.0\n" in (platform(demo) / "domains" / "payments" / "contracts" / "card-token.yaml").read_text()
    assert status_of(demo, "realm://globex-platform/ledger/imports/card-token") is ImportStatus.CURRENT


def test_bumping_again_with_the_same_changes_changes_nothing(demo: Path) -> None:
    bump_in(demo, CATALOG, "1.4.0", ["Added gift_wrap"])
    head = git(commerce(demo), "rev-parse", "HEAD")
    again = bump_in(demo, CATALOG, "1.4.0", ["Added gift_wrap"])
    assert (again.changed, again.files, again.commit) == (False, [], None)
    assert git(commerce(demo), "rev-parse", "HEAD") == head


@pytest.mark.parametrize(("ref", "version", "changes", "actor", "message"), [
    (CATALOG, "1.3.0", ["x"], "bob@acme.dev", "already lists 1.4.0-beta.1: bump to a newer version than that"),
    (CATALOG, "1.4.0-beta.1", ["other"], "bob@acme.dev", "already lists 1.4.0-beta.1"),
    (CATALOG, "1.5.0", ["  "], "bob@acme.dev", "say what changed: at least one --change"),
    (CATALOG, "soon", ["x"], "bob@acme.dev", "'soon' is not a version"),
    (CATALOG, "1.5.0", ["x"], "eve@evil.example", ("eve@evil.example is not a maintainer of acme-catalog in "
                                                   "realm://commerce (maintainers: bob@acme.dev)")),
    (CARD_TOKEN, "1.7.0", ["x"], "kim@kestrel.works", "kim@kestrel.works is not a maintainer of payments"),
    ("commerce/acme-catalog/nope", "1.5.0", ["x"], "bob@acme.dev", ("realm://commerce exports no nope in domain "
                                                                   "acme-catalog")),
    ("commerce/acme-catalog", "1.5.0", ["x"], "bob@acme.dev", "'commerce/acme-catalog' is not REALM/DOMAIN/CONTRACT"),
    ("elsewhere/d/c", "1.5.0", ["x"], "bob@acme.dev", "no local realm realm://elsewhere is loaded"),
])
def test_bumps_that_are_refused_write_nothing(untouched_demo: Path, ref: str, version: str, changes: list[str],
                                              actor: str, message: str) -> None:
    before = realm_files(untouched_demo)
    with pytest.raises(RealmError, match=re.escape(message)):
        bump_in(untouched_demo, ref, version, changes, actor=actor)
    assert realm_files(untouched_demo) == before


@pytest.fixture(scope="module")
def untouched_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo copy for the tests that must leave it as it is."""
    root = Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path_factory.mktemp("refusals") / "demo"))
    make_repositories(root, NOW.date())
    return root


def realm_files(demo: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in (demo / "realms").rglob("*") if p.is_file() and ".git" not in p.parts}


def test_a_bump_is_audited_and_committed_as_the_actor(demo: Path) -> None:
    change = bump_in(demo, CATALOG, "1.4.0", ["Added gift_wrap"], actor="catalog/crew/bob")
    audit = commerce(demo) / ".crossdeck" / "audit.jsonl"
    assert change.files == [str(commerce(demo) / "domains" / "acme-catalog" / "exports.yaml"), str(audit)]
    entry = lines(audit)[-1]
    assert {k: entry[k] for k in ("timestamp", "operation_type", "local_repo", "payload", "result", "actor")} == {
        "timestamp": STAMP, "operation_type": "export", "local_repo": "realm://commerce",
        "payload": {"contract": "catalog-feed", "from": "1.3.0", "to": "1.4.0", "breaking": False},
        "result": {"file": "domains/acme-catalog/exports.yaml"}, "actor": "catalog/crew/bob"}
    # the email is the realm's first approver; `git log --author` finds the change
    assert by_author(commerce(demo), "catalog/crew/bob")[0] == (
        f"realm bump {CATALOG} 1.3.0 -> 1.4.0 | alice@acme.dev | .crossdeck/audit.jsonl,domains/acme-catalog/exports.yaml")
    assert git(commerce(demo), "status", "--porcelain") == ""


# -- resolve -------------------------------------------------------------------------------------

def test_resolving_makes_a_stale_import_current(demo: Path) -> None:
    binding = platform(demo) / "domains" / "payments" / "bindings" / "paysdk.yaml"
    key = "realm://globex-platform/paysdk/imports/card-token"
    assert status_of(demo, key) is ImportStatus.STALE
    before = binding.read_text()
    change = resolve_in(demo, key, actor="kim@kestrel.works")
    assert change.after == {"status": "current", "resolved_version": "1.6.0", "resolved_at": STAMP, "range": "^1.5.0"}
    assert change.before["status"] == "outdated"
    assert binding.read_text() == before.replace("status: outdated", "status: current").replace(
        "resolved_version: 1.5.0", "resolved_version: 1.6.0").replace('"2026-09-12T10:00:00Z"', f'"{STAMP}"')
    assert status_of(demo, key) is ImportStatus.CURRENT
    assert by_author(platform(demo), "kim@kestrel.works")[0].startswith(f"realm resolve {key} to 1.6.0 | ")


def test_resolving_after_a_bump_catches_up(demo: Path) -> None:
    bump_in(demo, CATALOG, "1.4.0", ["Added gift_wrap"])
    assert status_of(demo, CATALOG_IMPORT) is ImportStatus.STALE
    change = resolve_in(demo, CATALOG_IMPORT)
    assert change.after["resolved_version"] == "1.4.0"
    assert status_of(demo, CATALOG_IMPORT) is ImportStatus.CURRENT


def test_a_broken_range_is_widened_with_range(demo: Path) -> None:
    imports = commerce(demo) / "domains" / "acme-checkout" / "imports.yaml"
    with pytest.raises(RealmError, match=re.escape(f"{WEBHOOKS_IMPORT}: the range ^2.0.0 does not admit 3.0.0; "
                                                   "widen it with --range")):
        resolve_in(demo, WEBHOOKS_IMPORT, actor="alice@acme.dev")
    change = resolve_in(demo, WEBHOOKS_IMPORT, range_="^3.0.0", actor="alice@acme.dev")
    assert (change.before["range"], change.after["range"], change.after["resolved_version"]) == (
        "^2.0.0", "^3.0.0", "3.0.0")
    text = imports.read_text()
    assert "  # Declared stale, but 3.0.0 is a new major that ^2.0.0 does not admit: broken.\n" in text  # comments kept
    assert "    version: ^3.0.0\n" in text and '    resolved_version: "3.0.0"\n' in text
    assert status_of(demo, WEBHOOKS_IMPORT) is ImportStatus.CURRENT


def test_resolving_to_an_older_version_leaves_it_stale(demo: Path) -> None:
    change = resolve_in(demo, INTENTS_IMPORT, version="2.2.0", actor="alice@acme.dev")
    assert change.after["status"] == "stale"  # the draft layout's word; Blue's implemented one says outdated
    assert status_of(demo, INTENTS_IMPORT) is ImportStatus.STALE
    with pytest.raises(RealmError, match="lists no version 2.2.5"):
        resolve_in(demo, INTENTS_IMPORT, version="2.2.5", actor="alice@acme.dev")


def test_resolving_a_current_import_changes_nothing(demo: Path) -> None:
    head = git(commerce(demo), "rev-parse", "HEAD")
    change = resolve_in(demo, CATALOG_IMPORT)
    assert (change.changed, change.files, change.commit) == (False, [], None)
    assert git(commerce(demo), "rev-parse", "HEAD") == head


def test_a_flow_style_file_is_rewritten_whole_and_says_so(tmp_path: Path) -> None:
    realm = tmp_path / "realm"
    (realm / "domains" / "a").mkdir(parents=True)
    (realm / "realm.yaml").write_text("name: small\n")
    (realm / "domains" / "a" / "exports.yaml").write_text(
        "exports: [{name: feed, version: '1.0.0', changelog: [{version: '1.0.0', changes: [first]}]}]\n")
    (realm / "domains" / "b").mkdir()
    imports = realm / "domains" / "b" / "imports.yaml"
    imports.write_text("# consumers of feed\nimports: [{contract: feed, from: a, version: ^1.0.0}]\n")
    change = resolve(load_federation([realm]), "small/b/imports/feed", None, None, "bob", NOW)
    assert change.comments_kept is False
    assert imports.read_text() == ("imports:\n- contract: feed\n  from: a\n  version: ^1.0.0\n  status: current\n"
                                   f"  resolved_version: 1.0.0\n  resolved_at: '{STAMP}'\n")
    assert status_of(realm, "realm://small/b/imports/feed") is ImportStatus.CURRENT


# -- the CLI -------------------------------------------------------------------------------------

def test_the_cli_bumps_and_resolves(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", STAMP)
    monkeypatch.setenv("BD_ACTOR", "bob@acme.dev")
    bumped = crossdeck("realm", "bump", "commerce/acme-catalog/catalog-feed", str(demo), "--version", "1.4.0",
                       "--change", "Added gift_wrap", "--change", "Added gtin14")
    assert bumped.returncode == 0, bumped.stderr
    out = bumped.stdout.splitlines()
    assert out[:2] == [f"bumped {CATALOG} 1.3.0 -> 1.4.0 as bob@acme.dev",
                       "  entry 1.4.0 (2026-11-20): Added gift_wrap; Added gtin14"]
    assert out[2:4] == [f"  wrote {commerce(demo) / 'domains' / 'acme-catalog' / 'exports.yaml'}",
                        f"  wrote {commerce(demo) / '.crossdeck' / 'audit.jsonl'}"]
    assert re.fullmatch(r"  committed [0-9a-f]{12} in .*/realms/commerce", out[4])

    stale = json.loads(crossdeck("stale", str(demo), "--json").stdout)
    assert CATALOG_IMPORT in json.dumps(stale)

    resolved = crossdeck("realm", "resolve", CATALOG_IMPORT, str(demo), "--actor", "carol@globex.io", "--json")
    assert resolved.returncode == 0, resolved.stderr
    doc = json.loads(resolved.stdout)
    assert_matches_schema("realm-resolve", doc)
    assert (doc["changed"], doc["after"]["resolved_version"], doc["actor"]) == (True, "1.4.0", "carol@globex.io")
    again = json.loads(crossdeck("realm", "bump", CATALOG, str(demo), "--version", "1.4.0", "--change",
                                 "Added gift_wrap", "--change", "Added gtin14", "--json").stdout)
    assert_matches_schema("realm-bump", again)
    assert again["changed"] is False
    fresh = json.loads(crossdeck("realm", "bump", CARD_TOKEN, str(demo), "--version", "2.0.0", "--change", "v2",
                                 "--incompatible", "--actor", "carol@globex.io", "--json").stdout)
    assert_matches_schema("realm-bump", fresh)
    assert fresh["entry"]["compatible"] is False


def test_the_cli_refuses_without_an_actor_and_explains_a_refusal(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BD_ACTOR", raising=False)
    none = crossdeck("realm", "resolve", CATALOG_IMPORT, str(demo))
    assert none.returncode == 2 and "no actor: say who acts with --actor NAME" in none.stderr
    refused = crossdeck("realm", "bump", CATALOG, str(demo), "--version", "1.0.0", "--change", "x", "--actor", "bob")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.splitlines()[-1] == (
        f"crossdeck realm bump: {CATALOG} already lists 1.4.0-beta.1: bump to a newer version than that")
