"""Plain typed records shared by the loaders, the graph, the dashboard and the CLI.

No I/O here. Every record that is read from a file keeps the fields it does not know in
``extra``, so nothing read is lost and ``to_raw`` can write it back. Timestamps stay the strings
the files hold (``core.timeutil`` parses them where an analysis needs a date). Records are
``gc=False`` structs: they hold no cycles, and a 100k-record load must not pay for the cyclic GC
re-scanning them (``PERF-NOTES.md``).
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

Raw = dict[str, Any]


class Record(msgspec.Struct, kw_only=True, gc=False):
    """Base of every record: where it was read from, and what we did not model."""

    source: str = ""  # the file it was read from
    line: int | None = None  # its line in that file, where there is one
    extra: Raw = {}


class WorkspaceKind(str, enum.Enum):
    TOWN = "town"
    REALM = "realm"
    SUDOCODE = "sudocode"
    BEADS = "beads"  # a standalone .beads folder outside any town


class TrustLevel(str, enum.Enum):
    UNTRUSTED = "untrusted"
    VERIFIED = "verified"
    TRUSTED = "trusted"


class Entity(Record):
    """A person or an organisation, e.g. ``steve@example.com`` or ``acme.com``."""

    id: str
    kind: str = "person"  # person | org
    display_name: str | None = None


class Employment(Record):
    entity: str
    organization: str
    role: str | None = None


class Route(Record):
    """One ``routes.jsonl`` line: ids with ``prefix`` live under ``path`` (relative to the town)."""

    prefix: str
    path: str


class Rig(Record):
    name: str
    town: str
    path: str  # the rig folder
    prefix: str | None = None
    git_url: str | None = None
    default_branch: str | None = None
    beads_dir: str | None = None  # the .beads folder its work units come from (after redirect)


class Town(Record):
    """A Gas Town: a chain of an entity, holding rigs."""

    name: str
    owner: str
    public_name: str | None = None
    layout: str = "real"  # real (mayor/town.json) | design (.town.json)
    created_at: str | None = None
    rigs: list[Rig] = []
    routes: list[Route] = []


class ContractVersion(Record):
    """One entry of an export's history: a changelog (draft) or evolution (implemented) entry."""

    version: str
    date: str | None = None
    changes: list[str] = []
    compatible: bool | None = None


class Contract(Record):
    """An export: a semver'd contract a domain offers."""

    key: str  # realm://REALM/DOMAIN/CONTRACT
    name: str
    realm: str
    domain: str
    version: str
    description: str | None = None
    owner: str | None = None
    schema: Any = None
    value: Any = None
    compatibility: Raw | None = None
    history: list[ContractVersion] = []


class Import(Record):
    """A domain's (or repo's) use of another domain's contract, resolved to a version."""

    key: str  # realm://REALM/DOMAIN/imports/CONTRACT
    contract: str
    realm: str
    domain: str  # the importing domain (or repo, in the implemented layout)
    from_domain: str  # the exporting domain
    range: str  # the semver range the importer accepts
    binding: str | None = None
    declared_status: str | None = None  # what the file says; the analysis computes its own
    resolved_version: str | None = None
    resolved_at: str | None = None

    def contract_key(self, realm: str) -> str:
        """The key of the contract it uses, in realm (workspace) ``realm``."""
        return f"{realm}/{self.from_domain}/{self.contract}"


class Domain(Record):
    name: str
    realm: str
    description: str | None = None
    repo_path: str | None = None
    repo_url: str | None = None
    maintainers: list[str] = []
    members: list[str] = []
    joined_at: str | None = None
    created_at: str | None = None


class Realm(Record):
    name: str
    layout: str  # draft (RFC 0001: exports.yaml/imports.yaml) | implemented (contracts/, bindings/)
    version: Any = None
    created_at: str | None = None
    governance: Raw = {}
    domains: list[Domain] = []
    repos: list[Raw] = []  # implemented layout: repos/<repo>.yaml

    @property
    def grace_period_days(self) -> int:
        breaking = self.governance.get("breaking_changes")
        days = breaking.get("grace_period_days") if isinstance(breaking, dict) else None
        return days if isinstance(days, int) and not isinstance(days, bool) else 14


class SudocodeRepo(Record):
    name: str  # ORG/REPO from local_identity.url, else local/FOLDER
    display_name: str | None = None
    identity_url: str | None = None
    config: Raw = {}
    federation: Raw = {}  # federation.config.json as read (policies, endpoints, cache)


class WorkUnit(Record):
    """An issue, spec or bead, wherever it lives."""

    key: str  # canonical URI (see DESIGN "Keys")
    id: str
    workspace: str
    kind: str  # bead | issue | spec
    title: str
    # None: the item has no status (a sudocode spec, whose format has none). Such an item is never
    # done, never a blocker and matches no status filter; text shows its status as ``-``.
    status: str | None = "open"
    priority: int | None = None
    type: str | None = None
    description: str | None = None
    labels: list[str] = []
    assignee: str | None = None
    owner: str | None = None
    created_by: str | None = None  # the actor (BD_ACTOR) that created it
    rig: str | None = None
    parent_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    closed_at: str | None = None
    close_reason: str | None = None
    comments: list[Raw] = []

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES


DONE_STATUSES = frozenset({"closed", "tombstone"})
NO_STATUS = "-"  # how text (the CLI and the dashboard) shows the status of an item that has none


def status_text(status: str | None) -> str:
    """A work unit's status as text shows it: ``-`` when it has none (a sudocode spec)."""
    return NO_STATUS if status is None else status


class Relationship(Record):
    """A typed edge between two work units, possibly in different workspaces.

    ``source`` and ``target`` hold the references as written; ``source_key`` / ``target_key``
    hold canonical keys once resolved (None when the target is not resolvable).
    """

    type: str
    from_ref: str
    to_ref: str
    from_key: str | None = None
    to_key: str | None = None
    workspace: str = ""
    created_at: str | None = None
    created_by: str | None = None


class Delegation(Record):
    parent: str  # reference as written
    child: str
    parent_key: str | None = None
    child_key: str | None = None
    terms: Raw = {}  # portion, deadline, acceptance_criteria, credit_share
    delegated_by: str | None = None
    delegated_to: str | None = None
    forms: list[str] = []  # where it was stated: federation.jsonl, metadata, dependency
    workspace: str = ""


class Maintainers(Record):
    """Who may decide a workspace's incoming requests: actor names, emails or fnmatch patterns
    (``maintainers`` in ``federation.config.json`` or ``.crossdeck/remotes.json``; core/maintainers.py)."""

    names: list[str]
    key: str = "maintainers"  # where in ``source`` the list is


class Remote(Record):
    """A remote workspace this workspace federates with, and the trust it grants it."""

    name: str
    url: str
    workspace: str  # the workspace whose config names it
    transport: str = "git"  # git | http
    trust_level: TrustLevel = TrustLevel.UNTRUSTED
    permissions: Raw = {}
    sync: Raw = {}
    display_name: str | None = None


class RequestStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    FAILED = "failed"


class Request(Record):
    """A cross-repo request (create_issue, delegate, update_issue, ...) and its decision."""

    request_id: str
    direction: str  # incoming | outgoing
    from_repo: str
    to_repo: str
    request_type: str
    workspace: str = ""
    payload: Raw = {}
    status: RequestStatus = RequestStatus.PENDING
    approved_by: str | None = None
    approved_at: str | None = None
    rejection_reason: str | None = None
    result: Any = None
    created_at: str | None = None
    updated_at: str | None = None
    # An incoming request read from the fetched copy of its sender (git), not yet in this
    # workspace's own log: the copy's workspace name (core.sync.git_delivery).
    fetched_from: str | None = None


class Subscription(Record):
    subscription_id: str
    remote_repo: str
    workspace: str = ""
    direction: str = "incoming"
    event_types: list[str] = []
    filters: Raw = {}
    active: bool = True
    created_at: str | None = None


class AuditEvent(Record):
    """One event in the federation's timeline: town events, beads events, the federation log."""

    ts: str
    actor: str | None
    type: str
    workspace: str
    payload: Raw = {}
    subject: str | None = None  # the work unit key the event is about, where there is one
    origin: str = ""  # town-events | town-feed | beads-events | federation-audit | git-commit | dolt-commit


class BeadsSource(Record):
    """Where one ``.beads`` folder's work units were read from (``core.sources.beads_folder``)."""

    folder: str  # the .beads folder
    rig: str | None = None  # None: a town's own beads, or a standalone folder
    read_from: str = "export"  # server | export | backup | none (nothing could be read)
    file: str | None = None  # the export file or backup folder read, when it was files
    as_of: str | None = None  # the time of that data: an export's newest updated_at, a backup's timestamp
    server: str | None = None  # HOST:PORT of a Dolt-backed folder's server
    database: str | None = None  # its database on that server
    user: str | None = None  # the user crossdeck connects to that server as
    dolt: bool | None = None  # the server is Dolt (None: not contacted)
    token: str | None = None  # what identifies the current state of what was read (a reload keys on it)
    problem: str | None = None  # why the server, or the other file, was not used

    @property
    def backed_by_server(self) -> bool:
        return self.server is not None


class Workspace(msgspec.Struct, kw_only=True, gc=False):
    """One loaded workspace: what kind, where, and every record read from it."""

    kind: WorkspaceKind
    name: str  # canonical workspace key: hop://OWNER/TOWN, ORG/REPO, realm://REALM, beads://local/F
    root: str
    info: Town | Realm | SudocodeRepo | None = None
    entities: list[Entity] = []
    employments: list[Employment] = []
    work_units: list[WorkUnit] = []
    relationships: list[Relationship] = []
    delegations: list[Delegation] = []
    contracts: list[Contract] = []
    imports: list[Import] = []
    remotes: list[Remote] = []
    requests: list[Request] = []
    subscriptions: list[Subscription] = []
    audit: list[AuditEvent] = []
    sources: list[BeadsSource] = []  # towns and beads folders: where each .beads folder's work units came from
    remote_cache: bool = False  # read from a fetched cache of a remote, not a local folder
    maintainers: Maintainers | None = None  # None: no list configured, anyone may decide
    # Set when not every record was read (a cached copy read for a verb that needs only some
    # kinds, core/cache): the counts of them all, which ``counts`` gives.
    counted: dict[str, int] | None = None

    def item_prefix(self) -> str:
        """What the keys of its items start with (``acme/api#``, ``hop://OWNER/TOWN/``)."""
        return self.name + ("#" if self.kind is WorkspaceKind.SUDOCODE else "/")

    def counts(self) -> dict[str, int]:
        """Record counts by kind, for the summary (only kinds that apply to this workspace)."""
        if self.counted is not None:
            return dict(self.counted)
        rows = {
            "work_units": len(self.work_units),
            "relationships": len(self.relationships),
            "delegations": len(self.delegations),
            "employments": len(self.employments),
            "contracts": len(self.contracts),
            "imports": len(self.imports),
            "remotes": len(self.remotes),
            "requests": len(self.requests),
            "subscriptions": len(self.subscriptions),
            "audit_events": len(self.audit),
        }
        if isinstance(self.info, Town):
            rows["rigs"] = len(self.info.rigs)
        if isinstance(self.info, Realm):
            rows["domains"] = len(self.info.domains)
        return rows


def to_raw(record: Record) -> Raw:
    """The record as a plain mapping, with its unknown fields merged back in."""
    raw = {k: v for k, v in msgspec.structs.asdict(record).items() if k not in _BOOKKEEPING}
    raw.update(record.extra)
    return msgspec.to_builtins(raw)  # type: ignore[no-any-return]


_BOOKKEEPING = frozenset({"source", "line", "extra"})
