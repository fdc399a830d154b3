"""Which remote a ``repo_url`` names: the sudocode design's MCP tools take the remote repository's
URL (``github.com/org/api-service``), the verbs a remote's name. Both are read from what
``crossdeck remote list --json`` says of every configured remote."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from core.mcp_tools.cli_call import run_verb
from core.mcp_tools.tools import ToolInputError


class RemoteRef(NamedTuple):
    workspace: str  # the local workspace whose config names the remote
    name: str
    transport: str
    url: str

    @property
    def qualified(self) -> str:
        return f"{self.workspace}:{self.name}"


def _bare(url: str) -> str:
    text = url.strip().rstrip("/")
    text = text.split("://", 1)[-1]
    return text.removesuffix(".git")


def remotes(roots: Sequence[str]) -> list[dict[str, Any]]:
    outcome = run_verb(["remote", "list", *roots])
    return list(outcome.document.get("remotes") or [])


def resolve(repo_url: str, roots: Sequence[str], workspace: str | None = None) -> RemoteRef | None:
    """The one remote ``repo_url`` names (its URL, name, the workspace it serves, or
    ``WORKSPACE:NAME``), among the remotes of ``workspace`` when given; None when no remote
    matches (the verb then says so in its own words). Several: ToolInputError naming them."""
    wanted = _bare(repo_url)
    found = [r for r in remotes(roots)
             if (workspace is None or workspace in (r["workspace"], r["workspace"].rsplit("/", 1)[-1]))
             and (wanted in (_bare(r["url"]), r["name"], r.get("remote_workspace"))
                  or repo_url == f"{r['workspace']}:{r['name']}")]
    if len(found) > 1:
        names = ", ".join(f"{r['workspace']}:{r['name']}" for r in found)
        raise ToolInputError(f"{len(found)} remotes answer to {repo_url!r}: give one as WORKSPACE:NAME ({names}) "
                             "or say which local workspace asks")
    return RemoteRef(found[0]["workspace"], found[0]["name"], found[0]["transport"], found[0]["url"]) if found else None
