from __future__ import annotations

from pathlib import Path

from core.federation import load_federation
from core.model import RequestStatus, TrustLevel
from tests.conftest import write_json, write_jsonl


def _repo(root: Path) -> Path:
    sc = root / ".sudocode"
    write_json(sc / "config.json", {"sourceOfTruth": "jsonl"})
    write_json(sc / "federation.config.json", {
        "local_identity": {"url": "github.com/acme/frontend", "display_name": "Frontend"},
        "remote_repos": [
            {"url": "github.com/acme/api-service", "display_name": "API", "trust_level": "trusted",
             "permissions": {"query": True, "mutate": {"allowed": True, "operations": ["create_issue"]}},
             "sync": {"auto_sync": True, "interval_minutes": 15}},
            {"url": "http://127.0.0.1:9/api/v1/federation", "trust_level": "untrusted"},
        ],
        "policies": {"incoming_requests": {"mutate": {"auto_approve": [{"condition": "priority >= 2"}]}}},
    })
    write_jsonl(sc / "issues.jsonl", [
        {"id": "i-1", "uuid": "u1", "title": "Show user profile", "content": "needs [[acme/api-service#i-9]]",
         "status": "blocked", "priority": 1, "assignee": "ann", "archived": 0, "created_at": "2025-10-24 09:53:37",
         "updated_at": "2025-10-24T10:00:00Z", "closed_at": None, "parent_id": None, "tags": ["ui"],
         "relationships": [{"from": "acme/api-service#i-9", "from_type": "issue", "to": "i-1", "to_type": "issue",
                            "type": "blocks"},
                           {"from": "i-1", "from_type": "issue", "to": "s-1", "to_type": "spec",
                            "type": "implements"}]},
        {"id": "i-2", "title": "no tags", "status": "open", "priority": "urgent"},
    ])
    write_jsonl(sc / "specs.jsonl", [{"id": "s-1", "uuid": "u2", "title": "Profile spec", "file_path": "specs/p.md",
                                      "content": "", "priority": 2, "relationships": [], "tags": []}])
    write_jsonl(sc / "federation" / "requests.jsonl", [
        {"request_id": "req-1", "direction": "outgoing", "from_repo": "acme/frontend", "to_repo": "acme/api-service",
         "request_type": "create_issue", "payload": {"title": "GET /users/:id"}, "status": "pending",
         "created_at": "2026-11-19T10:00:00Z"}])
    write_jsonl(sc / "federation" / "audit.jsonl", [
        {"timestamp": "2026-11-19T10:00:00Z", "operation_type": "mutate", "direction": "outgoing",
         "local_repo": "acme/frontend", "remote_repo": "acme/api-service", "request_id": "req-1",
         "status": "success", "duration_ms": 42, "actor": "ann"}])
    write_jsonl(sc / "federation" / "subscriptions.jsonl", [
        {"subscription_id": "sub-1", "remote_repo": "acme/api-service", "event_types": ["issue.updated"]}])
    return root


def test_sudocode_repo(tmp_path: Path) -> None:
    root = _repo(tmp_path / "frontend")
    fed = load_federation([root])
    assert [(Path(d.path).name, d.line, d.message) for d in fed.errors] == [
        ("issues.jsonl", 2, "sudocode issue: field 'priority' should be an integer, found a string")]
    ws = fed.workspaces[0]
    assert ws.name == "acme/frontend"
    assert ws.info.display_name == "Frontend"
    issue = next(u for u in ws.work_units if u.id == "i-1")
    assert issue.key == "acme/frontend#i-1"
    assert (issue.status, issue.labels, issue.description) == ("blocked", ["ui"], "needs [[acme/api-service#i-9]]")
    assert issue.extra["uuid"] == "u1" and issue.extra["archived"] == 0
    spec = next(u for u in ws.work_units if u.kind == "spec")
    assert spec.key == "acme/frontend#s-1" and spec.extra["file_path"] == "specs/p.md"
    rels = sorted((r.type, r.from_key, r.to_key) for r in ws.relationships)
    assert rels == [
        ("blocks", "acme/api-service#i-9", "acme/frontend#i-1"),
        ("implements", "acme/frontend#i-1", "acme/frontend#s-1"),
        ("references", "acme/frontend#i-1", "acme/api-service#i-9"),
    ]
    assert [(r.name, r.transport, r.trust_level) for r in ws.remotes] == [
        ("acme/api-service", "git", TrustLevel.TRUSTED), ("127.0.0.1:9", "http", TrustLevel.UNTRUSTED)]
    assert ws.remotes[0].sync == {"auto_sync": True, "interval_minutes": 15}
    assert [(r.request_id, r.direction, r.status) for r in ws.requests] == [("req-1", "outgoing", RequestStatus.PENDING)]
    assert [(e.type, e.actor, e.origin, e.payload["duration_ms"]) for e in ws.audit] == [
        ("mutate", "ann", "federation-audit", 42)]
    assert ws.subscriptions[0].event_types == ["issue.updated"]
    # A reference into a workspace that is not loaded is a remote reference, not a warning.
    assert not fed.warnings


def test_without_identity_the_folder_names_the_repo(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "tracker" / ".sudocode" / "issues.jsonl", [{"id": "i-1", "title": "t"}])
    fed = load_federation([tmp_path / "tracker"])
    assert fed.workspaces[0].work_units[0].key == "local/tracker#i-1"


def test_bad_request_status_names_the_line(tmp_path: Path) -> None:
    root = _repo(tmp_path / "frontend")
    path = root / ".sudocode" / "federation" / "requests.jsonl"
    with path.open("a") as handle:
        handle.write('{"request_id":"req-2","direction":"incoming","from_repo":"x/y","to_repo":"acme/frontend",'
                     '"request_type":"create_issue","status":"maybe"}\n')
    fed = load_federation([root])
    bad = [d for d in fed.errors if Path(d.path).name == "requests.jsonl"]
    assert [(d.line, d.message.split(":")[0]) for d in bad] == [(2, "cross-repo request")]
    assert [r.request_id for r in fed.workspaces[0].requests] == ["req-1"]


def test_remote_names() -> None:
    from core.sources.federation_records import remote_name

    assert remote_name("github.com/acme/api-service") == "acme/api-service"
    assert remote_name("https://github.com/acme/api.git") == "acme/api"
    assert remote_name("git@github.com:acme/api.git") == "acme/api"
    assert remote_name("http://127.0.0.1:8765/api/v1/federation") == "127.0.0.1:8765"
    assert remote_name("../../sudocode/api-service") == "sudocode/api-service"
    assert remote_name("file:///srv/git/realm.git") == "git/realm"
