"""Arrow data shaped exactly as BigQuery returns ``hackle_events``, and a client.

The BigQuery Storage API (and the REST path of google-cloud-bigquery) hands a
TIMESTAMP column over as ``timestamp[us, tz=UTC]``, a NUMERIC column, whatever its
declared precision, as ``decimal128(38, 9)``, and an
``ARRAY<STRUCT<key STRING, value STRING>>`` as a list of structs. A JSON column
carries the extension name ``google:sqlType:json`` in its field metadata.

``StandInClient`` answers the queries of ``BigQueryReader`` from such data. It
stands in for google-cloud-bigquery's ``Client`` because no BigQuery that returns
these exact Arrow types runs locally (the emulator's Storage API answers in its own
DuckDB types).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

RECORDS = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
BQ_TIMESTAMP = pa.timestamp("us", tz="UTC")
BQ_NUMERIC = pa.decimal128(38, 9)
JSON_METADATA = {b"ARROW:extension:name": b"google:sqlType:json"}


def events_schema(identifiers_json: bool = False) -> pa.Schema:
    identifiers = (
        pa.field("identifiers", pa.string(), metadata=JSON_METADATA)
        if identifiers_json
        else pa.field("identifiers", RECORDS)
    )
    return pa.schema(
        [
            pa.field("ts", BQ_TIMESTAMP),
            pa.field("event_key", pa.string()),
            identifiers,
            pa.field("insert_id", pa.string()),
            pa.field("metric_value", BQ_NUMERIC),
            pa.field("user_properties", RECORDS),
            pa.field("event_properties", RECORDS),
            pa.field("platform_properties", RECORDS),
        ]
    )


def event_rows(day: date, count: int) -> list[dict[str, Any]]:
    """``count`` events of ``day`` in UTC, a few ms apart, maps sorted by key."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    rows = []
    for i in range(count):
        user = [{"key": "tier", "value": "gold"}] if i % 2 else []
        rows.append(
            {
                "ts": start + timedelta(seconds=37 * i, milliseconds=i % 1000),
                "event_key": f"event_{i % 3}",
                "identifiers": [
                    {"key": "device_id", "value": f"dev-{i % 7}"},
                    {"key": "id", "value": f"user-{i}"},
                ],
                "insert_id": f"{i:08x}-0000-4000-8000-{i:012x}",
                "metric_value": Decimal(i) / Decimal(1000) + Decimal("0.000001"),
                "user_properties": user,
                "event_properties": [{"key": "screen", "value": f"s{i % 4}"}],
                "platform_properties": [
                    {"key": "osname", "value": "Android" if i % 2 else "iOS"},
                    {"key": "version", "value": "2.4.0"},
                ],
            }
        )
    return rows


def as_bigquery_batch(
    rows: list[dict[str, Any]], identifiers_json: bool = False
) -> pa.RecordBatch:
    """Rows as one record batch with BigQuery's Arrow types."""
    import json

    schema = events_schema(identifiers_json)
    if identifiers_json:
        rows = [
            {
                **row,
                "identifiers": json.dumps(
                    {entry["key"]: entry["value"] for entry in row["identifiers"]}
                ),
            }
            for row in rows
        ]
    return pa.RecordBatch.from_pylist(rows, schema=schema)


@dataclass
class StandInRow:
    items: tuple[Any, ...]

    def values(self) -> tuple[Any, ...]:
        return self.items


@dataclass
class StandInRows:
    rows: list[StandInRow]
    batches: list[pa.RecordBatch]
    page_size: int | None = None

    def __iter__(self) -> Iterator[StandInRow]:
        return iter(self.rows)

    def to_arrow_iterable(
        self, bqstorage_client: Any = None
    ) -> Iterator[pa.RecordBatch]:
        return iter(self.batches)


@dataclass
class StandInJob:
    result_rows: StandInRows

    def result(self, page_size: int | None = None) -> StandInRows:
        self.result_rows.page_size = page_size
        return self.result_rows


@dataclass
class StandInClient:
    """Answers BigQueryReader's queries for one day of events."""

    day: date
    batches: list[pa.RecordBatch]
    exported_rows: int
    queries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    closed: bool = False

    def query(
        self, sql: str, job_config: Any = None, location: Any = None
    ) -> StandInJob:
        params = {p.name: p.value for p in job_config.query_parameters}
        self.queries.append((sql, params))
        if "hackle_daily_summary" in sql and "key_collisions" in sql:
            rows = [StandInRow((self.exported_rows, self.exported_rows, 0, 0, 0))]
        elif "hackle_events_rejected" in sql:
            rows = []
        elif "hackle_source_status" in sql:
            rows = [StandInRow(("UTC", datetime(2030, 1, 1, tzinfo=UTC)))]
        elif "count(*)" in sql and "hackle_events" in sql:
            rows = [StandInRow((self.exported_rows,))]
        else:
            return StandInJob(StandInRows([], self.batches))
        return StandInJob(StandInRows(rows, []))

    def close(self) -> None:
        self.closed = True
