"""``--dry-run``: what a run would publish for a day, against what the bucket holds.

Nothing is written, created or deleted anywhere: the warehouse is queried, and the
destination is only listed and read, below that day's ``dt=`` folder (through
the same filesystem a real run uses: a folder, S3 or GCS). The comparison is per
``event_key`` (rows and metric totals) and by ``insert_id`` (how many are added
and removed, with a few of each). A dry run holds the day's insert_ids, from both
sides, in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from hackle_export import publish
from hackle_export.days import day_bounds, zone
from hackle_export.destination import Destination
from hackle_export.errors import ConfigError, ExportError, UsageError
from hackle_export.exit_codes import ExitCode
from hackle_export.export import EMPTY_REASON, not_ready_reason
from hackle_export.log_format import entry
from hackle_export.readers.base import KeyTotals, SourceStatus, WarehouseReader

logger = logging.getLogger(__name__)

# How many added and removed insert_ids a report shows.
EXAMPLES = 3
READ_COLUMNS = ["event_key", "insert_id", "metric_value"]
READ_BATCH_ROWS = 65_536


class DryRunStatus(StrEnum):
    WOULD_PUBLISH = "would_publish"
    NOT_READY = "not_ready"
    EMPTY_REFUSED = "empty_refused"
    FAILED = "failed"


EXIT_CODES: dict[DryRunStatus, ExitCode] = {
    DryRunStatus.WOULD_PUBLISH: ExitCode.OK,
    DryRunStatus.NOT_READY: ExitCode.NOT_READY,
    DryRunStatus.EMPTY_REFUSED: ExitCode.EMPTY_REFUSED,
    DryRunStatus.FAILED: ExitCode.FAILURE,
}


@dataclass
class DayContent:
    """One side of the comparison: rows and metric per event_key, and insert_ids."""

    totals: dict[str, KeyTotals] = field(default_factory=dict)
    insert_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    files: int = 0
    success: bool = False

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.totals.values())


@dataclass(frozen=True)
class KeyChange:
    event_key: str
    rows_now: int
    rows_after: int
    metric_now: Decimal
    metric_after: Decimal


@dataclass
class DryRunReport:
    """What a run would do to one day, and how that differs from the bucket."""

    day: date
    status: DryRunStatus
    reason: str | None = None
    error: Exception | None = None
    would: DayContent | None = None
    now: DayContent | None = None
    keys: list[KeyChange] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    added_examples: list[str] = field(default_factory=list)
    removed_examples: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.status]


def dry_run_day(
    reader: WarehouseReader,
    destination: Destination,
    day: date,
    source: SourceStatus,
    allow_empty: bool,
) -> DryRunReport:
    """Compare ``day`` in the warehouse with its folder; raise only usage errors."""
    try:
        return _compare(reader, destination, day, source, allow_empty)
    except (UsageError, ConfigError):
        raise
    except Exception as exc:
        return DryRunReport(day, DryRunStatus.FAILED, error=exc)


def _compare(
    reader: WarehouseReader,
    destination: Destination,
    day: date,
    source: SourceStatus,
    allow_empty: bool,
) -> DryRunReport:
    bounds = day_bounds(day, zone(source.partition_timezone))
    if source.complete_until is None or bounds.end_utc > source.complete_until:
        reason = not_ready_reason(bounds, source.complete_until)
        return DryRunReport(day, DryRunStatus.NOT_READY, reason=reason)
    summary = reader.day_summary(day)
    if (summary.exported_rows if summary else 0) == 0 and not allow_empty:
        return DryRunReport(day, DryRunStatus.EMPTY_REFUSED, reason=EMPTY_REASON)

    would = DayContent(
        totals=reader.event_key_totals(bounds.start_utc, bounds.end_utc),
        insert_ids=reader.insert_ids(bounds.start_utc, bounds.end_utc),
    )
    now = read_published(destination.fs, destination.day_folder(day))
    return compare(day, would, now)


def compare(day: date, would: DayContent, now: DayContent) -> DryRunReport:
    """The report of a day that would be published as ``would`` over ``now``."""
    report = DryRunReport(day, DryRunStatus.WOULD_PUBLISH, would=would, now=now)
    zero = KeyTotals(0, Decimal(0))
    for key in sorted(set(would.totals) | set(now.totals)):
        after, before = would.totals.get(key, zero), now.totals.get(key, zero)
        report.keys.append(
            KeyChange(
                key, before.rows, after.rows, before.metric_total, after.metric_total
            )
        )
    added = _missing_from(would.insert_ids, now.insert_ids)
    removed = _missing_from(now.insert_ids, would.insert_ids)
    report.added, report.removed = len(added), len(removed)
    report.added_examples = _examples(added)
    report.removed_examples = _examples(removed)
    return report


def _missing_from(ids: pa.Array, other: pa.Array) -> pa.Array:
    """The values of ``ids`` that ``other`` lacks."""
    if len(other) == 0:
        return ids
    return ids.filter(pc.invert(pc.is_in(ids, value_set=other)))


def _examples(ids: pa.Array) -> list[str]:
    if len(ids) == 0:
        return []
    ordered = pc.take(ids, pc.sort_indices(ids))
    return [str(value) for value in ordered.slice(0, EXAMPLES).to_pylist()]


def data_files(fs: pafs.FileSystem, folder: str) -> list[str]:
    """The day's data files: every file whose name starts with neither _ nor ."""
    infos = fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
    return sorted(
        info.path
        for info in infos
        if info.type == pafs.FileType.File and not info.base_name.startswith(("_", "."))
    )


def read_published(fs: pafs.FileSystem, folder: str) -> DayContent:
    """Rows and metric per event_key, and insert_ids, of the files in ``folder``."""
    paths = data_files(fs, folder)
    content = DayContent(files=len(paths), success=publish.has_success(fs, folder))
    ids: list[pa.Array] = []
    for path in paths:
        try:
            with fs.open_input_file(path) as handle:
                batches = pq.ParquetFile(handle).iter_batches(
                    batch_size=READ_BATCH_ROWS, columns=READ_COLUMNS
                )
                _add(content.totals, ids, batches)
        except (pa.ArrowInvalid, KeyError) as exc:
            raise ExportError(
                f"{path} is not a part file the exporter wrote ({exc}); a real run "
                "would remove it, run without --dry-run to replace the day"
            ) from exc
    if ids:
        content.insert_ids = pa.concat_arrays(ids)
    return content


def _add(
    totals: dict[str, KeyTotals],
    ids: list[pa.Array],
    batches: Iterable[pa.RecordBatch],
) -> None:
    for batch in batches:
        ids.append(batch.column("insert_id").cast(pa.string()))
        grouped = (
            pa.Table.from_batches([batch])
            .group_by("event_key")
            .aggregate([("event_key", "count"), ("metric_value", "sum")])
        )
        for row in grouped.to_pylist():
            key = str(row["event_key"])
            before = totals.get(key, KeyTotals(0, Decimal(0)))
            totals[key] = KeyTotals(
                before.rows + int(row["event_key_count"]),
                before.metric_total + Decimal(row["metric_value_sum"] or 0),
            )


def _signed(value: int | Decimal) -> str:
    return f"+{value}" if value >= 0 else str(value)


def _metric(value: Decimal) -> str:
    return f"{value:.6f}"


def render(report: DryRunReport) -> str:
    """The report as text: a day line, then one line per event_key and the ids."""
    head = f"{report.day.isoformat()} dry_run {report.status.value}"
    if report.status is not DryRunStatus.WOULD_PUBLISH:
        detail = report.reason or (str(report.error) if report.error else "")
        return f"{head}: {detail}" if detail else head
    would, now = report.would or DayContent(), report.now or DayContent()
    marker = "present" if now.success else "absent"
    lines = [
        f"{head} rows={would.rows} (in the bucket: {now.rows} rows in {now.files} "
        f"files, _SUCCESS {marker})"
    ]
    header = ("event_key", "rows", "change", "metric_total", "change")
    table = [header] + [
        (
            k.event_key,
            str(k.rows_after),
            _signed(k.rows_after - k.rows_now),
            _metric(k.metric_after),
            _signed(Decimal(_metric(k.metric_after - k.metric_now))),
        )
        for k in report.keys
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        pairs = zip(row[1:], widths[1:], strict=True)
        cells += [cell.rjust(width) for cell, width in pairs]
        lines.append("  " + "  ".join(cells).rstrip())
    ids = f"  insert_ids: {report.added} added, {report.removed} removed"
    if report.added_examples:
        ids += f"; added e.g. {', '.join(report.added_examples)}"
    if report.removed_examples:
        ids += f"; removed e.g. {', '.join(report.removed_examples)}"
    lines.append(ids)
    return "\n".join(lines)


def fields(report: DryRunReport) -> dict[str, Any]:
    """The report as one JSON object."""
    data = entry(
        "dry_run",
        day=report.day.isoformat(),
        status=report.status.value,
        exit_code=int(report.exit_code),
        reason=report.reason,
    )
    if report.error is not None:
        data["error"] = str(report.error)
    if report.would is not None and report.now is not None:
        data["rows"] = report.would.rows
        data["bucket"] = {
            "rows": report.now.rows,
            "files": report.now.files,
            "success": report.now.success,
        }
        data["event_keys"] = [
            {
                "event_key": k.event_key,
                "rows": k.rows_after,
                "rows_in_bucket": k.rows_now,
                "metric_total": _metric(k.metric_after),
                "metric_total_in_bucket": _metric(k.metric_now),
            }
            for k in report.keys
        ]
        data["insert_ids"] = {
            "added": report.added,
            "removed": report.removed,
            "added_examples": report.added_examples,
            "removed_examples": report.removed_examples,
        }
    return data
