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


def age(stamp: object, moment: dt.datetime) -> str:
    """How long before ``moment`` the time ``stamp`` was, as every verb and the dashboard show it:
    ``42s``, ``5m``, ``3h``, ``4d`` (whole units, rounded down); ``?`` when there is no readable
    time, ``future`` when it is after ``moment``."""
    when = parse_ts(stamp)
    if when is None:
        return "?"
    seconds = int((moment - when).total_seconds())
    if seconds < 0:
        return "future"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def ago(stamp: str | None, moment: dt.datetime) -> str:
    """``age`` as words after a time: ``42s ago``, ``2d ago``; ``never`` for no time at all,
    ``in the future``, ``?`` for an unreadable time."""
    if stamp is None:
        return "never"
    text = age(stamp, moment)
    return {"?": "?", "future": "in the future"}.get(text, f"{text} ago")


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
