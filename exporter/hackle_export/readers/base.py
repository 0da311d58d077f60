"""What the exporter needs from a warehouse, whichever warehouse it is.

Each warehouse gets one module implementing :class:`WarehouseReader`. The relations
are the ones the dbt project builds in the target's schema.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

import pyarrow as pa

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

    def stream_events(
        self, start_utc: datetime, end_utc: datetime, batch_rows: int
    ) -> AbstractContextManager[pa.RecordBatchReader]:
        """Rows with ``start_utc <= ts < end_utc`` ordered by ``ts, insert_id``.

        The reader yields record batches of at most ``batch_rows`` rows and never
        holds the whole day in memory.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
