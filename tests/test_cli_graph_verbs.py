"""``crossdeck show / blockers / graph / chains`` as a user runs them: a real process, stdout,
stderr, exit codes, and --json that matches the documented schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.model import Remote
from core.store import record_check, record_sync
from tests.conftest import bead, dep, real_town, write_json, write_jsonl
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck

TOWN = "hop://steve@example.com/main-town"
GP = f"{TOWN}/greenplace"
EVIL = "acme/evil\x1bc"  # a workspace name holding a terminal reset
HOSTILE = 'a"] --> X[pwn'


@pytest.fixture
def fed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROSSDECK_NOW", "2026-11-20T12:00:00Z")
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [
        bead("gp-1", "Ship the login page", dependencies=[dep("gp-1", "gp-2"), dep("gp-1", "gp-6")]),
        bead("gp-2", "API client", references=[{"type": "depends_on", "target": "acme/api#i-9"}]),
        bead("gp-3", "Launch"),
        bead("gp-4", "Backend part", metadata={"delegated_from": {"parent": f"{GP}/gp-3", "deadline": "2026-11-01",
                                                                    "portion": "backend"}}),
        bead("gp-5", "Schema", metadata={"delegated_from": {"parent": f"{GP}/gp-4"}}),
        bead("gp-6", HOSTILE, status="in_progress"),
        bead("gp-7", "For the evil repo", status="closed"),
        bead("gp-dup", "Same id elsewhere"),
    ])
    write_jsonl(town / ".beads" / "federation.jsonl", [
        {"type": "delegation", "parent": f"{EVIL}#i-1", "child": f"{GP}/gp-7", "terms": {"portion": "all"}}])
    write_json(town / ".crossdeck" / "remotes.json", {"remotes": [{"url": "https://github.com/acme/api"}]})
    web = tmp_path / "web" / ".sudocode"
    write_json(web / "federation.config.json", {"local_identity": {"url": "github.com/acme/web"}})
    write_jsonl(web / "issues.jsonl", [
        {"id": "i-1", "title": "page", "relationships": [{"from": "i-1", "to": f"{GP}/gp-1", "type": "depends-on"}]},
        {"id": "gp-dup", "title": "a sudocode item with a beads-like id"},
    ])
    evil = tmp_path / "evil" / ".sudocode"
    write_json(evil / "federation.config.json", {"local_identity": {"url": f"github.com/{EVIL}"}})
    write_jsonl(evil / "issues.jsonl", [{"id": "i-1", "title": "evil\x1b[2J title"}])
    return tmp_path


def _json(*args: str) -> dict:
    result = crossdeck(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_show_an_item_across_workspaces(fed: Path) -> None:
    result = crossdeck("show", "i-1", str(fed / "web"), str(fed / "town"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("acme/web#i-1\n")
    assert "  title         page" in out
    assert f"  depends-on         {GP}/gp-1: Ship the login page [open]  (in {TOWN})" in out
    assert ("why blocked: acme/web#i-1 is blocked by 3 open items: "
            f"{GP}/gp-1 (in {TOWN}) [open] -> {GP}/gp-2 [open]; {GP}/gp-1 (in {TOWN}) [open] -> {GP}/gp-6 "
            f"[in_progress]. 1 blocker could not be resolved (status unknown): {GP}/gp-1 (in {TOWN}) [open] -> "
            f"{GP}/gp-2 [open] -> acme/api#i-9 (in acme/api) [remote, unresolved].\n") in out


def test_show_json(fed: Path) -> None:
    data = _json("show", f"{GP}/gp-4", str(fed))
    assert_matches_schema("show", data)
    assert data["node"]["key"] == f"{GP}/gp-4"
    assert data["record"]["title"] == "Backend part" and data["record"]["rig"] == "greenplace"
    position = data["delegation"]
    assert [p["key"] for p in position["delegated_from"]] == [f"{GP}/gp-3"]
    assert position["overdue"] is True and position["complete"] is False  # its only child is open
    assert [(r["kind"], r["peer"]["key"]) for r in data["out"]] == [("delegation", f"{GP}/gp-5")]


def test_show_a_stub_is_marked(fed: Path) -> None:
    data = _json("show", "acme/api#i-9", str(fed))
    assert_matches_schema("show", data)
    assert data["node"]["stub"] == "remote" and data["record"] is None
    assert [r["peer"]["key"] for r in data["in"]] == [f"{GP}/gp-2"]
    text = crossdeck("show", "acme/api#i-9", str(fed)).stdout
    assert "  not loaded: remote stub, status unknown" in text


def test_unknown_and_ambiguous_references_exit_2(fed: Path) -> None:
    missing = crossdeck("show", "gp-44", str(fed))
    assert missing.returncode == 2 and missing.stdout == ""
    assert "crossdeck show: nothing matches 'gp-44'; did you mean: " in missing.stderr
    both = crossdeck("blockers", "gp-dup", str(fed), "--json")
    assert both.returncode == 2 and json.loads(both.stdout)["error"].startswith("crossdeck blockers: 'gp-dup' matches")
    assert f"'gp-dup' matches 2 items: acme/web#gp-dup, {GP}/gp-dup (give the full key)" in both.stderr


def test_nothing_loadable_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for verb in (("show", "gp-1"), ("blockers", "gp-1"), ("graph", "gp-1"), ("chains",)):
        result = crossdeck(*verb, str(tmp_path / "empty"))
        assert result.returncode == 2, verb
        assert "no workspace could be loaded" in result.stderr


def test_blockers_exit_0_blocked_or_not(fed: Path) -> None:
    blocked = _json("blockers", "gp-1", str(fed))
    assert_matches_schema("blockers", blocked)
    assert blocked["is_blocked"] is True
    assert blocked["blockers"] == [f"{GP}/gp-2", f"{GP}/gp-6"]
    assert [s["key"] for s in blocked["unresolved"]] == ["acme/api#i-9"]
    free = _json("blockers", "gp-3", str(fed))
    assert_matches_schema("blockers", free)
    assert free["is_blocked"] is False and free["steps"] == []
    # each item on the way once, with the step it is reached from (no path repeated per blocker)
    assert [(s["key"], s["reached_from"]) for s in blocked["steps"]] == [
        (f"{GP}/gp-2", f"{GP}/gp-1"), (f"{GP}/gp-6", f"{GP}/gp-1"), ("acme/api#i-9", f"{GP}/gp-2")]


def test_blockers_text(fed: Path) -> None:
    result = crossdeck("blockers", "gp-1", str(fed))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"{GP}/gp-1: Ship the login page [open]",
        "blocked by 2 open items:",
        f"  {GP}/gp-2 [open]: API client",
        f"  {GP}/gp-6 [in_progress]: {HOSTILE}",
        "unresolved (status unknown, not counted): 1",
        "  acme/api#i-9 [remote, unresolved] (in acme/api)",
        "paths:",  # one tree: each item under the one it is reached from
        f"  {GP}/gp-1",
        f"  ├── blocked by {GP}/gp-2",  # each step read from the item above it
        "  │   └── depends on acme/api#i-9 (in acme/api)",
        f"  └── blocked by {GP}/gp-6",
    ]


def test_a_synced_remote_makes_the_stub_a_blocker(fed: Path) -> None:
    remote = Remote(name="acme/api", url="https://github.com/acme/api", workspace=TOWN)
    record_check(remote, ok=False, error="connection refused")
    unreachable = _json("blockers", "gp-2", str(fed))
    assert unreachable["blockers"] == [] and unreachable["unresolved"][0]["cache_status"] == "unreachable"
    record_sync(remote, ok=True, fetched_ref="refs/heads/main")
    data = _json("blockers", "gp-2", str(fed))
    assert data["blockers"] == ["acme/api#i-9"]
    assert data["direct"][0]["cache_status"] == "synced"
    text = crossdeck("blockers", "gp-2", str(fed)).stdout
    assert "blocked by 1 open item:\n  acme/api#i-9 [remote, cached: synced] (in acme/api)\n" in text


@pytest.mark.parametrize("fmt, first", [("mermaid", "graph LR"), ("dot", "digraph neighbourhood {"),
                                        ("text", f"{GP}/gp-1: Ship the login page [open]")])
def test_graph_formats(fed: Path, fmt: str, first: str) -> None:
    result = crossdeck("graph", "gp-1", str(fed), "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == first
    assert "X[pwn" not in result.stdout or fmt != "mermaid"
    assert HOSTILE not in result.stdout or fmt == "text"


def test_graph_json_depth_and_limit(fed: Path) -> None:
    data = _json("graph", "gp-1", str(fed), "--depth", "2")
    assert_matches_schema("graph", data)
    keys = [n["key"] for n in data["nodes"]]
    assert keys[0] == f"{GP}/gp-1" and "acme/api#i-9" in keys and "acme/web#i-1" in keys
    small = crossdeck("graph", "gp-1", str(fed), "--depth", "2", "--limit", "2", "--json")
    assert json.loads(small.stdout)["truncated"] is True
    assert "stopped at 2 nodes" in small.stderr
    bad = crossdeck("graph", "gp-1", str(fed), "--depth", "-1")
    assert bad.returncode == 2 and "must be 0 or more" in bad.stderr


def test_chains_text_marks_complete_and_overdue(fed: Path) -> None:
    result = crossdeck("chains", str(fed))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("1 of 2 chains complete; 1 of 3 delegations complete, 1 overdue; 0 cycles "
                        "(today 2026-11-20; ✓ complete, ! overdue)")
    assert lines[1:] == [
        "",
        "✓ acme/evil\\x1bc#i-1: evil\\x1b[2J title [open]",  # complete: its only child is closed
        f"└── ✓ {GP}/gp-7: For the evil repo [closed]  {{portion: all}}",
        "",
        f"  {GP}/gp-3: Launch [open]",
        f"└── ! {GP}/gp-4: Backend part [open]  {{portion: backend, deadline: 2026-11-01}}",
        f"    └──   {GP}/gp-5: Schema [open]",
    ]


def test_chains_json(fed: Path) -> None:
    data = _json("chains", str(fed))
    assert_matches_schema("chains", data)
    assert data["today"] == "2026-11-20"
    assert data["totals"] == {"chains": 2, "delegations": 3, "complete": 1, "delegations_complete": 1,
                              "overdue": 1, "cycles": 0}
    overdue = data["chains"][1][1]  # each chain flat: its root, then depth first
    assert (overdue["key"], overdue["overdue"], overdue["terms"]["deadline"]) == (f"{GP}/gp-4", True, "2026-11-01")
    assert [(n["key"], n["parent"], n["depth"]) for n in data["chains"][1]] == [
        (f"{GP}/gp-3", None, 0), (f"{GP}/gp-4", f"{GP}/gp-3", 1), (f"{GP}/gp-5", f"{GP}/gp-4", 2)]


def test_chains_without_unicode(fed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    result = crossdeck("chains", str(fed))
    assert result.returncode == 0, result.stderr
    assert f"`-- ! {GP}/gp-4: Backend part [open]  {{portion: backend, deadline: 2026-11-01}}" in result.stdout
    assert "`-- + acme/evil" not in result.stdout and f"`-- + {GP}/gp-7" in result.stdout


def test_untrusted_names_never_reach_the_terminal(fed: Path) -> None:
    for args in (("show", f"{EVIL}#i-1"), ("blockers", f"{EVIL}#i-1"), ("graph", f"{EVIL}#i-1"),
                 ("chains",)):
        for options in ((), ("--format", "text"), ("--format", "dot")) if args[0] == "graph" else ((),):
            result = crossdeck(*args, str(fed), *options)
            assert result.returncode == 0, (args, result.stderr)
            assert "\x1b" not in result.stdout, args
            assert "acme/evil" in result.stdout and "x1bc" in result.stdout, args  # shown as an escape


# -- the demo federation (sample_workspaces/README.md) ----------------------------------------

SAMPLES = str(Path(__file__).parents[1] / "sample_workspaces")
KESTREL = "hop://kim@kestrel.works/kestrel"


@pytest.fixture
def anchored(monkeypatch: pytest.MonkeyPatch) -> None:
    anchor = json.loads((Path(SAMPLES) / "demo.json").read_text("utf-8"))["anchor"]
    monkeypatch.setenv("CROSSDECK_NOW", f"{anchor}T12:00:00Z")


def test_demo_chains_show_the_overdue_part(anchored: None) -> None:
    result = crossdeck("chains", SAMPLES)
    assert result.returncode == 0, result.stderr  # the demo's one warning is allowed
    lines = result.stdout.splitlines()
    overdue = [line for line in lines if line.lstrip("│├└─ ").startswith("! ")]
    assert len(overdue) == 1 and f"{KESTREL}/paysdk/ps-3vk: JS SDK" in overdue[0]
    assert "deadline: 2026-11-13" in overdue[0] and "by gateway/crew/carol" in overdue[0]
    assert sum(line.lstrip("│├└─ ").startswith("✓ ") for line in lines) == 2  # the two closed children


def test_the_chains_summary_says_what_it_counts(anchored: None) -> None:
    """First hour, 16: "4 delegations: 0 complete" stood beside two completed children, the 0
    counting chains: the line says what each number counts."""
    lines = crossdeck("chains", SAMPLES).stdout.splitlines()
    assert lines[0] == ("0 of 1 chain complete; 2 of 4 delegations complete, 1 overdue; 0 cycles "
                        "(today 2026-11-20; ✓ complete, ! overdue)")
    data = json.loads(crossdeck("chains", SAMPLES, "--json").stdout)
    assert data["totals"] == {"chains": 1, "delegations": 4, "complete": 0, "delegations_complete": 2,
                              "overdue": 1, "cycles": 0}


def test_blocker_paths_read_in_the_direction_a_reader_reads_them() -> None:
    """First hour, 17: under gw-6hp the path said "blocks lg-2wx", when lg-2wx blocks gw-6hp:
    each step says what the item above it is to the step's item, read from the top down."""
    lines = crossdeck("blockers", "web-7tq", SAMPLES).stdout.splitlines()
    paths = lines[lines.index("paths:") + 1:]
    assert paths == [
        "  hop://acme.dev/storefront/web/web-7tq",
        "  └── blocked by hop://acme.dev/storefront/checkout/co-5vd",
        "      └── depends on hop://globex.io/payments/gateway/gw-6hp (in hop://globex.io/payments)",
        "          └── blocked by hop://globex.io/payments/ledger/lg-2wx",
        "              └── depends on hop://kim@kestrel.works/kestrel/paysdk/ps-8rj (in hop://kim@kestrel.works/kestrel)",
    ]


def test_demo_show_says_why_the_button_is_blocked(anchored: None) -> None:
    result = crossdeck("show", "web-7tq", SAMPLES)
    assert result.returncode == 0, result.stderr
    why = next(line for line in result.stdout.splitlines() if line.startswith("why blocked: "))
    assert why.startswith("why blocked: hop://acme.dev/storefront/web/web-7tq is blocked by 4 open items: ")
    assert why.endswith(f"-> {KESTREL}/paysdk/ps-8rj (in {KESTREL}) [open].")
    data = json.loads(crossdeck("show", "ps-3vk", SAMPLES, "--json").stdout)
    assert_matches_schema("show", data)
    assert data["delegation"]["overdue"] is True
    assert [p["key"] for p in data["delegation"]["delegated_from"]] == ["hop://globex.io/payments/gateway/gw-4tk"]


def test_demo_graph_json_matches_the_schema(anchored: None) -> None:
    data = _json("graph", "co-8f2", SAMPLES, "--depth", "2")
    assert_matches_schema("graph", data)
    assert {"hop://globex.io/payments/gateway/gw-4tk", f"{KESTREL}/paysdk/ps-3vk"} <= {n["key"] for n in data["nodes"]}
