"""Git remotes: where a remote is fetched from, the transport check (``git ls-remote``) and the
fetch into a bare cache repository, through GitPython, each with a timeout.

A remote's location is its ``git_url`` when it has one, else its ``url`` (docs/formats.md): any
URL git accepts (``file://``, ``ssh://``, ``https://``, ``user@host:path``) or a path, which is
relative to the root of the workspace whose config names the remote. A sudocode identity URL
(``github.com/org/repo``) with no ``git_url`` names a repository but is not a location: it is
not fetchable, and neither is an HTTP remote (``core.sync.http_remote`` contacts those).

Each remote location has one bare cache repository, ``CACHE/remotes/<hash of the location>``;
a fetch takes the remote's ``HEAD`` (depth 1: only the tip is read) into
``refs/crossdeck/fetched`` under a lock on that cache, so two remotes (or two processes) that
fetch the same location never interleave; the lock files a killed fetch leaves (our timeout
kills git) are cleared before the next one. git never prompts (``GIT_TERMINAL_PROMPT=0``, ssh in
batch mode), never runs the ``ext::`` transport, and is killed after the timeout. Nothing here
touches the store or retries: ``core.sync.fetch_pool`` does.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path
from typing import Any, NamedTuple

from core.model import Remote
from core.sync.retry import ContactFailure

FETCHED_REF = "refs/crossdeck/fetched"
CHECK_TIMEOUT = 10.0
FETCH_TIMEOUT = 60.0

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"^(?:[^@/:]+@)?[^/:]{2,}:(?!//)")  # user@host:path, host:path (not C:\ on Windows)
# git's words for "there is no such repository" (or nothing in it): retrying will not change that
_NO_REPOSITORY = re.compile(r"does not appear to be a git repository|repository .* not found|couldn't find remote ref",
                            re.IGNORECASE)
_IDENTITY = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/[^/]+/[^/]+$")  # github.com/org/repo


class NotFetchable(Exception):
    """The remote has no location its transport can reach (an identity URL with no git_url, an
    HTTP remote with no http(s) URL): not an error, and not a contact: nothing is recorded."""


class GitFailure(ContactFailure):
    """git could not reach or read the remote. ``permanent`` failures (nothing at a local path,
    no repository there, git missing) are not retried; the rest (refused connections, timeouts,
    servers) are."""


class Contact(NamedTuple):
    """A successful contact: the commit the remote's HEAD names (or the fetched one; an HTTP
    snapshot's digest), how long it took, and what else the transport learnt (HTTP: the server's
    view of us, ``core.sync.http_sync.Seen``)."""

    commit: str | None
    latency_ms: float
    seen: Any = None


def location(remote: Remote, root: Path) -> str:
    """Where git fetches ``remote`` from; raises NotFetchable when it cannot."""
    if remote.transport != "git":
        raise NotFetchable("not fetched with git: an HTTP remote")
    git_url = remote.extra.get("git_url")
    given = isinstance(git_url, str) and bool(git_url.strip())
    raw = (git_url if given else remote.url).strip()  # type: ignore[union-attr]
    if not raw or raw.startswith("-") or any(ord(c) < 32 for c in raw):
        raise NotFetchable(f"not fetchable: {raw!r} is not a location git can fetch")
    if raw.startswith(("ext::", "fd::")):
        raise NotFetchable(f"not fetchable: the {raw.split('::')[0]}:: transport is never run")
    if _SCHEME.match(raw) or _SCP.match(raw):
        return raw
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else Path(root) / path
    if not given and not path.exists() and _IDENTITY.match(raw):
        raise NotFetchable(f"not fetchable: {raw} names a repository but is not a location; give the remote a git_url")
    return str(Path(os.path.abspath(path)))


def local_path(where: str) -> Path | None:
    """The folder a location names on this machine (a path or a ``file://`` URL), else None."""
    if where.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return Path(unquote(urlsplit(where).path))  # git decodes %20 and friends too
    if _SCHEME.match(where) or _SCP.match(where):
        return None
    return Path(where)


def cache_key(where: str) -> str:
    return hashlib.sha1(where.encode("utf-8")).hexdigest()[:20]


def cache_repo(where: str, cache_dir: Path) -> Path:
    """The bare cache repository of a location."""
    return cache_dir / "remotes" / cache_key(where)


def ls_remote(where: str, timeout: float = CHECK_TIMEOUT) -> Contact:
    """The transport check: ``git ls-remote LOCATION HEAD``. Raises GitFailure."""
    _require_local(where)
    start = time.perf_counter()
    out = _git(["ls-remote", "--", where, "HEAD"], timeout)
    latency = (time.perf_counter() - start) * 1000
    head = next((line.split("\t", 1)[0] for line in out.splitlines() if line.endswith("\tHEAD")), None)
    return Contact(head, latency)


def fetch(where: str, cache_dir: Path, timeout: float = FETCH_TIMEOUT) -> Contact:
    """Fetch the remote's HEAD into its bare cache repository; returns the fetched commit."""
    from filelock import FileLock, Timeout

    _require_local(where)
    repo_path = cache_repo(where, cache_dir)
    try:
        repo_path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(repo_path) + ".lock", timeout=timeout):
            if not (repo_path / "HEAD").is_file():
                _init_bare(repo_path)
            _clear_stale_locks(repo_path)
            start = time.perf_counter()
            _git(["fetch", "--no-tags", "--quiet", "--depth=1", "--", where, f"+HEAD:{FETCHED_REF}"], timeout,
                 repo_path)
            latency = (time.perf_counter() - start) * 1000
            commit = _read_ref(repo_path, FETCHED_REF)
    except Timeout:
        raise GitFailure(f"another fetch of {where} held the cache for {timeout:g} s") from None
    except OSError as exc:
        raise GitFailure(f"cannot write the cache {repo_path}: {exc.strerror or exc}", permanent=True) from None
    if commit is None:
        raise GitFailure(f"the fetch of {where} left no {FETCHED_REF} in {repo_path}")
    return Contact(commit, latency)


def is_commit_id(text: str) -> bool:
    return bool(_SHA.fullmatch(text))


def fetched_commit(where: str, cache_dir: Path) -> str | None:
    """The commit the cache of ``where`` holds, or None (never fetched, or the cache is gone)."""
    return _read_ref(cache_repo(where, cache_dir), FETCHED_REF)


def _read_ref(repo_path: Path, ref: str) -> str | None:
    """A ref of a repository we made, read from its files (a loose ref, else packed-refs): no git
    process for what one small file says."""
    try:
        loose = (repo_path / ref).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        loose = ""
    if _SHA.fullmatch(loose):
        return loose
    try:
        packed = (repo_path / "packed-refs").read_text("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in packed:
        sha, _, name = line.partition(" ")
        if name == ref and _SHA.fullmatch(sha):
            return sha
    return None


def _clear_stale_locks(repo_path: Path) -> None:
    """Remove the lock files a killed git left in a cache (our own timeout kills with SIGKILL);
    with the cache's lock held, no git of ours is running on it, and nothing else uses it."""
    for lock in [*repo_path.glob("*.lock"), *(repo_path / "refs").rglob("*.lock")]:
        lock.unlink(missing_ok=True)


def _init_bare(path: Path) -> None:
    """An empty bare repository at ``path`` (gitrepository-layout's minimum), written here rather
    than by ``git init``, which refuses to run when a git hook's GIT_WORK_TREE is in the
    environment (and the environment cannot be unset through GitPython)."""
    import shutil
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for folder in ("objects/info", "objects/pack", "refs/heads", "refs/tags"):
            (scratch / folder).mkdir(parents=True)
        (scratch / "HEAD").write_text("ref: refs/heads/main\n")
        (scratch / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n")
        if path.exists():
            shutil.rmtree(path)  # a cache left half-made: it only ever holds fetched data
        os.rename(scratch, path)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)


def git_env(repo_path: Path | None = None) -> dict[str, str]:
    """The environment our git commands run with: no prompts, and (for a cache repository) the
    location variables pointing at that repository, whatever the caller's environment (a git hook
    sets some) says."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    if not os.environ.get("GIT_SSH_COMMAND") and not os.environ.get("GIT_SSH"):
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=10"
    if repo_path is not None:
        env.update(GIT_DIR=str(repo_path), GIT_COMMON_DIR=str(repo_path),
                   GIT_OBJECT_DIRECTORY=str(repo_path / "objects"))
        inherited = {"GIT_WORK_TREE": str(repo_path), "GIT_INDEX_FILE": str(repo_path / "index"),
                     "GIT_ALTERNATE_OBJECT_DIRECTORIES": "", "GIT_NAMESPACE": "", "GIT_PREFIX": ""}
        env.update({name: value for name, value in inherited.items() if name in os.environ})
    return env


def _git(args: list[str], timeout: float, repo_path: Path | None = None) -> str:
    """Run one git command through GitPython; its failure becomes a GitFailure with git's own
    last words (``fatal: ...``) as the message."""
    import git

    runner = git.Git(str(repo_path) if repo_path else None)
    command = ["git", "-c", "protocol.ext.allow=never", *args]
    try:
        return str(runner.execute(command, kill_after_timeout=timeout, env=git_env(repo_path),
                                  strip_newline_in_stdout=False))
    except git.GitCommandError as exc:
        message = _message(exc, timeout)
        raise GitFailure(message, permanent=bool(_NO_REPOSITORY.search(message))) from None
    except (git.GitCommandNotFound, OSError) as exc:
        raise GitFailure(f"git cannot be run: {exc}", permanent=True) from None


def _message(exc: object, timeout: float) -> str:
    stderr = getattr(exc, "stderr", "") or ""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr)
    if "did not complete in" in text or "timed out. kill_after_timeout" in text:
        return f"timed out after {timeout:g} s"
    lines = [line.strip() for line in text.replace("stderr:", "").splitlines() if line.strip().strip("'")]
    lines = [line.strip("'").strip() for line in lines]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    picked = (fatal or lines or [f"git exited with status {getattr(exc, 'status', '?')}"])[0]
    return picked.removeprefix("fatal: ").removeprefix("error: ")


def _require_local(where: str) -> None:
    """A local location that does not exist fails at once, and for good (no retry)."""
    path = local_path(where)
    if path is not None and not path.exists():
        raise GitFailure(f"no repository at {path}", permanent=True)
