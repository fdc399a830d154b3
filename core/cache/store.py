"""Finding, writing and clearing the parsed cache's entries (``core.cache``).

An entry is found by what was loaded (its kind, its folder as given and as it really is, and the
read limits), then trusted only if it was written by this code (``code_identity``) and every file
and folder the load looked at is unchanged (``core.cache.check``). Anything else (no entry, a
damaged or foreign one, a changed file) is a miss: the workspace is read from its files and its
entry written again. Entries are written whole (a temporary file, then a rename), so a reader sees
an old entry or a new one, never half of one; they are not synced to disk (a crash can lose an
entry, never make a wrong one readable: a cut-short entry does not decode).

Not cached: a workspace whose beads live on a Dolt server (its server is read each time; while
the dashboard is open, ``core.dolt.reuse`` keeps rows whose change token did not move), and one
read from YAML that msgpack would not give back exactly (``core.cache.entry``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Collection, Container, Sequence
from pathlib import Path
from typing import TypeVar

import msgspec

from core.cache import entry
from core.cache.check import unchanged
from core.cache.code import code_identity
from core.diagnostics import Diagnostic, Diagnostics
from core.graph_kinds import edges_from
from core.model import Workspace, WorkspaceKind, WorkUnit
from core.sources.limits import ReadLimits
from core.sources.seen import Seen, recording

_FEDERATION = "federation-"  # the federation-wide part's files start so; a workspace's entry does not
FEDERATION_PARTS = 16  # federation-wide parts kept (several roots or federations read in turn)
ABANDONED_S = 3600  # a temporary file untouched this long is of a write that never finished
_TEMPORARY = ".tmp"
_JSON_ONLY = frozenset({WorkspaceKind.TOWN, WorkspaceKind.SUDOCODE, WorkspaceKind.BEADS})
_federation_part = msgspec.msgpack.Decoder(tuple[str, list[Diagnostic]]).decode
_encode = msgspec.msgpack.Encoder().encode

Loaded = tuple["Workspace | None", Diagnostics]
T = TypeVar("T")


class ParsedCache:
    """The parsed cache in ``folder`` (``default()``: ``parsed`` in crossdeck's cache folder)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.entry_ids: dict[str, str] = {}  # identity -> id of the entry read or written by this process
        self.edges_from: dict[str, list[str]] = {}  # identity -> its entry's edges_from (core.graph_kinds)
        self._swept = False  # the folder's abandoned temporary files were removed (_sweep)

    @classmethod
    def default(cls) -> ParsedCache:
        from core.settings import dirs

        return cls(dirs().cache / "parsed")

    # -- one workspace --------------------------------------------------------------------------
    def read(self, path: Path, kind: WorkspaceKind, limits: ReadLimits,
             wanted: Collection[str] | None = None) -> Loaded | None:
        """The workspace at ``path`` as its entry holds it (only the heavy record kinds in
        ``wanted``; None: all), with the load's diagnostics; None when there is no entry to trust."""
        key = identity(path, kind, limits)
        found = self._open(key, lambda header, block: entry.workspace_of(header, block, wanted))
        if found is None:
            return None
        header, ws = found
        diags = Diagnostics()
        diags.items = header.diagnostics
        self.entry_ids[key] = header.entry_id
        self.edges_from[key] = header.edges_from
        return ws, diags

    def units(self, path: Path, kind: WorkspaceKind, limits: ReadLimits,
              keys: Container[str]) -> list[WorkUnit] | None:
        """The work units of the workspace at ``path`` whose key is in ``keys`` (only those decoded
        whole: ``entry.units_of``); None when there is no entry to trust."""
        found = self._open(identity(path, kind, limits), lambda header, block: entry.units_of(header, block, keys))
        return None if found is None else found[1]

    def _open(self, key: str,
              take: Callable[[entry.Header, Callable[[int, int], bytes]], T]) -> tuple[entry.Header, T] | None:
        """The header of the entry of identity ``key`` and what ``take`` makes of it and its
        blocks, when it was written by this code for that identity and nothing it came from
        changed; else None."""
        try:
            with open(self._file(key), "rb") as handle:
                fd = handle.fileno()
                start = entry.HEAD + entry.header_size(os.pread(fd, entry.HEAD, 0))
                header = entry.decode_header(_exactly(fd, start - entry.HEAD, entry.HEAD))
                if header.code != code_identity() or header.identity != key or not unchanged(header.seen):
                    return None
                return header, take(header, lambda offset, length: _exactly(fd, length, start + offset))
        except (OSError, entry.Unreadable):
            return None

    def load(self, path: Path, kind: WorkspaceKind, limits: ReadLimits) -> Loaded:
        """Read the workspace at ``path`` from its files (``core.federation.load_workspace``) and
        keep its entry."""
        from core.federation import load_workspace

        with recording() as seen:
            ws, diags = load_workspace(path, kind, limits)
        if ws is not None:
            self.write(path, kind, limits, ws, diags.items, seen)
        return ws, diags

    def write(self, path: Path, kind: WorkspaceKind, limits: ReadLimits, ws: Workspace,
              diagnostics: list[Diagnostic], seen: Seen) -> None:
        if any(source.server for source in ws.sources):
            return  # its beads live on a server: read it each time
        key = identity(path, kind, limits)
        entry_id = secrets.token_hex(8)
        edges = edges_from(ws)
        try:
            parts = entry.encode(ws, diagnostics, code=code_identity(), identity=key, entry_id=entry_id, seen=seen,
                                 edges_from=edges)
        except ValueError:
            return
        if kind not in _JSON_ONLY and not entry.round_trips(ws, b"".join(parts)):
            return
        if self._put(self._file(key), parts):
            self.entry_ids[key] = entry_id
            self.edges_from[key] = edges

    # -- the federation-wide parts --------------------------------------------------------------
    def federation_part(self, identities: Sequence[str]) -> list[Diagnostic] | None:
        """The diagnostics kept for exactly these entries (the references between their
        workspaces), or None."""
        key = self.federation_key(identities)
        return self.part(_FEDERATION, key, _federation_part) if key is not None else None

    def keep_federation_part(self, identities: Sequence[str], diagnostics: list[Diagnostic]) -> None:
        key = self.federation_key(identities)
        if key is not None:
            self.keep_part(_FEDERATION, key, diagnostics)

    def part(self, prefix: str, key: str, decode: Callable[[bytes], tuple[str, T]]) -> T | None:
        """The federation-wide part ``prefix`` kept under ``key`` (``decode``: to its key and
        value), or None when there is none or it does not decode to that key."""
        try:
            with open(self.folder / (prefix + key), "rb") as handle:
                kept_key, value = decode(handle.read())
        except (OSError, msgspec.DecodeError):
            return None
        return value if kept_key == key else None

    def keep_part(self, prefix: str, key: str, value: object) -> None:
        """Keep ``value`` as a federation-wide part; only the newest ``FEDERATION_PARTS`` of each
        ``prefix`` are kept (each change to any workspace makes a new set of entries: without a
        bound they would pile up)."""
        if not self._put(self.folder / (prefix + key), [_encode((key, value))]):
            return
        try:
            parts = [(entry.stat().st_mtime_ns, entry.path) for entry in os.scandir(self.folder)
                     if entry.name.startswith(prefix)]
        except OSError:
            return
        for _, path in sorted(parts, reverse=True)[FEDERATION_PARTS:]:
            try:
                os.unlink(path)
            except OSError:
                pass

    def federation_key(self, identities: Sequence[str], *salt: str) -> str | None:
        """What names exactly these entries (and ``salt``); None when one has no entry."""
        ids = [self.entry_ids.get(key) for key in identities]
        if None in ids:
            return None  # a workspace with no entry: nothing to key it on
        return hashlib.blake2b("\0".join([code_identity(), *ids, *salt]).encode(),  # type: ignore[list-item]
                               digest_size=16).hexdigest()

    # -- the folder -----------------------------------------------------------------------------
    def clear(self) -> int:
        """Remove every entry; how many there were."""
        removed = 0
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return 0
        for name in names:
            try:
                os.unlink(self.folder / name)
                removed += not name.startswith(".")
            except FileNotFoundError:
                pass
        return removed

    def _file(self, identity: str) -> Path:
        return self.folder / hashlib.blake2b(identity.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def _put(self, path: Path, parts: list[bytes]) -> bool:
        """Write ``path`` whole (a temporary file renamed over it); False when it cannot be. The
        temporary file is removed whatever stops the write (a full disk, Ctrl-C); one left by a
        process killed outright is removed by a later write (``_sweep``)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self._swept:
                self._swept = True
                _sweep(self.folder)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=_TEMPORARY, dir=self.folder)
        except OSError:
            return False
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.writelines(parts)
            os.replace(tmp, path)
            return True
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if isinstance(exc, OSError):
                return False
            raise


def _sweep(folder: Path) -> None:
    """Remove the temporary files of writes that never finished (a process killed outright):
    those not touched for ``ABANDONED_S`` (a write takes well under a second)."""
    cutoff = time.time() - ABANDONED_S
    try:
        with os.scandir(folder) as found:
            old = [item.path for item in found if item.name.startswith(".") and item.name.endswith(_TEMPORARY)
                   and item.stat(follow_symlinks=False).st_mtime < cutoff]
    except OSError:
        return
    for name in old:
        try:
            os.unlink(name)
        except OSError:
            pass


def _exactly(fd: int, length: int, offset: int) -> bytes:
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise entry.Unreadable("cut short")
    return data


def identity(path: Path, kind: WorkspaceKind, limits: ReadLimits) -> str:
    """What was loaded: the kind, the folder as given and as it really is, how much a file may
    hold, and which record kinds were read (``ReadLimits.records``: a load of some kinds only
    is an entry of its own, with only their files' problems)."""
    where = os.fspath(path)
    records = "*" if limits.records is None else ",".join(sorted(limits.records))
    return "\0".join((kind.value, os.path.abspath(where), os.path.realpath(where), str(limits.max_file_bytes),
                      records))
