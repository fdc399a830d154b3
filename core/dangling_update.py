"""The federation's dangling references (``core.federation.dangling_references``) kept up to date
as single workspaces are read again, instead of checked anew over every relationship.

Whether a reference dangles depends on the reference, on the set of every loaded work unit's key,
on the loaded workspaces' names and on the ``.beads`` folders that could not be read. When one
workspace is read again under the same name (and with every folder read: ``core.graph_update``
``can_update``), only its own references and the references of other workspaces into the keys
it gained or lost can change. ``Dangling`` keeps the key counts, the warnings of each workspace,
and which workspaces refer to each key; ``replace`` checks those references again and nothing
else. tests/test_dashboard_reread.py compares the result with ``dangling_references``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from core.diagnostics import Diagnostic
from core.federation import Federation, dangling_references, loaded_prefixes, unresolved
from core.model import Workspace
from core.not_loaded import NotLoaded


class Dangling:
    """``dangling_references(workspaces)``, by workspace, for the local workspaces of ``fed``."""

    def __init__(self, fed: Federation, workspaces: Sequence[Workspace]) -> None:
        self.fed = fed  # the federation these are the warnings of (a reread updates both)
        self.keys: Counter[str] = Counter(unit.key for ws in workspaces for unit in ws.work_units)
        self.referrers: dict[str, set[int]] = {}
        for i, ws in enumerate(workspaces):
            for rel in ws.relationships:
                if rel.to_key is not None:
                    self.referrers.setdefault(rel.to_key, set()).add(i)
        at = {ws.name: i for i, ws in enumerate(workspaces)}
        self.blocks: list[list[Diagnostic]] = [[] for _ in workspaces]
        for diag in dangling_references(workspaces):
            self.blocks[at[diag.workspace or ""]].append(diag)
        self._loaded = loaded_prefixes(workspaces)

    @classmethod
    def of(cls, fed: Federation, workspaces: Sequence[Workspace]) -> Dangling | None:
        """None where workspaces share a name (their warnings cannot be told apart)."""
        if len({ws.name for ws in workspaces}) < len(workspaces):
            return None
        return cls(fed, workspaces)

    def __len__(self) -> int:
        return sum(len(block) for block in self.blocks)

    def all(self) -> list[Diagnostic]:
        return [diag for block in self.blocks for diag in block]

    def replace(self, i: int, old: Workspace, new: Workspace, workspaces: Sequence[Workspace]) -> None:
        """Workspace ``i`` (``old``) is ``new`` now, in ``workspaces``: check again its references
        and those of every workspace referring to a key it gained or lost."""
        before = {unit.key for unit in old.work_units}
        after = {unit.key for unit in new.work_units}
        self.keys.subtract(before)
        self.keys.update(after)
        for key in before - after:
            if self.keys[key] <= 0:
                del self.keys[key]  # a key is loaded while some workspace holds it: ``in`` says so
        for rel in old.relationships:
            if rel.to_key is not None and (held := self.referrers.get(rel.to_key)) is not None:
                held.discard(i)
        for rel in new.relationships:
            if rel.to_key is not None:
                self.referrers.setdefault(rel.to_key, set()).add(i)
        again = {i}
        for key in before ^ after:
            again.update(self.referrers.get(key, ()))
        unread = NotLoaded(workspaces)
        for j in sorted(again):
            self.blocks[j] = self._check(workspaces[j], unread)

    def _check(self, ws: Workspace, unread: NotLoaded) -> list[Diagnostic]:
        """``dangling_references``' warnings for the references of ``ws`` (the same code)."""
        return list(unresolved(ws.name, ws.relationships, self.keys, self._loaded, unread))
