from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The fuzz suite's profiles (tests/test_fuzz_formats.py). "ci", the default, is derandomized: the
# same examples every run, so a new find never blocks a landing by chance. "deep" is the on-demand
# search (CROSSDECK_FUZZ=deep, tests/README.md). Hypothesis keeps no example database here: what it
# finds is kept by hand, as a fixture in tests/fixtures/fuzz/.
settings.register_profile("ci", derandomize=True, max_examples=50, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", max_examples=10_000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("CROSSDECK_FUZZ", "ci"))

# Tests send Ctrl+C (SIGINT) to the processes they start (watch, serve) and expect them to stop.
# A suite started in the background by a script (``bash -c '... pytest &'``, nohup, some CI
# runners) inherits SIGINT ignored, and so would every process it starts: Python then installs no
# KeyboardInterrupt handler and Ctrl+C does nothing. Take Ctrl+C back, for the suite and its children.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
REALDATA = SHARED / "realdata"


@pytest.fixture(autouse=True)
def crossdeck_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CROSSDECK_HOME: nothing reads or writes the user's real dirs."""
    home = tmp_path_factory.mktemp("crossdeck-home")
    monkeypatch.setenv("CROSSDECK_HOME", str(home))
    return home


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real datasets not present at {REALDATA} (they ship beside the checkout in CI only)")
    return REALDATA


def write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2))
    return path


def write_jsonl(path: Path, rows: Iterable[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def commit_everything(root: Path, message: str = "setup") -> Path:
    """Everything below ``root`` committed by ``setup`` (``root`` made a git repository first when
    it is none), so that the commits a test makes are the only ones by their actor."""
    import git

    repo = git.Repo.init(root)
    repo.git.add("-A")
    setup = git.Actor("setup", "setup@example.com")
    repo.index.commit(message, author=setup, committer=setup)
    repo.close()
    return root


def bead(ident: str, title: str | None = None, **fields: Any) -> dict[str, Any]:
    row = {"id": ident, "title": title or f"work {ident}", "status": "open", "priority": 2,
           "issue_type": "task", "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"}
    row.update(fields)
    return row


def dep(issue: str, target: str, kind: str = "blocks") -> dict[str, Any]:
    return {"issue_id": issue, "depends_on_id": target, "type": kind,
            "created_at": "2026-11-01T10:00:00Z", "created_by": "mayor"}


def real_town(root: Path, rigs: dict[str, str], owner: str = "steve@example.com", name: str = "main-town") -> Path:
    """A town in the real layout with the given rigs (name -> prefix) and routes for each."""
    write_json(root / "mayor" / "town.json", {"type": "town", "version": 2, "name": name, "owner": owner,
                                              "public_name": name, "created_at": "2026-01-01T00:00:00Z"})
    write_json(root / "mayor" / "rigs.json", {"version": 1, "rigs": {
        rig: {"git_url": f"git@example.com:{rig}.git", "added_at": "2026-01-01T00:00:00Z",
              "beads": {"repo": "", "prefix": prefix}} for rig, prefix in rigs.items()}})
    for rig, prefix in rigs.items():
        write_json(root / rig / "config.json", {"type": "rig", "version": 1, "name": rig,
                                                "git_url": f"git@example.com:{rig}.git", "default_branch": "main",
                                                "beads": {"prefix": prefix}})
        (root / rig / ".beads").mkdir(parents=True, exist_ok=True)
    write_jsonl(root / ".beads" / "routes.jsonl",
                [{"prefix": "hq-", "path": "."}] + [{"prefix": f"{p}-", "path": r} for r, p in rigs.items()])
    return root


from tests.dolt_server import beads_db, mariadb  # noqa: F401  (a private MariaDB standing in for Dolt)
from tests.http_fixtures import frontend, served, start_server, sudocode_copy  # noqa: F401  (real HTTP servers)
