"""The benchmark generator's shape flags: the federation crossdeck loads has the shape asked for."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.generate import main
from core.federation import load_federation


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_shape_flags_give_that_federation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fed"
    assert main([str(out), "--units", "1000", "--towns", "3", "--rigs-per-town", "4", "--beads-per-rig", "60",
                 "--sudocode", "2", "--realms", "1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["workspaces"] == {"town": 3, "beads": 0, "sudocode": 2, "realm": 1, "total": 6}
    assert summary["rigs"] == 12
    # 60 beads a rig, 12% of the town's 240 on top as hq- beads (29), the rest to sudocode
    assert summary["work_units"]["town"] == 3 * (240 + 29)
    assert summary["work_units"]["sudocode"] == 1000 - 3 * (240 + 29)

    fed = load_federation([out])
    assert Counter(ws.kind.value for ws in fed.workspaces) == {"town": 3, "sudocode": 2, "realm": 1}
    assert not fed.errors
    town_files = set(out.glob("towns/*/.beads/issues.jsonl"))  # the towns' own hq- beads
    rig_files = [p for p in out.glob("towns/*/**/issues.jsonl") if p not in town_files]
    assert len(rig_files) == 12
    assert {len(p.read_bytes().splitlines()) for p in rig_files} == {60}

    again = tmp_path / "again"
    main([str(again), "--units", "1000", "--towns", "3", "--rigs-per-town", "4", "--beads-per-rig", "60",
          "--sudocode", "2", "--realms", "1"])
    assert _tree(again) == _tree(out)  # deterministic, as the default mix is


def test_a_shape_that_does_not_fit_the_units_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "fed"), "--units", "100", "--towns", "2", "--rigs-per-town", "3", "--beads-per-rig", "50"])
    assert exit_.value.code == 2
    assert "more than --units 100" in capsys.readouterr().err
    assert not (tmp_path / "fed").exists()
