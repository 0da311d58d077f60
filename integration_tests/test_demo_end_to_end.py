"""The whole job on the bundled sample: dbt build, then export every day.

The written bucket is checked against every rule of the import contract with
checks of its own, independent of the exporter's verification.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_support import Project, default_sources

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CONTRACT = pa.schema(
    [
        pa.field("ts", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("event_key", pa.string(), nullable=False),
        pa.field("identifiers", pa.map_(pa.string(), pa.string()), nullable=False),
        pa.field("insert_id", pa.string(), nullable=False),
        pa.field("metric_value", pa.decimal128(24, 6), nullable=False),
        pa.field("user_properties", pa.map_(pa.string(), pa.string()), nullable=False),
        pa.field("event_properties", pa.map_(pa.string(), pa.string()), nullable=False),
        pa.field(
            "platform_properties", pa.map_(pa.string(), pa.string()), nullable=False
        ),
    ]
)


@pytest.fixture(scope="module")
def bucket(sample_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("bucket") / "hackle"
    result = sample_project.export("--all-days", "--allow-empty", "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    return dest


def _summary(project: Project) -> dict[date, tuple[int, int, int, int]]:
    rows = project.query(
        "select dt, source_rows, exported_rows, rejected_rows, duplicates_removed "
        "from hackle_daily_summary"
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def test_every_sample_row_is_accounted_for(sample_project: Project) -> None:
    summary = _summary(sample_project)
    enabled = default_sources()
    assert sum(s[0] for s in summary.values()) == sum(
        rows for kind, rows in sample_project.loaded.items() if kind in enabled
    )
    for source, exported, rejected, duplicates in summary.values():
        assert source == exported + rejected + duplicates


def test_every_summary_day_is_published_with_success_last(
    sample_project: Project, bucket: Path
) -> None:
    summary = _summary(sample_project)
    folders = sorted(p.name for p in bucket.iterdir())
    assert folders == [f"dt={day.isoformat()}" for day in sorted(summary)]

    for folder in bucket.iterdir():
        names = {p.name for p in folder.iterdir()}
        assert "_SUCCESS" in names
        parts = [folder / n for n in sorted(names - {"_SUCCESS"})]
        assert parts
        assert all(re.fullmatch(r"part-\d{7}-.+\.parquet", p.name) for p in parts)
        success = folder / "_SUCCESS"
        assert success.stat().st_size == 0
        assert all(success.stat().st_mtime_ns >= p.stat().st_mtime_ns for p in parts)


def test_published_days_meet_the_contract(
    sample_project: Project, bucket: Path
) -> None:
    summary = _summary(sample_project)
    for folder in sorted(bucket.iterdir()):
        day = date.fromisoformat(folder.name.removeprefix("dt="))
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        files = sorted(folder.glob("part-*.parquet"))
        for path in files:
            schema = pq.read_schema(path)
            assert schema.remove_metadata().equals(CONTRACT, check_metadata=False)
            physical = pq.ParquetFile(path).schema
            ts = physical.column(0)
            assert ts.physical_type == "INT64"
            assert str(ts.logical_type) == (
                "Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds, "
                "is_from_converted_type=false, force_set_converted_type=false)"
            )
            metric = physical.column(physical.names.index("metric_value"))
            assert metric.physical_type == "FIXED_LEN_BYTE_ARRAY"
            assert str(metric.logical_type) == "Decimal(precision=24, scale=6)"

        table = pa.concat_tables(pq.read_table(p) for p in files)
        assert table.num_rows == summary[day][1]
        rows = table.to_pylist()
        assert len({r["insert_id"] for r in rows}) == len(rows)
        for row in rows:
            assert start <= row["ts"] < start + timedelta(days=1)
            assert row["ts"].microsecond % 1000 == 0
            assert row["event_key"].strip()
            assert UUID.fullmatch(row["insert_id"])
            assert isinstance(row["metric_value"], Decimal)
            for column in (
                "identifiers",
                "user_properties",
                "event_properties",
                "platform_properties",
            ):
                keys = [k for k, _ in row[column]]
                assert all(k and k == k.lower() for k in keys)
                assert len(keys) == len(set(keys))
                assert all(v is not None for _, v in row[column])
            identifiers = dict(row["identifiers"])
            assert identifiers.get("id") and identifiers.get("device_id")
            platform = dict(row["platform_properties"])
            assert platform.get("osname") in {"Android", "iOS"}
            assert platform.get("version")


def test_the_sample_gives_the_expected_outcomes(
    sample_project: Project, bucket: Path
) -> None:
    reasons = dict(
        sample_project.query(
            "select reason, count(*) from hackle_events_rejected "
            "where source_kind in ('snowplow', 'generic') group by reason"
        )
    )
    # Web rows: the enrichments say macOS, which the default does not accept.
    # iOS mobile rows: no application context and no OS version in the user agent.
    assert reasons == {
        "unknown_osname": 158,
        "missing_version": 12,
        "invalid_metric": 2,
        "timestamp_in_future": 1,
        "missing_id": 1,
        "missing_event_key": 1,
    }
    # UserId, userid and USERID in one event: one key survives, two are counted
    assert sample_project.query(
        "select key_collisions from hackle_daily_summary where dt = '2024-05-01'"
    ) == [(2,)]
    purchase = [
        row
        for row in pq.read_table(bucket / "dt=2024-05-01").to_pylist()
        if row["event_key"] == "purchase"
    ]
    assert purchase == [
        {
            "ts": datetime(2024, 5, 1, 9, 15, 2, 123000, tzinfo=UTC),
            "event_key": "purchase",
            "identifiers": [
                ("device_id", "dev-aaa"),
                ("id", "dev-aaa"),
                ("session_id", "s-1"),
                ("user_id", "u-1"),
            ],
            "insert_id": "5f0c3a52-8a5e-4d8b-9d0e-0b6c1c9b1a01",
            "metric_value": Decimal("12.500000"),
            "user_properties": [("grade", "GOLD")],
            "event_properties": [
                ("gift", "false"),
                ("price", "6.25"),
                ("product_id", "33537"),
                ("quantity", "2"),
            ],
            "platform_properties": [
                ("appversion", "6.9.0"),
                ("osname", "Android"),
                ("osversion", "14"),
                ("version", "6.9.0"),
            ],
        }
    ]


def test_a_second_export_replaces_the_day_without_stale_files(
    sample_project: Project, bucket: Path
) -> None:
    folder = bucket / "dt=2021-03-26"
    before = sorted(p.name for p in folder.iterdir())
    result = sample_project.export("--date", "2021-03-26", "--dest", str(bucket))
    assert result.returncode == 0, result.stderr
    after = sorted(p.name for p in folder.iterdir())
    assert len(after) == len(before) and after != before
    assert (
        pq.read_table(folder).num_rows == _summary(sample_project)[date(2021, 3, 26)][1]
    )
