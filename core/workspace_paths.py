"""Where crossdeck reads and writes: nothing behind a link that leads out of a workspace's root.

Anyone who can commit to a workspace can commit a symbolic link, and a link may lead anywhere:
``audit.jsonl -> ~/.bashrc`` would have a remote's mutate append to the maintainer's shell rc,
``.sudocode -> ../other-project/.sudocode`` would load another project and write into it. So,
with every link resolved:

- **Reads.** A record file or folder whose real path is outside its workspace's real root is
  not read: a warning names the link and where it leads (``core.sources.files.read_bytes`` and
  ``linked_out``; the workspace's loader passes its root in ``ReadLimits.within``).
- **Writes.** Every write (``core.atomic``, ``core.sync.appendlog``) must land inside the root
  of a workspace whose lock the writing thread holds (``core.sync.lock.workspace_lock`` says so
  through ``writing_into``: the lock is the writer's statement of where it writes), or inside
  crossdeck's own folders (``core.settings.dirs``). ``write_target`` resolves the path, checks
  it and returns the real path, which the writer opens without following a final link. A
  workspace one of whose record folders (``RECORD_FOLDERS``) or their files leads out of its
  root is not written at all, so no action is left half done. A refusal is ``LinkedOut``, an
  ``OSError`` whose ``strerror`` says where the path leads; nothing has been written.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

# The folders at a workspace's root that hold the records crossdeck writes (docs/formats.md).
RECORD_FOLDERS = (".sudocode", ".sudocode/federation", ".crossdeck", ".beads")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# The roots of the workspaces whose locks this thread (or task) holds, innermost last.
_writing: ContextVar[tuple[str, ...]] = ContextVar("crossdeck_writing_into", default=())


class LinkedOut(OSError):
    """A write refused: the path leads (through a link) out of where it must stay."""

    def __init__(self, path: object, why: str) -> None:
        super().__init__(errno.ELOOP, why, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


@contextmanager
def writing_into(root: Path | str) -> Iterator[None]:
    """While inside, this thread may write into the workspace at ``root``."""
    token = _writing.set((*_writing.get(), os.path.abspath(root)))
    try:
        yield
    finally:
        _writing.reset(token)


def inside(real: str, real_root: str) -> bool:
    """Whether the real path ``real`` is ``real_root`` or below it (both already resolved)."""
    return real == real_root or real.startswith(real_root if real_root.endswith(os.sep) else real_root + os.sep)


def leads_out(path: Path | str, real_root: str) -> str | None:
    """Where ``path`` really is when that is outside ``real_root``; None when it stays inside."""
    real = os.path.realpath(path)
    return None if inside(real, real_root) else real


def the_link(path: Path | str, root: Path | str) -> tuple[str, str] | None:
    """The first symbolic link on ``path``'s way down from ``root`` (itself included) that leads
    out of ``root``, and where it leads; None when there is none (``path`` is not below ``root``
    as written, or it is outside for another reason)."""
    here, base = os.path.abspath(path), os.path.abspath(root)
    if not inside(here, base):
        return None
    real_root = os.path.realpath(base)
    step = base
    for part in Path(os.path.relpath(here, base)).parts:
        step = os.path.join(step, part)
        if os.path.islink(step):
            real = os.path.realpath(step)
            if not inside(real, real_root):
                return step, real
    return None


def _where_it_leads(path: Path | str, real: str, root: Path | str, what: str) -> str:
    """``it leads to REAL, outside WHAT ROOT (LINK is a symbolic link to TARGET)``."""
    link = the_link(path, root)
    through = ""
    if link is not None and link[0] != os.path.abspath(path):
        through = f" ({os.path.relpath(link[0], os.path.abspath(root))} is a symbolic link to {link[1]})"
    elif link is not None:
        through = " (it is a symbolic link)"
    return f"it leads to {real}, outside {what} {root}{through}"


def write_target(path: Path) -> Path:
    """The real path a write of ``path`` goes to, checked: inside the root of a workspace this
    thread holds the lock of (and that workspace's record folders do not lead out), or inside
    crossdeck's own folders; raises ``LinkedOut`` otherwise."""
    wanted = os.path.abspath(path)
    area = _area_of(wanted)
    if area is None:
        raise LinkedOut(path, "it is neither inside a workspace being written (whose lock is held) nor inside "
                              "crossdeck's own folders")
    root, is_workspace = area
    real_root = os.path.realpath(root)
    real = os.path.realpath(wanted)
    what = "the workspace at" if is_workspace else "crossdeck's folder"
    if not inside(real, real_root):
        raise LinkedOut(path, _where_it_leads(wanted, real, root, what))
    if is_workspace:
        _check_records(path, root, real_root)
    return Path(real)


def open_written(path: Path, flags: int, mode: int = 0o644) -> int:
    """``os.open`` of a path ``write_target`` returned, never following a final link (one made
    since the check is refused, not followed)."""
    try:
        return os.open(path, flags | _NOFOLLOW, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LinkedOut(path, "it became a symbolic link after it was checked; not followed") from None
        raise


def _area_of(wanted: str) -> tuple[str, bool] | None:
    """The innermost place ``wanted`` is written into (lexically, before any link is resolved):
    a workspace whose lock is held, or one of crossdeck's own folders; and whether it is a workspace."""
    from core.settings import dirs

    own = dirs()
    places = [(root, True) for root in _writing.get()]
    places += [(os.path.abspath(folder), False) for folder in (own.state, own.cache, own.config, own.data)]
    best: tuple[str, bool] | None = None
    for root, is_workspace in places:
        for spelling in {root, os.path.realpath(root)}:
            if inside(wanted, spelling) and (best is None or len(spelling) > len(best[0])):
                best = (spelling, is_workspace)
    return best


def _check_records(path: Path, root: str, real_root: str) -> None:
    """Refuse any write into a workspace one of whose record folders, or a file in one, leads out
    of its root: every action writes there (its audit entry at least), so it would be left half
    done. Only links cost a ``realpath``: the rest is a ``scandir`` of a few small folders."""
    for name in RECORD_FOLDERS:
        folder = os.path.join(root, name)
        if os.path.islink(folder):
            out = leads_out(folder, real_root)
            if out is not None:
                raise LinkedOut(path, _refused(root, name, out))
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                out = leads_out(entry.path, real_root)
                if out is not None:
                    raise LinkedOut(path, _refused(root, f"{name}/{entry.name}", out))


def _refused(root: str, name: str, real: str) -> str:
    return f"the workspace at {root} is not written while its {name} leads out of it (a symbolic link to {real})"
