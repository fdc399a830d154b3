"""Retrying a contact with a remote: the one retry path both transports (git, HTTP) go through.

A ``ContactFailure`` says whether retrying can help: a ``permanent`` one (no repository there,
a 4xx answer) is raised at once; the rest (a refused connection, a timeout, a 5xx) are retried up
to ``RetryPolicy.attempts`` times in all, waiting ``initial``, ``2 x initial``, ... (at most
``max_wait``) seconds in between (tenacity). A failure that says how long to wait
(``retry_after``: HTTP's ``Retry-After`` on a 429 or 503, already bounded by the client) waits at
least that long. ``core.sync.fetch_pool`` adds the circuit breaker around it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

T = TypeVar("T")


class ContactFailure(Exception):
    """A remote could not be reached or read. ``permanent`` failures are not retried;
    ``retry_after`` (seconds) is the least wait before the next attempt, when the remote said."""

    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class RetryPolicy(msgspec.Struct, kw_only=True, frozen=True):
    attempts: int = 3  # tries in all, the first included
    initial: float = 0.25  # seconds before the first retry; doubled each time
    max_wait: float = 4.0

    def wait(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1, 2, ...): ``initial`` doubled each time."""
        return min(self.max_wait, self.initial * 2 ** min(retry - 1, 32))

    def waits(self) -> list[float]:
        """The waits between attempts, in order (what tenacity's exponential wait gives)."""
        return [self.wait(n) for n in range(1, max(self.attempts, 1))]


ONCE = RetryPolicy(attempts=1)


def with_retries(operation: Callable[[], T], retry: RetryPolicy, sleep: Callable[[float], None],
                 on_attempt: Callable[[], None] | None = None) -> T:
    """``operation()``, retried on transient ``ContactFailure``s; the last failure is raised."""
    from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

    exponential = wait_exponential(multiplier=retry.initial, exp_base=2, min=0, max=retry.max_wait)

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        asked = getattr(failure, "retry_after", None) or 0.0
        return max(float(exponential(state)), asked)

    def counted() -> T:
        if on_attempt is not None:
            on_attempt()
        return operation()

    retrying = Retrying(
        stop=stop_after_attempt(max(1, retry.attempts)), wait=wait,
        retry=retry_if_exception(lambda exc: isinstance(exc, ContactFailure) and not exc.permanent),
        sleep=sleep, reraise=True)
    return retrying(counted)
