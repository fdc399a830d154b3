"""What crossdeck does with the parts of a federation config that limit what a remote sees or how
requests are answered, said at load (so ``crossdeck check`` and ``summary`` show it) rather than
ignored in silence (docs/formats.md, "a2a_policies" and "exclude_fields"):

- ``a2a_policies`` (the sudocode design's "A2A Agent Behavior"): the keys crossdeck honours are
  listed in ``HONOURED`` with what they do; every other key is a warning naming it as unsupported.
- ``permissions.query.exclude_fields`` on a remote reached over git: a git remote fetches the whole
  repository, so the fields are hidden only from what the HTTP API sends; a warning says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostics
from core.sources.files import json_line_of

# a2a_policies.<message>.<key>: what crossdeck does with it
HONOURED = {
    ("query", "auto_respond"): "false closes queries over the API",
    ("query", "allowed_filters"): "the filters any remote may use in a query or a subscription",
    ("delegate", "auto_accept"): "false: a delegate request always waits for a human",
}
UNSUPPORTED_WHY = {
    ("mutate", "auto_approve"): "crossdeck judges mutates by policies.incoming_requests.mutate and each remote's "
                                "permissions.mutate.auto_approve_conditions; put the rule there",
    ("mutate", "require_human"): "crossdeck judges mutates by policies.incoming_requests.mutate.require_approval; "
                                 "put the rule there",
}


def check_a2a_policies(policies: Any, path: Path, diags: Diagnostics) -> None:
    """A warning for each key of ``a2a_policies`` crossdeck does not honour (and for a bad shape)."""
    if policies is None:
        return
    if not isinstance(policies, dict):
        diags.warning(path, "a2a_policies should be an object; it is not used", json_line_of(path, ["a2a_policies"]))
        return
    for message, rules in policies.items():
        if not isinstance(rules, dict):
            diags.warning(path, f"a2a_policies.{message} should be an object; it is not used",
                          json_line_of(path, ["a2a_policies", message]))
            continue
        for key in rules:
            if (message, key) in HONOURED:
                continue
            why = UNSUPPORTED_WHY.get((message, key), "crossdeck does not support it")
            diags.warning(path, f"a2a_policies.{message}.{key} is not supported and has no effect: {why}",
                          json_line_of(path, ["a2a_policies", message, key]))


def check_exclude_fields(remote: dict[str, Any], transport: str, path: Path, at: list[str | int],
                         diags: Diagnostics) -> None:
    """A warning when a remote reached over git has ``exclude_fields``: git sends it everything."""
    permissions = remote.get("permissions")
    query = permissions.get("query") if isinstance(permissions, dict) else None
    fields = query.get("exclude_fields") if isinstance(query, dict) else None
    if transport != "git" or not fields:
        return
    diags.warning(path, f"remote {remote.get('name') or remote.get('url')} is a git remote: it fetches the whole "
                        "repository, so permissions.query.exclude_fields hides nothing from it (only what the HTTP "
                        "API sends leaves those fields out)",
                  json_line_of(path, [*at, "permissions", "query", "exclude_fields"]))
