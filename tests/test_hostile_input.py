"""Hostile world I: input that used to crash a load, drop a whole workspace, spin in a regex or
name no line. Each case loads what is good around the bad record and names the file and line
(and, for a whole-document file, the column) of what it could not read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.diagnostics import Diagnostics
from core.federation import load_federation
from core.sources.files import NOT_A_FILE, ReadLimits, load_json, load_yaml
from tests.conftest import PROJECT, bead, dep, real_town, write_json, write_jsonl

MAX_NESTING = 64  # the documented bounds (docs/formats.md, "Diagnostics")
MAX_REFERENCE = 512

HOSTILE_REF = "a/" + "a-" * 60_000 + "!"  # 120 KB: ~30 s in the short-reference regex before


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return real_town(tmp_path / "town", {"greenplace": "gp"})


def issues(town: Path) -> Path:
    return town / "greenplace" / ".beads" / "issues.jsonl"


def ids(fed: Any) -> list[str]:
    return sorted(unit.id for ws in fed.workspaces for unit in ws.work_units)


def errors_at(fed: Any, path: Path) -> list[tuple[int | None, str]]:
    return [(d.line, d.message) for d in fed.errors if d.path == str(path)]


def nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


# -- 1. metadata.delegated_from.terms that is not an object --------------------------------------
@pytest.mark.parametrize("terms", [[1, 2], "half", 5, [["portion"]], True])
def test_delegation_terms_that_are_not_an_object_are_that_beads_error(town: Path, terms: Any) -> None:
    write_jsonl(issues(town), [bead("gp-1"), bead("gp-2", metadata={"delegated_from": {"parent": "gp-1", "terms": terms}}),
                               bead("gp-3")])
    fed = load_federation([town])
    assert ids(fed) == ["gp-1", "gp-2", "gp-3"]  # the bead loads; its delegation is what is refused
    [(line, message)] = errors_at(fed, issues(town))
    assert line == 2 and "delegated_from" in message and "terms" in message
    assert not [d for ws in fed.workspaces for d in ws.delegations]


def test_delegation_terms_in_a_backup_row_as_a_json_string(tmp_path: Path) -> None:
    backup = tmp_path / "solo" / ".beads" / "backup"
    rows = [bead("bd-1", metadata="{}"), bead("bd-2", metadata=json.dumps({"delegated_from": {"parent": "bd-1",
                                                                                           "terms": "x"}}))]
    write_jsonl(backup / "issues.jsonl", rows)
    write_json(backup / "backup_state.json", {"timestamp": "2026-11-01T10:00:00Z", "counts": {"issues": 2}})
    fed = load_federation([tmp_path])
    assert ids(fed) == ["bd-1", "bd-2"]
    [(line, message)] = errors_at(fed, backup / "issues.jsonl")
    assert line == 2 and "terms" in message


@pytest.mark.parametrize("field", ["delegated_by", "delegated_to"])
def test_delegation_people_that_are_not_strings(town: Path, field: str) -> None:
    write_jsonl(issues(town), [bead("gp-1"), bead("gp-2", metadata={"delegated_from": {"parent": "gp-1", field: [1]}})])
    fed = load_federation([town])
    assert ids(fed) == ["gp-1", "gp-2"]
    [(line, message)] = errors_at(fed, issues(town))
    assert line == 2 and field in message


# -- 2. a federation.jsonl record whose type is a list or an object ------------------------------
@pytest.mark.parametrize("kind", [["employment"], {"a": 1}, 7, None])
def test_federation_record_of_an_unhashable_type(town: Path, kind: Any) -> None:
    path = write_jsonl(town / ".beads" / "federation.jsonl", [
        {"type": "employment", "entity": "ann@acme.dev", "organization": "acme.dev"},
        {"type": kind, "entity": "bob@acme.dev", "organization": "acme.dev"},
        {"type": "entity", "id": "acme.dev", "kind": "org"},
    ])
    fed = load_federation([town])
    [ws] = fed.workspaces
    assert [e.entity for e in ws.employments] == ["ann@acme.dev"] and [e.id for e in ws.entities] == ["acme.dev"]
    [found] = [d for d in fed.diagnostics if d.path == str(path)]
    assert found.line == 2 and "type" in found.message


# -- 3. a YAML tag that does not convert ----------------------------------------------------------
@pytest.mark.parametrize("value", ["!!int x", "!!float abc", "!!timestamp 2026-13-45", "!!int 0x", "1" * 5000],
                         ids=["int", "float", "timestamp", "hex", "5000-digits"])
def test_yaml_tag_that_does_not_convert_is_an_error_with_its_line(tmp_path: Path, value: str) -> None:
    path = tmp_path / "exports.yaml"
    path.write_text(f"exports:\n  - name: a\n    version: 1.0.0\n  - name: b\n    version: {value}\n")
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) is None
    [error] = diags.items
    assert error.path == str(path) and error.line == 5


def test_a_realm_file_with_a_bad_tag_is_that_files_error(tmp_path: Path) -> None:
    realm = tmp_path / "realm"
    (realm / "domains" / "a").mkdir(parents=True)
    (realm / "domains" / "b").mkdir(parents=True)
    (realm / "realm.yaml").write_text("name: r\nversion: 1\n")
    (realm / "domains" / "a" / "exports.yaml").write_text("exports:\n  - name: x\n    version: !!float abc\n")
    (realm / "domains" / "b" / "exports.yaml").write_text("exports:\n  - name: y\n    version: 1.0.0\n")
    fed = load_federation([tmp_path])
    [ws] = fed.workspaces
    assert [c.name for c in ws.contracts] == ["y"]
    assert errors_at(fed, realm / "domains" / "a" / "exports.yaml")[0][0] == 3


# -- 4. nesting ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [MAX_NESTING, 1000, 100_000])
def test_a_line_nested_too_deep_is_that_lines_error(town: Path, depth: int) -> None:
    deep = json.dumps(bead("gp-2")).encode()[:-1] + b', "metadata": ' + b"[" * depth + b"]" * depth + b"}"
    issues(town).write_bytes(json.dumps(bead("gp-1")).encode() + b"\n" + deep + b"\n"
                             + json.dumps(bead("gp-3")).encode() + b"\n")
    fed = load_federation([town])
    assert ids(fed) == ["gp-1", "gp-3"]
    [(line, message)] = errors_at(fed, issues(town))
    assert line == 2 and f"{MAX_NESTING}" in message and "nested" in message


def test_nesting_up_to_the_bound_loads(town: Path) -> None:
    # the record is level 1, its metadata level 2, ... : MAX_NESTING levels in all
    write_jsonl(issues(town), [bead("gp-1", metadata=nested(MAX_NESTING - 1)), bead("gp-2")])
    fed = load_federation([town])
    assert ids(fed) == ["gp-1", "gp-2"] and not fed.errors
    write_jsonl(issues(town), [bead("gp-1", metadata=nested(MAX_NESTING)), bead("gp-2")])
    fed = load_federation([town])
    assert ids(fed) == ["gp-2"] and [line for line, _ in errors_at(fed, issues(town))] == [1]


@pytest.mark.parametrize("where", ["comments", "unknown-field", "sudocode-feedback", "sudocode-spec-extra"])
def test_nesting_is_bounded_on_the_fast_and_the_checked_path(tmp_path: Path, where: str) -> None:
    deep, fine = nested(MAX_NESTING - 1), nested(MAX_NESTING - 2)  # each inside a list: one level more
    if where in ("comments", "unknown-field"):
        town = real_town(tmp_path / "town", {"greenplace": "gp"})
        path = issues(town)
        field = "comments" if where == "comments" else "notes"
        write_jsonl(path, [bead("gp-1", **{field: [fine]}), bead("gp-2", **{field: [deep]}), bead("gp-3")])
        expected = ["gp-1", "gp-3"]
    else:
        repo = tmp_path / "repo" / ".sudocode"
        path = repo / ("issues.jsonl" if where == "sudocode-feedback" else "specs.jsonl")
        field = "feedback" if where == "sudocode-feedback" else "extra_stuff"
        write_jsonl(path, [{"id": "i-1", "title": "a", field: [fine]}, {"id": "i-2", "title": "b", field: [deep]},
                           {"id": "i-3", "title": "c"}])
        expected = ["i-1", "i-3"]
    fed = load_federation([tmp_path])
    assert ids(fed) == expected
    assert [(d.line, "nested" in d.message) for d in fed.errors] == [(2, True)]


@pytest.mark.parametrize("file", [".events.jsonl", ".beads/federation.jsonl", ".beads/routes.jsonl"])
def test_deep_lines_in_other_town_logs(town: Path, file: str) -> None:
    path = town / file
    with path.open("ab") as handle:
        handle.write(b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}\n")
    fed = load_federation([town])
    assert fed.workspaces, fed.diagnostics
    assert any(d.path == str(path) and d.line is not None and "nested" in d.message for d in fed.errors)


def test_a_whole_document_nested_too_deep(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n  "a": ' + "[" * 3000 + "]" * 3000 + "\n}\n")
    diags = Diagnostics()
    assert load_json(path, diags, ReadLimits()) is None
    [error] = diags.items
    assert error.line == 2 and str(MAX_NESTING) in error.message


@pytest.mark.parametrize("text", ["a: " + "[" * 1000 + "]" * 1000 + "\n",
                                  "a: " + "[" * 200_000 + "]" * 200_000 + "\n",
                                  "".join("  " * i + "k:\n" for i in range(MAX_NESTING + 1)) + "  " * 70 + "k: 1\n"],
                         ids=["flow-1000", "flow-200000", "block-65"])
def test_a_yaml_document_nested_too_deep(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: r\n" + text)
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) is None
    [error] = diags.items
    assert error.line is not None and error.line >= 2 and "nested" in error.message


def test_a_deep_yaml_with_aliases_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: &a 1\nb: *a\nc: " + "[" * 900 + "]" * 900 + "\n")
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) is None
    assert diags.items[0].line == 3


# -- 5. BOMs and CRLF ---------------------------------------------------------------------------------
def _with_bom_and_crlf(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            path.write_bytes(b"\xef\xbb\xbf" + text)


def test_a_town_written_by_a_windows_editor_loads_the_same(town: Path) -> None:
    write_jsonl(issues(town), [bead("gp-1"), bead("gp-2", dependencies=[dep("gp-2", "gp-1")])])
    write_jsonl(town / ".beads" / "issues.jsonl", [bead("hq-1")])
    write_jsonl(town / ".events.jsonl", [{"ts": "2026-11-01T10:00:00Z", "type": "sling", "actor": "mayor"}])
    write_jsonl(town / ".beads" / "federation.jsonl", [{"type": "entity", "id": "acme.dev"}])
    (town / "wasteland" / ".beads").mkdir(parents=True)
    (town / "wasteland" / "config.json").write_text('{"type":"rig","name":"wasteland","beads":{"prefix":"wl"}}')
    (town / "wasteland" / ".beads" / "redirect").write_text("mayor/rig/.beads\n")
    write_jsonl(town / "wasteland" / "mayor" / "rig" / ".beads" / "issues.jsonl", [bead("wl-1")])
    before = load_federation([town])
    _with_bom_and_crlf(town)
    after = load_federation([town])
    assert not after.errors, after.errors
    assert ids(after) == ids(before) == ["gp-1", "gp-2", "hq-1", "wl-1"]
    assert len(after.workspaces[0].relationships) == len(before.workspaces[0].relationships) == 1
    assert len(after.workspaces[0].audit) == 1 and len(after.workspaces[0].entities) == 1
    assert [r.name for r in after.workspaces[0].info.rigs] == [r.name for r in before.workspaces[0].info.rigs]


def test_a_realm_and_a_sudocode_repo_with_boms_and_crlf(tmp_path: Path) -> None:
    realm = tmp_path / "realm"
    (realm / "domains" / "a").mkdir(parents=True)
    (realm / "realm.yaml").write_text("name: r\nversion: 1\n")
    (realm / "domains" / "a" / "exports.yaml").write_text("exports:\n  - name: x\n    version: 1.0.0\n")
    repo = tmp_path / "repo" / ".sudocode"
    write_json(repo / "config.json", {"version": 1})
    write_json(repo / "federation.config.json", {"local_identity": {"url": "github.com/acme/api"}})
    write_jsonl(repo / "issues.jsonl", [{"id": "i-1", "title": "one"}, {"id": "i-2", "title": "two"}])
    _with_bom_and_crlf(tmp_path)
    fed = load_federation([tmp_path])
    assert not fed.errors, fed.errors
    assert sorted(ws.name for ws in fed.workspaces) == ["acme/api", "realm://r"]
    assert ids(fed) == ["i-1", "i-2"]
    assert [c.name for ws in fed.workspaces for c in ws.contracts] == ["x"]


def test_a_bom_in_the_middle_of_a_jsonl_file(town: Path) -> None:
    # two files each saved with a BOM, then concatenated
    issues(town).write_bytes(b"\xef\xbb\xbf" + json.dumps(bead("gp-1")).encode() + b"\r\n\xef\xbb\xbf"
                             + json.dumps(bead("gp-2")).encode() + b"\r\n")
    fed = load_federation([town])
    assert ids(fed) == ["gp-1", "gp-2"] and not fed.errors


# -- 6. references ------------------------------------------------------------------------------------
def test_a_hostile_dependency_reference_is_refused_at_once(town: Path) -> None:
    write_jsonl(issues(town), [bead("gp-1"), bead("gp-2", dependencies=[dep("gp-2", HOSTILE_REF), dep("gp-2", "gp-1")]),
                               bead("gp-3")])
    started = time.monotonic()
    fed = load_federation([town])
    assert time.monotonic() - started < 2.0
    assert ids(fed) == ["gp-1", "gp-2", "gp-3"]
    [(line, message)] = errors_at(fed, issues(town))
    assert line == 2 and f"{MAX_REFERENCE}" in message
    assert [r.to_ref for ws in fed.workspaces for r in ws.relationships] == ["gp-1"]


def test_references_up_to_the_bound_are_kept(town: Path) -> None:
    ok = "gp-" + "x" * (MAX_REFERENCE - 3)
    write_jsonl(issues(town), [bead("gp-1", dependencies=[dep("gp-1", ok), dep("gp-1", ok + "y")])])
    fed = load_federation([town])
    assert [r.to_ref for ws in fed.workspaces for r in ws.relationships] == [ok]
    assert [line for line, _ in errors_at(fed, issues(town))] == [1]


@pytest.mark.parametrize("where", ["references", "delegated_from", "federation", "backup"])
def test_hostile_references_in_every_town_form(town: Path, tmp_path: Path, where: str) -> None:
    path = issues(town)
    if where == "references":
        write_jsonl(path, [bead("gp-1", references=[{"type": "depends_on", "target": HOSTILE_REF}]), bead("gp-2")])
    elif where == "delegated_from":
        write_jsonl(path, [bead("gp-1", metadata={"delegated_from": HOSTILE_REF}), bead("gp-2")])
    elif where == "federation":
        write_jsonl(path, [bead("gp-1"), bead("gp-2")])
        path = write_jsonl(town / ".beads" / "federation.jsonl",
                           [{"type": "delegation", "parent": HOSTILE_REF, "child": "gp-1"}])
    else:
        write_jsonl(path, [bead("gp-1"), bead("gp-2")])
        backup = town / "greenplace" / ".beads" / "backup"
        write_jsonl(backup / "issues.jsonl", [bead("gp-1"), bead("gp-2")])
        path = write_jsonl(backup / "dependencies.jsonl", [dep("gp-1", HOSTILE_REF)])
        write_json(backup / "backup_state.json", {"timestamp": "2030-01-01T00:00:00Z",
                                                  "counts": {"issues": 2, "dependencies": 1}})
    started = time.monotonic()
    fed = load_federation([town])
    assert time.monotonic() - started < 2.0
    assert ids(fed) == ["gp-1", "gp-2"]
    [(line, message)] = errors_at(fed, path)
    assert line == 1 and f"{MAX_REFERENCE}" in message


@pytest.mark.parametrize("where", ["relationship-to", "relationship-from", "content", "delegation"])
def test_hostile_references_in_a_sudocode_repo(tmp_path: Path, where: str) -> None:
    repo = tmp_path / "repo" / ".sudocode"
    rows: list[dict[str, Any]] = [{"id": "i-1", "title": "one"}, {"id": "i-2", "title": "two"}]
    path = repo / "issues.jsonl"
    if where == "relationship-to":
        rows[0]["relationships"] = [{"from": "i-1", "to": HOSTILE_REF, "type": "blocks"}]
    elif where == "relationship-from":
        rows[0]["relationships"] = [{"from": HOSTILE_REF, "to": "i-2", "type": "blocks"}]
    elif where == "content":
        rows[0]["content"] = "see [[acme/api#" + "i-" * 60_000 + "1]]"
    else:
        path = write_jsonl(repo / "federation" / "delegations.jsonl",
                           [{"type": "delegation", "parent": HOSTILE_REF, "child": "i-1"}])
    write_jsonl(repo / "issues.jsonl", rows)
    started = time.monotonic()
    fed = load_federation([tmp_path])
    assert time.monotonic() - started < 2.0
    assert ids(fed) == ["i-1", "i-2"]
    [(line, message)] = errors_at(fed, path)
    assert line == 1 and f"{MAX_REFERENCE}" in message


# -- 7. paths the OS refuses --------------------------------------------------------------------------
def test_a_route_path_longer_than_the_os_allows(town: Path) -> None:
    path = write_jsonl(town / ".beads" / "routes.jsonl", [{"prefix": "gp-", "path": "greenplace"},
                                                          {"prefix": "xx-", "path": "x" * 5000},
                                                          {"prefix": "yy-", "path": "a/" * 3000}])
    write_jsonl(issues(town), [bead("gp-1")])
    fed = load_federation([town])
    assert ids(fed) == ["gp-1"]
    assert sorted(d.line for d in fed.diagnostics if d.path == str(path)) == [2, 3]


def test_a_rig_name_longer_than_the_os_allows(town: Path) -> None:
    registry = town / "mayor" / "rigs.json"
    doc = json.loads(registry.read_text())
    doc["rigs"]["r" * 5000] = {"git_url": "x", "beads": {"prefix": "rr"}}
    registry.write_text(json.dumps(doc, indent=2))
    write_jsonl(issues(town), [bead("gp-1")])
    fed = load_federation([town])
    assert ids(fed) == ["gp-1"]
    [found] = [d for d in fed.diagnostics if d.path == str(registry)]
    assert found.line is not None and found.line > 1


def test_a_redirect_longer_than_the_os_allows(town: Path) -> None:
    (town / "wasteland" / ".beads").mkdir(parents=True)
    (town / "wasteland" / "config.json").write_text('{"type":"rig","name":"wasteland","beads":{"prefix":"wl"}}')
    redirect = town / "wasteland" / ".beads" / "redirect"
    redirect.write_text("../" + "x" * 5000 + "\n")
    write_jsonl(issues(town), [bead("gp-1")])
    fed = load_federation([town])
    assert ids(fed) == ["gp-1"]
    assert [d.line for d in fed.diagnostics if d.path == str(redirect)] == [1]


def test_a_blue_index_path_longer_than_the_os_allows(tmp_path: Path) -> None:
    realm = tmp_path / "realms" / "r"
    realm.mkdir(parents=True)
    (realm / "realm.yaml").write_text("name: r\n")
    index = tmp_path / ".blue" / "index.yaml"
    index.parent.mkdir()
    index.write_text(f"realms:\n  - name: long\n    path: {'x' * 5000}\n  - name: r\n    path: realms/r\n")
    fed = load_federation([tmp_path])
    assert [ws.name for ws in fed.workspaces] == ["realm://r"]
    assert [d.line for d in fed.diagnostics if d.path == str(index)] == [2]


# -- 8. whole-document files name the line and column ------------------------------------------------
def test_a_truncated_town_file_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t" / "mayor" / "town.json"
    path.parent.mkdir(parents=True)
    path.write_text('{\n  "name": "t",\n  "owner": "ann@ex')
    fed = load_federation([tmp_path])
    [error] = fed.errors
    assert error.path == str(path) and error.line == 3
    assert "column" in error.message and "ends" in error.message and "truncated" not in error.message


def test_invalid_utf8_in_a_whole_document_names_line_and_column(town: Path) -> None:
    registry = town / "mayor" / "rigs.json"
    registry.write_bytes(b'{\n  "version": 1,\n  "rigs": {"caf\xe9": {}}\n}\n')
    fed = load_federation([town])
    [error] = fed.errors
    assert error.path == str(registry) and error.line == 3 and "UTF-8" in error.message and "column 16" in error.message


@pytest.mark.parametrize("where", ["jsonl", "json"])
def test_a_lone_surrogate_is_called_one(town: Path, where: str) -> None:
    if where == "jsonl":
        path = issues(town)
        path.write_text(json.dumps(bead("gp-1")) + '\n{"id": "gp-2", "title": "\\ud800"}\n')
    else:
        path = town / "mayor" / "rigs.json"
        path.write_text('{"version": 1,\n "rigs": {"\\udc00x": {}}}\n')
    fed = load_federation([town])
    [error] = fed.errors
    assert error.path == str(path) and error.line == 2
    assert "surrogate" in error.message and "truncated" not in error.message


def test_schema_errors_of_whole_documents_name_their_line(town: Path, tmp_path: Path) -> None:
    (town / "mayor" / "rigs.json").write_text('{\n  "version": 1,\n  "rigs": [1]\n}\n')
    crossdeck = town / ".crossdeck"
    crossdeck.mkdir()
    (crossdeck / "remotes.json").write_text('{"remotes": [\n  {"url": "git@x:a/b.git"},\n  {"name": "no-url"}\n]}\n')
    repo = tmp_path / "repo" / ".sudocode"
    repo.mkdir(parents=True)
    (repo / "federation.config.json").write_text(
        '{\n "local_identity": {"url": "github.com/acme/api"},\n "remote_repos": [\n  {"url": "github.com/a/b",\n'
        '   "trust_level": "best friends"}\n ]\n}\n')  # the line of the field at fault
    bad = tmp_path / "bad" / "mayor" / "town.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{\n  "owner": "x@example.com",\n  "public_name": 5\n}\n')
    fed = load_federation([tmp_path])
    lines = {Path(d.path).name: d.line for d in fed.errors}
    assert lines == {"rigs.json": 3, "remotes.json": 3, "federation.config.json": 5, "town.json": 3}, fed.errors


def test_a_missing_field_of_a_whole_document_names_the_object_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad" / "mayor" / "town.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('\n\n{"owner": "x@example.com"}\n')
    fed = load_federation([tmp_path])
    [error] = fed.errors
    assert error.line == 3 and "name" in error.message


def test_the_alias_bomb_refusal_names_a_line(tmp_path: Path) -> None:
    lines = ["name: r", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) is None
    [error] = diags.items
    assert "alias bomb" in error.message and error.line is not None and 2 < error.line <= 10


def test_the_bounds_are_the_documented_ones() -> None:
    from core.sources import limits

    assert (limits.MAX_NESTING, limits.MAX_REFERENCE) == (MAX_NESTING, MAX_REFERENCE)
    formats = (PROJECT / "docs" / "formats.md").read_text()
    diagnostics = formats[formats.index("## Diagnostics"):]
    readme = (PROJECT / "README.md").read_text()
    for text in (diagnostics, readme):
        assert f"{MAX_NESTING} levels" in text and f"{MAX_REFERENCE} characters" in text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize(("where", "named"), [("greenplace/.beads/issues.jsonl", True), ("mayor/town.json", False),
                                              (".events.jsonl", False)])
def test_a_pipe_where_a_file_belongs_is_never_waited_on(town: Path, where: str, named: bool) -> None:
    """A named pipe (or a device) is never opened: opening one waits for a writer, maybe forever.
    Where a file is read (a rig's beads) the load names it; where one is only looked for (the
    town file that makes a folder a town, the town's event log), it is not there."""
    path = town / where
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    script = ("import sys, json\nfrom pathlib import Path\nfrom core.federation import load_federation\n"
              "fed = load_federation([Path(sys.argv[1])])\n"
              "print(json.dumps([[d.path, d.message] for d in fed.errors]))\n")
    done = subprocess.run([sys.executable, "-c", script, str(town)], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT)
    assert done.returncode == 0, done.stderr
    assert ([str(path), "cannot read: " + NOT_A_FILE] in json.loads(done.stdout)) is named
