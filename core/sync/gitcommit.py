"""Committing one action's change to the git repository that holds the workspace.

``commit_change`` stages exactly the paths an action wrote and commits them, with the actor as
author and committer name and the workspace owner as email (the formats README's ``BD_ACTOR`` /
``GIT_AUTHOR_NAME`` convention; an actor that is itself an e-mail address is its own email), and
every date set explicitly, so nothing depends on the user's git configuration (CI has none) and
no hook runs. It is all done in-process with GitPython (no git subprocess: a killed process never
leaves a half-fed git command behind): blobs and the few trees on the changed
paths' way to the root go straight into the object database, the commit is made on top of HEAD
from HEAD's tree (never from the index: what the user has staged for other paths stays staged and
uncommitted), the branch moves, and the index entries of those paths (only those) are set to the
committed blobs so ``git status`` shows them clean.

Two crossdeck processes never commit to one repository at once: a second lock, on the
repository (several workspaces can share one), is held around each commit. A process killed in
the middle of a commit can leave git's own lock files (``index.lock``, ``HEAD.lock``, a ref's or
reflog's ``.lock``) behind, which would refuse every later commit. So a commit first writes a
marker (``<git dir>/crossdeck-commit.json``: pid and paths) and removes it when done; the next
commit that finds the marker (while holding the repository lock, so the process that wrote it is
gone) removes those lock files and sets the index entries of the interrupted paths back to HEAD's
(the change stays in the working tree, and the next commit of those paths carries it).

When the workspace is in no repository nothing is committed and the outcome says so. A read
never commits: only the actions in ``core.sync`` call this.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core.atomic import write_bytes_atomic
from core.model import Realm, SudocodeRepo, Town, Workspace
from core.sync import SyncError
from core.sync.lock import workspace_lock
from core.workspace_paths import leads_out

if TYPE_CHECKING:
    import git

MARKER = "crossdeck-commit.json"
_TREE_MODE = 0o040000
_NOT_COMMITTED = "the workspace is not in a git repository: the change is written, not committed"
_UNCHANGED = "nothing to commit: the files are as HEAD has them"


class CommitError(SyncError):
    """The change is written but could not be committed; the message says why."""


class CommitOutcome(msgspec.Struct, kw_only=True, frozen=True):
    """What became of an action's change in git."""

    sha: str | None  # the new commit; None when nothing was committed
    repository: str | None  # the repository's working tree; None when the workspace is in none
    note: str  # "committed", or why nothing was
    failed: bool = False  # git refused: the change is written but not committed (note says why)


def workspace_owner(ws: Workspace) -> str:
    """Who owns a workspace, the email of the commits made in it: a town's owner, a sudocode
    repo's organisation, a realm's first approver (else its name), a beads folder's name."""
    info: Any = ws.info
    if isinstance(info, Town):
        return info.owner
    if isinstance(info, SudocodeRepo):
        return info.name.split("/")[0]
    if isinstance(info, Realm):
        approvers = info.governance.get("approvers")
        if isinstance(approvers, list) and approvers and isinstance(approvers[0], str):
            return approvers[0]
        return info.name
    return Path(ws.root).name


def author_email(actor: str, owner: str) -> str:
    """The email of a commit by ``actor`` in a workspace owned by ``owner``."""
    return actor if "@" in actor and "/" not in actor else owner


def commit_workspace(ws: Workspace, paths: Sequence[Path], actor: str, message: str,
                     now: dt.datetime) -> CommitOutcome:
    """``commit_change`` for an action on ``ws``, with its owner as email; a commit git refuses
    is an outcome with ``failed`` set (the action's change is written either way)."""
    try:
        return commit_change(Path(ws.root), paths, actor, message, workspace_owner(ws), now)
    except CommitError as exc:
        return CommitOutcome(sha=None, repository=None, note=str(exc), failed=True)


def commit_change(root: Path, paths: Sequence[Path], actor: str, message: str, owner_email: str,
                  now: dt.datetime) -> CommitOutcome:
    """Commit ``paths`` (files an action just wrote, below ``root``) as ``actor`` at ``now``, the
    message ending with a ``Crossdeck-Action:`` trailer naming the action (its subject's first
    word), by which the audit timeline knows the commit's audit line already tells it
    (``core.sources.git_history``).

    Raises ``CommitError`` when git refuses; the change itself is already written then."""
    message = with_trailer(message)
    try:
        import git
    except ImportError as exc:  # GitPython refuses to import when the git executable is missing
        raise CommitError(f"git is not available ({exc}); the change is written, not committed") from None
    try:
        repo = git.Repo(root, search_parent_directories=True, odbt=_object_db())
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        return CommitOutcome(sha=None, repository=None, note=_NOT_COMMITTED)
    with repo:
        if repo.bare or repo.working_tree_dir is None:
            return CommitOutcome(sha=None, repository=None, note=_NOT_COMMITTED)
        workdir = Path(repo.working_tree_dir).resolve()
        rels = sorted({_relative(Path(p), workdir) for p in paths})
        outside = [str(p) for p in paths if leads_out(p, os.path.realpath(root))]
        if outside:
            raise CommitError(f"{', '.join(outside)}: outside the workspace at {root}; nothing committed")
        try:
            with workspace_lock(Path(repo.git_dir)):
                sha = _commit(repo, workdir, rels, actor, message, author_email(actor, owner_email), now)
        except (git.exc.GitError, OSError, ValueError) as exc:
            raise CommitError(f"the change is written but could not be committed to {workdir}: {exc}") from None
        return CommitOutcome(sha=sha, repository=str(workdir), note="committed" if sha else _UNCHANGED)


ACTION_TRAILER = "Crossdeck-Action"


def with_trailer(message: str) -> str:
    """``message`` with a ``Crossdeck-Action: VERB`` trailer (once)."""
    if f"\n{ACTION_TRAILER}: " in message:
        return message
    verb = (message.split(None, 1) or ["action"])[0]
    return message.rstrip("\n") + f"\n\n{ACTION_TRAILER}: {verb}\n"


@functools.cache
def _object_db() -> type:
    """GitPython's default object database, writing loose objects in-process (a temp file, then a
    rename) instead of through ``git hash-object --literally`` fed by a pipe: a process killed
    while feeding that pipe leaves a bogus, empty object behind, which ``git fsck`` rejects."""
    from git.db import GitCmdObjectDB
    from gitdb.db import LooseObjectDB

    class InProcessWrites(GitCmdObjectDB):
        def store(self, istream: Any) -> Any:
            return LooseObjectDB.store(self, istream)

    return InProcessWrites


def _relative(path: Path, workdir: Path) -> str:
    try:
        return path.resolve().relative_to(workdir).as_posix()
    except ValueError:
        raise CommitError(f"{path} is outside the repository at {workdir}; nothing committed") from None


def _commit(repo: git.Repo, workdir: Path, rels: list[str], actor: str, message: str, email: str,
            now: dt.datetime) -> str | None:
    import git

    marker = Path(repo.git_dir) / MARKER
    recover(repo)
    write_bytes_atomic(marker, msgspec.json.encode({"pid": os.getpid(), "paths": rels}))
    entries = [_blob_entry(repo, workdir, rel) for rel in rels]
    try:
        parent = repo.head.commit
    except ValueError:  # an unborn branch: the first commit
        parent = None
    base = parent.tree.binsha if parent is not None else None
    tree = _write_tree(repo, base, _nest(entries))
    if parent is not None and tree == base:
        marker.unlink()
        return None
    person = git.Actor(actor, email)
    when = f"{int(now.timestamp())} +0000"
    commit = git.Commit.create_from_tree(repo, tree.hex(), message, parent_commits=[parent] if parent else [],
                                         head=True, author=person, committer=person, author_date=when,
                                         commit_date=when)
    _set_index(repo, entries)
    marker.unlink()
    return commit.hexsha


def recover(repo: git.Repo) -> bool:
    """Clean up after a crossdeck commit that was killed midway (see the module's docstring);
    True when there was one. Call it only while holding the repository's lock."""
    git_dir = Path(repo.git_dir)
    marker = git_dir / MARKER
    if not marker.is_file():
        return False
    try:
        paths = msgspec.json.decode(marker.read_bytes()).get("paths") or []
    except (msgspec.DecodeError, AttributeError):
        paths = []
    for lock in [*git_dir.glob("*.lock"), *git_dir.glob("refs/**/*.lock"), *git_dir.glob("logs/**/*.lock")]:
        lock.unlink(missing_ok=True)
    try:
        head = repo.head.commit.tree
    except ValueError:
        head = None
    if paths:
        _reset_index(repo, head, [p for p in paths if isinstance(p, str)])
    marker.unlink()
    return True


def _blob_entry(repo: git.Repo, workdir: Path, rel: str) -> Any:
    """The index entry (mode, blob sha, stage 0, path) of the file ``rel`` as it is now."""
    from git import Blob
    from git.index.typ import BaseIndexEntry
    from gitdb.base import IStream

    path = workdir / rel
    data = path.read_bytes()
    mode = 0o100755 if os.stat(path).st_mode & 0o111 else 0o100644
    stored = repo.odb.store(IStream(Blob.type, len(data), io.BytesIO(data)))
    return BaseIndexEntry((mode, stored.binsha, 0, rel))


def _nest(entries: Sequence[Any]) -> dict[str, Any]:
    """``a/b/c`` entries as nested mappings: folder name -> mapping, file name -> (sha, mode)."""
    tree: dict[str, Any] = {}
    for entry in entries:
        *folders, name = entry.path.split("/")
        node = tree
        for folder in folders:
            node = node.setdefault(folder, {})
        node[name] = (entry.binsha, entry.mode)
    return tree


def _write_tree(repo: git.Repo, base: bytes | None, changes: dict[str, Any]) -> bytes:
    """The sha of the tree ``base`` with ``changes`` applied; only the trees on the changed paths
    are read and written (a repository of any size costs a few objects)."""
    from git import Tree
    from git.objects.fun import tree_entries_from_data, tree_to_stream
    from gitdb.base import IStream

    items: dict[str, tuple[bytes, int]] = {}
    if base is not None:
        items = {name: (sha, mode) for sha, mode, name in tree_entries_from_data(repo.odb.stream(base).read())}
    for name, change in changes.items():
        if isinstance(change, dict):
            current = items.get(name)
            below = current[0] if current is not None and current[1] == _TREE_MODE else None
            items[name] = (_write_tree(repo, below, change), _TREE_MODE)
        else:
            items[name] = change
    # git orders a tree's entries by name, a folder's name as if it ended with "/"
    ordered = sorted(items.items(), key=lambda kv: kv[0].encode() + (b"/" if kv[1][1] == _TREE_MODE else b""))
    stream = io.BytesIO()
    tree_to_stream([(sha, mode, name) for name, (sha, mode) in ordered], stream.write)
    data = stream.getvalue()
    return repo.odb.store(IStream(Tree.type, len(data), io.BytesIO(data))).binsha  # type: ignore[no-any-return]


def _set_index(repo: git.Repo, entries: Sequence[Any]) -> None:
    """The index entries of these paths set to the committed blobs; every other entry kept."""
    from git.index.typ import IndexEntry

    index = repo.index
    for entry in entries:
        index.entries[(entry.path, 0)] = IndexEntry.from_base(entry)
    index.write(ignore_extension_data=True)


def _reset_index(repo: git.Repo, head: Any, paths: list[str]) -> None:
    """The index entries of ``paths`` set back to HEAD's (dropped where HEAD has none)."""
    from git.index.typ import BaseIndexEntry, IndexEntry

    index = repo.index
    for rel in paths:
        try:
            blob = head / rel if head is not None else None
        except KeyError:
            blob = None
        if blob is None:
            index.entries.pop((rel, 0), None)
        else:
            index.entries[(rel, 0)] = IndexEntry.from_base(BaseIndexEntry((blob.mode, blob.binsha, 0, rel)))
    index.write(ignore_extension_data=True)
