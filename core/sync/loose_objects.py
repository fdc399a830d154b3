"""Keeping a busy repository's objects packed, so its size grows with what changed.

Every commit crossdeck makes stores each file it touched as a whole new (zlib'd) blob in the
object database (``core.sync.gitcommit``); a request log of 1 MB that takes a line per call adds
1 MB per commit. git packs such runs of versions into deltas (a few hundred bytes each), but only
when ``git gc`` runs, and nothing runs it for a repository only crossdeck commits to: the served
workspace of ``crossdeck serve``. So after each group commit of the server
(``core.sync.group_commit``), ``pack_soon`` looks in a background thread (one at a time per
repository): once more than ``LOOSE_LIMIT`` loose objects have piled up, ``git repack -d`` puts
them into a pack (the versions of a log become deltas of each other), and once there are
``PACK_LIMIT`` packs, ``git repack -a -d`` merges them. (``git gc --auto`` would do the same but
guesses the loose count from one of the 256 object folders: no use at these sizes.) Repacking
prunes nothing and is safe beside commits.

Without a ``git`` program (GitPython needs one for most things, crossdeck's commits do not)
nothing is packed, and the reason is logged once.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path

LOOSE_LIMIT = 256  # loose objects before they are packed (git's own default is 6700)
PACK_LIMIT = 16  # packs before they are merged into one (git's default is 50)
TIMEOUT = 600.0
log = logging.getLogger("crossdeck.sync")
_running: set[Path] = set()
_guard = threading.Lock()


def pack_soon(root: Path) -> threading.Thread | None:
    """Pack the loose objects of the repository holding ``root`` in a background thread, unless
    one is already running for it; the thread (None when none was started)."""
    root = Path(root)
    with _guard:
        if root in _running:
            return None
        _running.add(root)
    thread = threading.Thread(target=_pack, args=(root,), name=f"pack {root.name}", daemon=True)
    thread.start()
    return thread


def _pack(root: Path) -> None:
    try:
        program = shutil.which("git")
        if program is None:
            log.info("no git program: %s's loose objects are not packed", root)
            return
        counts = dict(line.split(": ", 1) for line in _git(program, root, "count-objects", "-v").splitlines()
                      if ": " in line)
        if int(counts.get("packs", 0)) >= PACK_LIMIT:
            _git(program, root, "repack", "-a", "-d", "-q")  # every pack and loose object into one
        elif int(counts.get("count", 0)) > LOOSE_LIMIT:
            _git(program, root, "repack", "-d", "-q")  # the loose objects into a new pack
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        log.warning("packing %s's objects: %s", root, exc)
    finally:
        with _guard:
            _running.discard(root)


def _git(program: str, root: Path, *args: str) -> str:
    done = subprocess.run([program, "-C", str(root), *args], capture_output=True, text=True, timeout=TIMEOUT,
                          check=True)
    return done.stdout
