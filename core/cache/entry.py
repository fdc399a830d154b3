"""One workspace's entry in the parsed cache, as bytes.

Layout: ``MAGIC``, the header's length (4 bytes, big-endian), the header (msgpack), then one
msgpack block per record kind (``Workspace`` field) and one for ``info``. The header says what
the load looked at (``Seen``) and holds what every verb may need without the records: the
workspace's name, kind and root, its record counts, where its beads came from, and the load's
diagnostics. ``read`` decodes the header and only the blocks asked for; a kind not asked for is
left empty and ``Workspace.counted`` keeps the counts of them all.

msgpack carries JSON's values exactly, not YAML's (dates, sets): an entry of a workspace read
from YAML (a realm) is only written when it decodes back equal to what was loaded.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Container
from typing import Any

import msgspec

from core.diagnostics import Diagnostic
from core.model import BeadsSource, Maintainers, Realm, SudocodeRepo, Town, Workspace, WorkspaceKind, WorkUnit
from core.sources.seen import Seen

MAGIC = b"crossdeck parsed cache\n"
_LENGTH = struct.Struct(">I")
# The record kinds a verb may go without: the rest are small and always read.
HEAVY = frozenset({"work_units", "relationships", "delegations", "audit", "requests", "subscriptions"})
_BLOCKS = tuple(f.name for f in msgspec.structs.fields(Workspace)
                if f.name not in {"kind", "name", "root", "info", "sources", "remote_cache", "maintainers", "counted"})
_DECODERS = {f.name: msgspec.msgpack.Decoder(f.type) for f in msgspec.structs.fields(Workspace) if f.name in _BLOCKS}
_INFO: dict[WorkspaceKind, msgspec.msgpack.Decoder[Any]] = {
    WorkspaceKind.TOWN: msgspec.msgpack.Decoder(Town | None),
    WorkspaceKind.SUDOCODE: msgspec.msgpack.Decoder(SudocodeRepo | None),
    WorkspaceKind.REALM: msgspec.msgpack.Decoder(Realm | None),
}
_encode = msgspec.msgpack.Encoder().encode


class Header(msgspec.Struct, kw_only=True, gc=False):
    code: str  # core.cache.code.code_identity() of the code that wrote it
    identity: str  # what was loaded: kind, folder, read limits (core.cache.store)
    entry_id: str  # names this entry (the federation-wide part is kept per set of entries)
    seen: Seen
    kind: WorkspaceKind
    name: str
    root: str
    counts: dict[str, int]
    sources: list[BeadsSource]
    maintainers: Maintainers | None
    diagnostics: list[Diagnostic]
    edges_from: list[str]  # core.graph_kinds.edges_from: what a walk needs without the records
    blocks: dict[str, tuple[int, int]]  # kind -> (offset after the header, length)


_decode_header = msgspec.msgpack.Decoder(Header).decode


class Unreadable(Exception):
    """Not an entry this code can read: another format, cut short, or damaged."""


def info_decoder(kind: WorkspaceKind) -> msgspec.msgpack.Decoder[Any] | None:
    """How ``Workspace.info`` of a workspace of ``kind`` decodes (an untagged union of structs,
    which msgspec cannot decode without being told which)."""
    return _INFO.get(kind)


def encode(ws: Workspace, diagnostics: list[Diagnostic], *, code: str, identity: str, entry_id: str,
           seen: Seen, edges_from: list[str]) -> list[bytes]:
    """The entry's bytes, in parts to be written one after another (not joined: a large
    workspace's entry is tens of megabytes); raises ``ValueError`` for a workspace that does
    not encode exactly."""
    blocks: dict[str, tuple[int, int]] = {}
    parts: list[bytes] = []
    offset = 0
    for name in (*_BLOCKS, "info"):
        try:
            data = _encode(getattr(ws, name))
        except (msgspec.EncodeError, OverflowError, TypeError) as exc:  # e.g. an int beyond 64 bits
            raise ValueError(f"{name} does not encode: {exc}") from None
        blocks[name] = (offset, len(data))
        parts.append(data)
        offset += len(data)
    header = _encode(Header(code=code, identity=identity, entry_id=entry_id, seen=seen, kind=ws.kind, name=ws.name,
                            root=ws.root, counts=ws.counts(), sources=ws.sources, maintainers=ws.maintainers,
                            diagnostics=diagnostics, edges_from=edges_from, blocks=blocks))
    return [MAGIC, _LENGTH.pack(len(header)), header, *parts]


HEAD = len(MAGIC) + _LENGTH.size  # bytes before the header


def header_size(start: bytes) -> int:
    """The header's length, from the entry's first ``HEAD`` bytes; ``Unreadable`` when it is
    not an entry."""
    if len(start) < HEAD or not start.startswith(MAGIC):
        raise Unreadable("not an entry")
    return int(_LENGTH.unpack_from(start, len(MAGIC))[0])


def header_of(data: bytes) -> tuple[Header, int]:
    """The header and where the blocks start; ``Unreadable`` when it is not an entry."""
    size = header_size(data[:HEAD])
    if HEAD + size > len(data):
        raise Unreadable("cut short")
    return decode_header(memoryview(data)[HEAD:HEAD + size]), HEAD + size


def decode_header(data: bytes | memoryview) -> Header:
    try:
        return _decode_header(data)
    except msgspec.DecodeError as exc:
        raise Unreadable(str(exc)) from None


def workspace_of(header: Header, block: Callable[[int, int], bytes | memoryview], wanted: Collection[str] | None) -> Workspace:
    """The workspace the entry holds, with the heavy kinds not in ``wanted`` (None: all) left
    empty; ``block(offset, length)`` gives a block's bytes. ``Unreadable`` when one does not
    decode."""
    fields: dict[str, Any] = {}
    partial = False
    try:
        for name in _BLOCKS:
            if wanted is not None and name in HEAVY and name not in wanted:
                partial = True
                continue
            fields[name] = _DECODERS[name].decode(block(*header.blocks[name]))
        info = None
        decoder = info_decoder(header.kind)
        if decoder is not None:
            info = decoder.decode(block(*header.blocks["info"]))
    except (msgspec.DecodeError, KeyError) as exc:
        raise Unreadable(str(exc)) from None
    return Workspace(kind=header.kind, name=header.name, root=header.root, info=info, sources=header.sources,
                     maintainers=header.maintainers, counted=dict(header.counts) if partial else None, **fields)


class _Keyed(msgspec.Struct, gc=False):
    """A work unit's key alone: the rest of its fields are skipped, not decoded."""

    key: str


_KEYS = msgspec.msgpack.Decoder(list[_Keyed])
_ROWS = msgspec.msgpack.Decoder(list[msgspec.Raw])
_UNIT = msgspec.msgpack.Decoder(WorkUnit)


def units_of(header: Header, block: Callable[[int, int], bytes | memoryview],
             keys: Container[str]) -> list[WorkUnit]:
    """The work units the entry holds whose key is in ``keys``, in their order: each unit's key is
    decoded, and only the units asked for whole (a walk wants a few of a town's thousands).
    ``Unreadable`` when the block does not decode."""
    try:
        data = block(*header.blocks["work_units"])
        rows, keyed = _ROWS.decode(data), _KEYS.decode(data)
        return [_UNIT.decode(row) for row, unit in zip(rows, keyed, strict=True) if unit.key in keys]
    except (msgspec.DecodeError, KeyError, ValueError) as exc:
        raise Unreadable(str(exc)) from None


def in_memory(data: bytes, start: int) -> Callable[[int, int], memoryview]:
    """``workspace_of``'s ``block`` for an entry held whole in ``data`` (blocks from ``start``)."""
    view = memoryview(data)

    def block(offset: int, length: int) -> memoryview:
        if start + offset + length > len(data):
            raise Unreadable("cut short")
        return view[start + offset:start + offset + length]

    return block


def round_trips(ws: Workspace, data: bytes) -> bool:
    """Whether ``data`` (the entry of ``ws``) decodes back to exactly ``ws``."""
    try:
        header, start = header_of(data)
        return workspace_of(header, in_memory(data, start), None) == ws
    except Unreadable:
        return False
