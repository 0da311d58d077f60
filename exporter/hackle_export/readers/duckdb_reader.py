"""Read the dbt project's relations from a DuckDB file, read-only."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from hackle_export.errors import ConfigError, ContractViolation, ExportError
from hackle_export.profiles import Target
from hackle_export.readers.base import (
    EVENTS,
    MartQueries,
)
from hackle_export.row_order import Key, comparable, first_and_last, neighbours

logger = logging.getLogger(__name__)

DEFAULT_SCHEMA = "main"

# What DuckDB may hold in memory while the exporter reads: a day stored in the
# export's order streams through a small buffer...
MEMORY_LIMIT = "32MB"
# ...and a day that has to be sorted first gets more, spilling what does not fit
# to DuckDB's temporary directory.
SORT_MEMORY_LIMIT = "1GB"
# Rows fetched from DuckDB at a time; the exporter regroups them into row groups.
FETCH_ROWS = 10_000


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class DuckDBReader(MartQueries):
    """A :class:`~hackle_export.readers.base.WarehouseReader` over a DuckDB file."""

    placeholder = "?"

    def __init__(self, path: Path, schema: str = DEFAULT_SCHEMA) -> None:
        self.path = path
        self.schema = schema
        # The cursors of the streams in flight, so that another thread can stop them.
        self._streams: set[duckdb.DuckDBPyConnection] = set()
        self._streams_guard = threading.Lock()
        try:
            self._con = duckdb.connect(str(path), read_only=True)
            self._con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
            self._con.execute("set enable_progress_bar = false")
            # Each range of a day is read by the thread that encodes it, so the
            # ranges already keep the cores busy; more threads per query would
            # only hold more buffers.
            self._con.execute("set threads = 1")
        except duckdb.Error as exc:
            if "not a valid DuckDB database file" in str(exc):
                raise ConfigError(
                    f"{path} is not a DuckDB database; point the target's path: at "
                    "the file dbt builds"
                ) from exc
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
        if path.is_dir():
            raise ConfigError(
                f"the DuckDB path {path} of target {target.name!r} is a folder; set "
                "path: in profiles.yml to the file dbt builds"
            )
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

    def split_day(
        self, start_utc: datetime, end_utc: datetime, parts: int, min_rows: int
    ) -> list[tuple[datetime, datetime]]:
        """Cut the day at whole seconds into ranges of about equal rows.

        At most ``parts`` ranges, each of at least about ``min_rows`` rows; rows of
        one second always stay in one range.
        """
        whole_day = [(start_utc, end_utc)]
        if parts <= 1:
            return whole_day
        condition, params = self._range_param(start_utc, end_utc)
        seconds = self._fetch(
            EVENTS,
            "select date_trunc('second', ts) as second, count(*) as row_count "
            f"from {self._relation(EVENTS)} where {condition} "
            "group by all order by second",
            params,
        )
        total = sum(count for _, count in seconds)
        ranges = max(1, min(parts, total // max(1, min_rows)))
        cuts: list[datetime] = []
        counted = 0
        for second, count in seconds:
            # Cut before the first second that would pass the next range's share.
            if len(cuts) >= ranges - 1:
                break
            share = total * (len(cuts) + 1) / ranges
            if counted and counted + count > share:
                # Naive UTC, like the day's own bounds, whatever type ts has.
                if second.tzinfo is not None:
                    second = second.astimezone(UTC).replace(tzinfo=None)
                cuts.append(second)
            counted += count
        bounds = [start_utc, *cuts, end_utc]
        return list(pairwise(bounds))

    @contextmanager
    def stream_events(
        self, start_utc: datetime, end_utc: datetime, batch_rows: int
    ) -> Iterator[pa.RecordBatchReader]:
        # A cursor of its own, so that an abandoned stream never blocks the next
        # query on the main connection, and streams can run side by side.
        cursor = self._con.cursor()
        with self._streams_guard:
            self._streams.add(cursor)
        batches: pa.RecordBatchReader | None = None
        condition, params = self._range_param(start_utc, end_utc)
        try:
            try:
                in_order = self.stored_in_order(start_utc, end_utc, cursor)
                if not in_order:
                    # Not a warning: a small day sorts in no time, and only a
                    # large one shows, in the run's time and memory.
                    logger.info(
                        "%s.%s is not stored in ts, insert_id order between %s and "
                        "%s UTC, so DuckDB sorts those rows first, which is slower "
                        "and may spill to disk; dbt build --full-refresh --select "
                        "hackle_events stores it in order",
                        self.schema,
                        EVENTS,
                        start_utc,
                        end_utc,
                    )
                    cursor.execute(f"set memory_limit = '{SORT_MEMORY_LIMIT}'")
                relation = cursor.sql(
                    f"select * from {self._relation(EVENTS)} where {condition}"
                    + ("" if in_order else " order by ts, insert_id"),
                    params=params,
                )
                batches = relation.to_arrow_reader(min(batch_rows, FETCH_ROWS))
            except duckdb.CatalogException as exc:
                raise self._missing(EVENTS) from exc
            except duckdb.BinderException as exc:
                raise ContractViolation(
                    f"{self.schema}.{EVENTS} lacks the ts or insert_id column ({exc}); "
                    "fix the model and run dbt build again"
                ) from exc
            yield batches
        finally:
            with self._streams_guard:
                self._streams.discard(cursor)
            # The stream keeps the database open until it is released, and an
            # error's traceback may keep the stream itself for a while.
            if batches is not None:
                batches.close()
            cursor.close()

    def stored_in_order(
        self,
        start_utc: datetime,
        end_utc: datetime,
        cursor: duckdb.DuckDBPyConnection | None = None,
    ) -> bool:
        """Whether a plain scan gives the rows of the range in ts, insert_id order.

        A scan keeps the order the rows were stored in, so when the model stored
        them sorted, the day needs no sort: reading two narrow columns proves it.
        """
        condition, params = self._range_param(start_utc, end_utc)
        keys_sql = (
            f"select ts, insert_id from {self._relation(EVENTS)} where {condition}"
        )
        last: Key | None = None
        with (
            (cursor or self._con)
            .sql(keys_sql, params=params)
            .to_arrow_reader(FETCH_ROWS) as keys
        ):
            for batch in keys:
                if batch.num_rows == 0:
                    continue
                ts, insert_id = batch.column(0), batch.column(1)
                first, batch_last = first_and_last(ts, insert_id)
                if last is not None and comparable(first, last) and first < last:
                    return False
                backwards, _ = neighbours(ts, insert_id)
                if pc.any(backwards).as_py():
                    return False
                last = batch_last
        return True

    def interrupt(self) -> None:
        """Stop the streams in flight; each raises in the thread that reads it."""
        with self._streams_guard:
            for cursor in self._streams:
                cursor.interrupt()

    def close(self) -> None:
        self._con.close()
