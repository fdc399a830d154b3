"""Untrusted strings as Rich ``Text``: shown literally, never parsed as markup or escapes."""

from __future__ import annotations

import functools
from pathlib import Path

from rich.text import Text

from core.text import one_line, printable
from core.text import plural as plural  # the panes count with it too


def literal(value: object, style: str = "") -> Text:
    """One line of untrusted text: control characters shown as escapes, no markup."""
    return Text(one_line(str(value)), style=style)


def literal_block(value: object, style: str = "") -> Text:
    """Multi-line untrusted text (descriptions): newlines kept, other controls escaped."""
    return Text(printable(str(value)), style=style)


def shorten_path(path: str, roots: list[str]) -> str:
    """``path`` relative to the root that holds it (shorter, and the same on every machine)."""
    for root in sorted(roots, key=len, reverse=True):
        resolved = _resolved(root)
        for base in (root.rstrip("/"), resolved):
            if path.startswith(base + "/"):
                return path[len(base) + 1:]
    return path


@functools.lru_cache(maxsize=64)
def _resolved(root: str) -> str:
    """A root with its links resolved, once: the Overview shortens thousands of diagnostics' paths
    against the same few roots."""
    return str(Path(root).resolve())
