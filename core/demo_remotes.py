"""The demo's remotes: real git remotes between the demo copy's workspaces, and a state store
that tells every state of the Remotes pane on a fresh machine.

Called at the end of ``core.demo.prepare_demo``, once every workspace is a git repository. On
the copy only (``sample_workspaces/`` never changes):

- **synced**: Acme's remote ``globex-payments`` becomes a ``file://`` URL to Globex's repository
  in the copy, and is synced now (a real fetch into the copy's cache). It turns stale when the
  TTL (5 minutes by default) has passed: press ``s`` to sync it again.
- **stale**: Acme's ``kestrel`` and Kestrel's ``globex-payments`` (both ``auto_sync: false``) are
  fetched for real but recorded as synced 3 hours and 26 hours ago.
- **unreachable**: Globex's ``initech-risk`` becomes a git remote on a closed port
  (``http://127.0.0.1:9/initech/risk.git``) and is checked for real three times, 20, 10 and 5
  minutes ago: it fails at once each time, so its circuit is open.
- every other remote is left as it is: never checked until someone syncs it.

The two rewritten config files are committed in their repositories by the workspace's owner, at
the date of the last commit, so ``git status`` stays clean. The store and the caches are the
copy's own (``DEST/home``, the ``CROSSDECK_HOME`` the demo runs with).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from core import timeutil
from core.federation import Federation, load_federation
from core.model import Remote, Workspace

ACME, GLOBEX, KESTREL = "towns/acme-storefront", "towns/globex-payments", "towns/kestrel"
CLOSED_PORT_URL = "http://127.0.0.1:9/initech/risk.git"  # port 9 (discard) refuses at once
STALE_AGES = {(ACME, "kestrel"): dt.timedelta(hours=3), (KESTREL, "globex-payments"): dt.timedelta(hours=26)}
FAILED_CHECKS_AGO = (dt.timedelta(minutes=20), dt.timedelta(minutes=10), dt.timedelta(minutes=5))


class _Rewrite(NamedTuple):
    folder: str
    remote: str
    changes: dict[str, Any]


def wire_demo_remotes(workspaces: Path, home: Path, now: dt.datetime | None = None) -> list[str]:
    """Rewrite, commit and seed the demo copy's remotes; returns what could not be done."""
    from core.store import StoreError
    from core.sync import SyncError

    moment = now or timeutil.now()
    try:
        with _crossdeck_home(home):
            fed = load_federation([workspaces])
            rewrites = [_Rewrite(ACME, "globex-payments", {"url": (workspaces / GLOBEX).resolve().as_uri()}),
                        _Rewrite(GLOBEX, "initech-risk", {"url": CLOSED_PORT_URL, "transport": "git"})]
            for rewrite in rewrites:
                _rewrite(fed, workspaces, rewrite)
            fed = load_federation([workspaces])
            _seed(fed, workspaces, moment)
    except (SyncError, StoreError, OSError, LookupError) as exc:
        return [f"the demo's remotes are as in sample_workspaces: {exc}"]
    return []


def _rewrite(fed: Federation, workspaces: Path, rewrite: _Rewrite) -> None:
    from core.sync.remote_config import update_remote

    ws = _workspace(fed, workspaces, rewrite.folder)
    change = update_remote(ws, rewrite.remote, rewrite.changes)
    _commit(ws, Path(change.file), f"Point remote {rewrite.remote} at the demo copy")


def _seed(fed: Federation, workspaces: Path, moment: dt.datetime) -> None:
    from core.sync.fetch_pool import RetryPolicy, SyncPolicy, Target, contact_all

    def targets(folder: str, name: str) -> list[Target]:
        ws = _workspace(fed, workspaces, folder)
        return [Target(_remote(ws, name), Path(ws.root))]

    once = SyncPolicy(retry=RetryPolicy(attempts=1))
    contact_all("sync", targets(ACME, "globex-payments"), policy=once, now=lambda: moment)
    for (folder, name), age in STALE_AGES.items():
        contact_all("sync", targets(folder, name), policy=once, now=lambda age=age: moment - age)  # type: ignore[misc]
    for ago in FAILED_CHECKS_AGO:
        contact_all("check", targets(GLOBEX, "initech-risk"), policy=once, force=True,
                    now=lambda ago=ago: moment - ago)  # type: ignore[misc]


def _workspace(fed: Federation, workspaces: Path, folder: str) -> Workspace:
    root = (workspaces / folder).resolve()
    for ws in fed.workspaces:
        if Path(ws.root).resolve() == root:
            return ws
    raise LookupError(f"no workspace in {root}")


def _remote(ws: Workspace, name: str) -> Remote:
    for remote in ws.remotes:
        if remote.name == name:
            return remote
    raise LookupError(f"{ws.name} has no remote named {name}")


def _commit(ws: Workspace, path: Path, subject: str) -> None:
    """Commit ``path`` in the workspace's repository as its owner, at its last commit's date."""
    import git

    from core.demo_git import _own_repositories_only, owner_and_start

    root = Path(ws.root)
    _, owner, _ = owner_and_start(root, ws.kind)
    with _own_repositories_only():
        repo = git.Repo(root)
        try:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
            repo.index.add([relative])
            when = f"{repo.head.commit.authored_date} +0000"
            actor = git.Actor(owner, owner)
            repo.index.commit(f"{subject}\n\n- {relative}\n", author=actor, committer=actor, author_date=when,
                              commit_date=when, skip_hooks=True)
        finally:
            repo.close()


@contextlib.contextmanager
def _crossdeck_home(home: Path) -> Iterator[None]:
    """The copy's own state dir and cache (the demo runs with ``CROSSDECK_HOME`` set to it)."""
    saved = os.environ.get("CROSSDECK_HOME")
    os.environ["CROSSDECK_HOME"] = str(home)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CROSSDECK_HOME", None)
        else:
            os.environ["CROSSDECK_HOME"] = saved
