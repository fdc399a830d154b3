"""The dashboard's reload of what changed (core.dashboard.reread): after files of one workspace
changed, reading that workspace again and updating the graph in place gives what a full load
gives: the summary, diagnostics, stale imports, delegation chains, approvals, audit trail and the
graph's nodes and edges with their attributes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import generate
from core.analysis.audit import AuditQuery
from core.dashboard import DashboardData, load_dashboard, reread
from core.settings import Settings
from tests.conftest import PROJECT

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def shown(data: DashboardData) -> dict[str, Any]:
    """Everything a pane shows, in a form that compares."""
    graph = data.graph
    return {
        "summary": data.summary,
        "diagnostics": [str(d) for d in data.federation.diagnostics],
        "stale": data.stale,
        "chains": data.chains,
        "approvals": data.approvals,
        "audit": data.audit.query(AuditQuery()),
        "nodes": dict(graph.nodes(data=True)),
        "edges": {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True)},
        "workspaces": [ws.name for ws in data.federation.workspaces],
    }


def assert_same(got: DashboardData, want: DashboardData) -> None:
    mine, full = shown(got), shown(want)
    for part in full:
        if part in ("nodes", "edges"):
            assert mine[part].keys() == full[part].keys(), part
            wrong = [key for key in full[part] if mine[part][key] != full[part][key]]
            assert not wrong, (part, wrong[:5])
        assert mine[part] == full[part], part


def reread_then_compare(root: Path, changed: Path, change: Callable[[], object]) -> DashboardData:
    settings = Settings()
    before = load_dashboard([root], settings, NOW)
    change()
    plan = reread(before, [str(changed)], settings, NOW)
    assert plan is not None
    got = plan.apply()
    assert_same(got, load_dashboard([root], settings, NOW))
    return got


def append(path: Path, *records: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


def test_a_bead_appended_to_one_rig(demo: Path) -> None:
    town = demo / "towns" / "globex-payments"
    got = reread_then_compare(demo, town, lambda: append(town / "gateway" / ".beads" / "issues.jsonl", {
        "id": "gw-9zz", "title": "Added while the dashboard was open", "status": "open", "priority": 2,
        "created_at": "2026-11-20T11:00:00Z", "updated_at": "2026-11-20T11:00:00Z"}))
    assert "gw-9zz" in {u.id for u in got.federation.workspace("hop://globex.io/payments").work_units}  # type: ignore[union-attr]


def test_a_realm_import_resolved_again(demo: Path) -> None:
    realm = demo / "realms" / "commerce"
    imports = realm / "domains" / "acme-checkout" / "imports.yaml"
    got = reread_then_compare(demo, realm, lambda: imports.write_text(
        imports.read_text(encoding="utf-8").replace('resolved_version: "2.1.0"', 'resolved_version: "2.3.0"', 1),
        encoding="utf-8"))
    assert any(r.resolved_version == "2.3.0" for r in got.stale)


def test_a_request_decided_and_an_event_written(demo: Path) -> None:
    repo = demo / "sudocode" / "api-service"
    log = repo / ".sudocode" / "federation" / "requests.jsonl"
    first = json.loads(log.read_text(encoding="utf-8").splitlines()[0])

    def decide() -> None:
        append(log, {**first, "status": "rejected", "rejection_reason": "no", "updated_at": "2026-11-20T11:00:00Z"})
        append(repo / ".sudocode" / "federation" / "audit.jsonl", {
            "timestamp": "2026-11-20T11:00:00Z", "operation_type": "reject", "direction": "incoming",
            "local_repo": first["to_repo"], "remote_repo": first["from_repo"], "request_id": first["request_id"],
            "payload": {}, "result": None, "status": "rejected", "error_message": None, "actor": "web/crew/bob"})

    got = reread_then_compare(demo, repo, decide)
    assert first["request_id"] not in {row.request_id for row in got.approvals.pending}
    assert got.audit.query(AuditQuery()).events[0].actor == "web/crew/bob"


def test_changes_one_after_another(demo: Path) -> None:
    """Each reread starts from the last one's data (what it kept of the graph's parts and the
    dangling references included), as the dashboard does while changes keep coming."""
    settings = Settings()
    data = load_dashboard([demo], settings, NOW)
    gateway = demo / "towns" / "globex-payments" / "gateway" / ".beads" / "issues.jsonl"
    events = demo / "towns" / "kestrel" / ".events.jsonl"
    steps = [(demo / "towns" / "globex-payments", lambda n: append(gateway, {
                 "id": f"gw-9z{n}", "title": f"change {n}", "status": "open", "created_at": "2026-11-20T11:00:00Z"})),
             (demo / "towns" / "kestrel", lambda n: append(events, {
                 "ts": f"2026-11-20T11:0{n}:00Z", "type": "nudge", "actor": "deacon"}))]
    for n in range(4):
        root, change = steps[n % 3 % 2]  # the town twice, kestrel, the town again
        change(n)
        plan = reread(data, [str(root)], settings, NOW)
        assert plan is not None
        data = plan.apply()
        assert_same(data, load_dashboard([demo], settings, NOW))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "fed"
    generate(out, units=3000, workspaces=24, seed=7)
    return out


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _rewrite(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _rig_beads(fed: Path) -> list[Path]:
    return sorted(p for p in (fed / "towns").glob("*/*/.beads/issues.jsonl") if p.stat().st_size)


@pytest.mark.parametrize("change", ["append", "close", "drop-referenced", "delegate", "unlink", "fill-stub",
                                    "same-id-again", "dependency-twice", "retitle-all"])
def test_a_change_to_one_rig_of_a_generated_federation(generated: Path, tmp_path: Path, change: str) -> None:
    fed = Path(shutil.copytree(generated, tmp_path / "fed", symlinks=True))
    beads = _rig_beads(fed)

    def elsewhere(rig: Path) -> str:  # every record file of the other workspaces
        town = rig.parents[2]
        return "\n".join(p.read_text(encoding="utf-8") for p in fed.rglob("*.jsonl") if town not in p.parents)

    # a rig whose beads other workspaces refer to: dropping them makes those references dangle
    target = next(p for p in beads if (other := elsewhere(p)) and any(f'{r["id"]}"' in other for r in _lines(p)))
    if change in ("unlink", "fill-stub"):  # a rig with references to wisps never exported (stubs)
        target = next(p for p in beads if "-wisp-" in p.read_text(encoding="utf-8"))
    records = _lines(target)
    town = target.parents[2]

    def apply() -> None:
        if change == "append":
            append(target, {**records[0], "id": records[0]["id"] + "x", "title": "a new one", "status": "open"})
        elif change == "close":
            _rewrite(target, [{**r, "status": "closed"} if i % 3 == 0 else r for i, r in enumerate(records)])
        elif change == "drop-referenced":
            other = elsewhere(target)
            kept = [r for r in records if f'{r["id"]}"' not in other]
            assert len(kept) < len(records)
            _rewrite(target, kept)
        elif change == "delegate":
            meta = {**records[1].get("metadata", {}), "delegated_from": records[0]["id"]}
            _rewrite(target, [records[0], {**records[1], "metadata": meta}, *records[2:]])
        elif change == "unlink":  # its references go: stubs only it pointed to go with them
            _rewrite(target, [{k: v for k, v in r.items() if k != "dependencies"} for r in records])
        elif change == "fill-stub":  # the wisps it refers to are exported now: their stubs are real
            wisps = sorted({d["depends_on_id"] for r in records for d in r.get("dependencies", [])
                            if "-wisp-" in d["depends_on_id"] and ":" not in d["depends_on_id"]})
            assert wisps
            append(target, *({**records[0], "id": wisp, "title": "exported at last", "dependencies": []}
                             for wisp in wisps))
        elif change == "dependency-twice":  # a bead states one of its dependencies again, first, dated otherwise
            i = next(i for i, r in enumerate(records) if r.get("dependencies"))
            first = {**records[i]["dependencies"][0], "created_at": "2026-11-20T11:00:00Z"}
            again = {**records[i], "dependencies": [first, *records[i]["dependencies"]]}
            _rewrite(target, [*records[:i], again, *records[i + 1:]])
        elif change == "same-id-again":  # a bead appended with the id of one already there
            append(target, {**records[3], "title": "the same id again", "status": "closed"})
        else:
            _rewrite(target, [{**r, "title": r["title"] + " (again)"} for r in records])

    reread_then_compare(fed, town, apply)
