"""Bearer tokens of the federation API over HTTP (docs/http-api.md, "Tokens"), both sides.

**Serving side** (``issue``, ``verify``, ``revoke``, ``list``): a token names one remote of a
served workspace, or a maintainer actor. Only its SHA-256 is kept, in
``STATE/server/tokens.json`` (mode 0600, written atomically under a file lock): the token itself
is shown once, by ``issue``. ``verify`` re-reads the file when it changed, so a ``token revoke``
in another process takes effect on the next call.

**Calling side** (``secret_for``, ``remember``, ``forget``): the tokens other workspaces issued to
ours, in ``STATE/secrets/tokens.json`` (mode 0600; the folder holds a ``.gitignore`` of ``*``),
keyed by local workspace and remote name. Nothing here logs or prints a token.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from core.atomic import write_bytes_atomic
from core.settings import dirs
from core.timeutil import now

PREFIX = "cdt_"
TOKEN = re.compile(r"cdt_[A-Za-z0-9_-]{43}")


class TokenError(Exception):
    """A token could not be issued, kept, revoked or read; the message says why."""


class TokenRecord(msgspec.Struct, kw_only=True, frozen=True):
    """One issued token as the serving side keeps it: never the token, only its hash."""

    id: str  # tok-XXXXXXXX, how `token list` and `token revoke` name it
    workspace: str  # the served workspace
    remote: str | None = None  # the remote it names (its name in the workspace's config)
    maintainer: str | None = None  # or the maintainer actor it names
    sha256: str
    created_at: str
    revoked_at: str | None = None

    @property
    def holder(self) -> str:
        return self.remote if self.remote is not None else f"maintainer {self.maintainer}"


def server_file() -> Path:
    return dirs().state / "server" / "tokens.json"


def secrets_file() -> Path:
    return dirs().state / "secrets" / "tokens.json"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- serving side -------------------------------------------------------------------------------

def issue(workspace: str, remote: str | None = None, maintainer: str | None = None) -> tuple[TokenRecord, str]:
    """A new token for ``remote`` (or ``maintainer``) of ``workspace``: its record and the token,
    which is not kept anywhere and cannot be shown again."""
    if (remote is None) == (maintainer is None):
        raise TokenError("a token names either a remote or a maintainer")
    token = PREFIX + secrets.token_urlsafe(32)
    with _locked(server_file()):
        records = _read_records()
        taken = {r.id for r in records}
        ident = next(i for i in (f"tok-{secrets.token_hex(4)}" for _ in range(100)) if i not in taken)
        record = TokenRecord(id=ident, workspace=workspace, remote=remote, maintainer=maintainer,
                             sha256=digest(token), created_at=_stamp())
        _write_records([*records, record])
    return record, token


def verify(workspace: str, token: str) -> TokenRecord | None:
    """The live (not revoked) record of ``token`` for ``workspace``, else None."""
    if not TOKEN.fullmatch(token):
        return None
    wanted = digest(token)
    for record in _cached_records():
        if record.workspace == workspace and record.revoked_at is None and hmac.compare_digest(record.sha256, wanted):
            return record
    return None


def revoke(ident: str) -> TokenRecord:
    """Revoke the token ``ident`` (``tok-...``); revoking it again changes nothing."""
    with _locked(server_file()):
        records = _read_records()
        found = next((r for r in records if r.id == ident), None)
        if found is None:
            known = ", ".join(r.id for r in records) or "none issued"
            raise TokenError(f"no token {ident} (tokens: {known})")
        if found.revoked_at is None:
            found = msgspec.structs.replace(found, revoked_at=_stamp())
            _write_records([found if r.id == ident else r for r in records])
    return found


def list(workspace: str | None = None) -> builtins.list[TokenRecord]:  # the verb's name, as `token list`
    """Every issued token (of ``workspace``, when given), oldest first."""
    return [r for r in _read_records() if workspace is None or r.workspace == workspace]


_cache: dict[str, Any] = {"stamp": None, "records": []}
_cache_lock = threading.Lock()


def _cached_records() -> builtins.list[TokenRecord]:
    """The records, re-read only when the file changed (size, time or path)."""
    path = server_file()
    try:
        info = path.stat()
        stamp = (str(path), info.st_mtime_ns, info.st_size, info.st_ino)
    except FileNotFoundError:
        return []
    with _cache_lock:
        if _cache["stamp"] != stamp:
            _cache["records"] = _read_records()
            _cache["stamp"] = stamp
        return _cache["records"]  # type: ignore[no-any-return]


def _read_records() -> builtins.list[TokenRecord]:
    path = server_file()
    try:
        return msgspec.json.decode(path.read_bytes(), type=dict[str, builtins.list[TokenRecord]]).get("tokens", [])
    except FileNotFoundError:
        return []
    except (OSError, msgspec.DecodeError) as exc:
        raise TokenError(f"cannot read the issued tokens in {path}: {exc}") from None


def _write_records(records: builtins.list[TokenRecord]) -> None:
    _write_private(server_file(), msgspec.json.format(msgspec.json.encode({"tokens": records}), indent=2))


# -- calling side -------------------------------------------------------------------------------

def secret_for(workspace: str, remote_name: str) -> str | None:
    """The token ``remote_name`` issued to our ``workspace``, if one was added."""
    value = _read_secrets().get(workspace, {}).get(remote_name)
    return value if isinstance(value, str) else None


def remember(workspace: str, remote_name: str, token: str) -> Path:
    """Keep ``token`` for calls from ``workspace`` to ``remote_name``; the file it went to."""
    token = token.strip()
    if not TOKEN.fullmatch(token):
        raise TokenError("that is not a crossdeck token (cdt_ and 43 url-safe characters)")
    path = secrets_file()
    with _locked(path):
        data = _read_secrets()
        data.setdefault(workspace, {})[remote_name] = token
        _write_secrets(data)
    return path


def forget(workspace: str, remote_name: str) -> bool:
    """Drop the token kept for ``workspace`` -> ``remote_name``; False when none was kept."""
    path = secrets_file()
    with _locked(path):
        data = _read_secrets()
        if remote_name not in data.get(workspace, {}):
            return False
        del data[workspace][remote_name]
        if not data[workspace]:
            del data[workspace]
        _write_secrets(data)
    return True


def _read_secrets() -> dict[str, dict[str, str]]:
    path = secrets_file()
    try:
        return msgspec.json.decode(path.read_bytes(), type=dict[str, dict[str, str]])
    except FileNotFoundError:
        return {}
    except (OSError, msgspec.DecodeError) as exc:
        raise TokenError(f"cannot read the kept tokens in {path}: {exc}") from None


def _write_secrets(data: dict[str, dict[str, str]]) -> None:
    path = secrets_file()
    ignore = path.parent / ".gitignore"
    if not ignore.is_file():
        _write_private(ignore, b"*\n")
    _write_private(path, msgspec.json.format(msgspec.json.encode(data), indent=2))


# -- shared ---------------------------------------------------------------------------------------

@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of ``path`` across processes and threads."""
    from filelock import FileLock, Timeout

    _private_folder(path.parent)
    try:
        with FileLock(str(path) + ".lock", timeout=10):
            yield
    except Timeout:
        raise TokenError(f"{path} is locked by another crossdeck process; try again") from None


def _private_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise TokenError(f"cannot create {folder}: {exc.strerror or exc}") from None


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` atomically with mode 0600 (the temp file is made private before the rename)."""
    old = os.umask(0o077)
    try:
        write_bytes_atomic(path, data)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise TokenError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.umask(old)


def _stamp() -> str:
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")
