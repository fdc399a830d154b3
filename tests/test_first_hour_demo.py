"""A newcomer's first hour with the demo: the folder given to ``crossdeck demo --dir D`` is the
demo, once (its own home and cache are never read as workspaces); a request or an item in two
copies of one workspace can still be named; a verb run on the demo uses the demo's home, and
``--no-open`` says how to open the same demo."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import git

from tests.conftest import PROJECT


def run(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def first_use(tmp_path: Path) -> dict[str, str]:
    """The environment of someone who never set CROSSDECK_HOME: the platform's folders (here under
    ``tmp_path/user``, never the real ones)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CROSSDECK_HOME", "BD_ACTOR")}
    user = tmp_path / "user"
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[var] = str(user / var.lower())
    return {**env, "HOME": str(user), "PYTHONPATH": str(PROJECT)}


def demo(tmp_path: Path, env: dict[str, str]) -> Path:
    made = run("demo", "--dir", str(tmp_path / "D"), "--no-open", env=env)
    assert made.returncode == 0, made.stderr
    return tmp_path / "D"


def names(summary: subprocess.CompletedProcess[str]) -> list[str]:
    return [w["name"] for w in json.loads(summary.stdout)["workspaces"]]


DEMO_WORKSPACES = ["acme-dev/api-service", "acme-dev/frontend", "hop://acme.dev/storefront", "hop://globex.io/payments",
                   "hop://kim@kestrel.works/kestrel", "realm://commerce", "realm://globex-platform"]


def test_the_demo_folder_shows_each_demo_workspace_once(tmp_path: Path) -> None:
    """``crossdeck summary D`` on the folder given to ``demo --dir``: its seven workspaces, not
    the checkouts of remotes the demo's cache holds under ``D/home`` (which made ten, the same
    town three times, and old copies of requests pending again)."""
    env = first_use(tmp_path)
    folder = demo(tmp_path, env)
    assert any((folder / "home" / "cache").rglob(".beads")), "the demo's cache holds fetched checkouts"
    shown = run("summary", str(folder), "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert sorted(names(shown)) == DEMO_WORKSPACES
    assert "same workspace as" not in shown.stderr
    # with another CROSSDECK_HOME (which wins over the demo's), the demo's home is still not read
    elsewhere = run("summary", str(folder), "--json", env={**env, "CROSSDECK_HOME": str(tmp_path / "other")})
    assert sorted(names(elsewhere)) == DEMO_WORKSPACES


def test_discovery_never_descends_into_crossdecks_own_folders_or_git(tmp_path: Path, crossdeck_home: Path) -> None:
    """Wherever CROSSDECK_HOME (or the platform) puts crossdeck's folders, a root above them does
    not load what is inside; nor does a workspace-looking folder inside ``.git``."""
    from core.diagnostics import Diagnostics
    from core.sources.discover import discover

    root = tmp_path / "work"
    (root / "app" / ".sudocode").mkdir(parents=True)
    (root / "app" / ".git" / "modules" / "copy" / ".sudocode").mkdir(parents=True)
    (root / ".git" / "x" / ".sudocode").mkdir(parents=True)
    home = root / "crossdeck"  # CROSSDECK_HOME below a root, as a demo's is
    for cached in ("cache/checkouts/abc/123", "state/x", "data/demo/1/workspaces/w"):
        (home / cached / ".sudocode").mkdir(parents=True)
    os.environ["CROSSDECK_HOME"] = str(home)  # the autouse fixture restores it
    assert [f.path for f in discover([root], Diagnostics())] == [root / "app"]
    # a root given is read, even one of crossdeck's own folders
    cached = home / "cache" / "checkouts" / "abc" / "123"
    assert [f.path for f in discover([cached], Diagnostics())] == [cached]


def _two_copies(tmp_path: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """The demo's api-service and a second clone of it (the same workspace, twice)."""
    folder = demo(tmp_path, env)
    first = folder / "workspaces" / "sudocode" / "api-service"
    second = tmp_path / "elsewhere" / "api-service"
    shutil.copytree(first, second, symlinks=True)
    return first, second


def test_a_request_in_two_copies_of_a_workspace_is_named_by_folder(tmp_path: Path) -> None:
    """``approve REQ`` where two loaded copies of api-service hold it: the refusal names the two
    folders (not the same name twice), and ``FOLDER:REQ`` decides the one in that folder."""
    env = {**first_use(tmp_path), "BD_ACTOR": "api-service/crew/maya"}
    first, second = _two_copies(tmp_path, env)
    roots = [str(first), str(second)]
    refused = run("approve", "req-7c2e41", *roots, env=env)
    assert refused.returncode == 1
    assert f"name one of {first}:req-7c2e41, {second}:req-7c2e41" in refused.stderr, refused.stderr
    by_name = run("approve", "acme-dev/api-service:req-7c2e41", *roots, env=env)
    assert by_name.returncode == 1 and f"{second}:req-7c2e41" in by_name.stderr
    approved = run("approve", f"{second}:req-7c2e41", *roots, "--json", env=env)
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["after"] == "completed"  # approved, its issue created
    assert git.Repo(second).head.commit.author.name == "api-service/crew/maya"
    assert git.Repo(first).head.commit.author.name != "api-service/crew/maya"  # the other copy is untouched
    # relative to the current folder, as a path typed in a shell is
    rejected = run("reject", "./api-service:req-e85a30", *roots, "--reason", "not now", env=env,
                   cwd=tmp_path / "elsewhere")
    assert rejected.returncode == 0, rejected.stderr


def test_an_item_in_two_copies_of_a_workspace_is_refused_by_folder(tmp_path: Path) -> None:
    """``close ITEM`` where two loaded copies hold the item: which one is meant cannot be told by
    its key, so the refusal names both folders and how to pick one; given one, it closes there."""
    env = {**first_use(tmp_path), "BD_ACTOR": "api-service/crew/maya"}
    first, second = _two_copies(tmp_path, env)
    shown = run("list", str(first), "--status", "open", "--json", env=env)
    item = json.loads(shown.stdout)["work_units"][0]["key"]
    refused = run("close", item, str(first), str(second), env=env)
    assert refused.returncode == 1
    assert f"{first}, {second}" in refused.stderr and "only ROOT" in refused.stderr, refused.stderr
    closed = run("close", item, str(second), env=env)
    assert closed.returncode == 0, closed.stderr


def test_no_open_prints_the_command_that_opens_the_same_demo(tmp_path: Path) -> None:
    env = first_use(tmp_path)
    made = run("demo", "--dir", str(tmp_path / "D"), "--no-open", env=env)
    workspaces = (tmp_path / "D" / "workspaces").resolve()
    assert made.stdout == f"{workspaces}\n"  # stdout: the folder only (cd "$(crossdeck demo --no-open)")
    assert f"open it with: crossdeck tui {shlex.quote(str(workspaces))}\n" in made.stderr
    # with a CROSSDECK_HOME of one's own (it wins over the demo's), the command sets the demo's
    other = run("demo", "--dir", str(tmp_path / "E"), "--no-open", env={**env, "CROSSDECK_HOME": str(tmp_path / "mine")})
    home = (tmp_path / "E" / "home").resolve()
    assert (f"open it with: CROSSDECK_HOME={shlex.quote(str(home))} crossdeck tui "
            f"{shlex.quote(str((tmp_path / 'E' / 'workspaces').resolve()))}\n") in other.stderr


def test_every_verb_on_a_demo_folder_uses_the_demos_home(tmp_path: Path) -> None:
    """The remotes the demo checked show as checked from inside the copy (not "never checked"),
    and a token added there lands in the demo's home, never in the user's own state folder; with
    CROSSDECK_HOME set, that home is used instead."""
    env = first_use(tmp_path)
    folder = demo(tmp_path, env)
    listed = run("remote", "list", "--json", env=env, cwd=folder / "workspaces")
    states = [r["state"] for r in json.loads(listed.stdout)["remotes"]]
    assert set(states) - {"never-checked"}, states  # the demo's seeded reachability, read from its home
    frontend = folder / "workspaces" / "sudocode" / "frontend"
    token = "cdt_" + "A" * 43
    added = subprocess.run([sys.executable, "-m", "tui", "token", "add", "acme-dev/api-service"], input=token + "\n",
                           capture_output=True, text=True, cwd=frontend, env=env, timeout=60)
    assert added.returncode == 0, added.stderr
    assert (folder / "home" / "state" / "secrets" / "tokens.json").is_file()
    assert not (tmp_path / "user").exists() or not list((tmp_path / "user").rglob("tokens.json"))
    mine = tmp_path / "mine"
    listed = run("remote", "list", "--json", env={**env, "CROSSDECK_HOME": str(mine)}, cwd=folder / "workspaces")
    assert {r["state"] for r in json.loads(listed.stdout)["remotes"]} == {"never-checked"}
