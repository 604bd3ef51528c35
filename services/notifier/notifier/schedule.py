"""When a text may go out: quiet hours in the store's time zone, and retry backoff. Pure."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_until(
    now: datetime, *, timezone: str, start: time | None, end: time | None
) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None when texts may go now.

    Quiet hours may wrap midnight (20:00–07:00, the default) or not (12:00–13:00).
    """
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    wraps_midnight = end < start
    quiet = (clock >= start or clock < end) if wraps_midnight else start <= clock < end
    if not quiet:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def local_date(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def local_day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants at which `day` begins and ends in `timezone`."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def retry_delay(
    attempt: int, *, base: float, ceiling: float, at_least: float | None = None
) -> float:
    """Exponential backoff with jitter: about base·2^(attempt-1), capped, never below what the
    provider asked for (Retry-After). The jitter keeps copies that failed together apart."""
    delay = min(ceiling, base * 2 ** max(0, attempt - 1))
    delay *= random.uniform(0.5, 1.0)
    return max(delay, at_least or 0.0)
