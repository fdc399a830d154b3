"""The MCP tools of ``crossdeck mcp``, each one a headless verb: its input schema, the words of
the verb it runs (``crossdeck VERB ... --json``), and the schema of its result, which is that
verb's (``core/schemas/VERB.schema.json``). Nothing here reads a workspace: the verbs do.

Tools that change something (a request sent, approved, rejected) are listed only when an actor
is configured, and act as that actor (``--actor``), through the same sync layer, policy
verdict, maintainer rules, audit entry and commit as the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

Args = dict[str, Any]


class ToolInputError(ValueError):
    """An argument the verb cannot take (the message names it)."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    properties: dict[str, Any]
    schema: str  # core/schemas/<schema>.schema.json: the result's schema
    words: Callable[[Args], list[str]]  # the verb's words before the roots and options (its positionals)
    options: Callable[[Args], list[str]] = lambda args: []
    required: tuple[str, ...] = ()
    acts: bool = False  # changes something: listed only with an actor
    remote: bool = False  # talks to (or reads the cache of) another repository

    def input_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": self.properties, "required": list(self.required),
                "additionalProperties": False}

    def output_schema(self) -> dict[str, Any]:
        return result_schema(self.schema)

    def argv(self, args: Args, roots: Sequence[str], actor: str | None) -> list[str]:
        """``crossdeck ...`` for these arguments (``--json`` is added by the caller)."""
        words = self.words(args)
        for word in words[1:]:
            if word.startswith("-"):
                raise ToolInputError(f"{self.name}: {word!r} is not a reference (it starts with '-')")
        acting = [f"--actor={actor}"] if self.acts and actor else []
        return [*words, *roots, *self.options(args), *acting]


def result_schema(name: str) -> dict[str, Any]:
    text = resources.files("core").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


# -- the arguments, as JSON Schema and as options ------------------------------------------------
def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _texts(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def _flag(description: str) -> dict[str, Any]:
    return {"type": "boolean", "description": description}


def _options(args: Args, *names: str) -> list[str]:
    """``--name=value`` for each argument given (a list: once per value; a flag: when true)."""
    out: list[str] = []
    for name in names:
        value = args.get(name)
        option = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            out += [option] if value else []
        elif isinstance(value, list):
            out += [f"{option}={v}" for v in value]
        elif value is not None:
            out.append(f"{option}={value}")
    return out


REF = _text("an item: its key (hop://..., org/repo#id, realm://...), id, rig/id or title")
ALL = _flag("also the ones that need nothing (current imports; decided and outgoing requests)")
READ_TOOLS = (
    ToolSpec("crossdeck_summary", "The workspaces loaded, by kind, with record counts and diagnostics "
             "(crossdeck summary).", {}, "summary", lambda a: ["summary"]),
    ToolSpec("crossdeck_stale", "Realm imports that are broken, stale past their grace period or pending, and why "
             "(crossdeck stale).", {"all": ALL}, "stale", lambda a: ["stale"], lambda a: _options(a, "all")),
    ToolSpec("crossdeck_chains", "Delegation chains: each tree with completion cascading up, overdue terms and cycles "
             "(crossdeck chains).", {}, "chains", lambda a: ["chains"]),
    ToolSpec("crossdeck_blockers", "Why an item is blocked, across repositories: the open items blocking it with the "
             "path to each (crossdeck blockers REF).", {"ref": REF}, "blockers",
             lambda a: ["blockers", a["ref"]], required=("ref",)),
    ToolSpec("crossdeck_show", "One item: its fields, relationships, why it is blocked and its place in delegation "
             "chains (crossdeck show REF).", {"ref": REF}, "show", lambda a: ["show", a["ref"]], required=("ref",)),
    ToolSpec("crossdeck_list", "Work units filtered by organisation, project (with the work delegated from it), actor "
             "and status (crossdeck list).",
             {"org": _text("work assigned to, owned or created by members of this organisation"),
              "project": REF | {"description": "this work unit and its children"},
              "include_delegated": _flag("with project: also the work delegated from it, across workspaces"),
              "actor": _text("work this actor created, is assigned or owns"),
              "status": _texts("keep these statuses ('done' and 'not-done' group them)")},
             "list", lambda a: ["list"],
             lambda a: _options(a, "org", "project", "include_delegated", "actor", "status")),
    ToolSpec("crossdeck_approvals", "Pending incoming cross-repo requests, each with its policy verdict "
             "(auto-approvable, needs a human, denied) and why (crossdeck approvals).",
             {"all": ALL}, "approvals", lambda a: ["approvals"], lambda a: _options(a, "all")),
    ToolSpec("crossdeck_audit", "One timeline of every workspace's audit events, newest first, with filters "
             "(crossdeck audit).",
             {"actor": _text("events by this actor, or by actors below it (greenplace/ matches its members)"),
              "org": _text("events by members of this organisation"),
              "workspace": _text("events of this workspace (full name or its last part)"),
              "type": _texts("events of these types"),
              "since": _text("from this moment on: 2026-11-01, 2026-11-01T10:00:00Z, or back from now: 7d, 24h"),
              "until": _text("before this moment (same forms as since)"),
              "limit": {"type": "integer", "minimum": 1, "description": "at most this many events (the newest)"}},
             "audit", lambda a: ["audit"],
             lambda a: _options(a, "actor", "org", "workspace", "type", "since", "until", "limit")),
    ToolSpec("crossdeck_remotes", "Every configured remote with its trust, permissions and cached reachability "
             "(crossdeck remote list).", {}, "remote-list", lambda a: ["remote", "list"]),
    ToolSpec("crossdeck_remotes_check", "Contact every remote now (git ls-remote, HTTP info): reachability, "
             "latency, last success, last error (crossdeck remote check).", {}, "remote-check",
             lambda a: ["remote", "check"], remote=True),
)

REPO_URL = _text("the remote repository: its URL as configured (github.com/org/repo), its name in "
                 "crossdeck remote list, or WORKSPACE:NAME")
QUERY = ToolSpec(
    "cross_repo_query", "Query issues or specs from a remote repository: an HTTP remote is asked now, a git remote "
    "answers from what the last sync fetched, and the result says how old that is (crossdeck query).",
    {"repo_url": REPO_URL, "entity": {"enum": ["issue", "spec", "bead"], "description": "what is asked for"},
     "filters": {"type": "object", "additionalProperties": False, "description": "keep only what matches",
                 "properties": {"status": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                                "labels": {"type": "array", "items": {"type": "string"},
                                           "description": "each must be present"}}}},
    "query", lambda a: ["query", a["repo_url"], *([a["entity"]] if a.get("entity") else [])],
    lambda a: _query_options(a.get("filters") or {}), required=("repo_url",), remote=True)


def _query_options(filters: Args) -> list[str]:
    unknown = sorted(set(filters) - {"status", "labels"})
    if unknown:
        raise ToolInputError(f"cross_repo_query: filters takes status and labels, not {', '.join(unknown)}")
    status = filters.get("status")
    return _options({"status": [status] if isinstance(status, str) else status, "label": filters.get("labels")},
                    "status", "label")


def acting_tools(actor: str) -> tuple[ToolSpec, ...]:
    """The tools that change something, each saying who it acts as."""
    acts = f" Acts as {actor} (the configured actor): recorded in the audit log and as the commit's author."
    return (
        ToolSpec("cross_repo_create_issue", "Request issue creation in a remote repository: a create_issue request, "
                 "sent over HTTP to an HTTP remote, else recorded and committed for the remote to sync "
                 "(crossdeck request create)." + acts,
                 {"repo_url": REPO_URL, "title": _text("the issue's title"),
                  "description": _text("its description"),
                  "auto_approve": _flag("may the receiver's policy approve it without a human (default true); "
                                        "false is not supported yet and is refused"),
                  "priority": {"type": "integer", "minimum": 0, "maximum": 4, "description": "0-4 (default 2)"},
                  "labels": _texts("its labels"),
                  "from_workspace": _text("the local workspace that asks, when several have this remote")},
                 "request-create", lambda a: ["request", "create"], _create_options,
                 required=("repo_url", "title"), acts=True, remote=True),
        ToolSpec("crossdeck_approve", "Approve a pending incoming cross-repo request: its policy verdict and the "
                 "workspace's maintainer rules are checked, then the item is created (crossdeck approve)." + acts,
                 {"request": _text("REQUEST_ID, or WORKSPACE:REQUEST_ID"),
                  "reason": _text("a note on why, kept in the audit entry")},
                 "approve", lambda a: ["approve", a["request"]], lambda a: _options(a, "reason"),
                 required=("request",), acts=True),
        ToolSpec("crossdeck_reject", "Reject a pending incoming cross-repo request with a reason the requester "
                 "sees (crossdeck reject)." + acts,
                 {"request": _text("REQUEST_ID, or WORKSPACE:REQUEST_ID"), "reason": _text("why")},
                 "reject", lambda a: ["reject", a["request"]], lambda a: _options(a, "reason"),
                 required=("request", "reason"), acts=True),
    )


def _create_options(args: Args) -> list[str]:
    if args.get("auto_approve") is False:
        raise ToolInputError("cross_repo_create_issue: auto_approve false is not supported yet: the receiver's "
                             "policy decides whether a human approves")
    return [f"--to={args['repo_url']}", "--type=create_issue",
            *_options(args, "title", "description", "priority"),
            *_options({"label": args.get("labels"), "from": args.get("from_workspace")}, "label", "from")]


def all_tools(actor: str | None) -> dict[str, ToolSpec]:
    from core.mcp_tools.watch import WATCH

    tools = [*READ_TOOLS, QUERY, WATCH, *(acting_tools(actor) if actor else ())]
    return {tool.name: tool for tool in tools}
