"""The demo federation in sample_workspaces/: it loads cleanly and holds every ingredient of the
story its README tells (each pane of the dashboard has something to show).

These tests read the real files through the real loaders; they check the data, not the analyses
(the analyses have their own tests). Dates are relative to the anchor in demo.json.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.federation import Federation, load_federation
from core.model import Contract, Import, Request, Workspace, WorkspaceKind

SAMPLES = (Path(__file__).parents[1] / "sample_workspaces").resolve()

ACME = "hop://acme.dev/storefront"
GLOBEX = "hop://globex.io/payments"
KESTREL = "hop://kim@kestrel.works/kestrel"
FRONTEND, API = "acme-dev/frontend", "acme-dev/api-service"
FRONTEND_URL, API_URL = "github.com/acme-dev/frontend", "github.com/acme-dev/api-service"
SCRAPER_URL, PORTAL_URL = "github.com/hackday/price-scraper", "github.com/globex-io/merchant-portal"
STUB = "hop://initech.com/risk/models/rm-42"


@pytest.fixture(scope="module")
def fed() -> Federation:
    return load_federation([SAMPLES])


@pytest.fixture(scope="module")
def anchor() -> date:
    demo = json.loads((SAMPLES / "demo.json").read_text("utf-8"))
    assert demo["description"]
    return date.fromisoformat(demo["anchor"])


def ws(fed: Federation, name: str) -> Workspace:
    found = fed.workspace(name)
    assert found is not None, name
    return found


def day(text: str) -> date:
    return date.fromisoformat(text[:10])


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("-")[0].split("."))


def is_prerelease(text: str) -> bool:
    return "-" in text


def contract_of(fed: Federation, imp: Import) -> Contract:
    key = f"realm://{imp.realm}/{imp.from_domain}/{imp.contract}"
    return next(c for w in fed.workspaces for c in w.contracts if c.key == key)


def first_newer_entry_date(contract: Contract, resolved: str) -> date:
    newer = [h for h in contract.history if not is_prerelease(h.version) and version(h.version) > version(resolved)]
    assert newer and all(h.date for h in newer)
    return min(day(h.date) for h in newer if h.date)


# --- loading -----------------------------------------------------------------------------

def test_loads_with_no_errors_and_only_the_intended_warning(fed: Federation) -> None:
    assert [str(d) for d in fed.errors] == []
    # Globex's ops rig is registered but not cloned on this machine: its route points nowhere.
    assert [(Path(d.path).relative_to(SAMPLES).as_posix(), d.line, d.message) for d in fed.warnings] == [
        ("towns/globex-payments/.beads/routes.jsonl", 6, "route ops- points to ops/mayor/rig/, which is not there"),
    ]


def test_the_expected_workspaces_by_kind(fed: Federation) -> None:
    by_kind = {(w.kind, w.name) for w in fed.workspaces}
    assert by_kind == {
        (WorkspaceKind.TOWN, ACME), (WorkspaceKind.TOWN, GLOBEX), (WorkspaceKind.TOWN, KESTREL),
        (WorkspaceKind.REALM, "realm://commerce"), (WorkspaceKind.REALM, "realm://globex-platform"),
        (WorkspaceKind.SUDOCODE, FRONTEND), (WorkspaceKind.SUDOCODE, API),
    }


def test_towns_in_both_layouts_with_several_rigs_and_routes(fed: Federation) -> None:
    layouts = {name: ws(fed, name).info.layout for name in (ACME, GLOBEX, KESTREL)}  # type: ignore[union-attr]
    assert layouts == {ACME: "real", GLOBEX: "real", KESTREL: "design"}
    rigs = {name: sorted(r.name for r in ws(fed, name).info.rigs) for name in layouts}  # type: ignore[union-attr]
    assert rigs == {ACME: ["catalog", "checkout", "web"], GLOBEX: ["fraud", "gateway", "ledger", "ops"],
                    KESTREL: ["mobile", "paysdk", "site"]}
    for name in layouts:
        town = ws(fed, name)
        assert len(town.info.routes) >= 4  # type: ignore[union-attr]
        assert 10 <= len(town.work_units) <= 20
        assert any(u.rig is None and u.id.startswith("hq-") for u in town.work_units)  # town-level items


def test_every_reference_resolves_except_the_remote_stub(fed: Federation) -> None:
    keys = {u.key for w in fed.workspaces for u in w.work_units}
    loose = [(r.from_key, r.to_ref) for w in fed.workspaces for r in w.relationships
             if r.from_key not in keys or r.to_key not in keys]
    assert loose == [(f"{GLOBEX}/fraud/fr-7cd", STUB)]
    loaded = {w.name for w in fed.workspaces}
    assert "hop://initech.com/risk" not in loaded
    delegation_ends = {k for w in fed.workspaces for d in w.delegations for k in (d.parent_key, d.child_key)}
    assert delegation_ends <= keys


def test_reference_forms_short_rig_external_and_cross_town(fed: Federation) -> None:
    written = {(r.from_ref, r.to_ref, r.type) for w in fed.workspaces for r in w.relationships}
    assert ("web-7tq", "external:checkout:co-5vd", "blocks") in written  # external:<rig>:<id>
    assert ("web-7tq", "checkout/co-8f2", "parent-child") in written  # rig/id
    assert ("gw-6hp", "lg-2wx", "blocks") in written  # short, routed to another rig
    assert ("hq-cv-7hk2q", "external:co-8f2:co-8f2", "tracks") in written  # a convoy, as gt writes it
    assert ("co-5vd", f"{GLOBEX}/gateway/gw-6hp", "depends_on") in written  # cross-town
    assert ("web-3pk", "acme-dev/frontend#i-7f3a", "depends_on") in written  # town -> sudocode
    assert ("i-6d2a", f"{ACME}/checkout/co-5vd", "depends-on") in written  # sudocode -> town
    assert ("i-3c1d", "acme-dev/frontend#i-7f3a", "blocks") in written  # cross-repo sudocode blocks
    assert ("i-7f3a", "acme-dev/api-service#i-3c1d", "references") in written  # [[org/repo#id]] in content


def test_a_cross_town_blocker_chain_ends_in_an_open_item(fed: Federation) -> None:
    units = {u.key: u for w in fed.workspaces for u in w.work_units}
    edges = {(r.from_key, r.to_key) for w in fed.workspaces for r in w.relationships
             if r.type in ("blocks", "depends_on")}
    chain = [f"{ACME}/web/web-7tq", f"{ACME}/checkout/co-5vd", f"{GLOBEX}/gateway/gw-6hp",
             f"{GLOBEX}/ledger/lg-2wx", f"{KESTREL}/paysdk/ps-8rj"]
    assert all(step in edges for step in zip(chain, chain[1:]))
    assert [units[k].status for k in chain] == ["blocked", "blocked", "in_progress", "open", "open"]
    assert (f"{ACME}/checkout/co-5vd", f"{ACME}/checkout/co-1mz") in edges  # a done blocker along the way
    assert units[f"{ACME}/checkout/co-1mz"].is_done


# --- people and delegation ---------------------------------------------------------------

def test_two_organisations_and_a_contractor(fed: Federation) -> None:
    employment = sorted((e.entity, e.organization, e.role) for w in fed.workspaces for e in w.employments)
    assert employment == [
        ("alice@acme.dev", "acme.dev", "checkout lead"),
        ("bob@acme.dev", "acme.dev", "web and catalog"),
        ("carol@globex.io", "globex.io", "payments lead"),
        ("dan@globex.io", "globex.io", "ledger"),
        ("kim@kestrel.works", "globex.io", "contractor"),
        ("kim@kestrel.works", "kestrel.works", "owner"),
    ]
    orgs = {e.id for w in fed.workspaces for e in w.entities if e.kind == "org"}
    assert orgs == {"acme.dev", "globex.io", "kestrel.works"}


def test_all_three_delegation_forms_appear(fed: Federation) -> None:
    forms = {(d.parent_key, d.child_key): set() for w in fed.workspaces for d in w.delegations}
    for w in fed.workspaces:
        for d in w.delegations:
            forms[(d.parent_key, d.child_key)].update(d.forms)
    assert forms == {
        (f"{ACME}/checkout/co-8f2", f"{GLOBEX}/gateway/gw-4tk"): {"metadata", "federation"},  # merged duplicate
        (f"{GLOBEX}/gateway/gw-4tk", f"{KESTREL}/paysdk/ps-3vk"): {"metadata"},
        (f"{GLOBEX}/gateway/gw-4tk", f"{KESTREL}/mobile/mb-4h2"): {"federation"},
        (f"{GLOBEX}/gateway/gw-4tk", f"{GLOBEX}/ledger/lg-5pe"): {"dependency"},
    }


def test_a_three_level_delegation_chain_across_towns(fed: Federation, anchor: date) -> None:
    delegations = [d for w in fed.workspaces for d in w.delegations]
    units = {u.key: u for w in fed.workspaces for u in w.work_units}
    children: dict[str, set[str]] = {}
    for d in delegations:
        assert d.parent_key and d.child_key
        children.setdefault(d.parent_key, set()).add(d.child_key)
    root = f"{ACME}/checkout/co-8f2"
    grandchildren = {g for c in children[root] for g in children.get(c, ())}
    assert children[root] == {f"{GLOBEX}/gateway/gw-4tk"}
    assert grandchildren == {f"{KESTREL}/paysdk/ps-3vk", f"{KESTREL}/mobile/mb-4h2", f"{GLOBEX}/ledger/lg-5pe"}
    assert {k.split("/")[3] for k in (root, *children[root], *grandchildren)} == {"storefront", "payments",
                                                                                 "kestrel"}
    done = {k for k in grandchildren if units[k].is_done}
    assert done == {f"{KESTREL}/mobile/mb-4h2", f"{GLOBEX}/ledger/lg-5pe"}
    overdue = {d.child_key for d in delegations if d.terms.get("deadline") and not units[d.child_key].is_done
               and date.fromisoformat(d.terms["deadline"]) < anchor}
    assert overdue == {f"{KESTREL}/paysdk/ps-3vk"}
    metadata = next(d for d in delegations if d.child_key == f"{GLOBEX}/gateway/gw-4tk" and "metadata" in d.forms)
    assert (metadata.delegated_by, metadata.delegated_to) == ("checkout/crew/alice", "globex.io")
    assert set(metadata.terms) == {"portion", "deadline", "acceptance_criteria", "credit_share"}


# --- requests, policies, audit -----------------------------------------------------------

def pending_incoming(w: Workspace) -> dict[str, Request]:
    return {r.request_id: r for r in w.requests if r.direction == "incoming" and r.status.value == "pending"}


def test_pending_incoming_requests_and_their_requesters(fed: Federation) -> None:
    api, front = ws(fed, API), ws(fed, FRONTEND)
    queue = pending_incoming(api)
    assert {rid: r.from_repo for rid, r in queue.items()} == {
        "req-e85a30": SCRAPER_URL, "req-f0b162": PORTAL_URL, "req-7c2e41": FRONTEND_URL, "req-9d4b17": FRONTEND_URL,
    }
    assert {rid: r.from_repo for rid, r in pending_incoming(front).items()} == {"req-3a6d55": API_URL}
    trust = {r.url: (r.trust_level.value, r.permissions["mutate"]) for r in api.remotes}
    # req-7c2e41: trusted, priority 2, no breaking-change label -> every auto_approve_condition holds.
    avatar = queue["req-7c2e41"].payload
    assert trust[FRONTEND_URL][0] == "trusted" and avatar["priority"] >= 2
    assert "breaking-change" not in avatar["labels"]
    assert trust[FRONTEND_URL][1]["auto_approve_conditions"] == ["priority >= 2", "!labels.includes('breaking-change')"]
    # req-9d4b17: a require_approval rule holds (priority 1, breaking-change).
    camel = queue["req-9d4b17"].payload
    assert camel["priority"] <= 1 and "breaking-change" in camel["labels"]
    # req-e85a30: an untrusted requester that may mutate -> needs a human.
    assert trust[SCRAPER_URL][0] == "untrusted" and trust[SCRAPER_URL][1]["allowed"] is True
    # req-f0b162: a verified requester whose permissions do not allow mutate -> denied.
    assert trust[PORTAL_URL] == ("verified", {"allowed": False})
    # the two repos trust each other differently
    assert [(r.url, r.trust_level.value) for r in front.remotes] == [(API_URL, "verified")]


def test_each_demo_requester_holds_the_matching_outgoing_request(fed: Federation) -> None:
    by_repo = {API_URL: ws(fed, API), FRONTEND_URL: ws(fed, FRONTEND)}
    for local in by_repo.values():
        for rid, incoming in pending_incoming(local).items():
            requester = by_repo.get(incoming.from_repo)
            if requester is None:
                continue  # a repo outside the demo
            outgoing = {r.request_id: r for r in requester.requests if r.direction == "outgoing"}
            assert outgoing[rid].status.value == "pending" and outgoing[rid].to_repo == incoming.to_repo


def test_decided_history_is_the_last_snapshot(fed: Federation) -> None:
    api = {r.request_id: r for r in ws(fed, API).requests}
    done, rejected = api["req-a41c07"], api["req-b7e210"]
    assert (done.status.value, done.approved_by) == ("completed", "bob@acme.dev")
    assert done.result == {"created": {"id": "i-3c1d", "canonical_ref": "acme-dev/api-service#i-3c1d"}}
    assert rejected.status.value == "rejected" and rejected.rejection_reason
    delegate = {w.name: w.requests[0] for w in (ws(fed, ACME), ws(fed, GLOBEX))}
    assert {(r.direction, r.request_type, r.status.value) for r in delegate.values()} == {
        ("outgoing", "delegate", "completed"), ("incoming", "delegate", "completed")}


def test_policies_and_subscriptions(fed: Federation) -> None:
    policy = ws(fed, API).info.federation["policies"]["incoming_requests"]["mutate"]  # type: ignore[union-attr]
    assert [r["condition"] for r in policy["auto_approve"]] == ["trust_level === 'trusted' && priority >= 2"]
    assert [r["condition"] for r in policy["require_approval"]] == [
        "priority <= 1 || labels.includes('breaking-change')", "labels.includes('security')"]
    subs = {(w.name, s.subscription_id, s.direction, s.active) for w in fed.workspaces for s in w.subscriptions}
    assert subs == {(API, "sub-7a2f91", "incoming", True), (API, "sub-1e0c44", "incoming", False),
                    (FRONTEND, "sub-7a2f91", "outgoing", True)}


def test_audit_events_from_many_actors_in_every_workspace_kind(fed: Federation) -> None:
    origins = {e.origin for w in fed.workspaces for e in w.audit}
    assert origins == {"town-events", "town-feed", "federation-audit"}
    actors = {e.actor for w in fed.workspaces for e in w.audit}
    assert {"mayor", "deacon", "checkout/crew/alice", "gateway/crew/carol", "paysdk/crew/kim", "web/refinery",
            "bob@acme.dev", "carol@globex.io", "claude-code-agent", "price-scraper-bot"} <= actors
    types = {e.type for w in fed.workspaces for e in w.audit}
    assert {"sling", "hook", "done", "handoff", "mail", "spawn", "merge_started", "merged", "merge_failed",
            "mutate", "approve", "reject", "subscribe", "sync", "query", "delegate", "export"} <= types
    assert {w.name for w in fed.workspaces if w.audit} == {w.name for w in fed.workspaces} - {"realm://globex-platform"}


# --- remotes -----------------------------------------------------------------------------

def test_remotes_reachable_stale_and_unreachable(fed: Federation) -> None:
    roots = {Path(w.root).resolve(): w.name for w in fed.workspaces}
    remotes = [(w, r) for w in fed.workspaces for r in w.remotes]
    relative = [(w, r) for w, r in remotes if r.transport == "git" and r.url.startswith("../")]
    for w, r in relative:  # every relative git remote leads to a sibling demo workspace, as named
        assert roots.get((Path(w.root) / r.url).resolve()) == r.extra["workspace"], (w.name, r.name)
    reachable = {(w.name, r.name) for w, r in relative if r.sync.get("auto_sync")}
    stale = {(w.name, r.name) for w, r in relative if r.sync.get("auto_sync") is False}
    unreachable = {(w.name, r.name) for w, r in remotes if r.url == "http://127.0.0.1:9/api/v1/federation"}
    assert (ACME, "globex-payments") in reachable and ("realm://commerce", "globex-platform-realm") in reachable
    assert stale == {(ACME, "kestrel"), (KESTREL, "globex-payments")}
    assert unreachable == {(GLOBEX, "initech-risk")}
    initech = next(r for w, r in remotes if r.name == "initech-risk")
    assert (initech.transport, initech.extra["workspace"]) == ("http", "hop://initech.com/risk")  # the stub's home
    sudocode_git = {r.url: r.extra["git_url"] for w in (ws(fed, API), ws(fed, FRONTEND)) for r in w.remotes
                    if "git_url" in r.extra}
    assert sudocode_git == {FRONTEND_URL: "../frontend", API_URL: "../api-service"}


# --- realms ------------------------------------------------------------------------------

def test_realms_in_both_layouts(fed: Federation) -> None:
    commerce, platform = ws(fed, "realm://commerce").info, ws(fed, "realm://globex-platform").info
    assert (commerce.layout, platform.layout) == ("draft", "implemented")  # type: ignore[union-attr]
    assert commerce.grace_period_days == platform.grace_period_days == 14  # type: ignore[union-attr]
    assert sorted((SAMPLES / "realms" / "commerce" / "contracts").glob("*.schema.yaml"))


def test_realm_imports_hold_each_status_ingredient(fed: Federation, anchor: date) -> None:
    imports = {i.key: i for w in fed.workspaces for i in w.imports}
    assert len(imports) == 7

    def case(key: str) -> tuple[Import, Contract]:
        imp = imports[key]
        return imp, contract_of(fed, imp)

    # current: resolved == the newest stable version; a newer prerelease is ignored
    imp, contract = case("realm://commerce/globex-payments/imports/catalog-feed")
    assert imp.resolved_version == contract.version == "1.3.0"
    assert any(is_prerelease(h.version) and version(h.version) > version("1.3.0") for h in contract.history)
    imp, contract = case("realm://globex-platform/ledger/imports/card-token")
    assert imp.resolved_version == contract.version and imp.declared_status == "current"

    # stale past the grace period, declared current: the first newer entry is 30 days old
    imp, contract = case("realm://commerce/acme-checkout/imports/payment-intents")
    assert imp.declared_status == "current" and version(imp.resolved_version or "") < version(contract.version)
    assert version(imp.resolved_version or "")[0] == version(contract.version)[0]
    assert anchor - first_newer_entry_date(contract, imp.resolved_version or "") == timedelta(days=30)

    # stale within the grace period (Blue's word: outdated): 5 days old, compatible evolution
    imp, contract = case("realm://globex-platform/paysdk/imports/card-token")
    assert imp.declared_status == "outdated" and (imp.resolved_version, contract.version) == ("1.5.0", "1.6.0")
    assert anchor - first_newer_entry_date(contract, "1.5.0") == timedelta(days=5)
    assert all(h.compatible for h in contract.history)

    # broken (draft): a new major the range does not admit, declared stale
    imp, contract = case("realm://commerce/acme-checkout/imports/webhook-events")
    assert (imp.range, imp.resolved_version, contract.version, imp.declared_status) == ("^2.0.0", "2.4.0", "3.0.0",
                                                                                       "stale")
    # broken (implemented): an incompatible evolution entry between resolved and current, declared current
    imp, contract = case("realm://globex-platform/gateway/imports/risk-score")
    assert (imp.range, imp.resolved_version, contract.version, imp.declared_status) == (">=1.0.0", "1.1.0", "1.3.0",
                                                                                       "current")
    between = [h for h in contract.history if version("1.1.0") < version(h.version) <= version("1.3.0")]
    assert [h.compatible for h in between] == [False, True]

    # pending: nothing resolved yet
    imp, _ = case("realm://globex-platform/ledger/imports/risk-score")
    assert (imp.resolved_version, imp.declared_status) == (None, "pending")


# --- untrusted text and dates ------------------------------------------------------------

def test_markup_and_escape_codes_are_kept_verbatim(fed: Federation) -> None:
    titled = [u for w in fed.workspaces for u in w.work_units if "[bold red]x[/]" in u.title]
    assert [(u.key, u.title) for u in titled] == [
        (f"{GLOBEX}/fraud/fr-2qs", "Alert digest shows [bold red]x[/] instead of the merchant name")]
    assert "\x1b[31m" in (titled[0].description or "")


def test_every_recorded_time_is_on_or_before_the_anchor(fed: Federation, anchor: date) -> None:
    stamps = [s for w in fed.workspaces for u in w.work_units
              for s in (u.created_at, u.updated_at, u.closed_at) if s]
    stamps += [e.ts for w in fed.workspaces for e in w.audit]
    stamps += [s for w in fed.workspaces for r in w.requests for s in (r.created_at, r.updated_at) if s]
    stamps += [i.resolved_at for w in fed.workspaces for i in w.imports if i.resolved_at]
    stamps += [h.date for w in fed.workspaces for c in w.contracts for h in c.history if h.date]
    assert stamps and max(day(s) for s in stamps) == anchor
