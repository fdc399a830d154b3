"""Asking one remote for its work units: the A2A ``query`` from the shell (``crossdeck query``,
the design's ``remote query``).

The remote is one remote of the loaded local workspaces, named as ``crossdeck sync`` names it
(``core.sync.fetch_pool.targets_of``: its name, ``WORKSPACE:NAME``, or the workspace it serves);
a name several remotes answer to is refused with the ``WORKSPACE:NAME`` of each.

- An **HTTP remote** is asked now: ``GET info``, then ``POST query`` with the token kept for it
  (``crossdeck token add``), page after page (``core.sync.http_remote``). With no kind given,
  each work-unit kind the server offers is asked (``core.sync.http_sync.query_work_units``, as a
  sync does), and a kind our permissions there refuse is left out and named.
- A **git remote** is answered from what its last ``crossdeck sync`` fetched: the workspaces of
  the fetched commit (those the federation already holds as remote workspaces, else read from
  the cache's checkout), filtered here with the server's own filters (``core.query_filters``),
  and dated by that sync (the state store's ``last_sync_at``).

Nothing is written: a query is not a contact the store records. ``QueryUsageError`` (no such
remote, or an ambiguous name) is the CLI's usage error; ``QueryFailure`` (unreachable, refused,
never synced) its exit 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core import store, timeutil
from core.diagnostics import Diagnostics
from core.federation import Federation
from core.model import Workspace, WorkUnit
from core.query_filters import WORK_UNIT_KINDS, QueryFilters, matches
from core.store import RemoteState, iso
from core.sync import SyncError
from core.sync.fetch_pool import Target, targets_of

if TYPE_CHECKING:
    from core.sync.http_remote import HttpFailure

KINDS = WORK_UNIT_KINDS  # the kinds of work unit a query may name


class QueryUsageError(SyncError):
    """No loaded workspace has a remote of that name, or several do."""


class QueryFailure(SyncError):
    """The remote did not answer: unreachable, refused, or (git) never synced."""


class Item(msgspec.Struct, kw_only=True):
    """One work unit of the answer."""

    id: str
    key: str
    kind: str  # issue | spec | bead
    title: str
    status: str | None  # None: the item has no status (a sudocode spec)
    priority: int | None
    labels: list[str]
    assignee: str | None
    workspace: str  # the remote workspace that holds it
    updated_at: str | None


class Answer(msgspec.Struct, kw_only=True):
    """What a remote answered, and where the answer came from."""

    remote: str  # the remote's name in the local workspace's config
    workspace: str  # that local workspace
    transport: str  # git | http
    source: str  # http (asked now) | cache (the last sync)
    location: str  # the API endpoint, or the git location the cache was fetched from
    remote_workspaces: list[str]  # the workspaces that answered
    entity: str | None  # the kind asked for; None: every kind
    filters: dict[str, Any]  # status, labels (null when not given)
    as_of: str  # when the answer was true: now (http), the last sync (cache)
    synced_at: str | None = None  # cache: the last sync
    cache_status: str | None = None  # cache: synced | stale | unreachable (store.effective_status)
    last_error: str | None = None  # cache: why the last contact failed, when it did
    commit: str | None = None  # cache: the fetched commit
    refused: dict[str, str] = {}  # http, no kind given: the kinds our permissions there refuse, and why
    items: list[Item] = []


def pick_remote(workspaces: Iterable[Workspace], name: str) -> Target:
    """The one remote ``name`` picks among the local workspaces' remotes."""
    found = targets_of(workspaces, name)
    if not found:
        raise QueryUsageError(f"no loaded workspace has a remote named {name!r} (crossdeck remote list shows them)")
    if len(found) > 1:
        names = ", ".join(f"{t.remote.workspace}:{t.remote.name}" for t in found)
        raise QueryUsageError(f"{len(found)} remotes answer to {name!r}: name one as WORKSPACE:REMOTE ({names})")
    return found[0]


def make_filters(statuses: Sequence[str], labels: Sequence[str]) -> QueryFilters:
    """The query's filters from the command line (an empty list: not given)."""
    return QueryFilters(status=list(statuses) or None, labels=list(labels) or None)


def ask(fed: Federation, target: Target, entity: str | None, filters: QueryFilters, *,
        states: Mapping[tuple[str, str], RemoteState] | None = None, now: dt.datetime | None = None,
        ttl_seconds: int | None = None, cache_dir: Path | None = None) -> Answer:
    """The remote's work units of kind ``entity`` (every kind when None) that pass ``filters``:
    over HTTP for an HTTP remote, else from its synced cache. Raises QueryFailure."""
    moment = now or timeutil.now()
    if target.remote.transport == "http":
        return over_http(target, entity, filters, moment)
    return from_cache(fed, target, entity, filters, states, moment, ttl_seconds, cache_dir)


# -- over HTTP ----------------------------------------------------------------------------------
def over_http(target: Target, entity: str | None, filters: QueryFilters, moment: dt.datetime) -> Answer:
    from core.sync.git_remote import NotFetchable
    from core.sync.http_remote import HttpFailure, connect
    from core.sync.http_sync import decode_items, query_work_units

    remote = target.remote
    wanted = {k: v for k, v in msgspec.to_builtins(filters).items() if v is not None}
    try:
        client = connect(remote)
    except NotFetchable as exc:
        raise QueryFailure(f"{remote.name} (a remote of {remote.workspace}) is {exc}") from None
    refused: dict[str, str] = {}
    with client:
        try:
            info = client.info()
            if entity is None:
                raw, refused = query_work_units(client, info, wanted)
            else:
                raw = client.query_all(entity, wanted)
        except HttpFailure as exc:
            raise QueryFailure(http_failure_text(target, exc)) from None
    named = info.get("workspace")
    served = named if isinstance(named, str) else store.served_workspace(remote)
    units, _ = decode_items(raw, client.base, Diagnostics())
    return Answer(remote=remote.name, workspace=remote.workspace, transport=remote.transport, source="http",
                  location=client.base, remote_workspaces=[served], entity=entity, filters=_shown(filters),
                  as_of=iso(moment), refused=refused, items=items_of(units))


def http_failure_text(target: Target, exc: HttpFailure) -> str:
    """Why the remote did not answer, and what to do about it, on one line."""
    from core.sync.http_remote import token_for

    remote = target.remote
    who = f"{remote.name} (a remote of {remote.workspace})"
    if exc.status is None:
        return f"{who} cannot be reached: {exc}"
    if exc.status == 401:
        held = "the token kept for it was refused" if token_for(remote) else "we keep no token for it"
        return (f"{who} refused the query, {held}: {exc}; ask its maintainer for a token (`crossdeck token issue` "
                f"there) and keep it with `crossdeck token add {remote.name}` (it reads stdin)")
    if exc.status == 403:
        return (f"{who} refused the query: {exc}; our permissions there (permissions.query of its remote_repos "
                f"entry for {remote.workspace}) do not allow it: ask its maintainer")
    if exc.status == 429 or exc.status >= 500:
        return f"{who} could not answer now: {exc}; try again later"
    return f"{who} refused the query: {exc}"


# -- from the cache of a git remote -------------------------------------------------------------
def from_cache(fed: Federation, target: Target, entity: str | None, filters: QueryFilters,
               states: Mapping[tuple[str, str], RemoteState] | None, moment: dt.datetime,
               ttl_seconds: int | None, cache_dir: Path | None) -> Answer:
    from core.settings import dirs, load_settings
    from core.sync.git_remote import NotFetchable, location

    remote = target.remote
    known = states if states is not None else store.remote_states(diags=Diagnostics())
    state = known.get((remote.workspace, remote.name))
    try:
        where = location(remote, target.root)
    except NotFetchable as exc:
        raise QueryFailure(f"{remote.name} (a remote of {remote.workspace}) has no cache: it cannot be synced "
                           f"({exc})") from None
    if state is None or not state.fetched_ref or not state.last_sync_at:
        raise QueryFailure(f"{remote.name} (a remote of {remote.workspace}) was never synced: run "
                           f"`crossdeck sync {remote.name}` first")
    workspaces = cached_workspaces(fed, where, state.fetched_ref, cache_dir or dirs().cache)
    units = [u for ws in workspaces for u in ws.work_units
             if (entity is None or u.kind == entity) and matches(u, filters)]
    ttl = ttl_seconds if ttl_seconds is not None else load_settings().remote_ttl_seconds
    status = store.effective_status(state, moment, ttl)
    return Answer(remote=remote.name, workspace=remote.workspace, transport=remote.transport, source="cache",
                  location=where, remote_workspaces=[ws.name for ws in workspaces], entity=entity,
                  filters=_shown(filters), as_of=state.last_sync_at, synced_at=state.last_sync_at,
                  cache_status=status, last_error=state.last_error if status == store.UNREACHABLE else None,
                  commit=state.fetched_ref, items=items_of(units))


def cached_workspaces(fed: Federation, where: str, commit: str, cache_dir: Path) -> list[Workspace]:
    """The workspaces of the cache of ``where`` at ``commit``: the remote workspaces the federation
    read from that checkout, else (a local copy, or a fresher cache of the same workspace, was
    read instead) the checkout read now."""
    from core.sync.remote_workspaces import CheckoutError, checkout_dir, checkout_workspaces, materialise

    folder = checkout_dir(where, commit, cache_dir).resolve()
    loaded = [ws for ws in fed.workspaces if ws.remote_cache and Path(ws.root).resolve().is_relative_to(folder)]
    if loaded:
        return loaded
    try:
        checkout = materialise(where, commit, cache_dir)
    except CheckoutError as exc:
        raise QueryFailure(f"the cache cannot be read: {exc}") from None
    return list(checkout_workspaces(checkout, Diagnostics()))


# -- the answer -----------------------------------------------------------------------------------
def items_of(units: Iterable[WorkUnit]) -> list[Item]:
    """The answer's items, in key order (as the server pages them)."""
    return [Item(id=u.id, key=u.key, kind=u.kind, title=u.title, status=u.status, priority=u.priority,
                 labels=list(u.labels), assignee=u.assignee, workspace=u.workspace, updated_at=u.updated_at)
            for u in sorted(units, key=lambda u: u.key)]


def _shown(filters: QueryFilters) -> dict[str, Any]:
    return {"status": filters.status, "labels": filters.labels}
