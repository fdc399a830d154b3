"""The identity of the code that reads workspaces: crossdeck's version and a digest of the source
of every module that turns files into records. An entry written by any other code (another
release, a checkout with an edited loader) has another identity and is never read."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import core

# 2: the header says which workspaces it has edges from; 3: and those edges touch (since removed);
# 4: the identity names the record kinds read
CACHE_FORMAT = 4
_CORE = Path(core.__file__).parent
# What decides the records a load makes: the loaders, the model, the diagnostics, the key rules.
_SOURCES = ("sources", "dolt", "cache", "model.py", "diagnostics.py", "uri.py", "federation.py", "not_loaded.py",
            "graph_kinds.py", "policy.py", "maintainers.py", "timeutil.py", "workspace_paths.py")


# What decides which records a walk reads (core.working_set): the graph and the analyses.
_WALKS = ("analysis", "graph.py", "graph_kinds.py", "graph_reach.py", "graph_recording.py", "working_set.py")


@functools.cache
def code_identity() -> str:
    return _digest(_SOURCES)


@functools.cache
def walks_identity() -> str:
    """The identity of the code that builds the graph and walks it (a kept working set is read
    only by the code that recorded it)."""
    return _digest(_WALKS)


def _digest(names: tuple[str, ...]) -> str:
    digest = hashlib.blake2b(f"{core.__version__}\0{CACHE_FORMAT}".encode(), digest_size=16)
    for name in names:
        path = _CORE / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(_CORE)).encode())
            try:
                digest.update(file.read_bytes())
            except OSError:  # an installed copy without its source: the version alone
                digest.update(b"?")
    return digest.hexdigest()
