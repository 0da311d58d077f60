"""Which days to export, and where a day begins and ends in UTC.

A day is midnight to midnight in the partition time zone; ``ts`` is UTC, so the
bounds are converted to naive UTC datetimes for the warehouse query.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hackle_export.errors import ConfigError, UsageError

logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)
# A day's bounds in UTC reach up to a day beyond it either way (time zone offsets,
# the next day's start), so the first and last dates Python holds are no export day.
FIRST_DAY = date.min + ONE_DAY
LAST_DAY = date.max - ONE_DAY


@dataclass(frozen=True)
class DayBounds:
    """A partition day as a half-open interval of naive UTC datetimes."""

    day: date
    start_utc: datetime
    end_utc: datetime

    @property
    def start_ms(self) -> int:
        return _epoch_ms(self.start_utc)

    @property
    def end_ms(self) -> int:
        return _epoch_ms(self.end_utc)


def _epoch_ms(naive_utc: datetime) -> int:
    delta = naive_utc - datetime(1970, 1, 1)
    return delta // timedelta(milliseconds=1)


def zone(name: str) -> ZoneInfo:
    """The partition time zone, or a configuration error naming the bad value."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"the partition time zone {name!r} from hackle_source_status is not an "
            "IANA time zone name; set one such as 'UTC' or 'Asia/Seoul' in the dbt "
            "project and run dbt build again"
        ) from exc


def _midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    local_midnight = datetime.combine(day, time(0), tzinfo=tz)
    return local_midnight.astimezone(UTC).replace(tzinfo=None)


def day_bounds(day: date, tz: ZoneInfo) -> DayBounds:
    """Midnight to next midnight of ``day`` in ``tz``, as naive UTC."""
    return DayBounds(day, _midnight_utc(day, tz), _midnight_utc(day + ONE_DAY, tz))


def yesterday(tz: ZoneInfo, now: datetime | None = None) -> date:
    """The day before today in ``tz``."""
    current = now.astimezone(tz) if now is not None else datetime.now(tz)
    return current.date() - ONE_DAY


def parse_day(text: str, option: str) -> date:
    """Parse a strict ``YYYY-MM-DD`` command-line value."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"{option} {text!r} is not a date; write it as YYYY-MM-DD"
        ) from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(
            f"{option} {text} is outside the days an export can cover "
            f"({FIRST_DAY} to {LAST_DAY}); give the day the events belong to"
        )
    return day


def day_range(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, both included."""
    if start > end:
        raise UsageError(
            f"--start {start} is after --end {end}; give the earlier day first"
        )
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
