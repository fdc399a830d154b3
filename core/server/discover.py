"""``GET info`` and the design's ``discover`` (``GET`` or ``POST /discover``): who this server is,
what it can do and where (docs/http-api.md).

The answer keeps crossdeck's own fields (``workspace``, ``identity``, ``capabilities.query`` ...)
and adds the design's: ``type: discover_response``, ``capabilities.protocols``, ``operations``,
``schemas_version``, ``trust_level`` (the caller's, with a token) and ``endpoints`` (the REST
base, the event stream, the workspace's git URL when its config names one), and ``endpoints``:
every route with its method and the token it needs, made from the app's own route table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import __version__
from core.model import SudocodeRepo
from core.server.messages import OPERATIONS
from core.server.served import entities_of

if TYPE_CHECKING:
    from core.server.calls import Call

SCHEMA_VERSION = 1


def answer(call: Call, base: str, routes: list[dict[str, str]]) -> dict[str, Any]:
    served = call.state.served
    ws = served.workspace
    caller = call.caller
    rest = str(call.request.base_url).rstrip("/") + base
    entities = entities_of(ws)
    operations = [f"query_{e}s" for e in entities if e not in ("work_unit", "request")]
    operations += [f"{op}s" if op.startswith("create_") else op for op in OPERATIONS]
    operations += ["delegate", "subscribe"]
    trust = caller.remote.trust_level.value if caller is not None and caller.remote is not None else None
    return {
        "type": "discover_response",
        "schema_version": SCHEMA_VERSION, "server": {"name": "crossdeck", "version": __version__},
        "workspace": served.name, "kind": ws.kind.value, "identity": served.identity(),
        "capabilities": {"query": entities, "mutate": list(OPERATIONS), "delegate": True, "subscribe": True,
                         "events": "sse", "protocols": ["rest", "sse", "git"] if _git(ws) else ["rest", "sse"],
                         "operations": operations, "schemas_version": f"{SCHEMA_VERSION}.0", "trust_level": trust,
                         "endpoints": {"rest": rest, "events": rest + "/events", "git": _git(ws)}},
        "endpoints": routes,
        "caller": caller.describe() if caller is not None else None}


def _git(ws: Any) -> str | None:
    """The workspace's git URL as its federation config names it (``endpoints.git``)."""
    if not isinstance(ws.info, SudocodeRepo):
        return None
    endpoints = ws.info.federation.get("endpoints")
    git = endpoints.get("git") if isinstance(endpoints, dict) else None
    return git if isinstance(git, str) else None
