"""Each town's Dolt SQL server as a remote of the town: a row of ``crossdeck remote list`` and
``remote check`` and of the Remotes pane, with the ``dolt`` transport beside git and http.

A town's rigs share one server (``core.dolt.target``); every server a workspace's ``.beads``
folders read from (``Workspace.sources``) is one remote of that workspace, named
``dolt@HOST:PORT``, with the databases it holds for the workspace. It is derived from the load,
never configured: nothing in a workspace's remotes file names it. Its checks and their history go
to the state store like any remote's. A check connects, then asks each database's change token
(``core.sources.beads_server.database_token``: Dolt's head commit, elsewhere row counts and the
newest times): what the dashboard compares with what it shows (``tui.dolt_watch``).

A successful contact with a Dolt server is recorded as a sync (its data is live: nothing is
cached to go stale), so the row is ``synced`` while the server answers and ``unreachable`` when it
does not. Which items are shown from a backup because their server is down: ``backup_notes``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, NamedTuple

import msgspec

from core.dolt.config import DEFAULT_CONNECT_TIMEOUT
from core.dolt.target import DEFAULT_USER, DoltTarget
from core.model import BeadsSource, Remote, TrustLevel, Workspace

DOLT = "dolt"
PREFIX = "dolt@"


class ServerSeen(NamedTuple):
    """What one check of a Dolt server found: whether it is Dolt, and each database's token (or
    why it could not be read)."""

    dolt: bool
    tokens: dict[str, str]
    problems: dict[str, str]
    caller: Any = None  # (what an HTTP check learns; a Dolt check learns none of it)
    items: Any = None


def remote_name(server: str) -> str:
    return PREFIX + server


def server_remotes(ws: Workspace) -> list[Remote]:
    """The Dolt servers ``ws``'s ``.beads`` folders read from (or tried to), one remote each."""
    by_server: dict[str, list[BeadsSource]] = {}
    for source in ws.sources:
        if source.server is not None:
            by_server.setdefault(source.server, []).append(source)
    out = []
    for server, sources in by_server.items():
        databases = sorted({s.database for s in sources if s.database})
        user = next((s.user for s in sources if s.user), None) or DEFAULT_USER
        out.append(Remote(name=remote_name(server), url=f"dolt://{server}", workspace=ws.name, transport=DOLT,
                          trust_level=TrustLevel.TRUSTED, display_name=f"Dolt server of {ws.name}",
                          source=sources[0].folder + "/metadata.json",
                          extra={"workspace": f"dolt://{server}", "databases": databases, "user": user}))
    return out


def local_server_remotes(workspaces: Iterable[Workspace]) -> list[Remote]:
    return [remote for ws in workspaces if not ws.remote_cache for remote in server_remotes(ws)]


def databases_of(remote: Remote) -> list[str]:
    found = remote.extra.get("databases")
    return [d for d in found if isinstance(d, str)] if isinstance(found, list) else []


def server_target(remote: Remote, timeout: float | None = None, town: str | None = None) -> DoltTarget:
    """How to reach ``remote``'s server: its host and port, its user, and the password and timeout
    config.toml sets for its town."""
    user = remote.extra.get("user")
    return town_target(remote.url.removeprefix("dolt://"), town or remote.workspace,
                       user=user if isinstance(user, str) else None, timeout=timeout)


def town_target(server: str, town: str | None, *, user: str | None = None, database: str = "",
                timeout: float | None = None) -> DoltTarget:
    """How to reach ``server`` (HOST:PORT) as ``user``: the password and timeouts config.toml
    sets for ``town``."""
    from core.settings import load_settings

    host, _, port = server.rpartition(":")
    settings = load_settings().dolt
    config = settings.for_town(town)
    return DoltTarget(host=host, port=int(port), user=user or DEFAULT_USER, database=database,
                      password_env=config.password_env, read_timeout=settings.read_timeout,
                      connect_timeout=timeout or config.timeout or DEFAULT_CONNECT_TIMEOUT)


def item_source(fed: Any, record: Any) -> BeadsSource | None:
    """The Dolt-backed ``.beads`` folder a bead (``record``, or its ``to_builtins`` form) was read
    from, or None when it is not a bead of one."""
    get = record.get if isinstance(record, dict) else lambda name: getattr(record, name, None)
    if fed is None or get("kind") != "bead" or get("workspace") is None:
        return None
    ws = fed.workspace(get("workspace"))
    if ws is None:
        return None
    rig = get("rig")
    return next((s for s in ws.sources if s.server is not None and s.rig == rig and s.database), None)


def check_server(remote: Remote, timeout: float | None = None) -> Any:
    """Connect to ``remote``'s server and read each of its databases' change token; a
    ``core.sync.git_remote.Contact`` whose ``seen`` is a ``ServerSeen``. Raises ``ContactFailure``
    (permanent when the server refuses our user)."""
    import pymysql

    from core.dolt.session import DoltUnavailable, connect, describe
    from core.sources.beads_server import database_token
    from core.sync.git_remote import Contact
    from core.sync.retry import ContactFailure

    target = server_target(remote, timeout)
    start = time.perf_counter()
    try:
        conn = connect(target)
    except DoltUnavailable as exc:
        raise ContactFailure(str(exc), permanent="access denied" in str(exc)) from None
    tokens: dict[str, str] = {}
    problems: dict[str, str] = {}
    try:
        from core.dolt.dolt_sql import is_dolt

        dolt = is_dolt(conn)
        for database in databases_of(remote):
            try:
                tokens[database] = database_token(conn, database, dolt)
            except DoltUnavailable as exc:
                problems[database] = str(exc)
    except (pymysql.err.MySQLError, OSError) as exc:
        raise ContactFailure(f"Dolt server {target.server} failed while checked: {describe(exc)}") from None
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection: nothing to close
            pass
    return Contact(None, (time.perf_counter() - start) * 1000, ServerSeen(dolt, tokens, problems))


class ServedDatabase(msgspec.Struct, frozen=True, kw_only=True):
    """One database a Dolt server holds for a workspace, and where what is shown of it came from."""

    database: str
    rig: str | None  # None: a town's own beads, or a standalone folder's
    read_from: str  # server | export | backup | none
    as_of: str | None
    note: str | None  # why it is not live (``backup_note``)


def served_databases(ws: Workspace, server: str) -> list[ServedDatabase]:
    return [ServedDatabase(database=s.database or "", rig=s.rig, read_from=s.read_from, as_of=s.as_of,
                           note=backup_note(s))
            for s in ws.sources if s.server == server]


def backup_note(source: BeadsSource) -> str | None:
    """Why a Dolt-backed folder's items are not live, when they are not: shown from its export or
    backup because its server could not be read (or server reads are off)."""
    if source.server is None or source.read_from in ("server", "none"):
        return None
    what = "backup" if source.read_from == "backup" else "export"
    when = f" of {source.as_of}" if source.as_of else ""
    why = source.problem or f"Dolt server {source.server} not read"
    return f"shown from its {what}{when}, not live: {why}"


def backup_notes(workspaces: Iterable[Workspace]) -> dict[tuple[str, str | None], str]:
    """(workspace, rig) -> the note of each Dolt-backed folder whose items come from a backup;
    a town's own beads and a standalone folder's are rig None."""
    out = {}
    for ws in workspaces:
        for source in ws.sources:
            note = backup_note(source)
            if note is not None:
                out[(ws.name, source.rig)] = note
    return out


def item_backup_note(graph: Any, record: Any) -> str | None:
    """The note of a work unit (``record``, or its ``to_builtins`` form) of ``graph`` shown from a
    backup, else None (the
    notes of a graph are worked out once, from ``graph.graph["federation"]``)."""
    get = record.get if isinstance(record, dict) else lambda name: getattr(record, name, None)
    rig, workspace = get("rig"), get("workspace")
    if workspace is None or get("kind") not in ("bead", None):
        return None
    notes = graph.graph.get("_backup_notes")
    if notes is None:
        fed = graph.graph.get("federation")
        notes = graph.graph["_backup_notes"] = backup_notes(fed.workspaces) if fed is not None else {}
    return notes.get((workspace, rig))
