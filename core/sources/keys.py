"""How a workspace names its items and resolves the references its items make."""

from __future__ import annotations

from typing import Protocol

from core import uri


class ItemKeys(Protocol):
    def key_for(self, ident: str) -> str:
        """The canonical key of an item stored in this workspace (or folder) with id ``ident``."""

    def resolve(self, ref: str) -> str | None:
        """The canonical key a reference written in this workspace points to, if it can tell."""


class FolderKeys:
    """Keys of a standalone ``.beads`` folder: ``beads://local/FOLDER/ID``."""

    __slots__ = ("folder",)

    def __init__(self, folder: str):
        self.folder = folder

    def key_for(self, ident: str) -> str:
        return uri.beads_key(self.folder, ident)

    def resolve(self, ref: str) -> str | None:
        parsed = uri.try_parse(ref)
        if parsed is None:
            return None
        key = uri.canonical(parsed)
        if key is not None:
            return key
        if parsed.form in (uri.RefForm.SHORT, uri.RefForm.LOCAL_SHORT):
            return self.key_for(parsed.id)
        return None
