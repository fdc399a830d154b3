"""Provenance from git: the commits of each workspace's own repository, as audit events.

A workspace whose folder is the top of a git repository (``ROOT/.git``; a workspace that merely
sits inside a larger repository has no history of its own) contributes its newest commits to the
audit timeline (``crossdeck audit``): one event of type ``commit`` each, at the author's time, by
the author (the author's name when it is an actor name, one word such as ``web/crew/bob`` or
``bob@acme.dev``, as crossdeck and Gas Town write it; else, a person's name with spaces, the
author's email), with the commit's id and subject as payload.

Reading is bounded: at most ``max_commits`` (default ``MAX_COMMITS``) of the newest commits of the
current branch, and none older than ``since`` when it is given, in one ``git log`` per repository
(through GitPython), and the result is kept per repository and HEAD for the life of the process.

crossdeck's own actions write an audit line and commit it with a ``Crossdeck-Action:`` trailer
(``core.sync.gitcommit``): such a commit is left out here, so that each action is counted once,
as its audit line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from core.diagnostics import Diagnostics
from core.model import AuditEvent, Workspace

MAX_COMMITS = 1000
ORIGIN = "git-commit"
TRAILER = "Crossdeck-Action"  # core.sync.gitcommit.ACTION_TRAILER (sources do not import sync)
_FIELDS = ("%H", "%an", "%ae", "%aI", "%s", f"%(trailers:key={TRAILER},valueonly,separator=%x2C)")
_UNIT, _RECORD = "\x1f", "\x1e"
_cache: dict[tuple[str, str, int, str | None], list[AuditEvent]] = {}


def commit_events(workspaces: Iterable[Workspace], *, max_commits: int = MAX_COMMITS,
                  since: dt.datetime | None = None, diags: Diagnostics | None = None) -> list[AuditEvent]:
    """The commits of every local workspace's own repository (see the module's docstring)."""
    events: list[AuditEvent] = []
    for ws in workspaces:
        if not ws.remote_cache and (Path(ws.root) / ".git").exists():
            events += _commits_of(ws, max_commits, since, diags)
    return events


def _commits_of(ws: Workspace, max_commits: int, since: dt.datetime | None,
                diags: Diagnostics | None) -> list[AuditEvent]:
    try:
        import git
    except ImportError:  # GitPython refuses to import without the git executable
        return []
    try:
        repo = git.Repo(ws.root)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        return []
    with repo:
        try:
            head = repo.head.commit.hexsha
        except (ValueError, git.exc.GitError):  # no commit yet
            return []
        bound = since.astimezone(dt.UTC).isoformat() if since is not None else None
        key = (ws.root, head, max_commits, bound)
        if key not in _cache:
            args = [f"--max-count={max_commits}", "--format=" + _UNIT.join(_FIELDS) + _RECORD]
            if bound is not None:
                args.append(f"--since={bound}")
            try:
                text = repo.git.log(*args)
            except git.exc.GitCommandError as exc:
                if diags is not None:
                    diags.warning(ws.root, f"its git history could not be read: {str(exc).strip()[:200]}")
                return []
            _cache[key] = _parse(ws, text)
        return _cache[key]


def _parse(ws: Workspace, text: str) -> list[AuditEvent]:
    events = []
    for record in text.split(_RECORD):
        fields = record.strip("\n").split(_UNIT)
        if len(fields) != len(_FIELDS):
            continue
        sha, name, email, when, subject, action = fields
        if action.strip():  # crossdeck's own: its audit line says it
            continue
        events.append(AuditEvent(ts=when, actor=author_actor(name, email), type="commit", workspace=ws.name,
                                 payload={"commit": sha[:12], "subject": subject, "author": f"{name} <{email}>"},
                                 origin=ORIGIN, source=ws.root))
    return events


def author_actor(name: str, email: str) -> str | None:
    """Who a commit's author is as an actor: the name when it is one word (an actor name, as
    crossdeck and Gas Town write them), else the email (a person's ``First Last``)."""
    name, email = name.strip(), email.strip()
    if name and not any(c.isspace() for c in name):
        return name
    return email or name or None
