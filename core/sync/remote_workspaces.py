"""Remote workspaces: what a synced git remote holds, read at the fetched commit and loaded with
the normal loaders, so that it joins the graph beside the local workspaces; and what a synced
HTTP remote's snapshot holds (``core.sync.http_sync.snapshot_workspace``), the same way.

After a sync, the store names the commit each remote's cache holds (``fetched_ref``). That
commit's tree is written once, read-only, to ``CACHE/checkouts/<location hash>/<commit>``
(through GitPython's object database: one long-lived ``git cat-file`` process, PERF-NOTES "Git
reads"), into a temporary folder renamed into place, so a reader sees a whole checkout or none;
an unchanged commit reuses its folder. Symbolic links and submodules are not written; the two
newest checkouts of a location are kept.

Every workspace found in a checkout is loaded (``core.federation.load_workspace``) and marked
``remote_cache = True``. A remote whose workspace is loaded locally is not read again (the local
copy wins), and neither is a second cache of the same workspace (the freshest sync wins). A
remote's cache is read whatever its status (synced, stale or unreachable): the last state
fetched is the best one known; ``remote_caches`` says how fresh each one is. An HTTP remote's
snapshot (``store.http_snapshots``) is read when the remote is still configured, under the same
rules (local copy first, then the freshest).

The requests a remote's fetched copy addresses to a local workspace join that workspace's
requests as incoming (``core.sync.git_delivery``: git-native delivery).

The read verbs and the dashboard include them with one call, after ``load_federation``::

    from core.sync.remote_workspaces import include_remote_workspaces
    include_remote_workspaces(fed)        # appends to fed.workspaces and fed.diagnostics
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from core import timeutil
from core.diagnostics import Diagnostics
from core.federation import Federation, gc_paused, load_workspace
from core.model import Workspace
from core.sources.limits import ReadLimits
from core.store import RemoteState, Snapshot, effective_status, http_snapshots, remote_states, served_workspace
from core.sync.git_remote import NotFetchable, cache_key, cache_repo, git_env, is_commit_id, location

if TYPE_CHECKING:
    import git

CHECKOUTS_KEPT = 2
SCRATCH_MAX_AGE = 3600  # seconds
_UNSAFE = frozenset({"", ".", "..", ".git"})


class RemoteCache(msgspec.Struct, kw_only=True):
    """One remote's fetched cache, as it is read into the graph."""

    workspace: str  # the local workspace whose config names the remote
    remote: str
    remote_workspace: str  # the workspace it serves, as keys name it
    location: str
    commit: str
    last_sync_at: str | None
    status: str  # synced | stale | unreachable (store.effective_status)


class CheckoutError(Exception):
    """The cache cannot be read at that commit (gone, or corrupt)."""


def checkout_dir(where: str, commit: str, cache_dir: Path) -> Path:
    return cache_dir / "checkouts" / cache_key(where) / commit


def materialise(where: str, commit: str, cache_dir: Path) -> Path:
    """The tree of ``commit`` in the cache of ``where``, written read-only (once per commit)."""
    if not is_commit_id(commit):
        raise CheckoutError(f"{commit!r} is not a commit id; sync the remote again")
    target = checkout_dir(where, commit, cache_dir)
    if target.is_dir():
        return target
    import git
    import gitdb.exc

    repo_path = cache_repo(where, cache_dir)
    if not (repo_path / "HEAD").is_file():
        raise CheckoutError(f"the cache of {where} is gone ({repo_path}); sync the remote again")
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{commit[:12]}.", dir=target.parent))
    try:
        repo = git.Repo(repo_path)
        repo.git.update_environment(**git_env(repo_path))
        try:
            # Commit(repo, binsha), not repo.commit(sha): no header lookup, so one cat-file
            # process (--batch) serves the whole tree
            _write_tree(repo, git.Commit(repo, bytes.fromhex(commit)).tree, scratch)
        finally:
            repo.close()
        try:
            os.rename(scratch, target)
        except OSError:
            if not target.is_dir():  # another process put the same commit in place first: fine
                raise
    except (ValueError, git.GitError, gitdb.exc.ODBError, OSError) as exc:
        raise CheckoutError(f"the cache of {where} cannot be read at {commit[:12]}: {exc}") from None
    finally:
        if scratch.exists():
            _remove(scratch)
    _prune(target.parent, keep=target)
    return target


def _write_tree(repo: git.Repo, tree: git.Tree, dest: Path) -> None:
    odb = repo.odb
    for item in tree.traverse():
        parts = item.path.split("/")
        if any(p.casefold() in _UNSAFE or "\\" in p or "\0" in p for p in parts):
            continue
        path = dest.joinpath(*parts)
        if item.type == "tree":
            path.mkdir(exist_ok=True)
        elif item.type == "blob" and stat.S_ISREG(item.mode):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(odb.stream(item.binsha).read())
            path.chmod(0o555 if item.mode & 0o111 else 0o444)
        # symbolic links (they could point anywhere) and submodules are not written


def _prune(folder: Path, keep: Path) -> None:
    """Keep the newest checkouts of one location (``keep`` among them); drop the rest, and the
    scratch folders of checkouts a killed process left unfinished (over an hour old)."""
    try:
        entries = [(p, p.stat().st_mtime) for p in folder.iterdir() if p.is_dir()]
    except OSError:
        return
    done = sorted((e for e in entries if not e[0].name.startswith(".")), key=lambda e: e[1], reverse=True)
    for old, _ in [e for e in done if e[0] != keep][CHECKOUTS_KEPT - 1:]:
        _remove(old)
    for scratch, mtime in entries:
        if scratch.name.startswith(".") and time.time() - mtime > SCRATCH_MAX_AGE:
            _remove(scratch)


def _remove(path: Path) -> None:
    """Best effort: a checkout another process still reads, or cannot delete, stays."""
    shutil.rmtree(path, ignore_errors=True)


def remote_caches(fed: Federation, states: Mapping[tuple[str, str], RemoteState], now: dt.datetime,
                  ttl_seconds: int) -> list[RemoteCache]:
    """The caches to read: one per remote workspace that is not loaded locally (the freshest
    sync of it when several local workspaces name it), with its status at ``now``."""
    loaded = {ws.name for ws in fed.workspaces}
    best: dict[str, RemoteCache] = {}
    for ws in fed.workspaces:
        if ws.remote_cache:
            continue
        for remote in ws.remotes:
            state = states.get((ws.name, remote.name))
            served = served_workspace(remote)
            if state is None or not state.fetched_ref or served in loaded:
                continue
            try:
                where = location(remote, Path(ws.root))
            except NotFetchable:
                continue
            cache = RemoteCache(workspace=ws.name, remote=remote.name, remote_workspace=served, location=where,
                                commit=state.fetched_ref, last_sync_at=state.last_sync_at,
                                status=effective_status(state, now, ttl_seconds))
            current = best.get(served)
            if current is None or (cache.last_sync_at or "") > (current.last_sync_at or ""):
                best[served] = cache
    return sorted(best.values(), key=lambda c: c.remote_workspace)


def load_remote_workspaces(fed: Federation, states: Mapping[tuple[str, str], RemoteState], now: dt.datetime, *,
                           ttl_seconds: int | None = None, cache_dir: Path | None = None,
                           diags: Diagnostics | None = None,
                           snapshots: Mapping[tuple[str, str], Snapshot] | None = None,
                           limits: ReadLimits | None = None) -> list[Workspace]:
    """The workspaces of every remote cache (``remote_caches``), loaded and marked
    ``remote_cache``; a cache that cannot be read is a warning in ``diags``. ``limits``: of the
    local load (its ``records``: only those are read from a git checkout)."""
    from core.settings import dirs, load_settings

    diags = diags if diags is not None else Diagnostics()
    ttl = ttl_seconds if ttl_seconds is not None else load_settings().remote_ttl_seconds
    cache = cache_dir or dirs().cache
    names = {ws.name for ws in fed.workspaces}
    out: list[Workspace] = []
    with gc_paused():
        for entry in remote_caches(fed, states, now, ttl):
            try:
                checkout = materialise(entry.location, entry.commit, cache)
            except CheckoutError as exc:
                diags.warning(entry.location, f"remote {entry.remote} of {entry.workspace}: {exc}")
                continue
            for ws in checkout_workspaces(checkout, diags, limits):
                if ws.name not in names:
                    names.add(ws.name)
                    out.append(ws)
        out += snapshot_workspaces(fed, snapshots or {}, names, diags)
    return out


def checkout_workspaces(checkout: Path, diags: Diagnostics, limits: ReadLimits | None = None) -> Iterator[Workspace]:
    """Every workspace a checkout (``materialise``) holds, loaded and marked ``remote_cache``;
    what loading them said goes to ``diags``. Of ``limits`` only the record kinds to read count:
    a checkout is read within the default limits."""
    from core.sources.discover import discover

    only = ReadLimits(records=limits.records) if limits is not None else None
    for found in discover([checkout], diags):
        ws, found_diags = load_workspace(found.path, found.kind, only)
        diags.extend(found_diags)
        if ws is not None:
            ws.remote_cache = True
            yield ws


def snapshot_workspaces(fed: Federation, snapshots: Mapping[tuple[str, str], Snapshot], names: set[str],
                        diags: Diagnostics) -> list[Workspace]:
    """The workspaces of the HTTP snapshots of configured remotes whose workspace is not in
    ``names`` (loaded already): the freshest snapshot of each."""
    if not snapshots:
        return []  # nothing fetched over HTTP: the HTTP client (a tenth of a second to import) is not needed
    from core.sync.http_remote import endpoint
    from core.sync.http_sync import snapshot_workspace

    best: dict[str, tuple[Snapshot, str]] = {}
    for ws in fed.workspaces:
        if ws.remote_cache:
            continue
        for remote in ws.remotes:
            snapshot = snapshots.get((ws.name, remote.name))
            if remote.transport != "http" or snapshot is None or snapshot.remote_workspace in names:
                continue
            try:
                where = endpoint(remote)
            except NotFetchable:
                continue
            current = best.get(snapshot.remote_workspace)
            if current is None or snapshot.fetched_at > current[0].fetched_at:
                best[snapshot.remote_workspace] = (snapshot, where)
    out = []
    for served in sorted(best):
        ws = snapshot_workspace(*best[served], diags)
        if ws is not None:
            names.add(ws.name)
            out.append(ws)
    return out


def include_remote_workspaces(fed: Federation, states: Mapping[tuple[str, str], RemoteState] | None = None,
                              now: dt.datetime | None = None, *, ttl_seconds: int | None = None,
                              cache_dir: Path | None = None, limits: ReadLimits | None = None) -> list[Workspace]:
    """Append the remote workspaces to ``fed.workspaces`` (and what reading them said to
    ``fed.diagnostics``); returns the ones added. Reads the store when ``states`` is None;
    ``limits``: as ``load_remote_workspaces``."""
    diags = Diagnostics()
    if states is None:
        states = remote_states(diags=diags)
    added = load_remote_workspaces(fed, states, now or timeutil.now(), ttl_seconds=ttl_seconds, cache_dir=cache_dir,
                                   diags=diags, snapshots=http_snapshots(diags=Diagnostics()),  # quietly, as states
                                   limits=limits)
    fed.workspaces.extend(added)
    fed.diagnostics.extend(diags)
    from core.sync.git_delivery import add_fetched_requests

    add_fetched_requests(fed, cache_dir)
    return added
