from __future__ import annotations

import os
from pathlib import Path

from core.diagnostics import Diagnostics
from core.model import WorkspaceKind
from core.sources.discover import discover
from tests.conftest import bead, real_town, write_json, write_jsonl


def _found(roots: list[Path]) -> tuple[list[tuple[str, str]], Diagnostics]:
    diags = Diagnostics()
    found = discover(roots, diags)
    base = roots[0]
    return [(f.kind.value, str(f.path.relative_to(base.resolve()))) for f in found], diags


def test_finds_each_kind_and_stops_at_a_workspace(tmp_path: Path) -> None:
    real_town(tmp_path / "towns" / "main", {"greenplace": "gp"})
    (tmp_path / "towns" / "main" / "greenplace" / "mayor" / "rig" / ".sudocode").mkdir(parents=True)
    (tmp_path / "realms" / "aperture").mkdir(parents=True)
    (tmp_path / "realms" / "aperture" / "realm.yaml").write_text("name: aperture\n")
    write_jsonl(tmp_path / "repos" / "web" / ".sudocode" / "issues.jsonl", [])
    write_jsonl(tmp_path / "loose" / ".beads" / "issues.jsonl", [bead("bd-1")])
    write_json(tmp_path / "design" / ".town.json", {"owner": "a@b.c", "name": "d"})
    (tmp_path / "node_modules" / "x" / ".sudocode").mkdir(parents=True)
    found, diags = _found([tmp_path])
    assert found == [
        ("town", "design"),
        ("beads", "loose"),
        ("realm", "realms/aperture"),
        ("sudocode", "repos/web"),
        ("town", "towns/main"),
    ]
    assert not diags.items


def test_symlink_loop_ends_and_links_outside_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write_jsonl(root / "a" / "ws" / ".beads" / "issues.jsonl", [bead("bd-1")])
    os.symlink(root, root / "a" / "loop")  # a loop back to the root
    outside = tmp_path / "outside"
    write_jsonl(outside / ".beads" / "issues.jsonl", [bead("bd-2")])
    os.symlink(outside, root / "elsewhere")
    found, diags = _found([root])
    assert found == [("beads", "a/ws")]
    assert [d.message for d in diags] == ["symbolic link leads outside the roots; not followed"]


def test_same_workspace_under_two_roots_is_found_once(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "ws" / ".beads" / "issues.jsonl", [bead("bd-1")])
    diags = Diagnostics()
    found = discover([tmp_path, tmp_path / "ws"], diags)
    assert [(f.kind, f.path) for f in found] == [(WorkspaceKind.BEADS, (tmp_path / "ws").resolve())]


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    diags = Diagnostics()
    assert discover([tmp_path / "nope"], diags) == []
    assert diags.errors[0].message == "root is not a folder"
