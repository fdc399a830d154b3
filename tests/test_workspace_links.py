"""Links inside a workspace (docs/formats.md, "Links inside a workspace"): a record file or folder
that a symbolic link leads out of the workspace's root is not read (a warning names the link and
where it leads), and nothing crossdeck writes ever lands outside the root: the write is refused,
naming the path, and nothing is written. A link that stays inside the root works as before.

Real symlinks in tmp, real git where a commit happens; the HTTP side is tests/test_server_links.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from core.federation import load_federation
from core.sync import SyncError
from core.sync.create import CreateError, update_item
from core.sync.decisions import DecisionError, decide
from core.sync.delegate import close
from core.sync.lock import workspace_lock
from core.sync.realm_actions import RealmError, bump
from core.sync.remote_config import RemoteConfigError, add_remote, find_workspace, new_record
from core.sync.yaml_edit import YamlDoc
from tests.conftest import PROJECT, bead, real_town, write_jsonl
from tests.test_cli_summary import crossdeck
from tests.test_decisions import NOW, lines

API = "acme-dev/api-service"
SHELL_RC = b"export PATH=$HOME/bin:$PATH\n"


def api_copy(where: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces" / "sudocode" / "api-service", where))


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (links not followed) and its bytes."""
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def shell_rc(tmp_path: Path) -> Path:
    rc = tmp_path / "home" / ".bashrc"
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_bytes(SHELL_RC)
    return rc


def link(path: Path, target: Path | str) -> Path:
    """Make ``path`` a symbolic link to ``target`` (replacing what is there)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    os.symlink(target, path)
    return path


def warnings_of(fed: object) -> list[str]:
    return [str(d) for d in fed.warnings]  # type: ignore[attr-defined]


# -- a .sudocode folder that is another project's ------------------------------------------------

@pytest.fixture
def borrowed(tmp_path: Path) -> tuple[Path, Path]:
    """``mine/proj`` whose ``.sudocode`` is a link to another project's (outside the roots)."""
    other = api_copy(tmp_path / "other" / "api-service")
    mine = tmp_path / "mine" / "proj"
    mine.mkdir(parents=True)
    os.symlink(other / ".sudocode", mine / ".sudocode")
    return mine, other


def test_a_sudocode_folder_linked_to_another_project_is_not_loaded(borrowed: tuple[Path, Path]) -> None:
    mine, other = borrowed
    fed = load_federation([mine.parent])
    assert fed.workspace(API) is None
    assert not any(ws.work_units or ws.requests for ws in fed.workspaces)
    warning = next(w for w in warnings_of(fed) if ".sudocode" in w)
    assert str(mine / ".sudocode") in warning and str(other / ".sudocode") in warning
    assert "outside the workspace" in warning


def test_approve_never_writes_into_the_project_a_sudocode_link_leads_to(borrowed: tuple[Path, Path]) -> None:
    mine, other = borrowed
    before = files_of(other)
    with pytest.raises(DecisionError):
        decide(load_federation([mine.parent]), "req-7c2e41", "approve", "web/crew/bob", None, NOW)
    result = crossdeck("approve", "req-7c2e41", str(mine.parent), "--actor", "web/crew/bob")
    assert result.returncode != 0
    assert f"{mine / '.sudocode'}" in result.stderr and "outside the workspace" in result.stderr
    assert files_of(other) == before


# -- record files linked out of the root -------------------------------------------------------------

def test_a_record_file_linked_out_is_not_loaded_and_says_where_it_leads(tmp_path: Path) -> None:
    root = api_copy(tmp_path / "ws" / "api-service")
    elsewhere = tmp_path / "elsewhere" / "issues.jsonl"
    write_jsonl(elsewhere, [{"id": "i-secret", "title": "Secret roadmap", "status": "open"}])
    link(root / ".sudocode" / "issues.jsonl", elsewhere)
    fed = load_federation([root.parent])
    ws = fed.workspace(API)
    assert ws is not None  # the rest of the workspace still loads
    assert ws.requests and not any(u.id == "i-secret" for u in ws.work_units)
    assert any(u.kind == "spec" for u in ws.work_units)
    warning = next(w for w in warnings_of(fed) if "issues.jsonl" in w)
    assert str(elsewhere) in warning and "outside the workspace" in warning
    assert fed.errors == []


def test_a_link_that_stays_inside_the_root_still_reads_and_writes(tmp_path: Path) -> None:
    root = api_copy(tmp_path / "ws" / "api-service")
    requests = root / ".sudocode" / "federation" / "requests.jsonl"
    kept = root / "records" / "requests.jsonl"
    kept.parent.mkdir()
    shutil.move(requests, kept)
    os.symlink(Path("..") / ".." / "records" / "requests.jsonl", requests)
    fed = load_federation([root.parent])
    assert not [w for w in warnings_of(fed) if "outside" in w]
    assert any(r.request_id == "req-7c2e41" for r in fed.workspace(API).requests)  # type: ignore[union-attr]
    result = decide(fed, "req-7c2e41", "approve", "web/crew/bob", None, NOW)
    assert result.changed
    assert requests.is_symlink()  # written through the link, which is still one
    assert lines(kept)[-1]["request_id"] == "req-7c2e41" and lines(kept)[-1]["status"] == "completed"


@pytest.mark.parametrize("log", ["requests.jsonl", "audit.jsonl"])
def test_approve_refuses_a_workspace_whose_log_links_out_and_writes_nothing(tmp_path: Path, log: str) -> None:
    root = api_copy(tmp_path / "ws" / "api-service")
    rc = shell_rc(tmp_path)
    federation = root / ".sudocode" / "federation"
    link(federation / log, rc)
    before = files_of(root)
    result = crossdeck("approve", "req-7c2e41", str(root.parent), "--actor", "web/crew/bob")
    assert result.returncode == 1, result.stdout
    assert rc.read_bytes() == SHELL_RC
    assert files_of(root) == before  # not half an action: neither the other log nor the issue
    assert f"{log}" in result.stderr and str(rc) in result.stderr
    assert (federation / log).is_symlink()


def test_closing_an_item_whose_file_has_become_a_link_out_writes_nothing(tmp_path: Path) -> None:
    root = api_copy(tmp_path / "ws" / "api-service")
    fed = load_federation([root.parent])
    unit = next(u for u in fed.workspace(API).work_units if u.kind == "issue" and not u.is_done)  # type: ignore[union-attr]
    issues = root / ".sudocode" / "issues.jsonl"
    elsewhere = tmp_path / "elsewhere" / "issues.jsonl"
    elsewhere.parent.mkdir()
    shutil.copy(issues, elsewhere)
    link(issues, elsewhere)
    before, outside = files_of(root), elsewhere.read_bytes()
    with pytest.raises(SyncError):
        close(fed, unit.key, "done", "web/crew/bob", NOW)
    assert issues.is_symlink() and elsewhere.read_bytes() == outside
    assert files_of(root) == before


def test_update_item_refuses_a_file_that_has_become_a_link_out(tmp_path: Path) -> None:
    root = api_copy(tmp_path / "ws" / "api-service")
    ws = load_federation([root.parent]).workspace(API)
    assert ws is not None
    unit = next(u for u in ws.work_units if u.kind == "issue")
    issues = root / ".sudocode" / "issues.jsonl"
    elsewhere = tmp_path / "elsewhere" / "issues.jsonl"
    elsewhere.parent.mkdir()
    shutil.copy(issues, elsewhere)
    link(issues, elsewhere)
    before = elsewhere.read_bytes()
    with workspace_lock(root), pytest.raises(CreateError, match="outside the workspace") as refused:
        update_item(ws, unit, {"status": "closed"}, "web/crew/bob")
    assert str(issues) in str(refused.value) and str(elsewhere) in str(refused.value)
    assert issues.is_symlink() and elsewhere.read_bytes() == before


# -- the remotes config and realm YAML ------------------------------------------------------------

def test_adding_a_remote_refuses_a_config_linked_out(tmp_path: Path) -> None:
    root = api_copy(tmp_path / "ws" / "api-service")
    other = api_copy(tmp_path / "other" / "api-service")
    config = other / ".sudocode" / "federation.config.json"
    link(root / ".sudocode" / "federation.config.json", config)
    before = config.read_bytes()
    ws = find_workspace(load_federation([root.parent]), None)
    with pytest.raises(RemoteConfigError, match="outside the workspace"):
        add_remote(ws, new_record("evil", "https://example.com/evil"))
    assert config.read_bytes() == before
    assert (root / ".sudocode" / "federation.config.json").is_symlink()


@pytest.fixture
def commerce(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces" / "realms" / "commerce", tmp_path / "realms" / "commerce"))


def test_a_realm_yaml_edit_refuses_a_file_linked_out(commerce: Path, tmp_path: Path) -> None:
    exports = commerce / "domains" / "acme-catalog" / "exports.yaml"
    elsewhere = tmp_path / "elsewhere" / "exports.yaml"
    elsewhere.parent.mkdir()
    shutil.copy(exports, elsewhere)
    link(exports, elsewhere)
    before, realm = elsewhere.read_bytes(), files_of(commerce)
    with workspace_lock(commerce):
        doc = YamlDoc(exports)
        doc.set(["exports", 0, "version"], "9.9.9")
        with pytest.raises(OSError, match="outside the workspace"):
            doc.save()
    with pytest.raises(RealmError):
        bump(load_federation([commerce]), "commerce/acme-catalog/catalog-feed", "1.4.0", ["Added x"], False,
             "bob@acme.dev", NOW)
    assert exports.is_symlink() and elsewhere.read_bytes() == before
    assert files_of(commerce) == realm


# -- towns: a rig's beads folder linked out ---------------------------------------------------------

def test_a_rig_beads_folder_linked_out_is_not_loaded(tmp_path: Path) -> None:
    root = real_town(tmp_path / "town", {"greenplace": "gp", "elsewhere": "ew"})
    write_jsonl(root / "greenplace" / ".beads" / "issues.jsonl", [bead("gp-1")])
    outside = tmp_path / "outside" / ".beads"
    write_jsonl(outside / "issues.jsonl", [bead("ew-secret", "Secret roadmap")])
    link(root / "elsewhere" / ".beads", outside)
    fed = load_federation([root])
    ws = fed.workspaces[0]
    assert [u.id for u in ws.work_units] == ["gp-1"]
    warning = next(w for w in warnings_of(fed) if "elsewhere" in w)
    assert str(outside) in warning and "outside the workspace" in warning


# -- nothing is written without the workspace's lock ---------------------------------------------------

def test_a_write_into_a_workspace_needs_its_lock(tmp_path: Path) -> None:
    from core.sync.appendlog import append_jsonl

    root = api_copy(tmp_path / "ws" / "api-service")
    audit = root / ".sudocode" / "federation" / "audit.jsonl"
    before = audit.read_bytes()
    with pytest.raises(OSError, match="lock"):
        append_jsonl(audit, {"timestamp": "2026-11-20T10:00:00Z", "operation_type": "x"})
    assert audit.read_bytes() == before
    with workspace_lock(root):
        append_jsonl(audit, {"timestamp": "2026-11-20T10:00:00Z", "operation_type": "x"})
    assert lines(audit)[-1]["operation_type"] == "x"


# -- git: only paths inside the workspace are committed -------------------------------------------

def test_a_commit_stages_nothing_outside_the_workspace(tmp_path: Path) -> None:
    import subprocess

    from core.sync.gitcommit import CommitError, commit_change

    repo = tmp_path / "repo"
    root = api_copy(repo / "api-service")
    secret = repo / "secret.txt"
    secret.write_text("not the workspace's\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with pytest.raises(CommitError, match="outside the workspace"):
        commit_change(root, [secret], "web/crew/bob", "sneak", "acme-dev", NOW)
    log = subprocess.run(["git", "-C", str(repo), "log", "--oneline"], check=False, capture_output=True, text=True)
    assert log.stdout == ""
