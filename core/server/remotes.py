"""``GET / POST /remotes``, ``PUT / DELETE /remotes/{name}``: the served workspace's remotes (the
sudocode design's "Management" endpoints), for maintainer tokens only (docs/http-api.md).

The same core code as ``crossdeck remote add / remove`` (``core.sync.remote_config``): the config
file is changed under the workspace's lock, journaled, and committed with the maintainer as
author. ``{name}`` is a remote's name, URL or display name (a URL's slashes need no escaping). A
record is the shape docs/formats.md gives (``url``, ``name``, ``trust_level``, ``transport``,
``display_name``, ``permissions``, ``sync``), other fields kept as given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from core.model import TrustLevel
from core.server.auth import Caller
from core.server.errors import ApiError, invalid
from core.server.messages import parse_json
from core.sources.federation_records import REMOTE, TRANSPORTS, remote_name
from core.sync import SyncError
from core.sync.lock import WorkspaceLocked
from core.sync.remote_config import (
    ConfigChange,
    NoSuchRemote,
    RemoteConfigError,
    RemoteExists,
    RemoteUsageError,
    add_remote,
    config_file,
    new_record,
    read_records,
    remove_remote,
    update_remote,
)
from core.timeutil import now

if TYPE_CHECKING:
    from core.server.calls import Call

CORE = ("name", "url", "trust_level", "transport")  # checked by new_record; the other fields as REMOTE says


def maintainer(call: Call) -> str:
    """The maintainer a call is made by; 403 for a remote's token."""
    caller: Caller | None = call.caller
    if caller is None or caller.maintainer is None:
        raise ApiError(403, "only a maintainer token may read or change the workspace's remotes "
                            "(crossdeck token issue --maintainer ACTOR)")
    return caller.maintainer


async def listing(call: Call) -> dict[str, Any]:
    maintainer(call)
    ws = call.state.served.workspace
    path, _ = config_file(ws)
    try:
        records = await run_in_threadpool(read_records, ws)
    except RemoteConfigError as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "5"}) from None
    return {"workspace": ws.name, "file": str(path), "remotes": records}


def record_of(body: dict[str, Any], at: str = "$") -> dict[str, Any]:
    """A new remote's record from a body, checked (422 naming the field)."""
    parsed = REMOTE.read(body)
    if isinstance(parsed, str):
        raise invalid(at, parsed)
    url = body["url"]
    try:
        record = new_record(body.get("name") or remote_name(url), url,
                            body.get("trust_level", TrustLevel.UNTRUSTED.value), body.get("transport"))
    except RemoteUsageError as exc:
        raise invalid(at, str(exc)) from None
    record.update((k, v) for k, v in body.items() if k not in CORE)
    return record


def changes_of(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The fields a PUT sets, checked as the whole record they make."""
    if not body:
        raise invalid("$", "no field to change")
    if "name" in body and body["name"] != current.get("name", body["name"]):
        raise invalid("$.name", "a remote is renamed by removing it and adding it again")
    merged = {**current, **body}
    parsed = REMOTE.read(merged)
    if isinstance(parsed, str):
        raise invalid("$", parsed)
    if merged.get("trust_level", "untrusted") not in TrustLevel._value2member_map_:
        raise invalid("$.trust_level", f"trust level {merged['trust_level']!r} is not untrusted, verified or trusted")
    if "transport" in merged and merged["transport"] not in TRANSPORTS:
        raise invalid("$.transport", f"transport {merged['transport']!r} is not git or http")
    return body


def name_in(call: Call) -> str:
    """The remote the path names (any of its names), as the workspace's config names it."""
    wanted = call.request.path_params["name"]
    found = call.state.served.remote(wanted, call.today)
    if found is None:
        raise ApiError(404, f"{call.state.served.name} has no remote {wanted!r}")
    return found.name


def change(call: Call, action: str) -> tuple[int, ConfigChange]:
    """Carry out ``action`` (add, update, remove) as the maintainer; in the thread pool."""
    actor = maintainer(call)
    served = call.state.served
    ws, moment = served.workspace, now()
    try:
        if action == "add":
            return 201, add_remote(ws, record_of(parse_json(call.body)), actor=actor, now=moment)
        name = name_in(call)
        if action == "update":
            current = next((r for r in read_records(ws) if isinstance(r, dict)
                            and (r.get("name") or remote_name(str(r.get("url")))) == name), {})
            return 200, update_remote(ws, name, changes_of(parse_json(call.body), current), actor=actor, now=moment)
        return 200, remove_remote(ws, name, actor=actor, now=moment)
    except WorkspaceLocked as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "2"}) from None
    except NoSuchRemote as exc:
        raise ApiError(404, str(exc)) from None
    except RemoteUsageError as exc:
        raise ApiError(422, str(exc)) from None
    except RemoteExists as exc:
        raise ApiError(409, str(exc)) from None
    except RemoteConfigError as exc:  # the file cannot be read or written
        raise ApiError(503, str(exc), headers={"Retry-After": "5"}) from None
    except SyncError as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "2"}) from None
