"""What the exporter needs from a warehouse, whichever warehouse it is.

Each warehouse gets one module implementing :class:`WarehouseReader`. The relations
are the ones the dbt project builds in the target's schema.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import pyarrow as pa

from hackle_export.errors import ContractViolation

logger = logging.getLogger(__name__)

EVENTS = "hackle_events"
DAILY_SUMMARY = "hackle_daily_summary"
REJECTED = "hackle_events_rejected"
SOURCE_STATUS = "hackle_source_status"


@dataclass(frozen=True)
class SourceStatus:
    """The one row of ``hackle_source_status``."""

    partition_timezone: str
    # Naive UTC; None when the source vouches for no instant at all.
    complete_until: datetime | None


@dataclass(frozen=True)
class DaySummary:
    """The row of ``hackle_daily_summary`` for one day."""

    day: date
    source_rows: int
    exported_rows: int
    rejected_rows: int
    duplicates_removed: int
    key_collisions: int


@dataclass(frozen=True)
class KeyTotals:
    """Rows and the exact sum of ``metric_value`` of one ``event_key``."""

    rows: int
    metric_total: Decimal


class WarehouseReader(Protocol):
    """Reads the dbt project's output relations for the exporter."""

    def source_status(self) -> SourceStatus:
        """The single row of ``hackle_source_status``."""
        ...

    def summary_days(self) -> list[date]:
        """Every day that has a row in ``hackle_daily_summary``, in order."""
        ...

    def undated_source_rows(self) -> int:
        """Source rows counted in ``hackle_daily_summary`` rows whose ``dt`` is null."""
        ...

    def day_summary(self, day: date) -> DaySummary | None:
        """The summary row of ``day``, or None when the day has no source rows."""
        ...

    def rejected_by_reason(self, day: date) -> dict[str, int]:
        """Held-back rows of ``day`` counted by reason code."""
        ...

    def count_events(self, start_utc: datetime, end_utc: datetime) -> int:
        """How many rows of ``hackle_events`` have ``start_utc <= ts < end_utc``."""
        ...

    def event_key_totals(
        self, start_utc: datetime, end_utc: datetime
    ) -> dict[str, KeyTotals]:
        """Rows and metric total per ``event_key`` of ``start_utc <= ts < end_utc``."""
        ...

    def insert_ids(self, start_utc: datetime, end_utc: datetime) -> pa.Array:
        """Every ``insert_id`` of ``start_utc <= ts < end_utc``, as one string array.

        Only a dry run asks for it; the ids of a day are held in memory.
        """
        ...

    def split_day(
        self, start_utc: datetime, end_utc: datetime, parts: int, min_rows: int
    ) -> list[tuple[datetime, datetime]]:
        """Cut ``start_utc <= ts < end_utc`` into ranges to be streamed side by side.

        At most ``parts`` consecutive ranges covering the whole span, none of far
        fewer than ``min_rows`` rows; the same rows always give the same ranges.
        """
        ...

    def stream_events(
        self, start_utc: datetime, end_utc: datetime, batch_rows: int
    ) -> AbstractContextManager[pa.RecordBatchReader]:
        """Rows with ``start_utc <= ts < end_utc`` ordered by ``ts, insert_id``.

        The reader yields record batches of at most ``batch_rows`` rows and never
        holds the whole day in memory.
        """
        ...

    def interrupt(self) -> None:
        """Stop the streams in flight, from another thread; each raises in its own."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class MartQueries:
    """The queries on the marts, written once (all but the day's stream).

    A reader supplies how to run a query (``_fetch``), how to name a relation
    (``_relation``) and how its driver binds a value: its positional
    ``placeholder``, or ``_day_param`` and ``_range_param`` of its own where the
    driver binds by name. The SQL and the checks of what comes back are the same
    on every warehouse.
    """

    # The driver's positional placeholder, such as ``?`` or ``%s``.
    placeholder: ClassVar[str] = ""

    def _fetch(
        self, relation: str, sql: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _relation(self, name: str) -> str:
        raise NotImplementedError

    def _day_param(self, day: date) -> tuple[str, list[Any]]:
        """The placeholder for a day in SQL, and the parameters that fill it."""
        return self._positional(), [day]

    def _range_param(
        self, start_utc: datetime, end_utc: datetime
    ) -> tuple[str, list[Any]]:
        """``start_utc <= ts < end_utc`` in SQL, and the parameters that fill it."""
        mark = self._positional()
        return f"ts >= {mark} and ts < {mark}", [start_utc, end_utc]

    def _positional(self) -> str:
        if not self.placeholder:
            raise NotImplementedError(
                f"{type(self).__name__} sets no placeholder and binds no values"
            )
        return self.placeholder

    def split_day(
        self, start_utc: datetime, end_utc: datetime, parts: int, min_rows: int
    ) -> list[tuple[datetime, datetime]]:
        """The whole day as one range, unless a reader knows a cheap way to cut it.

        On a warehouse that bills or queues each query, a second range would mean
        a second scan of the day.
        """
        return [(start_utc, end_utc)]

    def interrupt(self) -> None:
        """Nothing to stop from another thread: a day of one range is streamed in
        the thread that a stop signal interrupts."""

    def source_status(self) -> SourceStatus:
        rows = self._fetch(
            SOURCE_STATUS,
            "select partition_timezone, source_complete_until from "
            + self._relation(SOURCE_STATUS),
        )
        if len(rows) != 1:
            raise ContractViolation(
                f"{SOURCE_STATUS} holds {len(rows)} rows instead of exactly one; "
                "fix the model and run dbt build again"
            )
        timezone_name, complete_until = rows[0]
        if not timezone_name:
            raise ContractViolation(
                f"{SOURCE_STATUS}.partition_timezone is empty; fix the model and run "
                "dbt build again"
            )
        if complete_until is not None and not isinstance(complete_until, datetime):
            raise ContractViolation(
                f"{SOURCE_STATUS}.source_complete_until is {complete_until!r}, not a "
                "timestamp; fix the model and run dbt build again"
            )
        if complete_until is not None and complete_until.tzinfo is not None:
            complete_until = complete_until.astimezone(UTC).replace(tzinfo=None)
        return SourceStatus(str(timezone_name), complete_until)

    def summary_days(self) -> list[date]:
        rows = self._fetch(
            DAILY_SUMMARY,
            f"select distinct dt from {self._relation(DAILY_SUMMARY)} "
            "where dt is not null order by dt",
        )
        return [row[0] for row in rows]

    def undated_source_rows(self) -> int:
        rows = self._fetch(
            DAILY_SUMMARY,
            f"select sum(source_rows) from {self._relation(DAILY_SUMMARY)} "
            "where dt is null",
        )
        return int(rows[0][0] or 0) if rows else 0

    def day_summary(self, day: date) -> DaySummary | None:
        placeholder, params = self._day_param(day)
        rows = self._fetch(
            DAILY_SUMMARY,
            "select source_rows, exported_rows, rejected_rows, duplicates_removed, "
            f"key_collisions from {self._relation(DAILY_SUMMARY)} "
            f"where dt = {placeholder}",
            params,
        )
        if not rows:
            return None
        if len(rows) > 1:
            raise ContractViolation(
                f"{DAILY_SUMMARY} holds {len(rows)} rows for {day}; it must hold "
                "one per day, fix the model and run dbt build again"
            )
        counts = [int(value or 0) for value in rows[0]]
        return DaySummary(day, *counts)

    def rejected_by_reason(self, day: date) -> dict[str, int]:
        placeholder, params = self._day_param(day)
        rows = self._fetch(
            REJECTED,
            f"select coalesce(reason, '(none)'), count(*) from "
            f"{self._relation(REJECTED)} where dt = {placeholder} "
            "group by 1 order by 1",
            params,
        )
        return {str(reason): int(count) for reason, count in rows}

    def count_events(self, start_utc: datetime, end_utc: datetime) -> int:
        condition, params = self._range_param(start_utc, end_utc)
        rows = self._fetch(
            EVENTS,
            f"select count(*) from {self._relation(EVENTS)} where {condition}",
            params,
        )
        return int(rows[0][0])

    def event_key_totals(
        self, start_utc: datetime, end_utc: datetime
    ) -> dict[str, KeyTotals]:
        condition, params = self._range_param(start_utc, end_utc)
        rows = self._fetch(
            EVENTS,
            "select event_key, count(*), sum(metric_value) from "
            f"{self._relation(EVENTS)} where {condition} "
            "group by event_key order by event_key",
            params,
        )
        return {
            str(key): KeyTotals(int(count), Decimal(str(total or 0)))
            for key, count, total in rows
        }

    def insert_ids(self, start_utc: datetime, end_utc: datetime) -> pa.Array:
        condition, params = self._range_param(start_utc, end_utc)
        rows = self._fetch(
            EVENTS,
            f"select insert_id from {self._relation(EVENTS)} where {condition} "
            "order by insert_id",
            params,
        )
        return pa.array([row[0] for row in rows], pa.string())
