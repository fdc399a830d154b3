"""Seed workspaces for the fuzz suite (tests/test_fuzz_formats.py): one small, real-looking
workspace per format crossdeck reads, and the file of it that the fuzz mutates.

Every id, prefix, timestamp and name differs from every other in several characters, so that
no single edit of one line can make it another line's record (a request's last line wins)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple


class Seed(NamedTuple):
    build: Callable[[Path], None]  # writes the workspace(s) below a root
    target: str  # the file the fuzz mutates, relative to the root
    lines: bool  # JSON Lines: a record a line (else one document: JSON, YAML or a redirect)
    vanish: tuple[str, ...] = ()  # folders whose records rightly go when the target cannot be read


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def _text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


_RIGS = {"greenplace": "gp", "wasteland": "wl"}
_IDS = {"gp": ["gp-7f3a", "gp-b81c", "gp-k2zq", "gp-x9m4"], "wl": ["wl-q4e8", "wl-h6tr", "wl-p0dn"],
        "hq": ["hq-c4v1", "hq-m8sk"]}


def _bead(ident: str, index: int, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": ident, "title": f"Work item {ident} ({index})", "description": f"Do the {ident} thing.\nCarefully.",
        "status": ["open", "in_progress", "closed", "blocked"][index % 4], "priority": index % 5,
        "issue_type": "task", "assignee": f"greenplace/crew/joe{index}", "created_by": "mayor",
        "created_at": f"2026-11-0{index % 9 + 1}T10:0{index}:00Z", "updated_at": f"2026-11-1{index % 9}T11:00:00Z",
        "labels": [f"area-{ident}", "backend"],
    }
    row.update(extra)
    return row


def town(root: Path, *, backup: bool = False) -> None:
    """A real-layout town: two rigs (greenplace's beads as an export, wasteland's as an export or
    a backup), town-level beads, routes, events, federation records and a .crossdeck folder."""
    t = root / "town"
    _json(t / "mayor" / "town.json", {"type": "town", "version": 2, "name": "main-town", "owner": "steve@example.com",
                                      "public_name": "Main Town", "created_at": "2026-01-01T00:00:00Z"})
    _json(t / "mayor" / "rigs.json", {"version": 1, "rigs": {
        rig: {"git_url": f"git@example.com:acme/{rig}.git", "added_at": "2026-01-02T00:00:00Z",
              "beads": {"repo": "", "prefix": prefix}} for rig, prefix in _RIGS.items()}})
    for rig, prefix in _RIGS.items():
        _json(t / rig / "config.json", {"type": "rig", "version": 1, "name": rig, "git_url": f"git@example.com:{rig}.git",
                                        "default_branch": "main", "beads": {"prefix": prefix}})
    _jsonl(t / ".beads" / "routes.jsonl", [{"prefix": "hq-", "path": "."}, {"prefix": "hq-cv-", "path": "."},
                                           {"prefix": "gp-", "path": "greenplace"},
                                           {"prefix": "wl-", "path": "wasteland/mayor/rig"}])
    gp = _IDS["gp"]
    _jsonl(t / "greenplace" / ".beads" / "issues.jsonl", [
        _bead(gp[0], 0, dependencies=[{"issue_id": gp[0], "depends_on_id": gp[1], "type": "blocks",
                                       "created_at": "2026-11-01T10:00:00Z", "created_by": "mayor"}]),
        _bead(gp[1], 1, metadata={"delegated_from": {"parent": "hq-c4v1", "terms": {"portion": "half",
                                                                                    "deadline": "2026-12-24"}}}),
        _bead(gp[2], 2, dependencies=[{"issue_id": gp[2], "depends_on_id": "external:wl:wl-q4e8", "type": "waits-for",
                                       "created_at": "2026-11-02T10:00:00Z", "created_by": "greenplace/witness"}]),
        _bead(gp[3], 3, references=[{"type": "depends_on", "target": "hop://ann@acme.dev/other-town/ot-1"}]),
    ])
    wl = _IDS["wl"]
    if backup:
        b = t / "wasteland" / ".beads" / "backup"
        rows = [{**_bead(ident, i + 4, labels=None), "ephemeral": 0, "metadata": "{}"} for i, ident in enumerate(wl)]
        for row in rows:
            del row["labels"]
        _jsonl(b / "issues.jsonl", rows)
        _jsonl(b / "dependencies.jsonl", [
            {"issue_id": wl[0], "depends_on_id": wl[1], "type": "blocks", "created_at": "2026-11-03T10:00:00Z",
             "created_by": "mayor"},
            {"issue_id": wl[2], "depends_on_id": "gp-7f3a", "type": "related", "created_at": "2026-11-04T10:00:00Z",
             "created_by": "wasteland/crew/max"}])
        _jsonl(b / "labels.jsonl", [{"issue_id": wl[0], "label": "urgent"}, {"issue_id": wl[1], "label": "infra"}])
        _jsonl(b / "comments.jsonl", [{"id": 1, "issue_id": wl[0], "author": "max", "text": "on it",
                                       "created_at": "2026-11-05T10:00:00Z"}])
        _jsonl(b / "events.jsonl", [
            {"id": 11, "issue_id": wl[0], "event_type": "created", "actor": "mayor", "old_value": None,
             "new_value": json.dumps({"id": wl[0]}), "comment": None, "created_at": "2026-11-03T10:00:00Z"},
            {"id": 12, "issue_id": wl[1], "event_type": "status_changed", "actor": "max", "old_value": "open",
             "new_value": "closed", "comment": "done", "created_at": "2026-11-06T12:30:00Z"}])
        _json(b / "backup_state.json", {"timestamp": "2026-11-07T00:00:00Z", "counts": {
            "issues": 3, "dependencies": 2, "labels": 2, "comments": 1, "events": 2}})
        (t / "wasteland" / "mayor" / "rig" / ".beads").mkdir(parents=True)
    else:
        _jsonl(t / "wasteland" / "mayor" / "rig" / ".beads" / "issues.jsonl", [_bead(ident, i + 4)
                                                                             for i, ident in enumerate(wl)])
        _text(t / "wasteland" / ".beads" / "redirect", "mayor/rig/.beads\n")
    _jsonl(t / ".beads" / "issues.jsonl", [_bead(ident, i + 7) for i, ident in enumerate(_IDS["hq"])])
    _jsonl(t / ".events.jsonl", [
        {"ts": f"2026-11-0{i + 1}T0{i}:15:00Z", "type": kind, "actor": actor, "payload": {"bead": bead, "n": i}}
        for i, (kind, actor, bead) in enumerate([("sling", "mayor", "gp-7f3a"), ("done", "greenplace/polecats/nux",
                                                                                  "gp-b81c"),
                                                 ("handoff", "wasteland/crew/max", "wl-q4e8"),
                                                 ("merge", "refinery", "gp-k2zq")])])
    _jsonl(t / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": "alice@acme.dev", "organization": "acme.dev", "role": "engineer"},
        {"type": "entity", "id": "acme.dev", "kind": "org", "display_name": "Acme"},
        {"type": "delegation", "parent": "hq-m8sk", "child": "gp-k2zq",
         "terms": {"portion": "all", "deadline": "2027-01-15"}, "delegated_by": "mayor",
         "delegated_to": "greenplace/crew/joe2"},
        {"type": "employment", "entity": "bruno@globex.io", "organization": "globex.io"}])
    crossdeck(t)


def crossdeck(root: Path) -> None:
    """A town's or realm's .crossdeck folder: remotes, requests, subscriptions, audit."""
    c = root / ".crossdeck"
    _json(c / "remotes.json", {"remotes": [
        {"url": "git@example.com:acme/frontend.git", "name": "acme/frontend", "trust_level": "trusted",
         "permissions": {"create_issue": True}, "sync": {"auto_sync": True, "interval_minutes": 15},
         "workspace": "acme/frontend"},
        {"url": "http://127.0.0.1:8765", "transport": "http", "trust_level": "verified"},
        {"url": "../globex-town", "display_name": "Globex", "workspace": "hop://bruno@globex.io/globex-town"}]})
    requests(c / "requests.jsonl", "town")
    _jsonl(c / "subscriptions.jsonl", [
        {"subscription_id": f"sub-{token}", "remote_repo": repo, "direction": "incoming",
         "event_types": ["issue.created", "issue.closed"], "filters": {"labels": ["api"]}, "active": i % 2 == 0,
         "created_at": f"2026-11-1{i}T09:00:00Z"}
        for i, (token, repo) in enumerate([("9qke2w", "acme/frontend"), ("v7c3xa", "acme/api"),
                                           ("m1pz8r", "globex/pay")])])
    audit(c / "audit.jsonl")


def requests(path: Path, where: str) -> None:
    _jsonl(path, [
        {"request_id": f"req-{token}", "direction": direction, "from_repo": src, "to_repo": dst,
         "request_type": "create_issue", "payload": {"title": f"Please {token}", "priority": 2, "labels": ["api"]},
         "status": status, "approved_by": None, "approved_at": None, "rejection_reason": None, "result": None,
         "created_at": f"2026-11-1{i}T10:00:00Z", "updated_at": f"2026-11-1{i}T10:05:00Z"}
        for i, (token, direction, src, dst, status) in enumerate([
            ("7f3a9c", "incoming", "acme/frontend", where, "pending"),
            ("b82d01", "outgoing", where, "acme/api", "approved"),
            ("q5wx3k", "incoming", "globex/pay", where, "rejected"),
            ("z0hn6t", "incoming", "acme/frontend", where, "completed")])])


def audit(path: Path) -> None:
    _jsonl(path, [
        {"timestamp": f"2026-11-2{i}T1{i}:00:00Z", "operation_type": op, "direction": "incoming",
         "local_repo": "acme/api", "remote_repo": "acme/frontend", "request_id": f"req-{i}x{op[:2]}",
         "payload": {"n": i}, "result": {"ok": True}, "status": "success", "error_message": None,
         "duration_ms": 12 + i, "actor": actor}
        for i, (op, actor) in enumerate([("approve", "acme/crew/ann"), ("reject", "acme/crew/bob"),
                                         ("create_issue", "acme/crew/cyd")])])


def sudocode(root: Path) -> None:
    """A sudocode repo with issues, specs, config, federation config and federation records."""
    s = root / "api" / ".sudocode"
    _json(s / "config.json", {"version": "0.1.5", "id_prefix": {"spec": "s", "issue": "i"}})
    _json(s / "federation.config.json", {
        "local_identity": {"url": "github.com/acme/api", "display_name": "Acme API"},
        "remote_repos": [
            {"url": "github.com/acme/frontend", "display_name": "Frontend", "trust_level": "trusted",
             "permissions": {"create_issue": True, "update_issue": False}, "sync": {"auto_sync": True}},
            {"url": "github.com/globex/pay", "trust_level": "untrusted", "git_url": "../pay"}],
        "policies": [{"name": "trusted-creates", "when": "trust_level == 'trusted'", "action": "approve"}],
        "cache": {"ttl_minutes": 30}})
    issues = [("i-3kf9", "open"), ("i-8zq2", "closed"), ("i-w5nb", "in_progress"), ("i-c0ty", "blocked")]
    _jsonl(s / "issues.jsonl", [
        {"id": ident, "uuid": f"0000{i}aaa-1111-2222-3333-44445555666{i}", "title": f"Issue {ident}",
         "content": f"Body of {ident}; see [[acme/frontend#i-{i}zz{i}]].", "status": status, "priority": i,
         "assignee": None, "archived": i % 2, "archived_at": None, "created_at": f"2026-10-1{i} 09:53:37",
         "updated_at": f"2026-10-2{i} 09:53:37", "closed_at": None, "parent_id": None, "parent_uuid": None,
         "relationships": [{"from": ident, "from_type": "issue", "to": "s-7hq1", "to_type": "spec",
                            "type": "implements"}] if i % 2 else [],
         "tags": ["api", f"t{i}"], "feedback": [{"id": f"fb-{i}", "spec_id": "s-7hq1", "content": "ok"}] if i == 1
         else []}
        for i, (ident, status) in enumerate(issues)])
    _jsonl(s / "specs.jsonl", [
        {"id": ident, "uuid": f"9999{i}bbb-1111-2222-3333-44445555666{i}", "title": f"Spec {ident}",
         "file_path": f"specs/{ident}.md", "content": f"# {ident}\nThe spec.", "priority": i, "archived": 0,
         "archived_at": None, "created_at": f"2026-09-1{i}T08:00:00Z", "updated_at": f"2026-09-2{i}T08:00:00Z",
         "parent_id": None, "parent_uuid": None,
         "relationships": [{"from": ident, "from_type": "spec", "to": "acme/frontend#s-1", "to_type": "spec",
                            "type": "references"}], "tags": ["design"]}
        for i, ident in enumerate(["s-7hq1", "s-2mv5", "s-p8ld"])])
    requests(s / "federation" / "requests.jsonl", "acme/api")
    audit(s / "federation" / "audit.jsonl")
    _jsonl(s / "federation" / "subscriptions.jsonl", [
        {"subscription_id": "sub-x1y2z3", "remote_repo": "acme/frontend", "event_types": ["issue.created"],
         "filters": {}, "active": True, "created_at": "2026-11-01T00:00:00Z"}])
    _jsonl(s / "federation" / "delegations.jsonl", [
        {"type": "delegation", "parent": "acme/frontend#i-5", "child": "i-3kf9", "terms": {"portion": "all"},
         "delegated_by": "acme/frontend/crew/ann", "delegated_to": "acme/api/crew/bob"},
        {"type": "delegation", "parent": "acme/frontend#i-9", "child": "i-w5nb", "terms": {"portion": "half"}}])


def realm_draft(root: Path) -> None:
    r = root / "realms" / "commerce"
    _text(r / "realm.yaml", "name: commerce\nversion: 1.0\ncreated_at: 2026-01-10\ngovernance:\n"
                            "  admission: approval\n  breaking_changes:\n    grace_period_days: 14\n")
    _text(r / "domains" / "catalog" / "domain.yaml",
          "name: catalog\ndescription: Product catalog\nrepo_path: ../catalog\nmaintainers: [ann, bob]\n"
          "joined_at: 2026-01-11\n")
    _text(r / "domains" / "catalog" / "exports.yaml",
          "exports:\n  - name: catalog-feed\n    version: 1.2.0\n    description: The product feed\n"
          "    schema: {type: object, properties: {sku: {type: string}}}\n    changelog:\n"
          "      - version: 1.2.0\n        date: 2026-03-01\n        changes: [added sku]\n"
          "      - version: 1.1.0\n        date: 2026-02-01\n        changes: [first]\n"
          "  - name: price-list\n    version: '2.0'\n    owner: bob\n")
    _text(r / "domains" / "checkout" / "domain.yaml", "name: checkout\nmembers: [cyd]\n")
    _text(r / "domains" / "checkout" / "imports.yaml",
          "imports:\n  - contract: catalog-feed\n    from: catalog\n    version: ^1.0.0\n"
          "    binding: src/feed.ts\n    status: active\n    resolved_version: 1.1.0\n    resolved_at: 2026-02-02\n"
          "  - contract: price-list\n    version: '>=2.0'\n    binding: src/prices.ts\n")
    _text(r / "contracts" / "catalog-feed.schema.yaml", "type: object\nproperties:\n  sku: {type: string}\n")


def realm_implemented(root: Path) -> None:
    r = root / ".blue" / "realms" / "platform"
    _text(root / ".blue" / "index.yaml", "realms:\n  - name: platform\n    path: .blue/realms/platform\n")
    _text(r / "realm.yaml", "name: platform\nversion: 2\n")
    _text(r / "repos" / "gateway.yaml", "name: gateway\nurl: git@example.com:globex/gateway.git\n")
    _text(r / "repos" / "ledger.yaml", "name: ledger\nurl: git@example.com:globex/ledger.git\n")
    _text(r / "domains" / "payments" / "domain.yaml", "name: payments\nmembers: [gateway, ledger]\n")
    _text(r / "domains" / "payments" / "contracts" / "card-token.yaml",
          "name: card-token\nversion: 3.1.0\nowner: ledger\nvalue: {format: tok_}\nevolution:\n"
          "  - version: 3.1.0\n    date: 2026-04-01\n    compatible: true\n    changes: [longer tokens]\n"
          "  - version: 3.0.0\n    date: 2026-02-01\n    compatible: false\n")
    _text(r / "domains" / "payments" / "contracts" / "refund.yaml", "name: refund\nversion: 1.0.0\n")
    _text(r / "domains" / "payments" / "bindings" / "ledger.yaml",
          "repo: ledger\nrole: provider\nexports:\n  - contract: card-token\n    source_files: [src/token.rs]\n"
          "  - contract: refund\n")
    _text(r / "domains" / "payments" / "bindings" / "gateway.yaml",
          "repo: gateway\nrole: consumer\nimports:\n  - contract: card-token\n    version: ^3.0.0\n"
          "    binding: gw/token.go\n    resolved_version: 3.1.0\n")


def _town_backup(root: Path) -> None:
    town(root, backup=True)


def _seed(build: Callable[[Path], None], target: str, lines: bool, *vanish: str) -> Seed:
    return Seed(build, target, lines, vanish)


# Each format the fuzz covers, and the files of it that it mutates (one per example).
FORMATS: dict[str, list[Seed]] = {
    "beads-export": [_seed(town, "town/greenplace/.beads/issues.jsonl", True),
                     _seed(town, "town/.beads/issues.jsonl", True)],
    "beads-backup": [_seed(_town_backup, f"town/wasteland/.beads/backup/{name}.jsonl", True)
                     for name in ("issues", "dependencies", "labels", "events")]
                    + [_seed(_town_backup, "town/wasteland/.beads/backup/backup_state.json", False)],
    "town-json": [_seed(town, "town/mayor/town.json", False, "town/")],
    "rigs-json": [_seed(town, "town/mayor/rigs.json", False),
                  _seed(town, "town/greenplace/config.json", False)],
    "routes": [_seed(town, "town/.beads/routes.jsonl", True),
               _seed(town, "town/wasteland/.beads/redirect", False, "town/wasteland/mayor/rig/.beads/")],
    "events": [_seed(town, "town/.events.jsonl", True)],
    "federation": [_seed(town, "town/.beads/federation.jsonl", True),
                   _seed(sudocode, "api/.sudocode/federation/delegations.jsonl", True)],
    "remotes": [_seed(town, "town/.crossdeck/remotes.json", False)],
    "requests": [_seed(town, "town/.crossdeck/requests.jsonl", True),
                 _seed(sudocode, "api/.sudocode/federation/requests.jsonl", True)],
    "subscriptions": [_seed(town, "town/.crossdeck/subscriptions.jsonl", True),
                      _seed(sudocode, "api/.sudocode/federation/subscriptions.jsonl", True)],
    "audit": [_seed(town, "town/.crossdeck/audit.jsonl", True),
              _seed(sudocode, "api/.sudocode/federation/audit.jsonl", True)],
    "realm-draft": [_seed(realm_draft, f"realms/commerce/{name}", False)
                    for name in ("realm.yaml", "domains/catalog/domain.yaml", "domains/catalog/exports.yaml",
                                 "domains/checkout/imports.yaml")],
    "realm-implemented": [_seed(realm_implemented, f".blue/{name}", False)
                          for name in ("index.yaml", "realms/platform/realm.yaml",
                                       "realms/platform/domains/payments/contracts/card-token.yaml",
                                       "realms/platform/domains/payments/bindings/gateway.yaml",
                                       "realms/platform/repos/ledger.yaml")],
    "sudocode-issues": [_seed(sudocode, "api/.sudocode/issues.jsonl", True)],
    "sudocode-specs": [_seed(sudocode, "api/.sudocode/specs.jsonl", True)],
    "sudocode-config": [_seed(sudocode, "api/.sudocode/config.json", False)],
    "sudocode-federation-config": [_seed(sudocode, "api/.sudocode/federation.config.json", False)],
}
