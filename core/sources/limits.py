"""What a loader may read: how much, from where, and how to reach the Dolt servers of towns whose
beads live in one. Kept apart from the readers so that settings (read at every start-up, before
the first paint) need not import YAML."""

from __future__ import annotations

import msgspec

from core.dolt.config import DoltSettings

DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
# How deep a record may nest (the record itself is level 1): one nested deeper is refused as that
# one record. Real records nest a few levels (a bead's metadata, a realm's JSON schema); a line of
# a thousand brackets is either damage or an attack on every recursive reader downstream.
MAX_NESTING = 64
# The longest reference (a dependency's target, a delegation's parent, ``[[org/repo#id]]``) that is
# read: a longer one is refused as that one reference. Real keys are well under 200 characters.
MAX_REFERENCE = 512
# What a file of work units (a .beads folder, sudocode issues and specs) gives; what the walks
# over the graph read (blockers, show, chains: core.graph_reach, core.working_set).
UNIT_RECORDS = ("work_units", "relationships", "delegations")


class ReadLimits(msgspec.Struct, frozen=True):
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    dolt: DoltSettings | None = None  # None: as config.toml says, read when a Dolt-backed folder is met
    # The real root of the workspace being read: a file whose real path is outside it is not read
    # (core.workspace_paths). ``core.federation.load_workspace`` sets it; None reads anywhere.
    within: str | None = None
    # The bulky record kinds (``core.cache.entry.HEAVY``) to read; None: all. A file that holds
    # only other kinds (a rig's beads for a verb that reads requests) is not read at all.
    records: frozenset[str] | None = None

    def reads_units(self) -> bool:
        """Whether work units are read, or what comes with them (beads, sudocode issues and specs)."""
        return self.reads(*UNIT_RECORDS)

    def reads(self, *kinds: str) -> bool:
        """Whether any of ``kinds`` is read."""
        return self.records is None or not self.records.isdisjoint(kinds)
