"""Which keys belong to ``.beads`` folders whose beads could not be read at all (a Dolt server
down, and no export or backup beside it): references into them are not-loaded stubs, covered by
the one warning the load gave for the folder, never one "not there" warning each."""

from __future__ import annotations

from collections.abc import Iterable

from core.model import Workspace, WorkspaceKind


class NotLoaded:
    __slots__ = ("_own", "_prefixes")

    def __init__(self, workspaces: Iterable[Workspace]):
        prefixes: list[str] = []
        own: set[str] = set()  # workspaces whose own (town-level or standalone) beads were not read
        for ws in workspaces:
            for source in ws.sources:
                if source.read_from != "none" or source.server is None:
                    continue  # read, or a folder of files that holds none: nothing of it is hidden
                if source.rig is not None:
                    prefixes.append(f"{ws.name}/{source.rig}/")
                elif ws.kind is WorkspaceKind.TOWN:
                    own.add(ws.name)
                else:
                    prefixes.append(ws.name + "/")
        self._prefixes = tuple(prefixes)
        self._own = own

    def __bool__(self) -> bool:
        return bool(self._prefixes or self._own)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if self._prefixes and key.startswith(self._prefixes):
            return True
        if self._own:
            head, _, ident = key.rpartition("/")
            return head in self._own and bool(ident)  # hop://OWNER/TOWN/ID: a town-level item
        return False
