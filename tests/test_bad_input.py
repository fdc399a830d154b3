"""Every kind of bad input gives a diagnostic naming the file and line; the rest still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.diagnostics import Diagnostics, Severity
from core.federation import load_federation
from core.sources.files import ReadLimits, iter_jsonl, load_json, load_yaml
from tests.conftest import bead, real_town, write_jsonl


def _issues(root: Path) -> Path:
    return root / "greenplace" / ".beads" / "issues.jsonl"


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return real_town(tmp_path / "town", {"greenplace": "gp"})


def _load(root: Path, **limits: int):  # type: ignore[no-untyped-def]
    fed = load_federation([root], ReadLimits(**limits))
    ids = sorted(u.id for ws in fed.workspaces for u in ws.work_units)
    return fed, ids


def _only_error(fed, path: Path, line: int | None):  # type: ignore[no-untyped-def]
    errors = fed.errors
    assert len(errors) == 1, errors
    assert errors[0].path == str(path)
    assert errors[0].line == line
    return errors[0]


def test_malformed_jsonl_line(town: Path) -> None:
    path = _issues(town)
    path.write_text(
        '{"id":"gp-1","title":"one","priority":1}\n{"id":"gp-2","title": oops}\n{"id":"gp-3","title":"three"}\n'
    )
    fed, ids = _load(town)
    error = _only_error(fed, path, 2)
    assert "malformed JSON" in error.message
    assert ids == ["gp-1", "gp-3"]


def test_invalid_utf8_line(town: Path) -> None:
    path = _issues(town)
    path.write_bytes(b'{"id":"gp-1","title":"one"}\n{"id":"gp-2","title":"caf\xe9"}\n{"id":"gp-3","title":"t"}\n')
    fed, ids = _load(town)
    assert _only_error(fed, path, 2).message == "not valid UTF-8"
    assert ids == ["gp-1", "gp-3"]


def test_missing_required_field(town: Path) -> None:
    path = write_jsonl(_issues(town), [bead("gp-1"), {"id": "gp-2", "priority": 1}, bead("gp-3")])
    fed, ids = _load(town)
    assert "required field 'title' is missing" in _only_error(fed, path, 2).message
    assert ids == ["gp-1", "gp-3"]


def test_wrong_type(town: Path) -> None:
    path = write_jsonl(_issues(town), [bead("gp-1"), bead("gp-2", priority="high"), bead("gp-3")])
    fed, ids = _load(town)
    message = _only_error(fed, path, 2).message
    assert "'priority' should be an integer, found a string" in message
    assert ids == ["gp-1", "gp-3"]


def test_a_json_line_that_is_not_an_object(town: Path) -> None:
    path = _issues(town)
    path.write_text('{"id":"gp-1","title":"one"}\n[1, 2]\n')
    fed, ids = _load(town)
    assert "expected a JSON object" in _only_error(fed, path, 2).message
    assert ids == ["gp-1"]


def test_file_over_the_size_limit_is_refused_before_reading(town: Path) -> None:
    big = write_jsonl(_issues(town), [bead(f"gp-{i}") for i in range(50)])
    write_jsonl(town / ".beads" / "issues.jsonl", [bead("hq-1")])
    fed, ids = _load(town, max_file_bytes=1000)
    error = _only_error(fed, big, None)
    assert "over the 1,000-byte limit" in error.message
    assert ids == ["hq-1"]  # the rest of the town still loads


def test_unreadable_file_as_a_folder(town: Path) -> None:
    # A path that exists but cannot be read as a file (works for root too).
    diags = Diagnostics()
    folder = town / "greenplace"
    assert load_json(folder, diags, ReadLimits()) is None
    assert diags.items[0].severity is Severity.ERROR and "cannot read" in diags.items[0].message


def test_town_file_missing_name_is_an_error_and_other_workspaces_load(tmp_path: Path) -> None:
    bad = tmp_path / "bad-town"
    (bad / "mayor").mkdir(parents=True)
    (bad / "mayor" / "town.json").write_text('{"owner": "x@example.com"}')
    good = real_town(tmp_path / "good", {"rig": "rg"})
    write_jsonl(good / "rig" / ".beads" / "issues.jsonl", [bead("rg-1")])
    fed, ids = _load(tmp_path)
    assert _only_error(fed, bad / "mayor" / "town.json", 1).message == "town: required field 'name' is missing"
    assert ids == ["rg-1"]


def test_json_file_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n  "a": 1,\n  "b": ,\n}\n')
    diags = Diagnostics()
    assert load_json(path, diags, ReadLimits()) is None
    assert diags.items[0].line == 3


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "realm.yaml"
    path.write_text("name: r\nversion: 1\ngovernance: [unclosed\nother: 2\n")
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) is None
    assert diags.items[0].path == str(path)
    assert diags.items[0].line is not None and diags.items[0].line >= 3
    assert "malformed YAML" in diags.items[0].message


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) is None
    assert "alias bomb" in diags.items[0].message


def test_yaml_with_ordinary_aliases_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {x: 1}\none: *b\ntwo: *b\n")
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}
    assert not diags.items


def test_yaml_never_builds_python_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("x: !!python/object/apply:os.system ['echo pwned']\n")
    diags = Diagnostics()
    assert load_yaml(path, diags, ReadLimits()) is None
    assert diags.items[0].severity is Severity.ERROR


def test_comment_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "routes.jsonl"
    path.write_text('# routes\n\n{"prefix":"a-","path":"."}\n')
    diags = Diagnostics()
    assert [n for n, _ in iter_jsonl(path, diags, ReadLimits())] == [3]
    assert not diags.items


def test_dangling_route_redirect_and_dependency_are_warnings(town: Path) -> None:
    write_jsonl(town / ".beads" / "routes.jsonl", [{"prefix": "gp-", "path": "greenplace"},
                                                   {"prefix": "zz-", "path": "nowhere/mayor/rig"}])
    write_jsonl(_issues(town), [bead("gp-1", dependencies=[{"issue_id": "gp-1", "depends_on_id": "gp-404",
                                                            "type": "blocks"}])])
    (town / "other" / ".beads").mkdir(parents=True)
    (town / "other" / "config.json").write_text('{"type":"rig","name":"other","beads":{"prefix":"ot"}}')
    (town / "other" / ".beads" / "redirect").write_text("mayor/rig/.beads\n")
    fed, ids = _load(town)
    assert not fed.errors
    messages = sorted((d.path.rsplit("/", 2)[-2:][-1], d.line, d.message) for d in fed.warnings)
    assert messages == [
        ("issues.jsonl", 1, "blocks reference from gp-1 points to gp-404, which is not there"),
        ("redirect", 1, "redirect points to mayor/rig/.beads, which is not there"),
        ("routes.jsonl", 2, "route zz- points to nowhere/mayor/rig/, which is not there"),
    ]
    assert ids == ["gp-1"]
