"""Read the dbt project's relations from a DuckDB file, read-only."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hackle_export.errors import ConfigError, ContractViolation, ExportError
from hackle_export.profiles import Target
from hackle_export.readers.base import (
    DAILY_SUMMARY,
    EVENTS,
    REJECTED,
    SOURCE_STATUS,
    DaySummary,
    KeyTotals,
    SourceStatus,
)

logger = logging.getLogger(__name__)

DEFAULT_SCHEMA = "main"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class DuckDBReader:
    """A :class:`~hackle_export.readers.base.WarehouseReader` over a DuckDB file."""

    def __init__(self, path: Path, schema: str = DEFAULT_SCHEMA) -> None:
        self.path = path
        self.schema = schema
        try:
            self._con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise ExportError(
                f"could not open the DuckDB file {path} read-only ({exc}); make sure "
                "no dbt run is writing to it and try again"
            ) from exc
        logger.debug("opened %s read-only, schema %s", path, schema)

    @classmethod
    def from_target(cls, target: Target, cwd: Path | None = None) -> DuckDBReader:
        """Open the file named by a dbt-duckdb target, relative paths from ``cwd``."""
        raw_path = str(target.settings.get("path") or "")
        if not raw_path or raw_path == ":memory:" or raw_path.startswith("md:"):
            raise ConfigError(
                f"target {target.name!r} has no DuckDB file path (path: "
                f"{raw_path or 'missing'}); set path: to the file dbt builds"
            )
        path = Path(raw_path)
        if not path.is_absolute():
            path = (cwd or Path.cwd()) / path
        if not path.is_file():
            raise ConfigError(
                f"the DuckDB file {path} of target {target.name!r} does not exist; "
                "run dbt build first or fix path: in profiles.yml"
            )
        schema = str(target.settings.get("schema") or DEFAULT_SCHEMA)
        return cls(path, schema)

    def _relation(self, name: str) -> str:
        return f"{_quote(self.schema)}.{_quote(name)}"

    def _fetch(
        self, relation: str, sql: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        try:
            return self._con.execute(sql, list(params)).fetchall()
        except duckdb.CatalogException as exc:
            raise self._missing(relation) from exc
        except duckdb.BinderException as exc:
            raise ContractViolation(
                f"{self.schema}.{relation} lacks a column the exporter reads ({exc}); "
                "update the dbt project and run dbt build again"
            ) from exc

    def _missing(self, relation: str) -> ConfigError:
        return ConfigError(
            f"{self.path} has no relation {self.schema}.{relation}; run dbt build "
            "for this target first"
        )

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
        return int(rows[0][0] or 0)

    def day_summary(self, day: date) -> DaySummary | None:
        rows = self._fetch(
            DAILY_SUMMARY,
            "select source_rows, exported_rows, rejected_rows, duplicates_removed, "
            f"key_collisions from {self._relation(DAILY_SUMMARY)} where dt = ?",
            [day],
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
        rows = self._fetch(
            REJECTED,
            f"select coalesce(reason, '(none)'), count(*) from "
            f"{self._relation(REJECTED)} where dt = ? group by 1 order by 1",
            [day],
        )
        return {str(reason): int(count) for reason, count in rows}

    def count_events(self, start_utc: datetime, end_utc: datetime) -> int:
        rows = self._fetch(
            EVENTS,
            f"select count(*) from {self._relation(EVENTS)} where ts >= ? and ts < ?",
            [start_utc, end_utc],
        )
        return int(rows[0][0])

    def event_key_totals(
        self, start_utc: datetime, end_utc: datetime
    ) -> dict[str, KeyTotals]:
        rows = self._fetch(
            EVENTS,
            f"select event_key, count(*), sum(metric_value) from "
            f"{self._relation(EVENTS)} where ts >= ? and ts < ? "
            "group by event_key order by event_key",
            [start_utc, end_utc],
        )
        return {
            str(key): KeyTotals(int(count), Decimal(str(total or 0)))
            for key, count, total in rows
        }

    def insert_ids(self, start_utc: datetime, end_utc: datetime) -> pa.Array:
        rows = self._fetch(
            EVENTS,
            f"select insert_id from {self._relation(EVENTS)} "
            f"where ts >= ? and ts < ? order by insert_id",
            [start_utc, end_utc],
        )
        return pa.array([row[0] for row in rows], pa.string())

    @contextmanager
    def stream_events(
        self, start_utc: datetime, end_utc: datetime, batch_rows: int
    ) -> Iterator[pa.RecordBatchReader]:
        # A cursor of its own, so that an abandoned stream never blocks the next
        # query on the main connection.
        cursor = self._con.cursor()
        try:
            try:
                relation = cursor.sql(
                    f"select * from {self._relation(EVENTS)} "
                    "where ts >= ? and ts < ? order by ts, insert_id",
                    params=[start_utc, end_utc],
                )
                batches = relation.to_arrow_reader(batch_rows)
            except duckdb.CatalogException as exc:
                raise self._missing(EVENTS) from exc
            except duckdb.BinderException as exc:
                raise ContractViolation(
                    f"{self.schema}.{EVENTS} lacks the ts or insert_id column ({exc}); "
                    "fix the model and run dbt build again"
                ) from exc
            yield batches
        finally:
            cursor.close()

    def close(self) -> None:
        self._con.close()
