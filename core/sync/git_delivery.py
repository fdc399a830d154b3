"""Cross-repo requests over git: the receiver reads them from its fetched copy of the sender.

Over git nothing is pushed: the sender records its request as ``outgoing`` in its own
``requests.jsonl`` and commits it (``core.sync.requests``); each workspace fetches the others it
has as remotes (``crossdeck sync``). So:

- **receiving** (``add_fetched_requests``, run wherever the fetched caches are read): a pending
  outgoing request in the cached copy of a remote, addressed to a local workspace that has that
  remote, shows in the receiver's requests as ``incoming`` and pending (``Request.fetched_from``
  names the copy), exactly once however many caches or syncs hold it, and only while the
  receiver's own log has no copy of it. Deciding it writes it into the receiver's log first
  (``core.sync.requests.deliver``), then the decision and what it creates, each committed there.
- **the outcome**: once the sender syncs the receiver, the receiver's copy in that cache says
  approved, rejected (with the reason) or completed (with the item): ``core.analysis.outgoing``
  shows the furthest along of the two logs.
- **sending** (``check_receiver``): the sender's copy of the receiver must show that the receiver
  has the sender among its remotes (or it would never fetch the request); without a copy yet the
  send is refused with "sync REMOTE first". ``delivery`` words what will happen.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from core.federation import Federation
from core.model import Remote, Request, RequestStatus, Workspace
from core.sources.federation_records import remote_name
from core.store import served_workspace
from core.sync import SyncError
from core.sync.git_remote import NotFetchable, cache_key, location


class NotReachableOverGit(SyncError):
    """The receiver would not see a request sent over git; the message says why and what to do."""


def names_of_remote(remote: Remote) -> set[str]:
    """Every name a remote record may give the workspace it leads to."""
    names = {remote.name, remote.url, served_workspace(remote), remote_name(remote.url)}
    git_url = remote.extra.get("git_url")
    if isinstance(git_url, str):
        names.add(git_url)
    return names


def cached_copies(fed: Federation, ws: Workspace, remote: Remote, cache_dir: Path | None = None) -> list[Workspace]:
    """The workspaces read from the fetched cache of ``ws``'s git remote ``remote``."""
    from core.settings import dirs

    try:
        where = location(remote, Path(ws.root))
    except NotFetchable:
        return []
    folder = (cache_dir or dirs().cache) / "checkouts" / cache_key(where)
    return [c for c in fed.workspaces if c.remote_cache and folder in Path(c.root).parents]


def add_fetched_requests(fed: Federation, cache_dir: Path | None = None) -> int:
    """Give each local workspace the pending requests its remotes' fetched copies address to it;
    how many were added."""
    from core.sync.requests import names_of

    added = 0
    for ws in fed.workspaces:
        if ws.remote_cache:
            continue
        mine = names_of(ws)
        held = {(r.request_id, r.from_repo) for r in ws.requests if r.direction == "incoming"}
        for remote in ws.remotes:
            if remote.transport != "git":
                continue
            for copy in cached_copies(fed, ws, remote, cache_dir):
                for req in copy.requests:
                    key = (req.request_id, req.from_repo)
                    if (req.direction != "outgoing" or req.status is not RequestStatus.PENDING
                            or req.to_repo not in mine or key in held):
                        continue
                    held.add(key)
                    ws.requests.append(msgspec.structs.replace(
                        req, direction="incoming", workspace=ws.name, fetched_from=copy.name))
                    added += 1
    return added


def check_receiver(fed: Federation, sender: Workspace, remote: Remote, to_repo: str) -> str:
    """Refuse (``NotReachableOverGit``) a request to the git remote ``remote`` that its receiver
    would never read; else the name the receiver knows the sender by (for the message)."""
    from core.sync.requests import names_of

    copies = cached_copies(fed, sender, remote)
    if not copies:
        raise NotReachableOverGit(
            f"{remote.name} has not been synced yet, so crossdeck cannot tell whether it reads requests from "
            f"{sender.name}: run `crossdeck sync {remote.name}` first")
    receiver = next((c for c in copies if to_repo in names_of(c)), copies[0] if len(copies) == 1 else None)
    if receiver is None:
        raise NotReachableOverGit(f"the fetched copy of {remote.name} holds no workspace {to_repo}")
    ours = names_of(sender)
    known = next((r for r in receiver.remotes if names_of_remote(r) & ours), None)
    if known is None:
        listed = ", ".join(sorted(r.name for r in receiver.remotes)) or "none"
        raise NotReachableOverGit(
            f"{receiver.name} (as of its last sync here) does not have {sender.name} among its remotes "
            f"(it has: {listed}), so it would never fetch the request; ask its maintainers to add it "
            f"(crossdeck remote add), then `crossdeck sync {remote.name}` and send again")
    return known.name


def fetched(request: Request) -> bool:
    return request.fetched_from is not None
