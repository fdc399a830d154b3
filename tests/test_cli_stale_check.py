"""``crossdeck stale`` and ``crossdeck check`` as a user or a CI job runs them: a real process,
stdout, stderr and exit codes, with the clock fixed by CROSSDECK_NOW."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck
from tests.test_stale import contract, draft_realm, export, implemented_realm, use

SAMPLES = Path(__file__).parents[1] / "sample_workspaces"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDECK_NOW", "2026-03-01T09:00:00Z")


def _mixed(tmp_path: Path) -> Path:
    """One realm with an import of every status: broken, stale within grace, pending, current."""
    exports = {"auth": [export("token", "1.3.0", ("1.3.0", "2026-02-25"), ("1.0.0", "2026-01-01"))],
               "billing": [export("invoice", "2.0.0", ("2.0.0", "2026-02-01"), ("1.0.0", "2026-01-01"))]}
    return draft_realm(tmp_path / "realm", exports, {
        "web": [use("token", "^1.0.0", "1.0.0", status="current"),
                use("invoice", "^1.0.0", "1.0.0", binding="src/web/invoice.ts")],
        "api": [use("token", "^1.0.0", "1.3.0")],
        "cli": [use("token", "^1.0.0", None)],
    })


def _healthy(tmp_path: Path) -> Path:
    """No broken import and no stale one past grace: a stale one within grace and a pending one."""
    return implemented_realm(tmp_path / "realm",
                             {"identity": [contract("session", "1.1.0", ("1.0.0", True), ("1.1.0", True))]},
                             {("identity", "web"): [use("session", "^1.0.0", resolved_at="2026-02-25")],
                              ("identity", "api"): [use("session", "^1.0.0", None)]})


# --- crossdeck stale -----------------------------------------------------------------------

def test_stale_lists_what_is_not_current(tmp_path: Path) -> None:
    _mixed(tmp_path)
    result = crossdeck("stale", str(tmp_path))
    assert result.returncode == 0, result.stderr  # findings alone do not fail `stale`
    out = result.stdout
    assert "4 imports (1 broken, 1 stale, 1 pending, 1 current)" in out
    assert "realm://acme/web/imports/invoice" in out and "src/web/invoice.ts" in out
    assert "range ^1.0.0 does not admit the current version 2.0.0" in out
    assert "realm://acme/web/imports/token" in out and "the file says current; computed stale" in out
    assert "realm://acme/cli/imports/token" in out
    assert "realm://acme/api/imports/token" not in out  # current: only with --all
    assert out.index("imports/invoice") < out.index("web/imports/token") < out.index("cli/imports/token")


def test_stale_all_lists_current_imports_too(tmp_path: Path) -> None:
    _mixed(tmp_path)
    result = crossdeck("stale", str(tmp_path), "--all")
    assert result.returncode == 0
    assert "realm://acme/api/imports/token" in result.stdout


def test_stale_json_matches_its_schema(tmp_path: Path) -> None:
    _mixed(tmp_path)
    result = crossdeck("stale", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema("stale", data)
    assert data["today"] == "2026-03-01" and data["all"] is False
    assert data["counts"] == {"broken": 1, "stale": 1, "pending": 1, "current": 1}
    assert [(i["key"], i["status"]) for i in data["imports"]] == [
        ("realm://acme/web/imports/invoice", "broken"), ("realm://acme/web/imports/token", "stale"),
        ("realm://acme/cli/imports/token", "pending")]
    stale = data["imports"][1]
    assert (stale["days_stale"], stale["stale_since"], stale["past_grace"]) == (4, "2026-02-25", False)
    assert (stale["declared_status"], stale["disagreement"]) == ("current", True)
    everything = json.loads(crossdeck("stale", str(tmp_path), "--json", "--all").stdout)
    assert_matches_schema("stale", everything)
    assert len(everything["imports"]) == 4


def test_stale_exits_1_only_for_read_errors(tmp_path: Path) -> None:
    root = _mixed(tmp_path)
    (root / "domains" / "cli" / "imports.yaml").write_text("imports: [unclosed\n")
    result = crossdeck("stale", str(tmp_path))
    assert result.returncode == 1
    assert "imports.yaml" in result.stderr


def test_stale_with_nothing_loadable_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = crossdeck("stale", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert "no workspace could be loaded" in result.stderr


# --- crossdeck check -----------------------------------------------------------------------

def test_check_fails_on_a_broken_import_naming_it(tmp_path: Path) -> None:
    _mixed(tmp_path)
    result = crossdeck("check", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    fail = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fail) == 1
    assert "realm://acme/web/imports/invoice" in fail[0] and "src/web/invoice.ts" in fail[0]
    assert "does not admit the current version 2.0.0" in fail[0]
    assert "note stale: realm://acme/web/imports/token" in result.stdout
    assert "within the 14-day grace period" in result.stdout
    assert "check failed: 1 broken" in result.stdout


def test_check_passes_stale_within_grace_and_pending(tmp_path: Path) -> None:
    _healthy(tmp_path)
    result = crossdeck("check", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert "note stale: realm://platform/web/imports/session" in result.stdout
    assert "check passed" in result.stdout and "1 pending" in result.stdout


def test_check_fails_on_stale_past_the_realms_grace_period(tmp_path: Path) -> None:
    exports = {"auth": [export("token", "1.1.0", ("1.1.0", "2026-02-20"), ("1.0.0", "2026-01-01"))]}
    draft_realm(tmp_path / "strict", exports, {"web": [use("token", "^1.0.0")]}, grace=7, name="strict")
    draft_realm(tmp_path / "relaxed", exports, {"web": [use("token", "^1.0.0")]}, grace=30, name="relaxed")
    result = crossdeck("check", str(tmp_path), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert_matches_schema("check", data)
    assert data["ok"] is False
    assert [(f["kind"], f["import"]) for f in data["failures"]] == [("overdue", "realm://strict/web/imports/token")]
    assert "9 days, past the realm's 7-day grace period" in data["failures"][0]["reason"]
    assert [n["import"] for n in data["notes"]] == ["realm://relaxed/web/imports/token"]


def test_check_fails_when_a_file_cannot_be_read(tmp_path: Path) -> None:
    root = _healthy(tmp_path)
    (root / "domains" / "identity" / "contracts" / "broken.yaml").write_text("name: [\n")
    result = crossdeck("check", str(tmp_path))
    assert result.returncode == 1
    assert "FAIL read-error:" in result.stdout and "broken.yaml" in result.stdout
    assert "1 read errors" in result.stdout


def test_check_json_passing_matches_its_schema(tmp_path: Path) -> None:
    _healthy(tmp_path)
    result = crossdeck("check", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_matches_schema("check", data)
    assert (data["ok"], data["failures"], data["counts"]) == (
        True, [], {"broken": 0, "stale": 1, "pending": 1, "current": 0})
    assert data["notes"][0]["binding"] == "src/session.py"


def test_check_with_nothing_loadable_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert crossdeck("check", str(tmp_path / "empty")).returncode == 2


def test_check_on_workspaces_without_realms_passes(tmp_path: Path) -> None:
    from tests.conftest import bead, real_town, write_jsonl

    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [bead("gp-1")])
    result = crossdeck("check", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "check passed" in result.stdout and "of 0 imports" in result.stdout


# --- the demo federation -------------------------------------------------------------------

def _demo_today(monkeypatch: pytest.MonkeyPatch) -> None:
    anchor = json.loads((SAMPLES / "demo.json").read_text("utf-8"))["anchor"]
    monkeypatch.setenv("CROSSDECK_NOW", f"{anchor}T12:00:00Z")


def test_check_on_the_demo_fails_naming_the_broken_and_overdue_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    _demo_today(monkeypatch)
    result = crossdeck("check", str(SAMPLES))
    assert result.returncode == 1, result.stdout + result.stderr
    fail = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fail) == 3, fail
    assert fail[0].startswith("FAIL broken: realm://commerce/acme-checkout/imports/webhook-events")
    assert "checkout/src/payments/webhooks.ts" in fail[0]
    assert fail[1].startswith("FAIL broken: realm://globex-platform/gateway/imports/risk-score")
    assert "1.2.0 is marked incompatible" in fail[1]
    assert fail[2].startswith("FAIL overdue: realm://commerce/acme-checkout/imports/payment-intents")
    assert "stale for 30 days" in fail[2]
    assert "note stale: realm://globex-platform/paysdk/imports/card-token" in result.stdout
    assert "ledger/imports/risk-score" not in result.stdout  # pending passes silently


def test_stale_and_check_json_on_the_demo_match_their_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    _demo_today(monkeypatch)
    stale = json.loads(crossdeck("stale", str(SAMPLES), "--json", "--all").stdout)
    assert_matches_schema("stale", stale)
    assert stale["counts"] == {"broken": 2, "stale": 2, "pending": 1, "current": 2}
    check = crossdeck("check", str(SAMPLES), "--json")
    data = json.loads(check.stdout)
    assert_matches_schema("check", data)
    assert (check.returncode, data["ok"]) == (1, False)
    assert [f["kind"] for f in data["failures"]] == ["broken", "broken", "overdue"]
