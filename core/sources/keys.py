"""How a workspace names its items and resolves the references its items make."""

from __future__ import annotations

from typing import Protocol

from core import uri
from core.sources.limits import MAX_REFERENCE


def reference_too_long(field: str, ref: str) -> str:
    """The error for a reference over ``MAX_REFERENCE`` characters (refused before it is parsed)."""
    return (f"{field} {ref[:24]!r}... is {len(ref):,} characters long, over the {MAX_REFERENCE}-character "
            "limit for a reference; not read")


class ItemKeys(Protocol):
    def key_for(self, ident: str) -> str:
        """The canonical key of an item stored in this workspace (or folder) with id ``ident``."""

    def resolve(self, ref: str) -> str | None:
        """The canonical key a reference written in this workspace points to, if it can tell."""


class MemoKeys:
    """Base of the key resolvers: ``resolve`` remembers what each reference resolved to.

    References repeat (parents, epics, convoys, the same ``external:`` target from many beads):
    in a 100k-unit load about half the resolutions are repeats. A resolver's answer depends only
    on the reference and on tables fixed when the resolver is made, so remembering is safe.
    """

    __slots__ = ("_resolved",)

    def __init__(self) -> None:
        self._resolved: dict[str, str | None] = {}

    def resolve(self, ref: str) -> str | None:
        resolved = self._resolved
        if ref in resolved:
            return resolved[ref]
        key = resolved[ref] = self._resolve(ref)
        return key

    def _resolve(self, ref: str) -> str | None:
        raise NotImplementedError


class FolderKeys(MemoKeys):
    """Keys of a standalone ``.beads`` folder: ``beads://local/FOLDER/ID``."""

    __slots__ = ("folder",)

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def key_for(self, ident: str) -> str:
        return uri.beads_key(self.folder, ident)

    def _resolve(self, ref: str) -> str | None:
        parsed = uri.try_parse(ref)
        if parsed is None:
            return None
        key = uri.canonical(parsed)
        if key is not None:
            return key
        if parsed.form in (uri.RefForm.SHORT, uri.RefForm.LOCAL_SHORT):
            return self.key_for(parsed.id)
        return None
