"""Dates as the files write them: ISO 8601 (with ``Z`` or an offset, any fraction of a second),
``2025-10-24 09:53:37`` (sudocode; taken as UTC), and bare dates ``2026-02-01``."""

from __future__ import annotations

import datetime as dt
import os
import re

UTC = dt.timezone.utc
_FRACTION = re.compile(r"\.(\d+)")


def parse_ts(text: object) -> dt.datetime | None:
    """An aware datetime for ``text``, or None when it is not a date this module knows."""
    if isinstance(text, dt.datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    if isinstance(text, dt.date):
        return dt.datetime(text.year, text.month, text.day, tzinfo=UTC)
    if not isinstance(text, str) or len(text) < 10:
        return None
    s = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # Python 3.11 takes at most 6 fraction digits; Go writes 9.
    s = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), s, count=1)
    try:
        value = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_date(text: object) -> dt.date | None:
    value = parse_ts(text)
    return value.date() if value else None


def now() -> dt.datetime:
    """The current time; ``CROSSDECK_NOW`` (ISO 8601) fixes it, for demos and tests."""
    fixed = os.environ.get("CROSSDECK_NOW")
    if fixed:
        value = parse_ts(fixed)
        if value is not None:
            return value
    return dt.datetime.now(UTC)


def today() -> dt.date:
    return now().date()


def age_words(delta: dt.timedelta) -> str:
    """A duration as words: ``under a minute``, ``5 minutes``, ``3 hours``, ``7 days``."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 2 * 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{seconds // 86400} days"
