"""The segment source kind on small Segment schemas of its own: tracks, one table
per event, identifies; full and incremental builds, and the exporter."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from dbt_support import Project

# Unit tests mock the sample's source tables; a build on another schema leaves
# them out, as a production run does.
PRODUCTION = ("--exclude-resource-type", "unit_test")
VARS = {"sources": ["segment"], "segment_schema": "seg"}

STANDARD_COLUMNS = (
    "id varchar, anonymous_id varchar, user_id varchar, event varchar, "
    "event_text varchar, timestamp {time}, original_timestamp {time}, "
    "sent_at {time}, received_at {time}, uuid_ts {time}, "
    "context_os_name varchar, context_os_version varchar, "
    "context_app_version varchar, context_device_id varchar, "
    "context_device_model varchar, context_network_wifi boolean, "
    "context_ip varchar, context_traits_email varchar"
)
ORDER_PROPERTIES = (
    "quantity integer, discount double, revenue decimal(12, 2), gift boolean, "
    "coupon varchar"
)


def _segment_schema(project: Project, time_type: str = "timestamp") -> None:
    """An empty Segment schema: tracks, order_completed and identifies."""
    columns = STANDARD_COLUMNS.format(time=time_type)
    project.execute(
        f"create schema seg; "
        f"create table seg.tracks ({columns}); "
        f"create table seg.order_completed ({columns}, {ORDER_PROPERTIES}); "
        f"create table seg.identifies (id varchar, anonymous_id varchar, "
        f"user_id varchar, timestamp {time_type}, received_at {time_type}, "
        f"email varchar, plan varchar, logins integer, newsletter boolean)"
    )


def _track(
    message_id: str,
    event_time: str,
    received_at: str,
    properties: str | None = None,
) -> str:
    """Insert one Order Completed call, in tracks and (with properties, the text
    of its property values) in order_completed."""
    row = (
        f"'{message_id}', 'anon-1', 'u-1', 'order_completed', 'Order Completed', "
        f"'{event_time}', '{event_time}', '{received_at}', '{received_at}', "
        f"'{received_at}', 'Android', '14', '3.2.0', 'dev-1', 'Pixel 8', true, "
        f"'203.0.113.7', 'mina@example.com'"
    )
    sql = f"insert into seg.tracks values ({row});"
    if properties:
        sql += f" insert into seg.order_completed values ({row}, {properties});"
    return sql


def _uuid_of(message_id: str) -> str:
    digest = hashlib.md5(f"segment|{message_id}".encode()).hexdigest()
    return "-".join(
        (digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:])
    )


def _exported(project: Project, bucket: Path, day: date) -> list[dict]:
    result = project.export("--date", day.isoformat(), "--dest", str(bucket))
    assert result.returncode == 0, result.stdout + result.stderr
    folder = bucket / f"dt={day.isoformat()}"
    rows: list[dict] = []
    for part in sorted(folder.glob("part-*.parquet")):
        rows += pq.read_table(part).to_pylist()
    return rows


def _daily_messages(project: Project) -> None:
    """One message a day, May 1 to May 10, with ids as analytics.js writes them."""
    for day in range(1, 11):
        project.execute(
            _track(
                f"ajs-next-17145{day:02d}000-7d1c",
                f"2024-05-{day:02d} 12:00:00",
                f"2024-05-{day:02d} 12:00:05",
            )
        )


# A message delivered twice: the copy reaches the warehouse a week later.
LATE_ID = "ajs-next-1714651200000-9f3b"
FIRST_COPY = _track(LATE_ID, "2024-05-02 09:00:00.250", "2024-05-02 09:00:01")
SECOND_COPY = _track(LATE_ID, "2024-05-02 09:00:00.250", "2024-05-09 09:00:01")


def test_a_message_loaded_twice_a_week_apart_is_exported_once(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = make_project()
    _segment_schema(project)
    _daily_messages(project)
    project.execute(FIRST_COPY + SECOND_COPY)
    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)

    assert project.query(
        f"select count(*) from hackle_events where insert_id = '{_uuid_of(LATE_ID)}'"
    ) == [(1,)]
    assert project.query(
        "select duplicates_removed from hackle_daily_summary where dt = '2024-05-02'"
    ) == [(1,)]
    rows = _exported(project, tmp_path / "bucket", date(2024, 5, 2))
    assert [r["insert_id"] for r in rows].count(_uuid_of(LATE_ID)) == 1


def test_a_second_copy_arriving_later_leaves_one_exported_row_incrementally(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = make_project()
    _segment_schema(project)
    _daily_messages(project)
    project.execute(FIRST_COPY)
    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    before = project.query(
        "select ts, insert_id from hackle_events "
        "where cast(ts as date) = '2024-05-02' order by ts, insert_id"
    )

    project.execute(SECOND_COPY)
    project.dbt("build", *PRODUCTION, vars=VARS)

    assert (
        project.query(
            "select ts, insert_id from hackle_events "
            "where cast(ts as date) = '2024-05-02' order by ts, insert_id"
        )
        == before
    )
    assert _uuid_of(LATE_ID) in {insert_id for _, insert_id in before}
    assert project.query(
        "select source_rows, exported_rows, duplicates_removed "
        "from hackle_daily_summary where dt = '2024-05-02'"
    ) == [(3, 2, 1)]
    rows = _exported(project, tmp_path / "bucket", date(2024, 5, 2))
    assert [r["insert_id"] for r in rows].count(_uuid_of(LATE_ID)) == 1


def test_typed_per_event_columns_become_canonical_event_properties(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    _segment_schema(project)
    project.execute(
        _track(
            "m-1",
            "2024-05-01 10:00:00",
            "2024-05-01 10:00:01",
            "3, 0.1, 12.50, true, null",
        )
    )
    # not per-event tables: one without an id column, and one the vars name
    project.execute(
        "create table seg.rudder_discards (row_id varchar, column_name varchar); "
        "create table seg.sync_log (id varchar, note varchar); "
        "insert into seg.sync_log values ('m-1', 'loaded')"
    )
    project.dbt(
        "build",
        "--full-refresh",
        *PRODUCTION,
        vars={**VARS, "segment_ignored_tables": ["sync_log"]},
    )

    properties = dict(
        project.query(
            "select property_key, property_value from stg_segment__properties "
            "where property_scope = 'event'"
        )
    )
    assert properties == {
        "quantity": "3",
        "discount": "0.1",
        "revenue": "12.5",
        "gift": "true",
    }
    # the context fields, without the OS and app version, device id, IP and traits
    platform = dict(
        project.query(
            "select property_key, property_value from stg_segment__properties "
            "where property_scope = 'platform'"
        )
    )
    assert platform == {"device_model": "Pixel 8", "network_wifi": "true"}
    [(event_properties, platform_properties)] = project.query(
        "select event_properties, platform_properties from hackle_events"
    )
    assert event_properties == properties
    assert platform_properties == {
        **platform,
        "osname": "Android",
        "osversion": "14",
        "version": "3.2.0",
        "appversion": "3.2.0",
    }


def test_identify_traits_of_the_latest_call_at_or_before_the_event(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    _segment_schema(project)
    project.execute(
        _track("m-1", "2024-05-01 10:00:00", "2024-05-01 10:00:01")
        + "insert into seg.identifies values "
        "('i-1', 'anon-1', null, '2024-05-01 08:00:00', '2024-05-01 08:00:01', "
        "null, 'free', 1, false), "
        "('i-2', 'anon-1', 'u-1', '2024-05-01 09:00:00', '2024-05-01 09:00:01', "
        "'mina@example.com', 'pro', 3, true), "
        "('i-3', 'anon-1', 'u-1', '2024-05-01 11:00:00', '2024-05-01 11:00:01', "
        "null, 'enterprise', 4, true)"
    )
    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)

    traits = dict(
        project.query(
            "select property_key, property_value from stg_segment__properties "
            "where property_scope = 'user'"
        )
    )
    assert traits == {
        "email": "mina@example.com",
        "plan": "pro",
        "logins": "3",
        "newsletter": "true",
    }


def test_a_device_time_two_weeks_after_receipt_is_held_back_not_exported(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = make_project()
    _segment_schema(project)
    project.execute(
        _track("m-ok", "2024-05-03 07:00:00", "2024-05-03 07:00:01")
        + _track("m-future", "2024-05-17 07:00:00", "2024-05-03 07:00:01")
    )
    project.dbt(
        "build",
        "--full-refresh",
        *PRODUCTION,
        vars={**VARS, "sources_complete_until": "2030-01-01 00:00:00"},
    )

    assert project.query(
        "select dt, reason, source_event_id from hackle_events_rejected"
    ) == [(date(2024, 5, 3), "timestamp_in_future", "m-future")]
    assert project.query("select distinct cast(ts as date) from hackle_events") == [
        (date(2024, 5, 3),)
    ]
    bucket = tmp_path / "bucket"
    result = project.export("--all-days", "--allow-empty", "--dest", str(bucket))
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in bucket.iterdir()) == ["dt=2024-05-03"]


def test_a_timestamptz_column_is_converted_exactly(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    # a session zone other than UTC, so that a plain cast would shift the time
    profiles = project.workdir / "profiles.yml"
    config = yaml.safe_load(profiles.read_text())
    config["hackle_export"]["outputs"]["duckdb"]["settings"] = {
        "TimeZone": "Asia/Seoul"
    }
    profiles.write_text(yaml.safe_dump(config))
    _segment_schema(project, time_type="timestamptz")
    project.execute(
        _track("m-1", "2024-05-01 18:00:00.123+09", "2024-05-01 18:00:05+09")
    )
    # a zone carried by the column wins over segment_source_timezone
    project.dbt(
        "build",
        "--full-refresh",
        *PRODUCTION,
        vars={**VARS, "segment_source_timezone": "America/New_York"},
    )

    # the staging view is evaluated in the reading session's zone
    assert project.query(
        "set TimeZone = 'Asia/Seoul'; "
        "select event_time, received_at from stg_segment__events"
    ) == [(datetime(2024, 5, 1, 9, 0, 0, 123000), datetime(2024, 5, 1, 9, 0, 5))]


def test_a_missing_table_or_column_stops_the_run_with_a_sentence(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    result = project.dbt("build", *PRODUCTION, vars=VARS, check=False)
    assert result.returncode != 0
    assert "the segment source table" in result.stdout
    assert "does not exist; set segment_schema and segment_tracks_table" in (
        result.stdout
    )

    project.execute("create schema seg; create table seg.tracks (id varchar)")
    result = project.dbt(
        "build",
        *PRODUCTION,
        vars={**VARS, "segment_identifies_table": None},
        check=False,
    )
    assert result.returncode != 0
    assert "names the column 'received_at'" in result.stdout
