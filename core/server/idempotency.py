"""``request_id`` idempotency (docs/http-api.md, "Messages"): the first answer to a caller's
``request_id`` is kept in ``server.db``; the same id with the same body gets that answer again
(and changes nothing), with another body a 409. Calls with one caller and id are serialised, so
two concurrent calls never both do the work. Answers worth keeping: successes, and refusals that are on
record in the workspace (a mutate its policy denied, recorded as rejected). Any other refusal (a
permission that may be granted later, a full subscription quota, a 4xx about the message, a 503)
leaves nothing kept, so the same call can be made again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import msgspec

from core.server.db import Answer, ServerDB
from core.server.errors import ApiError

KEPT_STATUSES = frozenset({200, 201, 202})


def fingerprint(method: str, path: str, message: dict[str, Any]) -> str:
    """The same call whatever the key order or spacing of its body."""
    canonical = msgspec.json.encode([method, path, message], order="sorted")
    return hashlib.sha256(canonical).hexdigest()


class Idempotency:
    def __init__(self, db: ServerDB):
        self.db = db
        self._locks: dict[tuple[str, str], tuple[threading.Lock, int]] = {}
        self._guard = threading.Lock()

    def answered(self, caller: str, request_id: str) -> bool:
        """Whether the first answer to ``caller``'s ``request_id`` is kept (a call with it is a
        replay: ``run`` answers it without its work; kept answers are never dropped)."""
        return self.db.answer(caller, request_id) is not None

    def run(self, caller: str, request_id: str | None, sha: str,
            work: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, bytes, bool]:
        """(status, JSON body, replayed) of ``work``'s answer, or of the first answer to this id.
        ``work`` answers (status, body) or raises ``ApiError``."""
        if request_id is None:
            return _run(work) + (False,)
        key = (caller, request_id)
        lock = self._acquire(key)
        try:
            prior = self.db.answer(caller, request_id)
            if prior is not None:
                if prior.body_sha256 != sha:
                    raise ApiError(409, f"request_id {request_id} was used before with another body")
                return prior.status, prior.answer, True
            status, body = _run(work)
            if status in KEPT_STATUSES:
                self.db.remember_answer(caller, request_id, Answer(body_sha256=sha, status=status, answer=body))
            return status, body, False
        finally:
            self._release(key, lock)

    def _acquire(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        lock.acquire()
        return lock

    def _release(self, key: tuple[str, str], lock: threading.Lock) -> None:
        lock.release()
        with self._guard:
            _, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def _run(work: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, bytes]:
    try:
        status, body = work()
    except ApiError as exc:
        if not exc.recorded:
            raise
        status, body = exc.status, exc.body()
    return status, msgspec.json.encode(body)
