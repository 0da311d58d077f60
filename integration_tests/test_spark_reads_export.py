"""Apache Spark reads the exported days with the vendor's fixed schema.

The importer reads the bucket with Spark. A file whose types differ from the
schema it is given (nanosecond or zone-less timestamps, INT96, another decimal,
a list of structs in place of a map) fails such a read or comes back with other
types, so this is the check closest to the import itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from dbt_support import Project
from spark_support import java_missing_reason, local_spark, vendor_schema

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType

pytestmark = pytest.mark.skipif(
    java_missing_reason() is not None, reason=java_missing_reason() or ""
)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    with local_spark(tmp_path_factory.mktemp("spark")) as session:
        yield session


@pytest.fixture(scope="module")
def bucket(sample_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("spark-bucket") / "hackle"
    result = sample_project.export("--all-days", "--allow-empty", "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    return dest


def _exported_rows(project: Project) -> dict[date, int]:
    return dict(project.query("select dt, exported_rows from hackle_daily_summary"))


def _without_nullability(data_type: DataType) -> str:
    # Spark reports every column of a file source as nullable whatever the file
    # says, so types are compared by their names; the REQUIRED repetition of each
    # column is checked in the Parquet footers (test_demo_end_to_end).
    return data_type.simpleString()


def test_spark_reads_every_day_with_the_vendor_schema(
    spark: SparkSession, sample_project: Project, bucket: Path
) -> None:
    from pyspark.sql import functions as F

    schema = vendor_schema()
    expected = _exported_rows(sample_project)
    folders = sorted(bucket.glob("dt=*"))
    assert [f.name for f in folders] == [
        f"dt={d.isoformat()}" for d in sorted(expected)
    ]

    for folder in folders:
        day = date.fromisoformat(folder.name.removeprefix("dt="))
        frame = spark.read.schema(schema).parquet(str(folder))
        assert [f.name for f in frame.schema] == [f.name for f in schema]
        assert [_without_nullability(f.dataType) for f in frame.schema] == [
            _without_nullability(f.dataType) for f in schema
        ]

        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        row = frame.agg(
            F.count(F.lit(1)).alias("rows"),
            F.min("ts").alias("first"),
            F.max("ts").alias("last"),
            *(
                F.sum(F.col(name).isNull().cast("int")).alias(f"null_{name}")
                for name in schema.names
            ),
        ).collect()[0]
        assert row["rows"] == expected[day], folder.name
        for name in schema.names:
            assert not row[f"null_{name}"], f"{folder.name}: {name} has nulls"
        if row["rows"]:
            # The session zone is UTC, so Spark's naive values are UTC times.
            first = row["first"].replace(tzinfo=UTC)
            last = row["last"].replace(tzinfo=UTC)
            assert start <= first <= last < start + timedelta(days=1)


def test_spark_infers_the_same_types_from_the_files(
    spark: SparkSession, bucket: Path
) -> None:
    # Without a schema, Spark takes the types from the Parquet footers: an INT96 or
    # zone-less timestamp, a DECIMAL(38,9) or a list of key/value structs would
    # show up here as another type.
    schema = vendor_schema()
    folder = next(f for f in sorted(bucket.glob("dt=*")) if any(f.glob("part-*")))
    inferred = spark.read.parquet(str(folder)).schema
    assert [(f.name, _without_nullability(f.dataType)) for f in inferred] == [
        (f.name, _without_nullability(f.dataType)) for f in schema
    ]


def test_spark_reads_the_values_of_a_known_event(
    spark: SparkSession, bucket: Path
) -> None:
    from decimal import Decimal

    frame = spark.read.schema(vendor_schema()).parquet(str(bucket / "dt=2024-05-01"))
    rows = frame.where("event_key = 'purchase'").collect()
    assert len(rows) == 1
    purchase = rows[0]
    assert purchase["ts"] == datetime(2024, 5, 1, 9, 15, 2, 123000)
    assert purchase["metric_value"] == Decimal("12.500000")
    assert purchase["identifiers"]["device_id"] == "dev-aaa"
    assert purchase["platform_properties"]["osname"] == "Android"
    assert purchase["event_properties"]["quantity"] == "2"


def test_spark_tells_a_file_of_other_types_apart(
    spark: SparkSession, tmp_path: Path
) -> None:
    # The check above would catch a writer that drifts: a zone-less microsecond
    # time and a DECIMAL(38,9), as other writers produce, read as other types and
    # fail a read with the vendor's schema.
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq
    from py4j.protocol import Py4JJavaError

    drifted = pa.table(
        {
            "ts": pa.array([datetime(2024, 5, 1, 9)], pa.timestamp("us")),
            "metric_value": pa.array([Decimal("1.5")], pa.decimal128(38, 9)),
        }
    )
    pq.write_table(drifted, tmp_path / "part-00000.parquet")
    inferred = spark.read.parquet(str(tmp_path)).schema
    assert [f.dataType.simpleString() for f in inferred] == [
        "timestamp_ntz",
        "decimal(38,9)",
    ]
    with pytest.raises(Py4JJavaError, match="DATA_TYPE_MISMATCH"):
        spark.read.schema(vendor_schema()).parquet(str(tmp_path)).collect()
