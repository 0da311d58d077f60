"""The BigQuery reader on Arrow data shaped as BigQuery returns it.

The conversion runs on real Arrow arrays; the day goes through the exporter's own
conform, write, verify and publish steps into real Parquet files. Only the Google
client is a stand-in (see bigquery_shapes.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bigquery_shapes import (
    BQ_NUMERIC,
    BQ_TIMESTAMP,
    StandInClient,
    as_bigquery_batch,
    event_rows,
)

from hackle_export.destination import open_destination
from hackle_export.errors import ConfigError, ContractViolation
from hackle_export.export import DayStatus, ExportOptions, run_day
from hackle_export.profiles import Target
from hackle_export.readers.bigquery_reader import (
    CONVERTED_SCHEMA,
    BigQueryReader,
    records_to_map,
    to_contract_types,
)
from hackle_export.schema import COLUMNS, MAP_TYPE, METRIC_TYPE, TS_TYPE

DAY = date(2024, 5, 1)


def test_lists_of_records_become_maps_over_the_same_buffers() -> None:
    batch = as_bigquery_batch(event_rows(DAY, 5))
    records = batch.column("identifiers")

    converted = records_to_map("identifiers", records)

    assert converted.type == MAP_TYPE
    assert converted.to_pylist()[2] == [("device_id", "dev-2"), ("id", "user-2")]
    # The keys and values are BigQuery's own string buffers, not copies.
    assert converted.keys.buffers()[2].address == (
        records.values.field("key").buffers()[2].address
    )
    assert converted.items.buffers()[2].address == (
        records.values.field("value").buffers()[2].address
    )
    assert (
        converted.offsets.buffers()[1].address == records.offsets.buffers()[1].address
    )


def test_sliced_lists_of_records_keep_their_own_entries() -> None:
    records = as_bigquery_batch(event_rows(DAY, 6)).column("user_properties")

    converted = records_to_map("user_properties", records.slice(3, 2))

    assert converted.to_pylist() == [[("tier", "gold")], []]


def test_bigquery_types_become_the_contract_types() -> None:
    rows = event_rows(DAY, 4)
    converted = to_contract_types(as_bigquery_batch(rows))

    assert converted.schema == CONVERTED_SCHEMA
    assert converted.column("ts").type == TS_TYPE
    assert converted.column("metric_value").type == METRIC_TYPE
    assert converted.column("metric_value").to_pylist()[3] == Decimal("0.003001")
    assert converted.column("ts").to_pylist() == [row["ts"] for row in rows]
    assert converted.column("user_properties").to_pylist()[0] == []


def test_json_identifiers_become_a_map() -> None:
    converted = to_contract_types(as_bigquery_batch(event_rows(DAY, 2), True))

    assert converted.column("identifiers").to_pylist()[1] == [
        ("device_id", "dev-1"),
        ("id", "user-1"),
    ]


def test_the_json_extension_type_is_read_through_its_storage() -> None:
    if not hasattr(pa, "json_"):
        pytest.skip("this pyarrow has no JSON extension type")
    batch = as_bigquery_batch(event_rows(DAY, 2), True)
    storage = batch.column("identifiers")
    json_column = pa.ExtensionArray.from_storage(pa.json_(), storage)
    arrays = [
        json_column if name == "identifiers" else batch.column(name) for name in COLUMNS
    ]

    converted = to_contract_types(
        pa.RecordBatch.from_arrays(arrays, names=list(COLUMNS))
    )

    assert converted.column("identifiers").to_pylist()[0] == [
        ("device_id", "dev-0"),
        ("id", "user-0"),
    ]


def test_sub_millisecond_digits_are_refused() -> None:
    batch = as_bigquery_batch(event_rows(DAY, 3))
    micros = pa.array(
        [1714521600000000, 1714521600000001, 1714521600001000], BQ_TIMESTAMP
    )

    with pytest.raises(ContractViolation, match="below the millisecond in 1 row"):
        to_contract_types(batch.set_column(0, "ts", micros))


def test_a_datetime_ts_is_refused() -> None:
    batch = as_bigquery_batch(event_rows(DAY, 1))
    naive = pa.array([datetime(2024, 5, 1)], pa.timestamp("us"))

    with pytest.raises(ContractViolation, match="not a UTC timestamp"):
        to_contract_types(batch.set_column(0, "ts", naive))


@pytest.mark.parametrize(
    ("value", "message"),
    [(Decimal("1.000000001"), "cannot hold exactly"), (Decimal("1e20"), "cannot hold")],
)
def test_metrics_that_decimal_24_6_cannot_hold_are_refused(
    value: Decimal, message: str
) -> None:
    batch = as_bigquery_batch(event_rows(DAY, 1))
    metric = pa.array([value], BQ_NUMERIC)

    with pytest.raises(ContractViolation, match=message):
        to_contract_types(batch.set_column(4, "metric_value", metric))


def test_a_map_without_the_record_shape_is_refused() -> None:
    batch = as_bigquery_batch(event_rows(DAY, 1))
    wrong = pa.array([["a", "b"]], pa.list_(pa.string()))

    with pytest.raises(ContractViolation, match="ARRAY<STRUCT<key STRING"):
        to_contract_types(batch.set_column(5, "user_properties", wrong))


def test_a_day_is_published_as_contract_parquet(tmp_path: Path) -> None:
    rows = event_rows(DAY, 900)
    batches = [as_bigquery_batch(rows[:500]), as_bigquery_batch(rows[500:])]
    client = StandInClient(DAY, batches, exported_rows=len(rows))
    reader = BigQueryReader(client, "proj", "hackle", location="EU")
    destination = open_destination(str(tmp_path / "bucket"))

    source = reader.source_status()
    result = run_day(reader, destination, DAY, source, ExportOptions(batch_rows=200))

    assert result.status is DayStatus.PUBLISHED, result.error
    assert result.rows == 900
    folder = tmp_path / "bucket" / "dt=2024-05-01"
    assert (folder / "_SUCCESS").stat().st_size == 0
    table = pq.read_table(folder)
    assert table.num_rows == 900
    assert table.schema.field("ts").type == TS_TYPE
    assert table.schema.field("metric_value").type == METRIC_TYPE
    assert table.schema.field("identifiers").type == MAP_TYPE
    parquet_schema = pq.ParquetFile(next(folder.glob("part-*.parquet"))).schema
    ts = json.loads(parquet_schema.column(0).logical_type.to_json())
    assert (ts["Type"], ts["isAdjustedToUTC"], ts["timeUnit"]) == (
        "Timestamp",
        True,
        "milliseconds",
    )
    # The day is read with a ts range on the partitioning column, in order.
    sql, params = next(q for q in client.queries if q[0].startswith("select * "))
    assert "`proj`.`hackle`.`hackle_events`" in sql
    assert "where ts >= @start_utc and ts < @end_utc order by ts, insert_id" in sql
    assert params["start_utc"].isoformat() == "2024-05-01T00:00:00+00:00"
    assert params["end_utc"].isoformat() == "2024-05-02T00:00:00+00:00"


def test_a_target_without_dataset_is_a_configuration_error() -> None:
    target = Target(
        "hackle_export", "bq", "bigquery", {"method": "oauth", "project": "p"}
    )

    with pytest.raises(ConfigError, match="needs project: and dataset:"):
        BigQueryReader.from_target(target)


def test_an_unknown_method_is_a_configuration_error() -> None:
    target = Target(
        "hackle_export",
        "bq",
        "bigquery",
        {"method": "password", "project": "p", "dataset": "d", "token": "tok-9f3a"},
    )

    with pytest.raises(ConfigError) as raised:
        BigQueryReader.from_target(target)
    assert "'password'" in str(raised.value)
    assert "tok-9f3a" not in str(raised.value)
