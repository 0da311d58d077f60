"""Read the dbt project's relations from a DuckDB file, read-only."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hackle_export.errors import ConfigError, ContractViolation, ExportError
from hackle_export.profiles import Target
from hackle_export.readers.base import (
    EVENTS,
    KeyTotals,
    MartQueries,
)

logger = logging.getLogger(__name__)

DEFAULT_SCHEMA = "main"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class DuckDBReader(MartQueries):
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

    def _day_param(self, day: date) -> tuple[str, list[Any]]:
        return "?", [day]

    def _missing(self, relation: str) -> ConfigError:
        return ConfigError(
            f"{self.path} has no relation {self.schema}.{relation}; run dbt build "
            "for this target first"
        )

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
