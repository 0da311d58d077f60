"""How far a run of several days has got, and the table that ends it.

On a terminal (stderr is a TTY and ``CI`` is not set) each day gets a bar on
stderr that fills as its rows are read, and is cleared when the day's line is
printed. Elsewhere the day lines are the progress, and a day that takes long adds
a plain line to stderr every :data:`PLAIN_INTERVAL_S` seconds. A range ends with
a table of every day (``--summary``; on by default on a terminal).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from time import monotonic
from typing import TextIO

import pyarrow as pa

from hackle_export import console
from hackle_export.export import DayResult
from hackle_export.log_format import entry
from hackle_export.readers.base import (
    DaySummary,
    KeyTotals,
    SourceStatus,
    WarehouseReader,
)

logger = logging.getLogger(__name__)

BAR_WIDTH = 24
# A bar is redrawn at most this often; a plain line is written at most this often.
BAR_INTERVAL_S = 0.1
PLAIN_INTERVAL_S = 30.0

CLEAR_LINE = "\r\x1b[K"

# Values of CI that do not mean "running in CI".
_CI_OFF = {"", "0", "false", "no", "off"}


class ProgressMode(StrEnum):
    AUTO = "auto"
    BAR = "bar"
    PLAIN = "plain"


def on_terminal(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Whether ``stream`` is a terminal a person watches, not a CI log."""
    if env.get("CI", "").strip().lower() not in _CI_OFF:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def choose_mode(
    requested: ProgressMode, stream: TextIO, env: Mapping[str, str]
) -> ProgressMode:
    """Resolve ``auto``: a bar on a terminal, plain lines anywhere else."""
    if console.is_json():
        return ProgressMode.PLAIN
    if requested is not ProgressMode.AUTO:
        return requested
    return ProgressMode.BAR if on_terminal(stream, env) else ProgressMode.PLAIN


@dataclass(frozen=True)
class DayRow:
    """One row of the table that ends a range."""

    day: date
    status: str
    rows: int
    rejected: dict[str, int]
    duplicates: int
    files: int
    bytes: int | None
    seconds: float

    @classmethod
    def of(cls, result: DayResult, seconds: float) -> DayRow:
        return cls(
            day=result.day,
            status=result.status.value,
            rows=result.rows,
            rejected=dict(result.rejected),
            duplicates=result.duplicates_removed,
            files=len(result.files),
            bytes=result.manifest.total_bytes if result.manifest else None,
            seconds=seconds,
        )


TABLE_HEADERS = (
    "day",
    "status",
    "rows",
    "rejected",
    "duplicates",
    "files",
    "bytes",
    "seconds",
)
# Columns aligned right: the numbers.
_RIGHT = {"rows", "duplicates", "files", "bytes", "seconds"}


def _rejected_cell(rejected: Mapping[str, int]) -> str:
    total = sum(rejected.values())
    if not rejected:
        return str(total)
    reasons = ", ".join(f"{reason}={n}" for reason, n in sorted(rejected.items()))
    return f"{total} ({reasons})"


def _cells(row: DayRow) -> tuple[str, ...]:
    return (
        row.day.isoformat(),
        row.status,
        str(row.rows),
        _rejected_cell(row.rejected),
        str(row.duplicates),
        str(row.files),
        "-" if row.bytes is None else str(row.bytes),
        f"{row.seconds:.2f}",
    )


def render_table(rows: Sequence[DayRow]) -> str:
    """The days of a range as an aligned text table, with a total line.

    ``bytes`` is ``-`` where it is not known (a day not published, or published
    without a manifest).
    """
    total_rejected: dict[str, int] = {}
    for row in rows:
        for reason, count in row.rejected.items():
            total_rejected[reason] = total_rejected.get(reason, 0) + count
    known_bytes = [row.bytes for row in rows if row.bytes is not None]
    published = sum(1 for row in rows if row.status == "published")
    total = (
        "total",
        f"{published}/{len(rows)} published",
        str(sum(row.rows for row in rows)),
        _rejected_cell(total_rejected),
        str(sum(row.duplicates for row in rows)),
        str(sum(row.files for row in rows)),
        str(sum(known_bytes)) if known_bytes else "-",
        f"{sum(row.seconds for row in rows):.2f}",
    )
    table = [TABLE_HEADERS, *(_cells(row) for row in rows), total]
    widths = [max(len(line[i]) for line in table) for i in range(len(TABLE_HEADERS))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if name in _RIGHT else cell.ljust(width)
            for name, cell, width in zip(TABLE_HEADERS, cells, widths, strict=True)
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join(
        [line(TABLE_HEADERS), rule, *(line(c) for c in table[1:-1]), rule, line(total)]
    )


def render_bar(
    day: date,
    index: int,
    days: int,
    rows: int,
    expected: int | None,
    seconds: float,
    width: int = BAR_WIDTH,
) -> str:
    """``2024-01-02 [2/3] [######------]  50%  200/400 rows  1.5 s``."""
    if expected:
        share = min(1.0, rows / expected)
        filled = int(share * width)
        bar = "#" * filled + "-" * (width - filled)
        return (
            f"{day.isoformat()} [{index}/{days}] [{bar}] {share:4.0%}  "
            f"{rows}/{expected} rows  {seconds:.1f} s"
        )
    return f"{day.isoformat()} [{index}/{days}] {rows} rows  {seconds:.1f} s"


@dataclass
class RunProgress:
    """Shows each day's progress and collects the rows of the closing table."""

    days: int
    mode: ProgressMode
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    # Seconds from any fixed point; time.monotonic unless given.
    clock: Callable[[], float] | None = None
    rows: list[DayRow] = field(default_factory=list)
    _day: date | None = None
    _index: int = 0
    _started: float = 0.0
    _drawn: float = 0.0
    _read: int = 0
    _expected: int | None = None
    _bar_shown: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _now(self) -> float:
        return (self.clock or monotonic)()

    def start_day(self, day: date) -> None:
        self._day = day
        self._index += 1
        self._started = self._drawn = self._now()
        self._read = 0
        self._expected = None
        self._draw(force=True)

    def expect(self, rows: int) -> None:
        """The day's row count, once the summary has given it."""
        self._expected = rows
        self._draw(force=True)

    def advance(self, rows: int) -> None:
        # The ranges of a day are read side by side.
        with self._lock:
            self._read += rows
            self._draw(force=False)

    def finish_day(self, result: DayResult) -> float:
        """Clear the bar and note the day's table row; return its seconds."""
        if self.mode is ProgressMode.BAR:
            self._draw(force=True)  # the day's last state, however quick it was
        seconds = self._now() - self._started
        self._clear()
        self.rows.append(DayRow.of(result, seconds))
        self._day = None
        return seconds

    def _draw(self, force: bool) -> None:
        if self._day is None:
            return
        now = self._now()
        elapsed = now - self._started
        if self.mode is ProgressMode.BAR:
            if not force and now - self._drawn < BAR_INTERVAL_S:
                return
            text = render_bar(
                self._day, self._index, self.days, self._read, self._expected, elapsed
            )
            self.stream.write(CLEAR_LINE + text)
            self.stream.flush()
            self._bar_shown = True
            self._drawn = now
            return
        # Plain: nothing for a quick day, a line now and then for a long one.
        if now - self._drawn < PLAIN_INTERVAL_S:
            return
        self._drawn = now
        expected = "?" if self._expected is None else str(self._expected)
        console.status(
            f"{self._day.isoformat()} [{self._index}/{self.days}] {self._read}/"
            f"{expected} rows after {elapsed:.0f} s",
            entry(
                "progress",
                day=self._day.isoformat(),
                index=self._index,
                days=self.days,
                rows=self._read,
                expected_rows=self._expected,
                seconds=round(elapsed, 3),
            ),
        )

    def close(self) -> None:
        """Clear a bar left on the terminal, before an error is printed."""
        self._clear()

    def _clear(self) -> None:
        if self._bar_shown:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self._bar_shown = False

    def table(self) -> str:
        return render_table(self.rows)

    def summary_fields(self) -> dict[str, object]:
        return entry(
            "summary",
            days=[
                {
                    "day": row.day.isoformat(),
                    "status": row.status,
                    "rows": row.rows,
                    "rejected_by_reason": row.rejected,
                    "duplicates_removed": row.duplicates,
                    "files": row.files,
                    "bytes": row.bytes,
                    "seconds": round(row.seconds, 3),
                }
                for row in self.rows
            ],
        )


class ProgressReader:
    """A warehouse reader that tells a :class:`RunProgress` what it reads."""

    def __init__(self, reader: WarehouseReader, progress: RunProgress) -> None:
        self._reader = reader
        self._progress = progress

    def source_status(self) -> SourceStatus:
        return self._reader.source_status()

    def summary_days(self) -> list[date]:
        return self._reader.summary_days()

    def undated_source_rows(self) -> int:
        return self._reader.undated_source_rows()

    def day_summary(self, day: date) -> DaySummary | None:
        summary = self._reader.day_summary(day)
        self._progress.expect(summary.exported_rows if summary else 0)
        return summary

    def rejected_by_reason(self, day: date) -> dict[str, int]:
        return self._reader.rejected_by_reason(day)

    def count_events(self, start_utc: datetime, end_utc: datetime) -> int:
        return self._reader.count_events(start_utc, end_utc)

    def event_key_totals(
        self, start_utc: datetime, end_utc: datetime
    ) -> dict[str, KeyTotals]:
        return self._reader.event_key_totals(start_utc, end_utc)

    def insert_ids(self, start_utc: datetime, end_utc: datetime) -> pa.Array:
        return self._reader.insert_ids(start_utc, end_utc)

    @contextmanager
    def _counted(
        self, stream: AbstractContextManager[pa.RecordBatchReader]
    ) -> Iterator[pa.RecordBatchReader]:
        with stream as batches:

            def counted() -> Iterator[pa.RecordBatch]:
                for batch in batches:
                    self._progress.advance(batch.num_rows)
                    yield batch

            # run_day only iterates the stream, so a plain iterable of batches
            # (as stand-in readers give) is passed on as one.
            schema = getattr(batches, "schema", None)
            if schema is None:
                yield counted()  # type: ignore[misc]
            else:
                yield pa.RecordBatchReader.from_batches(schema, counted())

    def split_day(
        self, start_utc: datetime, end_utc: datetime, parts: int, min_rows: int
    ) -> list[tuple[datetime, datetime]]:
        return self._reader.split_day(start_utc, end_utc, parts, min_rows)

    def stream_events(
        self, start_utc: datetime, end_utc: datetime, batch_rows: int
    ) -> AbstractContextManager[pa.RecordBatchReader]:
        return self._counted(self._reader.stream_events(start_utc, end_utc, batch_rows))

    def interrupt(self) -> None:
        self._reader.interrupt()

    def close(self) -> None:
        self._reader.close()
