"""Federation records every workspace kind can hold: remotes with their trust, cross-repo
requests, subscriptions and the audit log of mutations.

sudocode keeps them under ``.sudocode/`` (remotes in ``federation.config.json``, the rest in
``.sudocode/federation/*.jsonl``); towns and realms under ``.crossdeck/``. The record shapes are
the same everywhere; docs/formats.md describes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostics
from core.model import (
    AuditEvent,
    Delegation,
    Maintainers,
    Remote,
    Request,
    RequestStatus,
    Subscription,
    TrustLevel,
    Workspace,
)
from core.sources import seen
from core.sources.a2a_policies import check_exclude_fields
from core.sources.files import ReadLimits, json_line_of, load_json
from core.sources.keys import ItemKeys, reference_too_long
from core.sources.limits import MAX_REFERENCE
from core.sources.schema import Schema, iter_records, opt, req

REMOTE = Schema(
    "remote",
    {
        "url": req(str),
        "name": opt(str),
        "display_name": opt(str),
        "transport": opt(str),
        "trust_level": opt(str),
        "permissions": opt(dict),
        "sync": opt(dict),
    },
)
REQUEST = Schema(
    "cross-repo request",
    {
        "request_id": req(str),
        "direction": req(str),
        "from_repo": req(str),
        "to_repo": req(str),
        "request_type": req(str),
        "payload": opt(dict),
        "status": opt(str),
        "approved_by": opt(str),
        "approved_at": opt(str),
        "rejection_reason": opt(str),
        "result": opt(dict, list, str, int, float, bool),
        "created_at": opt(str),
        "updated_at": opt(str),
    },
)
SUBSCRIPTION = Schema(
    "subscription",
    {
        "subscription_id": req(str),
        "remote_repo": req(str),
        "direction": opt(str),
        "event_types": opt(list),
        "filters": opt(dict),
        "active": opt(bool),
        "created_at": opt(str),
    },
)
DELEGATION = Schema(
    "delegation",
    {"parent": req(str), "child": req(str), "terms": opt(dict), "delegated_by": opt(str),
     "delegated_to": opt(str)},
)
AUDIT = Schema(
    "audit entry",
    {"timestamp": req(str), "operation_type": req(str), "actor": opt(str)},
)
DIRECTIONS = ("incoming", "outgoing")
TRANSPORTS = ("git", "http")


def remote_name(url: str) -> str:
    """A short name for a remote from its URL: ``https://github.com/org/repo.git`` -> ``org/repo``;
    an HTTP federation endpoint with no repo path is named by its host (``127.0.0.1:8765``)."""
    scheme, _, bare = url.rpartition("://")
    host, _, path = bare.partition("/")
    path = path.rstrip("/").removesuffix(".git")
    if scheme in ("http", "https"):
        path = path.removesuffix("api/v1/federation").rstrip("/")
    else:
        host, path = "", bare.replace(":", "/").rstrip("/").removesuffix(".git")
    parts = [p for p in path.split("/") if p and p not in (".", "..")]
    if parts:
        return "/".join(parts[-2:])
    return host or url


def read_remotes(entries: Any, ws: Workspace, path: Path, diags: Diagnostics, what: str) -> None:
    if entries is None:
        return
    if not isinstance(entries, list):
        diags.error(path, f"'{what}' should be a list", json_line_of(path, [what]))
        return
    for index, raw in enumerate(entries):
        if not isinstance(raw, dict):
            diags.error(path, f"{what}[{index}] should be an object", json_line_of(path, [what, index]))
            continue
        parsed = REMOTE.read(raw)
        if isinstance(parsed, str):
            diags.error(path, f"{what}[{index}]: {parsed}", json_line_of(path, [what, index], raw, parsed))
            continue
        known, extra = parsed
        trust = known.pop("trust_level", TrustLevel.UNTRUSTED.value)
        if trust not in TrustLevel._value2member_map_:
            diags.error(path, f"{what}[{index}]: trust_level '{trust[:40]}' is not untrusted, verified or trusted",
                        json_line_of(path, [what, index, "trust_level"]))
            continue
        url = known["url"]
        http = url.startswith(("http://", "https://")) or bool(extra.get("http_url"))
        transport = known.pop("transport", None) or ("http" if http else "git")
        if transport not in TRANSPORTS:
            diags.error(path, f"{what}[{index}]: transport '{transport[:40]}' is not git or http",
                        json_line_of(path, [what, index, "transport"]))
            continue
        check_exclude_fields(raw, transport, path, [what, index], diags)
        conditions = "permissions.mutate.auto_approve_conditions"
        check_conditions(path, known.get("permissions"), ["mutate", "auto_approve_conditions"],
                         f"{what}[{index}].{conditions}", [what, index, "permissions"], diags)
        ws.remotes.append(
            Remote(
                name=known.pop("name", None) or remote_name(url),
                workspace=ws.name,
                transport=transport,
                trust_level=TrustLevel(trust),
                source=str(path),
                extra=extra,
                **known,
            )
        )


def check_conditions(path: Path, config: Any, at: list[str], rule: str, keys: list[str | int],
                     diags: Diagnostics) -> None:
    """An error for each policy condition below ``config[at...]`` that does not parse, naming the
    file, the line and the rule (``core.policy``): a broken policy is reported at load, not only
    when a request reaches it (the verdict then needs a human, naming the same error)."""
    from core.policy import PolicyError, parse, rule_conditions

    entries = config
    for key in at:
        entries = entries.get(key) if isinstance(entries, dict) else None
    for rule_path, where, condition in rule_conditions(entries, rule, [*keys, *at]):
        try:
            parse(condition, rule_path)
        except PolicyError as exc:
            diags.error(path, f"policy condition {rule_path}: {exc.message}"
                        + (f" at column {exc.column}" if exc.column is not None else ""), json_line_of(path, where))


def read_maintainers(value: Any, ws: Workspace, path: Path, diags: Diagnostics) -> None:
    """``maintainers``: who may decide this workspace's incoming requests (core/maintainers.py).
    An empty list is no list (anyone may decide); a malformed one is an error and lets nobody."""
    if value is None or value == []:
        return
    if not isinstance(value, list) or not all(isinstance(m, str) and m.strip() for m in value):
        diags.error(path, "'maintainers' should be a list of actor names, emails or patterns "
                          "(e.g. [\"bob@acme.dev\", \"*/crew/bob\"]); until it is, nobody may decide here",
                    json_line_of(path, ["maintainers"]))
        value = []  # a broken list refuses every decision: it never lets anyone through
    ws.maintainers = Maintainers(names=[m.strip() for m in value], source=str(path))


def read_requests(path: Path, ws: Workspace, diags: Diagnostics, limits: ReadLimits) -> None:
    """requests.jsonl: one snapshot of a request a line; the last line for an id is its state."""
    latest: dict[str, Request] = {}
    add_requests(path, ws, diags, iter_records(path, REQUEST, diags, limits), latest)
    ws.requests.extend(latest.values())


def add_requests(path: Path, ws: Workspace, diags: Diagnostics,
                 records: Iterable[tuple[int, dict[str, Any], dict[str, Any]]], latest: dict[str, Request]) -> None:
    """Each request line of ``records`` (``iter_records`` with ``REQUEST``) into ``latest``, the
    state of each request by id so far."""
    for number, known, extra in records:
        if known["direction"] not in DIRECTIONS:
            diags.error(path, f"cross-repo request: direction '{known['direction']}' is not incoming or outgoing", number)
            continue
        status = known.pop("status", RequestStatus.PENDING.value)
        if status not in RequestStatus._value2member_map_:
            diags.error(path, f"cross-repo request: status '{status}' is not one of "
                        + ", ".join(s.value for s in RequestStatus), number)
            continue
        latest[known["request_id"]] = Request(
            workspace=ws.name, status=RequestStatus(status), source=str(path), line=number, extra=extra, **known
        )


def delegation_problem(known: dict[str, Any]) -> str | None:
    """What makes a delegation record unusable beyond its schema: an end over ``MAX_REFERENCE``."""
    for field in ("parent", "child"):
        if len(known[field]) > MAX_REFERENCE:
            return "delegation: " + reference_too_long(field, known[field])
    return None


def delegation(known: dict[str, Any], extra: dict[str, Any], keys: ItemKeys, ws: Workspace, path: Path,
               number: int, form: str) -> Delegation:
    """A delegation record (a town's ``federation.jsonl`` line, a sudocode repo's
    ``delegations.jsonl`` line) as the model holds it, its ends resolved to keys."""
    return Delegation(parent_key=keys.resolve(known["parent"]), child_key=keys.resolve(known["child"]),
                      forms=[form], workspace=ws.name, source=str(path), line=number, extra=extra, **known)


def read_delegations(path: Path, ws: Workspace, keys: ItemKeys, diags: Diagnostics, limits: ReadLimits) -> None:
    """A sudocode repo's ``.sudocode/federation/delegations.jsonl``: the delegations crossdeck
    recorded for its items (sudocode has no field for one), each ``{"type": "delegation", ...}``."""
    for number, known, extra in iter_records(path, DELEGATION, diags, limits):
        problem = delegation_problem(known)
        if problem is not None:
            diags.error(path, problem, number)
            continue
        kind = extra.pop("type", "delegation")
        if kind != "delegation":
            diags.warning(path, f"not a delegation record (type {str(kind)[:40]!r}); skipped", number)
            continue
        ws.delegations.append(delegation(known, extra, keys, ws, path, number, "crossdeck"))


def read_subscriptions(path: Path, ws: Workspace, diags: Diagnostics, limits: ReadLimits) -> None:
    latest: dict[str, Subscription] = {}
    for number, known, extra in iter_records(path, SUBSCRIPTION, diags, limits):
        latest[known["subscription_id"]] = Subscription(
            workspace=ws.name, source=str(path), line=number, extra=extra, **known
        )
    ws.subscriptions.extend(latest.values())


def read_audit(path: Path, ws: Workspace, diags: Diagnostics, limits: ReadLimits) -> None:
    add_audit(path, ws, diags, iter_records(path, AUDIT, diags, limits), ws.audit)


def add_audit(path: Path, ws: Workspace, diags: Diagnostics,
              records: Iterable[tuple[int, dict[str, Any], dict[str, Any]]], events: list[AuditEvent]) -> None:
    """Each audit line of ``records`` (``iter_records`` with ``AUDIT``) onto ``events``."""
    for number, known, extra in records:
        events.append(
            AuditEvent(
                ts=known["timestamp"],
                actor=known.get("actor"),
                type=known["operation_type"],
                workspace=ws.name,
                payload=extra,
                origin="federation-audit",
                source=str(path),
                line=number,
            )
        )


def read_crossdeck_folder(root: Path, ws: Workspace, diags: Diagnostics, limits: ReadLimits) -> None:
    """A town's or realm's ``.crossdeck/``: remotes.json, requests, subscriptions, audit."""
    folder = root / ".crossdeck"
    if not seen.is_dir(folder):
        return
    remotes = folder / "remotes.json"
    if seen.is_file(remotes):
        doc = load_json(remotes, diags, limits)
        if doc is not None:
            read_remotes(doc.get("remotes"), ws, remotes, diags, "remotes")
            read_maintainers(doc.get("maintainers"), ws, remotes, diags)
    read_record_logs(folder, ws, diags, limits)


def read_record_logs(folder: Path, ws: Workspace, diags: Diagnostics, limits: ReadLimits) -> None:
    """requests.jsonl, subscriptions.jsonl and audit.jsonl in ``folder``, where present."""
    for name, reader, kind in (("requests.jsonl", read_requests, "requests"),
                               ("subscriptions.jsonl", read_subscriptions, "subscriptions"),
                               ("audit.jsonl", read_audit, "audit")):
        path = folder / name
        if limits.reads(kind) and seen.is_file(path):
            reader(path, ws, diags, limits)
