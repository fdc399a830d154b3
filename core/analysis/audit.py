"""The audit trail: one timeline of every workspace's events, newest first, with filters.

Sources (already read into ``Workspace.audit`` by the loaders): town ``.events.jsonl`` /
``.feed.jsonl``, beads backup ``events.jsonl``, and the federation audit log
(``.sudocode/federation/audit.jsonl``, ``.crossdeck/audit.jsonl``); and, where the caller reads
them (``core.sources.git_history``), each workspace repository's git commits.

Who acted for whom (``Affiliations``) is the rule the org filters here and in the aggregation
queries share:

* an actor that is an entity id (a known entity, an employer or employee in an employment
  record, a town owner, or anything with ``@`` or a dotted domain such as ``acme.com``) is that
  entity; an actor equal to a known entity's display name (sudocode writes names) is that
  entity, when only one entity has that name (case ignored);
* any other actor in a town (``BD_ACTOR`` form: ``mayor``, ``greenplace/crew/joe``, ...) acts for
  the town's owner (the ``OWNER`` of ``hop://OWNER/TOWN``); names are town-local, so it is read
  in the workspace that holds the record;
* outside towns, a plain name (no ``/``) that is the part before ``@`` of exactly one known
  entity id is that entity (sudocode's ``alice`` is ``alice@acme.dev``); else it is nobody's;
* an event of a federation audit log with ``direction: incoming`` was made from its
  ``remote_repo``: its actor is read in that workspace (a town actor of ``hop://globex.io/payments``
  writing into a realm's log acts for ``globex.io``);
* an entity belongs to an organisation when it is the organisation, or is employed by it,
  directly or through employers that are themselves employed by it.

The timeline is sorted once (``AuditTimeline``); each query then cuts its time window by bisection
and tests the other filters on what is left, so a 100k-event filter costs milliseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from core.model import AuditEvent, Town, Workspace
from core.timeutil import UTC, parse_ts


# -- who is who ---------------------------------------------------------------------------------
class Affiliations:
    """Actors -> the entity they act for -> the organisations that entity belongs to."""

    def __init__(self, workspaces: Iterable[Workspace]):
        self._employers: defaultdict[str, set[str]] = defaultdict(set)
        self._employees: defaultdict[str, set[str]] = defaultdict(set)
        self._known: set[str] = set()
        names: defaultdict[str, set[str]] = defaultdict(set)  # display name (folded) -> ids
        handles: defaultdict[str, set[str]] = defaultdict(set)  # part before @ (folded) -> ids
        self._town_owner: dict[str, str] = {}
        for ws in workspaces:
            for job in ws.employments:
                self._employers[job.entity].add(job.organization)
                self._employees[job.organization].add(job.entity)
                self._known.update((job.entity, job.organization))
            for entity in ws.entities:
                self._known.add(entity.id)
                if entity.display_name:
                    names[entity.display_name.casefold()].add(entity.id)
            if isinstance(ws.info, Town):
                self._town_owner[ws.name] = ws.info.owner
                self._known.add(ws.info.owner)
        for ident in self._known:
            local, at, _ = ident.partition("@")
            if at and local:
                handles[local.casefold()].add(ident)
        self._by_name = _unique(names)
        self._by_handle = _unique(handles)
        self._cache: dict[tuple[str, str], str | None] = {}
        self._members: dict[str, frozenset[str]] = {}

    def entity_of(self, actor: str | None, workspace: str) -> str | None:
        """The entity ``actor`` acts for, in ``workspace``; None when the rule above finds none."""
        if not actor:
            return None
        cache_key = (actor, workspace)
        try:
            return self._cache[cache_key]
        except KeyError:
            pass
        if actor in self._known or _ENTITY_ID.match(actor):
            entity: str | None = actor
        else:
            folded = actor.casefold()
            entity = self._by_name.get(folded) or self._owner_of(workspace)
            if entity is None and "/" not in actor:
                entity = self._by_handle.get(folded)
        self._cache[cache_key] = entity
        return entity

    def entity_of_event(self, event: AuditEvent) -> str | None:
        return self.entity_of(event.actor, acting_from(event))

    def _owner_of(self, workspace: str) -> str | None:
        owner = self._town_owner.get(workspace)
        if owner is None and workspace.startswith("hop://"):
            owner = workspace[len("hop://"):].split("/", 1)[0] or None
        return owner

    def members(self, org: str) -> frozenset[str]:
        """``org`` and every entity employed by it, directly or through other employers."""
        found = self._members.get(org)
        if found is None:
            seen = {org}
            stack = [org]
            while stack:
                for employee in self._employees.get(stack.pop(), ()):
                    if employee not in seen:
                        seen.add(employee)
                        stack.append(employee)
            found = self._members[org] = frozenset(seen)
        return found

    def organizations(self) -> list[str]:
        """Every organisation that employs someone, sorted."""
        return sorted(self._employees)

    def is_known(self, entity: str) -> bool:
        """True for an entity some record names (employment, entity record, town owner)."""
        return entity in self._known


def _unique(found: dict[str, set[str]]) -> dict[str, str]:
    return {name: next(iter(ids)) for name, ids in found.items() if len(ids) == 1}


# user@host, or a dotted domain name without slashes (acme.com)
_ENTITY_ID = re.compile(r"^(?:[^/\s@]+@[^/\s]+|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")


def acting_from(event: AuditEvent) -> str:
    """The workspace an event's actor acted from: the requesting ``remote_repo`` of an incoming
    federation-audit entry, else the workspace whose log holds it."""
    if event.origin == _FEDERATION and event.payload.get("direction") == "incoming":
        remote = event.payload.get("remote_repo")
        if isinstance(remote, str) and remote:
            return remote
    return event.workspace


def actor_matches(actor: str | None, pattern: str) -> bool:
    """``pattern`` is the actor, or a leading part of it cut at a ``/``: ``greenplace/`` and
    ``greenplace`` both match ``greenplace/crew/joe``; ``green`` does not."""
    if not actor:
        return False
    if actor == pattern:
        return True
    prefix = pattern if pattern.endswith("/") else pattern + "/"
    return actor.startswith(prefix)


def workspace_matches(name: str, pattern: str) -> bool:
    """The full workspace name, or its last segment(s): ``main-town`` matches
    ``hop://steve@example.com/main-town``, ``web`` and ``acme/web`` match ``acme/web``."""
    return name == pattern or name.endswith("/" + pattern.lstrip("/"))


# -- time ---------------------------------------------------------------------------------------
_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(text: str, now: dt.datetime) -> dt.datetime:
    """An ISO date or datetime (UTC when no offset is given), or a span back from ``now``:
    ``90s``, ``30m``, ``24h``, ``7d``, ``2w``. Raises ``ValueError`` with a message for users."""
    match = _RELATIVE.match(text)
    if match:
        return now - dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    value = parse_ts(text)
    if value is None:
        raise ValueError(f"{text!r} is not a date, a datetime or a span such as 7d or 24h")
    return value


def _sort_key(ts: object) -> str | None:
    """A string that sorts as the moment ``ts`` names, by ``parse_ts``'s rules (None when it names
    none): UTC ``YYYY-MM-DDTHH:MM:SS.ffffff``. The usual ``...:SSZ`` form is only validated."""
    if isinstance(ts, str) and len(ts) == 20 and ts[10] == "T" and ts[19] == "Z":
        try:
            dt.datetime.fromisoformat(ts)
        except ValueError:
            return None
        return ts[:19] + ".000000"
    value = parse_ts(ts)
    return None if value is None else _moment_key(value)


def _moment_key(value: dt.datetime) -> str | None:
    try:
        utc = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 pushed out of range by its offset
        return None
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds")


def _utc_iso(key: str) -> str:
    """The UTC ISO 8601 time of a sort key, without the fraction when it is zero."""
    return (key[:19] if key.endswith(".000000") else key) + "Z"


# -- results ------------------------------------------------------------------------------------
class AuditQuery(msgspec.Struct, kw_only=True, frozen=True):
    """What to keep: every field given must hold (``types``: any of them); [since, until)."""

    actor: str | None = None
    org: str | None = None
    workspace: str | None = None
    types: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int | None = None

    @property
    def windowed(self) -> bool:
        return self.since is not None or self.until is not None


class AuditEntry(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    ts: str  # as the file wrote it
    time: str | None  # the same moment in UTC (ISO 8601), None when it cannot be read
    actor: str | None
    entity: str | None  # who the actor acts for (see the module's rule)
    type: str
    workspace: str
    origin: str  # town-events | town-feed | beads-events | federation-audit | git-commit | dolt-commit
    subject: str | None
    payload: dict[str, Any]
    source: str
    line: int | None


class AuditResult(msgspec.Struct, kw_only=True):
    events: list[AuditEntry]  # newest first, at most ``limit``
    matched: int  # how many events passed the filters (before the limit)
    total: int  # events in the timeline
    undated: int  # events whose time cannot be read (listed last; outside any time window)


class AuditTimeline:
    """Every audit event of a federation, sorted once: newest first, unreadable times last.

    Each event also points into a small table of the distinct (actor, workspace, acting-from)
    triples, so the actor, workspace and org filters are decided once per triple, not per event.
    """

    def __init__(self, workspaces: Sequence[Workspace], affiliations: Affiliations | None = None,
                 commits: Iterable[AuditEvent] = ()):
        """``commits``: the workspaces' git commits as events (``core.sources.git_history``),
        merged into the timeline."""
        self.affiliations = affiliations or Affiliations(workspaces)
        keyed: list[tuple[str, AuditEvent]] = []
        undated: list[AuditEvent] = []
        for events in [*(ws.audit for ws in workspaces), commits]:
            for event in events:
                key = _sort_key(event.ts)
                if key is None:
                    undated.append(event)
                else:
                    keyed.append((key, event))
        keyed.sort(key=_first, reverse=True)  # stable: equal times keep the order they were read in
        self._events: list[AuditEvent] = [e for _, e in keyed] + undated
        self._keys: list[str] = [k for k, _ in keyed]  # descending
        self.undated = len(undated)
        triples: dict[tuple[str | None, str, str], int] = {}
        self._who = [
            triples.setdefault((e.actor, e.workspace, acting_from(e) if e.origin == _FEDERATION else e.workspace),
                               len(triples))
            for e in self._events
        ]
        self._triples = list(triples)
        self._entities = [self.affiliations.entity_of(actor, home) for actor, _, home in self._triples]
        self._entries: list[AuditEntry | None] = [None] * len(self._events)  # made when first shown

    def __len__(self) -> int:
        return len(self._events)

    def query(self, query: AuditQuery) -> AuditResult:
        indices = self._matching(*self._window(query), query)
        kept = indices if query.limit is None else indices[: query.limit]
        return AuditResult(events=[self._entry(i) for i in kept], matched=len(indices), total=len(self._events),
                           undated=self.undated)

    def _window(self, query: AuditQuery) -> tuple[int, int]:
        if not query.windowed:
            return 0, len(self._events)
        start, stop = 0, len(self._keys)
        until = _moment_key(query.until) if query.until is not None else None
        since = _moment_key(query.since) if query.since is not None else None
        if until is not None:  # exclusive: events at ``until`` or later are cut
            start = _first_before(self._keys, until)
        if since is not None:  # inclusive
            stop = _first_before(self._keys, since)
        return start, max(start, stop)

    def _matching(self, start: int, stop: int, query: AuditQuery) -> Sequence[int]:
        indices: Sequence[int] = range(start, stop)
        allowed = self._allowed_triples(query)
        if allowed is not None:
            who = self._who
            indices = [i for i in indices if who[i] in allowed]
        if query.types:
            types = frozenset(query.types)
            events = self._events
            indices = [i for i in indices if events[i].type in types]
        return indices

    def _allowed_triples(self, query: AuditQuery) -> set[int] | None:
        """The triples the actor, workspace and org filters keep; None when none is given."""
        if query.actor is None and query.workspace is None and query.org is None:
            return None
        members = self.affiliations.members(query.org) if query.org is not None else None
        return {
            index for index, (actor, workspace, _) in enumerate(self._triples)
            if (query.actor is None or actor_matches(actor, query.actor))
            and (query.workspace is None or workspace_matches(workspace, query.workspace))
            and (members is None or self._entities[index] in members)
        }

    def _entry(self, index: int) -> AuditEntry:
        entry = self._entries[index]
        if entry is None:
            entry = self._entries[index] = self._make_entry(index)
        return entry

    def _make_entry(self, index: int) -> AuditEntry:
        event = self._events[index]
        time = _utc_iso(self._keys[index]) if index < len(self._keys) else None
        return AuditEntry(ts=event.ts, time=time, actor=event.actor, entity=self._entities[self._who[index]],
                          type=event.type, workspace=event.workspace, origin=event.origin, subject=event.subject,
                          payload=event.payload, source=event.source, line=event.line)

    def events_by(self, pattern: str) -> list[AuditEntry]:
        """Every event whose actor matches ``pattern`` (``actor_matches``), newest first."""
        return self.query(AuditQuery(actor=pattern)).events


_FEDERATION = "federation-audit"


def _first(pair: tuple[str, AuditEvent]) -> str:
    return pair[0]


def _first_before(keys: Sequence[str], moment: str) -> int:
    """In ``keys`` sorted newest first, the index of the first key older than ``moment``."""
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if keys[middle] >= moment:
            low = middle + 1
        else:
            high = middle
    return low


def audit_trail(workspaces: Sequence[Workspace], query: AuditQuery) -> AuditResult:
    """One query on a timeline built for it (build an ``AuditTimeline`` to run many)."""
    return AuditTimeline(workspaces).query(query)
