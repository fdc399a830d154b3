"""Whether what a load looked at is still as it was: every file and folder stamp the same, and for
those that were racily clean when read (``core.sources.seen``), the same content too."""

from __future__ import annotations

import os
from itertools import chain

from core.sources.seen import Seen, digest, listing_digest, lstamp


def unchanged(seen: Seen) -> bool:
    for path, stamp in chain(seen.files.items(), seen.folders.items()):
        if lstamp(path) != stamp:
            return False
    for path, known in seen.digests.items():
        if path in seen.folders:
            if listing_digest(path) != known:
                return False
        elif _content_digest(path) != known:
            return False
    return True


def _content_digest(path: str) -> str | None:
    try:
        with open(os.path.realpath(path), "rb") as handle:
            return digest(handle.read())
    except (OSError, ValueError):
        return None
