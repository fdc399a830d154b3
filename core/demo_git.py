"""Each workspace of a demo copy becomes its own git repository with a short, believable history.

For every workspace (``core.sources.discover``) the history is:

1. **Set up**: by the workspace's owner, at its ``created_at`` (else the day before its first
   date), holding every file that holds no date (configuration) and everything written by then.
2. One commit per **changelog date** of a realm's contracts, so the contract files' history
   agrees with their changelogs (the stale analysis dates an undated change from it).
3. One commit per **week** over the four weeks before today, then one for the last days: the
   lines and files written in that window, authored by the actor who wrote most of them.

Authors follow the formats README's git convention: the author name is the actor (``BD_ACTOR``
form, ``mayor``, ``web/crew/bob``, or an entity id), the email the workspace owner (an actor that
is itself an e-mail address is its own email). Author and committer are the same and every date is
set explicitly, so nothing depends on the user's git configuration, and the same files and the
same ``today`` always give the same commits. The history is told from the files as they are now
(see ``core.demo_history``); the working tree is never touched: blobs go straight into the object
database, and the index is refreshed from the files at the end so ``git status`` is clean.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from core.demo_history import Author, FileHistory, file_history, main_actor, when_of
from core.diagnostics import Diagnostics
from core.model import Realm, SudocodeRepo, Town, WorkspaceKind
from core.timeutil import UTC

WEEKS = 4
_SKIP_DIRS = frozenset({".git"})
# Variables that would point git at another repository (a git hook sets some of them): unset
# while the demo's repositories are made, so nothing can touch the repository crossdeck runs in.
_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                 "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX")


@contextlib.contextmanager
def _own_repositories_only() -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in _GIT_LOCATION if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


class GitUnavailable(Exception):
    """git (or GitPython) is missing or refused: the demo goes on without history."""


class RepoReport(msgspec.Struct, kw_only=True):
    path: str
    workspace: str
    commits: int
    authors: list[str]


def _files(root: Path) -> list[str]:
    out: list[str] = []
    for folder, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
        base = Path(folder).relative_to(root)
        out += [(base / name).as_posix() for name in sorted(files) if not (Path(folder) / name).is_symlink()]
    return sorted(out)


def owner_and_start(path: Path, kind: WorkspaceKind) -> tuple[str, str, dt.datetime | None]:
    """(workspace name, owner, created_at) as the workspace's own files tell them."""
    from core.federation import load_workspace

    ws, _ = load_workspace(path, kind)
    if ws is None:
        return path.name, path.name, None
    info: Any = ws.info
    owner, created = path.name, None
    if isinstance(info, Town):
        owner, created = info.owner, info.created_at
    elif isinstance(info, Realm):
        approvers = info.governance.get("approvers") if isinstance(info.governance, dict) else None
        owner = approvers[0] if isinstance(approvers, list) and approvers and isinstance(approvers[0], str) else info.name
        created = info.created_at
    elif isinstance(info, SudocodeRepo):
        owner = info.name.split("/")[0] if "/" in info.name else info.name
    return ws.name, owner, when_of(created) if isinstance(created, str) else None


def _moments(histories: list[FileHistory], created: dt.datetime | None, cap: dt.datetime) -> list[dt.datetime]:
    """The end of each commit's window, oldest first; the first is the set-up commit."""
    dated = sorted(t for h in histories for t in h.times())
    start = created or (dated[0] - dt.timedelta(days=1) if dated else cap - dt.timedelta(weeks=WEEKS + 1))
    start = min(start, cap)
    today = dt.datetime(cap.year, cap.month, cap.day, tzinfo=UTC)
    marks = {today - dt.timedelta(weeks=w) for w in range(1, WEEKS + 1)} | {cap}
    marks |= {t for h in histories if h.own_commits for t in h.times()}
    return [start, *sorted(m for m in marks if m > start)]


def _git_date(moment: dt.datetime) -> str:
    return f"{int(moment.timestamp())} +0000"


class _Change(NamedTuple):
    path: str
    content: bytes
    times: list[dt.datetime]
    actors: list[Author]
    notes: list[str]


class _Planned(NamedTuple):
    """One commit to write: when, by whom, why, and the files it sets."""

    when: dt.datetime
    author: Author
    message: str
    files: list[tuple[str, bytes]]


def _message(first: bool, name: str, notes: list[str], paths: list[str]) -> str:
    if first:
        subject = f"Set up {name}"
    elif notes:
        subject = "; ".join(notes)
    else:
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        subject = f"Update {shown}"
    return subject + "\n\n" + "".join(f"- {path}\n" for path in paths)


def plan_history(histories: list[FileHistory], name: str, owner: Author, created: dt.datetime | None,
                 cap: dt.datetime) -> list[_Planned]:
    """The commits, oldest first. In each window, contract changes (dated by their changelog) and
    the other files written then are separate commits, in date order."""
    held: dict[str, bytes | None] = {h.path: None for h in histories}
    plans: list[_Planned] = []
    previous: dt.datetime | None = None
    for moment in _moments(histories, created, cap):
        groups: dict[bool, list[_Change]] = {True: [], False: []}
        for history in histories:
            content = history.content_at(moment)
            if content is None or content == held[history.path]:
                continue
            held[history.path] = content
            groups[history.own_commits].append(_Change(history.path, content, *history.changed(previous, moment)))
        previous = moment
        batches = [group for group in groups.values() if group]
        stamps = [max((t for c in group for t in c.times), default=moment) for group in batches]
        for stamp, group in sorted(zip(stamps, batches), key=lambda pair: pair[0]):
            first = not plans
            if plans and stamp <= plans[-1].when:
                stamp = plans[-1].when + dt.timedelta(minutes=1)
            author = owner if first else main_actor((a for c in group for a in c.actors), owner)
            paths = [c.path for c in group]
            message = _message(first, name, [n for c in group for n in c.notes], paths)
            plans.append(_Planned(moment if first else stamp, author, message, [(c.path, c.content) for c in group]))
    return plans


def make_repository(root: Path, kind: WorkspaceKind, today: dt.date) -> RepoReport:
    """Make ``root`` a git repository whose history ends with the files as they are now."""
    import git
    from gitdb import LooseObjectDB
    from gitdb.base import IStream

    cap = dt.datetime(today.year, today.month, today.day, 23, 59, 59, tzinfo=UTC)
    name, owner, created = owner_and_start(root, kind)
    paths = _files(root)
    histories = [file_history(p, (root / p).read_bytes(), cap, root) for p in paths]
    modes = {p: 0o100755 if os.stat(root / p).st_mode & 0o111 else 0o100644 for p in paths}
    plans = plan_history(histories, name, Author(owner, owner), created, cap)
    repo = git.Repo.init(root)
    try:
        (Path(repo.git_dir) / "HEAD").write_text("ref: refs/heads/main\n")  # whatever init.defaultBranch says
        blobs = LooseObjectDB(os.path.join(repo.git_dir, "objects"))  # written in-process: no git run per file
        for plan in plans:
            entries = []
            for path, content in plan.files:
                blob = blobs.store(IStream(git.Blob.type, len(content), io.BytesIO(content)))
                entries.append(git.BaseIndexEntry((modes[path], blob.binsha, 0, path)))
            repo.index.add(entries)
            actor = git.Actor(plan.author.name, plan.author.email or owner)
            repo.index.commit(plan.message, author=actor, committer=actor, author_date=_git_date(plan.when),
                              commit_date=_git_date(plan.when), skip_hooks=True)
        if plans:  # the index holds the right blobs but no stat data: record it so `git status` is clean
            repo.git.update_index("--refresh", "-q", with_exceptions=False)
    finally:
        repo.close()
    authors = list(dict.fromkeys(plan.author.name for plan in plans))
    return RepoReport(path=str(root), workspace=name, commits=len(plans), authors=authors)


def make_repositories(workspaces: Path, today: dt.date) -> list[RepoReport]:
    """Every workspace found below ``workspaces`` made a repository of its own. Raises
    GitUnavailable when git cannot be run."""
    from core.sources.discover import discover

    try:
        import git
    except ImportError as exc:  # GitPython refuses to import when the git executable is missing
        raise GitUnavailable(f"git is not available: {exc}") from exc
    reports = []
    with _own_repositories_only():
        for found in discover([workspaces], Diagnostics()):
            try:
                reports.append(make_repository(found.path, found.kind, today))
            except (git.exc.GitError, OSError) as exc:
                raise GitUnavailable(f"{found.path}: git failed: {exc}") from exc
    return reports
