"""``cross_repo_watch``: what changed in a remote repository since a cursor, so that an agent can
poll. An HTTP remote is subscribed to (``watch_config``: the design's ``event_types`` and
``filters``) and its event stream read from the cursor, which is the server's event id (``0``:
every event the server still keeps); a git remote is synced (``crossdeck sync``) and the cursor
is the commit its cache held then: the answer lists the files that differ between that commit and
the one just fetched. Either way the answer's ``cursor`` is what to pass next time."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Sequence
from typing import Any

from core.mcp_tools.cli_call import run_verb
from core.mcp_tools.tools import ToolInputError, ToolSpec, _text

WAIT_DEFAULT = 1.0
WAIT_MOST = 30.0
EVENTS_MOST = 500

WATCH = ToolSpec(
    "cross_repo_watch", "Subscribe to changes in a remote repository and return what happened since a cursor: for "
    "an HTTP remote its events after the server's event id `cursor`, for a git remote (synced now) the files "
    "changed since the commit `cursor`. Pass the answer's cursor next time to poll.",
    {"repo_url": _text("the remote repository: its URL as configured, its name, or WORKSPACE:NAME"),
     "watch_config": {"type": "object", "description": "HTTP remotes: event_types (a list: item.updated, "
                      "request.completed, ...) and filters, as the design's subscribe takes them"},
     "cursor": _text("the cursor a previous call returned (none: HTTP every event the server keeps; git: "
                     "nothing changed before this sync)"),
     "wait_seconds": {"type": "number", "minimum": 0, "maximum": WAIT_MOST,
                      "description": f"HTTP: how long to wait for events (default {WAIT_DEFAULT})"}},
    "mcp-watch", lambda a: [], required=("repo_url",), remote=True)

_SUBSCRIPTIONS: dict[tuple[str, str, str], str] = {}  # (workspace, remote, watch config) -> subscription id


def watch(args: dict[str, Any], roots: Sequence[str]) -> dict[str, Any]:
    from core.mcp_tools.repos import resolve

    repo_url = args["repo_url"]
    target = resolve(repo_url, roots)
    if target is None:
        raise ToolInputError(f"no loaded workspace has a remote {repo_url!r} (crossdeck_remotes lists them)")
    answer: dict[str, Any] = {"repo_url": repo_url, "workspace": target.workspace, "remote": target.name,
                              "transport": target.transport, "since": args.get("cursor")}
    if target.transport == "http":
        return answer | _http_events(target.workspace, target.name, args, roots)
    return answer | _git_changes(target.qualified, args.get("cursor"), roots)


# -- git: sync, then what differs since the cursor's commit --------------------------------------
def _git_changes(qualified: str, cursor: str | None, roots: Sequence[str]) -> dict[str, Any]:
    from core.settings import dirs
    from core.sync.git_remote import cache_repo, is_commit_id

    outcome = run_verb(["sync", qualified, *roots])
    results = outcome.document.get("results") or []
    if outcome.failed or not results:
        raise ToolInputError(f"sync {qualified} did not run: {outcome.document.get('error') or outcome.stderr.strip()}")
    synced = results[0]
    head = synced.get("fetched_ref")
    base = cursor if cursor else synced.get("previous_ref")
    changes: list[dict[str, str]] | None = []
    note = None
    if cursor is not None and not is_commit_id(cursor):
        raise ToolInputError(f"cursor {cursor!r} is not a commit id (a git remote's cursor is the commit of a sync)")
    if head and base and base != head and synced.get("location"):
        changes = _diff(cache_repo(synced["location"], dirs().cache), base, head)
        if changes is None:
            note = f"commit {base[:12]} is no longer in the cache: the changes since it cannot be listed"
    return {"cursor": head, "changed": bool(head and base != head), "events": [],
            "files": changes, "note": note or _sync_note(synced), "sync": synced}


def _sync_note(synced: dict[str, Any]) -> str | None:
    if synced.get("result") == "ok":
        return None
    return f"sync {synced.get('result')}: {synced.get('error') or synced.get('reason') or 'no reason given'}"


def _diff(repo: Any, base: str, head: str) -> list[dict[str, str]] | None:
    from core.sync.git_remote import git_env

    done = subprocess.run(["git", "diff", "--name-status", "--no-renames", "-z", base, head], cwd=repo,
                          capture_output=True, env=git_env(repo), timeout=60, check=False)
    if done.returncode != 0:
        return None
    fields = done.stdout.decode("utf-8", "replace").split("\0")
    return [{"status": status, "path": path} for status, path in zip(fields[0::2], fields[1::2]) if status]


# -- HTTP: the subscription's events after the cursor --------------------------------------------
def _http_events(workspace: str, name: str, args: dict[str, Any], roots: Sequence[str]) -> dict[str, Any]:
    import msgspec

    from core.cli import load_roots
    from core.sync.http_remote import HttpFailure, connect
    from core.sync.remote_query import pick_remote

    config = args.get("watch_config") or {}
    if not isinstance(config, dict):
        raise ToolInputError("watch_config is an object (event_types, filters)")
    wait = min(max(float(args.get("wait_seconds", WAIT_DEFAULT)), 0.0), WAIT_MOST)
    cursor = args.get("cursor") or "0"
    fed = load_roots(list(roots))
    remote = pick_remote(fed.workspaces, f"{workspace}:{name}").remote
    key = (workspace, name, msgspec.json.encode(config).decode())
    events: list[dict[str, Any]] = []
    last = cursor
    try:
        with connect(remote) as client:
            sub = _SUBSCRIPTIONS.get(key)
            if sub is None:
                made = client.subscribe(f"mcp-watch-{uuid.uuid4().hex[:12]}", config.get("event_types") or (),
                                        config.get("filters") or None)
                sub = _SUBSCRIPTIONS[key] = str(made["subscription_id"])
            stop = threading.Event()
            timer = threading.Timer(wait, stop.set)
            timer.start()
            try:
                for event in client.events(sub, stop, last_event_id=cursor):
                    events.append({"id": event.id, "event": event.event, "data": event.data})
                    last = event.id or last
                    if len(events) >= EVENTS_MOST:
                        break
            finally:
                timer.cancel()
                stop.set()
    except HttpFailure as exc:
        _SUBSCRIPTIONS.pop(key, None)
        raise ToolInputError(f"{name} (a remote of {workspace}) refused the watch: {exc}") from None
    return {"cursor": last, "changed": bool(events), "events": events, "files": None,
            "note": None if len(events) < EVENTS_MOST else f"stopped after {EVENTS_MOST} events: call again",
            "subscription_id": sub}
