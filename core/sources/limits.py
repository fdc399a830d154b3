"""How much a loader may read: kept apart from the readers so that settings (read at every
start-up, before the first paint) need not import YAML."""

from __future__ import annotations

import msgspec

DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024


class ReadLimits(msgspec.Struct, frozen=True):
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
