"""A token bucket per caller (docs/http-api.md, "Limits"): ``rate`` calls a minute, bursts up to
``rate``; an empty bucket answers how many seconds until the next call is allowed. Callers
without a valid token have one bucket per client address (``peer:IP``). Buckets full again are
forgotten once there are more than ``MAX_KEYS``, so many addresses cannot grow it without bound."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from core.analysis.approvals import dig

DEFAULT_PER_MINUTE = 120
MAX_KEYS = 10_000


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, caller: str, per_minute: int) -> int | None:
        """Spend one call of ``caller``'s bucket: None when allowed, else the seconds to wait."""
        per_minute = max(1, per_minute)
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            if len(self._buckets) > MAX_KEYS:
                self._buckets = {key: (left, when) for key, (left, when) in self._buckets.items() if now - when < 60.0}
            tokens, at = self._buckets.get(caller, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - at) * rate)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                return None
            self._buckets[caller] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))


def per_minute(federation_config: object) -> int:
    """``policies.incoming_requests.query.rate_limit.requests_per_minute``, else the default."""
    value = dig(federation_config, "policies", "incoming_requests", "query", "rate_limit", "requests_per_minute")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_PER_MINUTE
