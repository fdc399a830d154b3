"""YAML files of records (realms, Blue's index and config): a file that must hold one mapping, and
the line a record, or the field a schema message names, sits on (for diagnostics with file:line).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostics
from core.sources.files import ReadLimits, load_yaml, yaml_line_of

_FIELD = re.compile(r"field '([^']+)'")  # the field a Schema message names
Keys = list[str | int]


def record_line(path: Path, keys: Keys, raw: Any = None, message: str = "") -> int | None:
    """The line of the record at ``keys``, or of its field the message names when it has one."""
    match = _FIELD.search(message)
    if isinstance(raw, dict) and match and match.group(1) in raw:
        keys = [*keys, match.group(1)]
    return yaml_line_of(path, keys)


def load_mapping(path: Path, what: str, diags: Diagnostics, limits: ReadLimits) -> dict[str, Any] | None:
    """A YAML file holding a mapping ({} when empty), or None once an error is reported."""
    before = len(diags)
    doc = load_yaml(path, diags, limits)
    if doc is None:
        return {} if len(diags) == before else None
    if not isinstance(doc, dict):
        diags.error(path, f"{what}: the file should hold a mapping, found a {type(doc).__name__}", 1)
        return None
    return doc
