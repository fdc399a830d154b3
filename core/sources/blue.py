"""Blue's own files around realms: the user's index of realms (``~/.blue/index.yaml``), which
discovery reads to find realm folders, and a repo's ``.blue/config.yaml``, which names the realm
(and domain) the repo belongs to (formats README, "Realms: Blue").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostics
from core.sources import seen
from core.sources.files import ReadLimits, folder_problem, shown, yaml_line_of
from core.sources.schema import Schema, opt, req
from core.sources.yaml_records import load_mapping, record_line

INDEX_ENTRY = Schema("index entry", {"name": req(str), "path": opt(str), "url": opt(str), "local_path": opt(str)})
BLUE_CONFIG = Schema("realm config", {"name": req(str), "path": opt(str), "domain": opt(str)})


def load_blue_index(path: Path, diags: Diagnostics, limits: ReadLimits) -> list[Path]:
    """The realm folders a Blue index (``~/.blue/index.yaml``) lists, in its order.

    Entries are ``{name, path}`` (a realm repo) or ``{name, url, local_path}`` (the clone of a
    remote realm). ``~`` is expanded; a relative path is taken from the folder holding ``.blue/``
    (the user's home for the real index, the folder a user types paths from), or from the
    index's own folder when that is not named ``.blue``. A missing index lists nothing, silently;
    a malformed entry is an error; an entry whose folder is not there, holds no realm.yaml, or
    has no local clone is a warning.
    """
    if not seen.is_file(path):
        return []
    doc = load_mapping(path, "Blue index", diags, limits) or {}
    entries = doc.get("realms") or []
    if not isinstance(entries, list):
        diags.error(path, "'realms' should be a list", yaml_line_of(path, ["realms"]))
        return []
    base = path.parent.parent if path.parent.name == ".blue" else path.parent
    folders: list[Path] = []
    for index, raw in enumerate(entries):
        parsed = INDEX_ENTRY.read(raw) if isinstance(raw, dict) else "index entry should be a mapping"
        if isinstance(parsed, str):
            diags.error(path, f"realms[{index}]: {parsed}", record_line(path, ["realms", index], raw, parsed))
            continue
        known = parsed[0]
        written = known.get("local_path") or known.get("path")
        line = yaml_line_of(path, ["realms", index])
        name = shown(known["name"])
        if written is None:
            diags.warning(path, f"realm {name!r} has no local path (not cloned?); not loaded", line)
            continue
        try:
            folder = Path(written).expanduser()
        except RuntimeError:  # ~someone who has no home here
            folder = Path(written)
        folder = folder if folder.is_absolute() else base / folder
        problem = folder_problem(folder)
        if problem is None and not seen.is_file(folder / "realm.yaml"):
            problem = "holds no realm.yaml"
        if problem is not None:
            diags.warning(path, f"realm {name!r}: {shown(written)} {problem}", line)
            continue
        if folder not in folders:
            folders.append(folder)
    return folders


def read_blue_config(path: Path, diags: Diagnostics, limits: ReadLimits) -> dict[str, Any] | None:
    """The ``realm`` mapping of a repo's ``.blue/config.yaml`` (``{name, path?, domain?}``, as
    written, unknown keys kept). None when the file is absent or names no realm (silently), or
    when it has the wrong shape (an error naming the line)."""
    if not seen.is_file(path):
        return None
    doc = load_mapping(path, "Blue config", diags, limits)
    realm = doc.get("realm") if doc else None
    if realm is None:
        return None
    if not isinstance(realm, dict):
        diags.error(path, "'realm' should be a mapping", yaml_line_of(path, ["realm"]))
        return None
    parsed = BLUE_CONFIG.read(realm)
    if isinstance(parsed, str):
        diags.error(path, parsed, record_line(path, ["realm"], realm, parsed))
        return None
    return realm
