"""Adding, removing and changing a remote in a workspace's own files: every other field kept, the
change made under the workspace lock, the loader reading back what was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.federation import Federation, load_federation
from core.sync.lock import WorkspaceLocked, workspace_lock
from core.sync.remote_config import (
    RemoteConfigError,
    RemoteUsageError,
    add_remote,
    config_file,
    find_workspace,
    holder_of,
    new_record,
    remove_remote,
    update_remote,
)
from tests.conftest import bead, real_town, write_json, write_jsonl

SUDOCODE_CONFIG = {
    "enabled": True,
    "local_identity": {"url": "github.com/acme/web", "display_name": "Acme Web"},
    "remote_repos": [{"url": "github.com/acme/api", "trust_level": "trusted", "git_url": "../api",
                      "permissions": {"query": {"allowed": True}}, "x-custom": [1, 2]}],
    "policies": {"incoming_requests": {"mutate": {"allowed": False}}},
    "cache": {"ttl_seconds": 300},
}


def build(tmp_path: Path) -> Federation:
    write_json(tmp_path / "web" / ".sudocode" / "federation.config.json", SUDOCODE_CONFIG)
    write_jsonl(tmp_path / "web" / ".sudocode" / "issues.jsonl", [{"id": "i-1", "title": "page"}])
    town = real_town(tmp_path / "town", {"greenplace": "gp"})
    write_jsonl(town / "greenplace" / ".beads" / "issues.jsonl", [bead("gp-1")])
    return load_federation([tmp_path])


def test_add_to_a_town_creates_its_remotes_file(tmp_path: Path) -> None:
    fed = build(tmp_path)
    town = find_workspace(fed, "hop://steve@example.com/main-town")
    path, key = config_file(town)
    assert (path, key) == (tmp_path / "town" / ".crossdeck" / "remotes.json", "remotes") and not path.exists()
    change = add_remote(town, new_record("hq", "../hq", "verified"))
    assert (change.action, change.name, change.remotes, change.file) == ("add", "hq", 1, str(path))
    assert json.loads(path.read_text()) == {"remotes": [{"name": "hq", "url": "../hq", "trust_level": "verified"}]}
    [remote] = load_federation([tmp_path]).workspace(town.name).remotes  # type: ignore[union-attr]
    assert (remote.name, remote.url, remote.transport, remote.trust_level.value) == ("hq", "../hq", "git", "verified")


def test_add_to_a_sudocode_repo_keeps_every_other_field(tmp_path: Path) -> None:
    fed = build(tmp_path)
    web = find_workspace(fed, str(tmp_path / "web"))  # a folder names a workspace too
    add_remote(web, new_record("partner", "http://127.0.0.1:8765", transport="http"))
    doc = json.loads((tmp_path / "web" / ".sudocode" / "federation.config.json").read_text())
    assert doc["remote_repos"][0] == SUDOCODE_CONFIG["remote_repos"][0]  # unknown fields included
    assert doc["remote_repos"][1] == {"name": "partner", "url": "http://127.0.0.1:8765", "transport": "http",
                                      "trust_level": "untrusted"}
    assert {k: v for k, v in doc.items() if k != "remote_repos"} == {
        k: v for k, v in SUDOCODE_CONFIG.items() if k != "remote_repos"}
    names = [r.name for r in load_federation([tmp_path]).workspace("acme/web").remotes]  # type: ignore[union-attr]
    assert names == ["acme/api", "partner"]


def test_a_name_already_used_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    fed = build(tmp_path)
    web = find_workspace(fed, "acme/web")
    path = tmp_path / "web" / ".sudocode" / "federation.config.json"
    before = path.read_bytes()
    with pytest.raises(RemoteConfigError, match="already has a remote named 'acme/api'"):
        add_remote(web, new_record("acme/api", "../elsewhere"))  # the name derived from the URL counts
    assert path.read_bytes() == before


def test_remove_drops_one_remote_and_keeps_the_rest(tmp_path: Path) -> None:
    fed = build(tmp_path)
    web = find_workspace(fed, "acme/web")
    add_remote(web, new_record("partner", "../partner"))
    change = remove_remote(web, "acme/api")
    assert (change.action, change.record["git_url"], change.remotes) == ("remove", "../api", 1)
    doc = json.loads((tmp_path / "web" / ".sudocode" / "federation.config.json").read_text())
    assert [r["name"] for r in doc["remote_repos"]] == ["partner"] and doc["policies"] == SUDOCODE_CONFIG["policies"]
    with pytest.raises(RemoteUsageError, match="has no remote named 'acme/api'"):
        remove_remote(web, "acme/api")


def test_update_sets_fields_and_keeps_the_others(tmp_path: Path) -> None:
    fed = build(tmp_path)
    update_remote(find_workspace(fed, "acme/web"), "acme/api", {"git_url": "file:///srv/api.git"})
    [entry] = json.loads((tmp_path / "web" / ".sudocode" / "federation.config.json").read_text())["remote_repos"]
    assert entry == {**SUDOCODE_CONFIG["remote_repos"][0], "git_url": "file:///srv/api.git"}  # type: ignore[dict-item]


def test_which_workspace(tmp_path: Path) -> None:
    fed = build(tmp_path)
    with pytest.raises(RemoteUsageError, match="2 workspaces are loaded; say which with --workspace"):
        find_workspace(fed, None)
    with pytest.raises(RemoteUsageError, match="no loaded workspace is named 'nope'"):
        find_workspace(fed, "nope")
    assert holder_of(fed, "acme/api", None).name == "acme/web"  # the only one that has it
    with pytest.raises(RemoteUsageError, match="no loaded workspace has a remote named 'ghost'"):
        holder_of(fed, "ghost", None)
    only = load_federation([tmp_path / "town"])
    assert find_workspace(only, None).name == "hop://steve@example.com/main-town"


@pytest.mark.parametrize(("args", "message"), [
    (("a b\x1b[31m", "../x"), "is not a remote name"),
    (("ok", "--upload-pack=evil"), "is not a URL"),
    (("ok", "../x", "friendly"), "trust level 'friendly'"),
    (("ok", "../x", "trusted", "ftp"), "transport 'ftp'"),
])
def test_bad_records_are_refused(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(RemoteUsageError, match=message):
        new_record(*args)


def test_the_change_waits_for_the_workspace_lock(tmp_path: Path) -> None:
    fed = build(tmp_path)
    town = find_workspace(fed, "hop://steve@example.com/main-town")
    with workspace_lock(Path(town.root)), pytest.raises(WorkspaceLocked, match="locked by another crossdeck process"):
        add_remote(town, new_record("hq", "../hq"), lock_timeout=0.2)
    assert not (tmp_path / "town" / ".crossdeck" / "remotes.json").exists()


def test_an_unreadable_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    fed = build(tmp_path)
    path = tmp_path / "town" / ".crossdeck" / "remotes.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"remotes": [')
    with pytest.raises(RemoteConfigError, match="cannot be read"):
        add_remote(find_workspace(fed, "hop://steve@example.com/main-town"), new_record("hq", "../hq"))
    assert path.read_text() == '{"remotes": ['
