"""Refusals write nothing to the workspace and cost no commit (issue "Hostile world II", item 7):
a bad token, a permission not granted, a policy denial that the body alone decides, a bad body,
a body over a bound. Each refused call is kept in the server's own call log (``server.db``,
outside the workspace) instead."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from core.server.db import ServerDB
from tests.http_fixtures import FRONTEND, MERCHANT, SCRAPER, Served


def create(request_id: str, **data: Any) -> dict[str, Any]:
    body = {"title": "Refusal probe", "priority": 2, "labels": ["api"]}
    body.update(data)
    return {"type": "mutate", "request_id": request_id, "operation": "create_issue", "data": body}


def commits(served: Served) -> int:
    out = subprocess.run(["git", "rev-list", "--count", "HEAD"], check=False, cwd=served.root, capture_output=True,
                         text=True)
    return int(out.stdout.strip() or 0) if out.returncode == 0 else 0


def state(served: Served) -> tuple[int, dict[str, bytes]]:
    files = {str(p): p.read_bytes() for p in sorted(served.root.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return commits(served), files


@pytest.fixture
def committed(served: Served) -> Served:
    """The served copy as a git repository with one commit, so commits can be counted."""
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "start"]):
        subprocess.run(["git", *args], cwd=served.root, check=True, capture_output=True)
    return served


def test_a_remote_that_may_not_mutate_writes_nothing(committed: Served) -> None:
    served = committed
    before = state(served)
    with served.client(served.token(MERCHANT)) as client:
        answers = [client.post("/mutate", json=create(f"req-merchant-{n}")) for n in range(2)]
    assert [a.status_code for a in answers] == [403, 403]
    assert "may not mutate" in answers[0].json()["error"]["message"]
    assert state(served) == before  # no request line, no audit line, no commit
    calls = ServerDB(served.workspace).calls()
    assert [(c["status"], c["request_id"]) for c in calls[:2]] == [(403, "req-merchant-1"), (403, "req-merchant-0")]


def test_a_policy_denial_from_the_body_writes_nothing_and_can_succeed_later(committed: Served) -> None:
    served = committed
    before = state(served)
    with served.client(served.token(FRONTEND)) as client:
        spec = client.post("/mutate", json={**create("req-spec-1"), "operation": "create_spec"})
        assert spec.status_code == 403
        assert "create_spec is not among the operations" in spec.json()["error"]["message"]
        assert state(served) == before
        config = served.root / ".sudocode" / "federation.config.json"
        doc = json.loads(config.read_text())
        doc["remote_repos"][0]["permissions"]["mutate"]["operations"].append("create_spec")
        config.write_text(json.dumps(doc))
        served.rescan()
        again = client.post("/mutate", json={**create("req-spec-1"), "operation": "create_spec"})
    assert again.status_code in (200, 202), again.text  # the refusal was not kept: granted now, it goes through


def test_other_refusals_write_nothing(committed: Served) -> None:
    served = committed
    before = state(served)
    with served.client(served.token(FRONTEND)) as client:
        assert client.post("/mutate", json=create("bad id")).status_code == 422
        assert client.post("/mutate", json=create("req-long", title="t" * 600)).status_code == 422
        assert client.post("/mutate", content=b"{nope", headers={"Content-Type": "application/json"}).status_code == 400
        assert client.post("/mutate", json={**create("req-from"), "from": SCRAPER}).status_code == 403
    with served.client("cdt_" + "x" * 43) as client:
        assert client.post("/mutate", json=create("req-token")).status_code == 401
    with served.client(served.token(maintainer="api/crew/ann")) as client:
        assert client.post("/mutate", json=create("req-maint")).status_code == 403
    assert state(served) == before
