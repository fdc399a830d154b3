"""Adding and removing a remote in a workspace's own configuration (DESIGN "Where state lives"):
a sudocode repo's ``.sudocode/federation.config.json`` ``remote_repos[]``, a town's, realm's or
beads folder's ``.crossdeck/remotes.json`` ``{"remotes": [...]}``.

The file is re-read under the workspace's lock (``core.sync.lock.workspace_lock``), changed in
that one list, and written whole and atomically (``core.atomic``): every other field, and every
other remote with its unknown fields, stays as it was (the JSON is re-indented). Given an actor
(``crossdeck remote add / remove`` always give one), the change is journaled and committed with
the actor as author, as every action's is. A remote's name
is its ``name``, else the name derived from its URL (``federation_records.remote_name``), as the
loader reads it; names are unique within a workspace.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from core import timeutil
from core.federation import Federation
from core.model import TrustLevel, Workspace, WorkspaceKind
from core.sources.federation_records import TRANSPORTS, remote_name
from core.sync import SyncError
from core.sync.gitcommit import CommitOutcome, workspace_owner
from core.sync.journal import Plan, apply_now, carry_out, recover
from core.sync.lock import DEFAULT_TIMEOUT, workspace_lock


class RemoteConfigError(SyncError):
    """The change was refused (a name the workspace already uses, an unreadable file)."""


class RemoteUsageError(RemoteConfigError):
    """The request names nothing that exists, or is malformed (no such workspace or remote, a bad
    name, URL, trust level or transport): the CLI's usage error."""


class RemoteExists(RemoteConfigError):
    """The workspace already has a remote of that name."""


class NoSuchRemote(RemoteUsageError):
    """The workspace has no remote of that name."""


class ConfigChange(msgspec.Struct, kw_only=True):
    """What ``add_remote`` / ``remove_remote`` did."""

    action: str  # add | remove | update
    workspace: str
    name: str
    file: str
    record: dict[str, Any]  # the remote as written (add) or as it was (remove)
    remotes: int  # remotes in the workspace's config afterwards
    actor: str | None = None  # who made the change (its commit's author)
    commit: CommitOutcome | None = None  # the commit of the change (None: not asked for)


def config_file(ws: Workspace) -> tuple[Path, str]:
    """The file that holds ``ws``'s remotes, and the key of their list in it."""
    root = Path(ws.root)
    if ws.kind is WorkspaceKind.SUDOCODE:
        return root / ".sudocode" / "federation.config.json", "remote_repos"
    return root / ".crossdeck" / "remotes.json", "remotes"


def find_workspace(fed: Federation, wanted: str | None) -> Workspace:
    """The local workspace named ``wanted`` (its name, or its folder); the only one when None."""
    local = [ws for ws in fed.workspaces if not ws.remote_cache]
    if wanted is None:
        if len(local) == 1:
            return local[0]
        raise RemoteUsageError(f"{len(local)} workspaces are loaded; say which with --workspace "
                                f"({', '.join(ws.name for ws in local[:8])}{', ...' if len(local) > 8 else ''})")
    folder = Path(wanted).expanduser()
    folder = folder.resolve() if folder.exists() else None
    for ws in local:
        if ws.name == wanted or (folder is not None and Path(ws.root).resolve() == folder):
            return ws
    raise RemoteUsageError(f"no loaded workspace is named {wanted!r}; the loaded ones: "
                            + ", ".join(ws.name for ws in local[:8]))


def new_record(name: str, url: str, trust_level: str = TrustLevel.UNTRUSTED.value,
               transport: str | None = None) -> dict[str, Any]:
    """A remote record in the shape docs/formats.md gives, checked."""
    name, url = name.strip(), url.strip()
    if not name or _unprintable(name) or len(name) > 200:
        raise RemoteUsageError(f"{name!r} is not a remote name: one line of printable text, at most 200 characters")
    if not url or _unprintable(url) or url.startswith("-") or any(c.isspace() for c in url):
        raise RemoteUsageError(f"{url!r} is not a URL or path git or HTTP can use")
    if trust_level not in TrustLevel._value2member_map_:
        raise RemoteUsageError(f"trust level {trust_level!r} is not untrusted, verified or trusted")
    if transport is not None and transport not in TRANSPORTS:
        raise RemoteUsageError(f"transport {transport!r} is not git or http")
    record: dict[str, Any] = {"name": name, "url": url}
    if transport is not None:
        record["transport"] = transport
    record["trust_level"] = trust_level
    return record


def add_remote(ws: Workspace, record: dict[str, Any], lock_timeout: float = DEFAULT_TIMEOUT, *,
               actor: str | None = None, now: dt.datetime | None = None) -> ConfigChange:
    """Write ``record`` into ``ws``'s remotes; refuses a name the workspace already uses. With
    ``actor``, the change is committed as every action's is (journaled, the actor as author)."""
    path, key = config_file(ws)
    with workspace_lock(Path(ws.root), lock_timeout):
        recover(Path(ws.root))
        doc, remotes = _read(path, key)
        if any(_name_of(entry) == record["name"] for entry in remotes):
            raise RemoteExists(f"{ws.name} already has a remote named {record['name']!r} ({path}); "
                                    "remove it first, or choose another name")
        remotes.append(record)
        commit = _write(ws, path, doc, actor, now, f"remote add {record['name']} ({record.get('url')})")
    return ConfigChange(action="add", workspace=ws.name, name=record["name"], file=str(path), record=record,
                        remotes=len(remotes), actor=actor, commit=commit)


def remove_remote(ws: Workspace, name: str, lock_timeout: float = DEFAULT_TIMEOUT, *,
                  actor: str | None = None, now: dt.datetime | None = None) -> ConfigChange:
    """Drop the remote named ``name`` from ``ws``'s remotes (committed with ``actor``, as ``add_remote``)."""
    path, key = config_file(ws)
    with workspace_lock(Path(ws.root), lock_timeout):
        recover(Path(ws.root))
        doc, remotes = _read(path, key)
        index = next((i for i, entry in enumerate(remotes) if _name_of(entry) == name), None)
        if index is None:
            names = ", ".join(n for n in (_name_of(e) for e in remotes) if n) or "none"
            raise NoSuchRemote(f"{ws.name} has no remote named {name!r} (its remotes: {names})")
        removed = remotes.pop(index)
        commit = _write(ws, path, doc, actor, now, f"remote remove {name} ({removed.get('url')})")
    return ConfigChange(action="remove", workspace=ws.name, name=name, file=str(path), record=removed,
                        remotes=len(remotes), actor=actor, commit=commit)


def update_remote(ws: Workspace, name: str, changes: Mapping[str, Any],
                  lock_timeout: float = DEFAULT_TIMEOUT, *, actor: str | None = None,
                  now: dt.datetime | None = None) -> ConfigChange:
    """Set fields of the remote named ``name`` in ``ws``'s remotes, keeping the others (committed
    with ``actor``, as ``add_remote``)."""
    path, key = config_file(ws)
    with workspace_lock(Path(ws.root), lock_timeout):
        if actor is not None:
            recover(Path(ws.root))
        doc, remotes = _read(path, key)
        entry = next((e for e in remotes if _name_of(e) == name), None)
        if entry is None:
            raise NoSuchRemote(f"{ws.name} has no remote named {name!r}")
        entry.update(changes)
        commit = _write(ws, path, doc, actor, now, f"remote update {name} ({', '.join(sorted(changes))})")
    return ConfigChange(action="update", workspace=ws.name, name=name, file=str(path), record=entry,
                        remotes=len(remotes), actor=actor, commit=commit)


def read_records(ws: Workspace) -> list[Any]:
    """The remotes of ``ws`` as its config file holds them (an empty list when it has none)."""
    path, key = config_file(ws)
    return _read(path, key)[1]


def holder_of(fed: Federation, name: str, wanted: str | None) -> Workspace:
    """The workspace to remove the remote ``name`` from: ``wanted``, else the one workspace that
    has a remote of that name."""
    if wanted is not None:
        return find_workspace(fed, wanted)
    holders = [ws for ws in fed.workspaces if not ws.remote_cache and any(r.name == name for r in ws.remotes)]
    if len(holders) == 1:
        return holders[0]
    if not holders:
        raise RemoteUsageError(f"no loaded workspace has a remote named {name!r} (crossdeck remote list shows them)")
    raise RemoteUsageError(f"{len(holders)} workspaces have a remote named {name!r} "
                           f"({', '.join(ws.name for ws in holders)}); say which with --workspace")


def _name_of(entry: object) -> str | None:
    if not isinstance(entry, dict):
        return None
    name, url = entry.get("name"), entry.get("url")
    if isinstance(name, str) and name:
        return name
    return remote_name(url) if isinstance(url, str) else None


def _read(path: Path, key: str) -> tuple[dict[str, Any], list[Any]]:
    """The whole document and its list of remotes (created empty when the file or key is missing)."""
    if not path.exists():
        doc: Any = {}
    else:
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise RemoteConfigError(f"{path} cannot be read ({exc}); fix it by hand first") from None
    if not isinstance(doc, dict):
        raise RemoteConfigError(f"{path} does not hold a JSON object; fix it by hand first")
    remotes = doc.setdefault(key, [])
    if not isinstance(remotes, list):
        raise RemoteConfigError(f"{path}: '{key}' is not a list; fix it by hand first")
    return doc, remotes


def _write(ws: Workspace, path: Path, doc: dict[str, Any], actor: str | None = None,
           now: dt.datetime | None = None, message: str = "") -> CommitOutcome | None:
    """Write the config whole; with ``actor``, journaled and committed (``core.sync.journal``)."""
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    writes = Plan("remote", actor or "", workspace_owner(ws), message)
    writes.replace(path, data)
    try:
        if actor is None:
            apply_now(writes)
            return None
        return carry_out(Path(ws.root), writes, now or timeutil.now())  # type: ignore[no-any-return]
    except (OSError, SyncError) as exc:
        raise RemoteConfigError(f"cannot write {path}: {exc}") from None


def _unprintable(text: str) -> bool:
    return any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text)
