"""Export one day: check readiness, stream, conform, write, verify, publish."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

import pyarrow as pa
import pyarrow.fs as pafs

from hackle_export import interrupt, lock, publish, verify
from hackle_export.conform import Conformer
from hackle_export.days import DayBounds, day_bounds, zone
from hackle_export.destination import Destination
from hackle_export.errors import ConfigError, ContractViolation, UsageError
from hackle_export.exit_codes import ExitCode
from hackle_export.manifest import Manifest, withdraw_manifest, write_manifest
from hackle_export.readers.base import (
    DAILY_SUMMARY,
    EVENTS,
    REJECTED,
    DaySummary,
    SourceStatus,
    WarehouseReader,
)
from hackle_export.row_order import RowOrder
from hackle_export.schema import IdentifiersFormat
from hackle_export.writer import PartWriter, WrittenPart, new_run_id

logger = logging.getLogger(__name__)

MEBIBYTE = 1024 * 1024

# Rows of each contiguous chunk of a row group: see row_groups.
CHUNK_ROWS = 10_000

EMPTY_REASON = "no exported rows; pass --allow-empty to publish an empty day"


class DayStatus(StrEnum):
    PUBLISHED = "published"
    NOT_READY = "not_ready"
    EMPTY_REFUSED = "empty_refused"
    CONTRACT_VIOLATION = "contract_violation"
    # Another run holds the day's lock, or took it over: nothing published.
    LOCKED = "locked"
    FAILED = "failed"


EXIT_CODES: dict[DayStatus, ExitCode] = {
    DayStatus.PUBLISHED: ExitCode.OK,
    DayStatus.NOT_READY: ExitCode.NOT_READY,
    DayStatus.EMPTY_REFUSED: ExitCode.EMPTY_REFUSED,
    DayStatus.CONTRACT_VIOLATION: ExitCode.CONTRACT_VIOLATION,
    # Like a day that is not ready: this run published nothing, a later one can.
    DayStatus.LOCKED: ExitCode.NOT_READY,
    DayStatus.FAILED: ExitCode.FAILURE,
}


@dataclass(frozen=True)
class ExportOptions:
    identifiers_format: IdentifiersFormat = IdentifiersFormat.MAP
    allow_empty: bool = False
    max_file_bytes: int = 256 * MEBIBYTE
    batch_rows: int = 100_000
    # Ranges of a day written side by side, each into part files of its own.
    writers: int = 2
    # Keep <dest>/_hackle_manifests/dt=YYYY-MM-DD.json in step with the day.
    write_manifest: bool = False
    # How long a day's lock outlives the last renewal of a run that stopped.
    lock_ttl: timedelta = lock.DEFAULT_TTL


@dataclass
class DayResult:
    """What happened to one day, as reported to the user."""

    day: date
    status: DayStatus = DayStatus.FAILED
    rows: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    duplicates_removed: int = 0
    files: list[str] = field(default_factory=list)
    error: Exception | None = None
    # Why a day was not published, when no error says it.
    reason: str | None = None
    # What the published day holds, as its manifest says.
    manifest: Manifest | None = None

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.status]


def run_day(
    reader: WarehouseReader,
    destination: Destination,
    day: date,
    source: SourceStatus,
    options: ExportOptions,
) -> DayResult:
    """Export ``day`` and report the outcome instead of raising.

    Only usage and configuration errors are raised, because they would fail every
    following day of a range in the same way.
    """
    result = DayResult(day)
    try:
        # Holds the day's lock once it is taken; released on every way out.
        with ExitStack() as held:
            _export_day(reader, destination, day, source, options, result, held)
    except lock.DayLocked as exc:
        result.status = DayStatus.LOCKED
        result.reason = str(exc)
        logger.info("%s is not published: %s", day, exc)
    except ContractViolation as exc:
        result.status = DayStatus.CONTRACT_VIOLATION
        result.error = exc
    except (UsageError, ConfigError):
        raise
    except Exception as exc:
        interrupt.check(exc)
        result.status = DayStatus.FAILED
        result.error = exc
    return result


def _export_day(
    reader: WarehouseReader,
    destination: Destination,
    day: date,
    source: SourceStatus,
    options: ExportOptions,
    result: DayResult,
    held: ExitStack,
) -> None:
    """Publish ``day`` under ``destination``, filling in ``result`` on the way."""
    started = time.monotonic()
    bounds = day_bounds(day, zone(source.partition_timezone))

    summary = reader.day_summary(day)
    result.rejected = reader.rejected_by_reason(day)
    result.duplicates_removed = summary.duplicates_removed if summary else 0

    if source.complete_until is None or bounds.end_utc > source.complete_until:
        result.reason = not_ready_reason(bounds, source.complete_until)
        logger.info("%s is not ready: %s", day, result.reason)
        result.status = DayStatus.NOT_READY
        return

    expected_rows = summary.exported_rows if summary else 0
    if expected_rows == 0:
        _check_marts_agree(reader, bounds, summary, result.rejected)
        if not options.allow_empty:
            result.reason = EMPTY_REASON
            logger.info("%s is not published: %s", day, result.reason)
            result.status = DayStatus.EMPTY_REFUSED
            return

    fs = destination.fs
    folder = destination.day_folder(day)
    run_id = new_run_id()
    publish.check_folder(fs, folder)
    day_lock = held.enter_context(_lock_day(destination, day, run_id, options))
    publish.reached("locked", day.isoformat())
    publish.withdraw_success(fs, folder)
    if options.write_manifest:
        withdraw_manifest(destination, day)
    publish.prepare_folder(fs, folder)

    conformer = Conformer(bounds, options.identifiers_format)
    ranges = reader.split_day(
        bounds.start_utc, bounds.end_utc, options.writers, options.batch_rows
    )
    logger.debug("%s is written in %d ranges: %s", day, len(ranges), ranges)
    written = _write_ranges(
        [
            _Range(index, start, end, reader, conformer, fs, folder, run_id)
            for index, (start, end) in enumerate(ranges)
        ],
        options,
        day_lock,
    )
    parts = [part for range_parts, _ in written for part in range_parts]
    streamed_rows = sum(rows for _, rows in written)
    result.files = [part.path for part in parts]

    publish.reached("before_verify", folder)
    verify.verify_parts(
        fs, parts, options.identifiers_format, streamed_rows, expected_rows
    )
    publish.reached("after_verify", folder)
    _confirm_or_withdraw(day_lock, fs, parts)
    publish.remove_others(fs, folder, {part.path for part in parts})
    # A stop asked for during the day never ends in a published day.
    interrupt.check()
    _confirm_or_withdraw(day_lock, fs, parts)
    publish.reached("before_success", folder)
    publish.signal_success(fs, folder)
    if options.write_manifest:
        result.manifest = write_manifest(
            destination,
            day,
            result.files,
            run_id,
            source.complete_until,
            source.partition_timezone,
        )

    result.status = DayStatus.PUBLISHED
    result.rows = streamed_rows
    logger.info(
        "published %s: %d rows in %d files to %s in %.2f s",
        day,
        streamed_rows,
        len(parts),
        folder,
        time.monotonic() - started,
    )


def _lock_day(
    destination: Destination, day: date, run_id: str, options: ExportOptions
) -> lock.DayLock:
    path = lock.lock_path(destination.root, day)
    store = lock.open_store(destination.fs, path)
    return lock.DayLock(store, day, run_id, options.lock_ttl)


def _confirm_or_withdraw(
    day_lock: lock.DayLock, fs: pafs.FileSystem, parts: Sequence[WrittenPart]
) -> None:
    """Go on only while this run holds the day; otherwise remove its own parts."""
    try:
        day_lock.confirm()
    except lock.LockLost:
        publish.remove_parts(fs, [part.path for part in parts])
        raise


@dataclass(frozen=True)
class _Range:
    """One range of a day's rows and where its part files go."""

    index: int
    start_utc: datetime
    end_utc: datetime
    reader: WarehouseReader
    conformer: Conformer
    fs: pafs.FileSystem
    folder: str
    run_id: str


class _Abandoned(Exception):
    """Another range of the day failed, so this one stops too."""


def _write_ranges(
    ranges: Sequence[_Range], options: ExportOptions, day_lock: lock.DayLock
) -> list[tuple[list[WrittenPart], int]]:
    """Write each range into its own part files, side by side; parts and rows each.

    One range is written in this thread. Several get a thread each: reading from
    the warehouse and encoding Parquet release the interpreter, so each keeps a
    core busy. The first failure stops the other ranges and is raised.
    """
    if len(ranges) == 1:
        return [_write_range(ranges[0], options, day_lock, threading.Event())]
    reader = ranges[0].reader
    abandon = threading.Event()
    first_failure: list[BaseException] = []
    guard = threading.Lock()

    def abandon_all() -> None:
        abandon.set()
        # A range may be waiting for the warehouse (a sort, say) rather than at
        # its next batch: stop it there.
        reader.interrupt()

    def write(each: _Range) -> tuple[list[WrittenPart], int]:
        try:
            return _write_range(each, options, day_lock, abandon)
        except BaseException as exc:
            with guard:
                if not abandon.is_set():
                    first_failure.append(exc)
                    abandon_all()
            raise

    with ThreadPoolExecutor(
        max_workers=len(ranges), thread_name_prefix="hackle-range"
    ) as pool:
        futures = [pool.submit(write, each) for each in ranges]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:
            # Ctrl-C or SIGTERM in this thread: the ranges stop too.
            with guard:
                abandon_all()
            raise
    if first_failure:
        raise first_failure[0]
    return [future.result() for future in futures]


def _write_range(
    each: _Range,
    options: ExportOptions,
    day_lock: lock.DayLock,
    abandon: threading.Event,
) -> tuple[list[WrittenPart], int]:
    """Stream, conform and write one range; return its parts and rows."""
    rows = 0
    announced = 0
    with (
        each.reader.stream_events(
            each.start_utc, each.end_utc, options.batch_rows
        ) as batches,
        PartWriter(
            each.fs,
            each.folder,
            each.run_id,
            each.conformer.schema,
            options.max_file_bytes,
            each.index,
        ) as writer,
    ):
        conformed = _conformed(batches, each.conformer, day_lock, abandon)
        for group in row_groups(conformed, options.batch_rows):
            writer.write(group)
            rows += group.num_rows
            del group
            announced = _announce_parts(writer.parts, announced)
    _announce_parts(writer.parts, announced)
    return writer.parts, rows


def _conformed(
    batches: Iterable[pa.RecordBatch],
    conformer: Conformer,
    day_lock: lock.DayLock,
    abandon: threading.Event,
) -> Iterator[pa.RecordBatch]:
    """Conform each batch, after checking for a stop and for the day's lock, and
    check that the rows come in order, each once."""
    order = RowOrder()
    for batch in batches:
        interrupt.check()
        day_lock.check()
        if abandon.is_set():
            raise _Abandoned("another range of the day failed")
        conformed = conformer.conform(batch)
        order.check(conformed)
        yield conformed


def _announce_parts(parts: Sequence[WrittenPart], announced: int) -> int:
    for part in parts[announced:]:
        publish.reached("part_written", part.path)
    return len(parts)


def row_groups(
    batches: Iterable[pa.RecordBatch], rows: int, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pa.Table]:
    """Regroup ``batches`` into tables of exactly ``rows`` rows, the last fewer.

    Each table becomes one row group, made of contiguous chunks of ``chunk_rows``
    rows (the last of a group fewer). Where the chunks break decides where the
    Parquet pages break, so the same rows give the same part files, byte for
    byte, however the warehouse happened to cut its stream; and a row group is
    written from its chunks without first being copied into one piece.
    """
    chunk = min(rows, chunk_rows)
    pattern = [chunk] * (rows // chunk) + ([rows % chunk] if rows % chunk else [])
    group: list[pa.RecordBatch] = []
    group_rows = 0
    for piece in _cut(batches, itertools.cycle(pattern)):
        group.append(piece)
        group_rows += piece.num_rows
        if group_rows == rows:
            table = pa.Table.from_batches(group)
            group, group_rows = [], 0
            yield table
            # Hold no group while the next one is gathered: memory is one group.
            del table
    if group:
        yield pa.Table.from_batches(group)


def _cut(
    batches: Iterable[pa.RecordBatch], sizes: Iterator[int]
) -> Iterator[pa.RecordBatch]:
    """Regroup ``batches`` into contiguous batches of the next of ``sizes`` rows.

    Only pieces that straddle a cut are copied; the last batch may be short.
    """
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    wanted = next(sizes)
    for batch in batches:
        offset = 0
        while offset < batch.num_rows:
            take = min(wanted - pending_rows, batch.num_rows - offset)
            pending.append(batch.slice(offset, take))
            pending_rows += take
            offset += take
            if pending_rows == wanted:
                # Let go of the pieces before the consumer holds the whole.
                whole = _concatenate(pending)
                pending, pending_rows = [], 0
                wanted = next(sizes)
                yield whole
                del whole
    if pending_rows:
        yield _concatenate(pending)


def _concatenate(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def not_ready_reason(bounds: DayBounds, complete_until: datetime | None) -> str:
    """Why a day is not ready yet, in the terms of its UTC end."""
    if complete_until is None:
        source = "the source vouches for no instant yet"
    else:
        source = f"the source is complete until {complete_until} UTC"
    return f"the day ends at {bounds.end_utc} UTC and {source}; retry later"


def _check_marts_agree(
    reader: WarehouseReader,
    bounds: DayBounds,
    summary: DaySummary | None,
    rejected: dict[str, int],
) -> None:
    """Refuse a day the summary calls empty while the other marts hold its rows.

    Such marts come from different dbt runs; publishing or refusing the day on the
    summary's word alone would be a guess.
    """
    events = reader.count_events(bounds.start_utc, bounds.end_utc)
    held_back = sum(rejected.values())
    if summary is None and (events or held_back):
        raise ContractViolation(
            f"{DAILY_SUMMARY} has no row for {bounds.day} but {EVENTS} holds "
            f"{events} rows and {REJECTED} {held_back} rows of it; the marts "
            "disagree, run dbt build again"
        )
    if summary is not None and events:
        raise ContractViolation(
            f"{DAILY_SUMMARY} counts 0 exported_rows for {bounds.day} but {EVENTS} "
            f"holds {events} rows of it; the marts disagree, run dbt build again"
        )
