"""The Amplitude source kind built for real: the bundled export records, and small
export tables written by each test."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from dbt_support import Project, load_sample

# Unit tests mock the sample's source tables; a build on another table leaves
# them out, as a production run does.
PRODUCTION = ("--exclude-resource-type", "unit_test")

VARS: dict[str, Any] = {
    "sources": ["amplitude"],
    "amplitude_schema": "amp",
    "amplitude_table": "events",
    "sources_complete_until": "2030-01-01 00:00:00",
}

# The export fields the staging model reads, as a test table holds them.
COLUMNS = {
    "insert_id": "varchar",
    "uuid": "varchar",
    "event_time": "timestamp",
    "server_received_time": "timestamp",
    "server_upload_time": "timestamp",
    "event_type": "varchar",
    "user_id": "varchar",
    "device_id": "varchar",
    "session_id": "bigint",
    "os_name": "varchar",
    "os_version": "varchar",
    "version_name": "varchar",
    "platform": "varchar",
    "device_family": "varchar",
    "event_properties": "varchar",
    "user_properties": "varchar",
}


def _event(number: int, **fields: Any) -> dict[str, Any]:
    """A well-formed iOS event received five seconds after it happened."""
    return {
        "insert_id": f"evt-{number}",
        "uuid": f"00000000-0000-4000-8000-{number:012d}",
        "event_time": "2024-05-01 12:00:00.123456",
        "server_received_time": "2024-05-01 12:00:05",
        "server_upload_time": "2024-05-01 12:00:06",
        "event_type": "Open",
        "device_id": "dev-1",
        "session_id": 1714564800000,
        "os_name": "ios",
        "os_version": "17.4",
        "version_name": "3.2.1",
        "platform": "iOS",
        "event_properties": '{"screen": "home"}',
        "user_properties": '{"plan": "gold"}',
        **fields,
    }


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _project(
    make_project: Callable[[], Project],
    events: list[dict[str, Any]],
    columns: Mapping[str, str] = COLUMNS,
) -> Project:
    project = make_project()
    definition = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    values = ", ".join(
        "(" + ", ".join(_literal(event.get(name)) for name in columns) + ")"
        for event in events
    )
    project.execute(f"create schema amp; create table amp.events ({definition})")
    if values:
        project.execute(f"insert into amp.events values {values}")
    return project


def _build(project: Project, **extra_vars: Any) -> None:
    project.dbt("build", "--full-refresh", *PRODUCTION, vars={**VARS, **extra_vars})


def _exported(project: Project, bucket: Path, day: str) -> list[dict[str, Any]]:
    result = project.export("--date", day, "--dest", str(bucket))
    assert result.returncode == 0, result.stdout + result.stderr
    return pq.read_table(bucket / f"dt={day}").to_pylist()


def test_the_real_export_records_lack_an_os_and_are_all_held_back(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = make_project()
    load_sample(project)
    project.dbt(
        "build",
        "--full-refresh",
        *PRODUCTION,
        vars={"sources": ["amplitude"], "sources_complete_until": "2030-01-01"},
    )

    assert project.loaded["amplitude"] == 8
    assert project.query(
        "select reason, count(*) from hackle_events_rejected group by reason"
    ) == [("missing_osname", 8)]
    summary = project.query(
        "select dt, source_rows, exported_rows, rejected_rows, duplicates_removed "
        "from hackle_daily_summary order by dt"
    )
    assert summary == [
        (date(2023, 8, 24), 4, 0, 4, 0),
        (date(2023, 8, 25), 4, 0, 4, 0),
    ]

    result = project.export("--all-days", "--allow-empty", "--dest", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for day in ("2023-08-24", "2023-08-25"):
        assert pq.read_table(tmp_path / f"dt={day}").num_rows == 0


def test_a_well_formed_event_is_exported_field_by_field(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    properties = {"price": 6.25, "quantity": 2.0, "gift": False, "tags": ["a", "b"]}
    project = _project(
        make_project,
        [
            _event(
                1,
                event_type="Purchase",
                user_id="member-7",
                device_family="Apple iPhone",
                event_properties=json.dumps(properties),
            )
        ],
    )
    _build(project)

    [row] = _exported(project, tmp_path, "2024-05-01")
    assert row == {
        "ts": datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC),
        "event_key": "Purchase",
        "identifiers": [
            ("device_id", "dev-1"),
            ("id", "dev-1"),
            ("session_id", "1714564800000"),
            ("user_id", "member-7"),
        ],
        # md5 of 'amplitude|dev-1/evt-1': evt-1 is no UUID, and unique per device
        "insert_id": "87eed6d6-6f22-348f-5fcc-b9b98367960e",
        "metric_value": Decimal("0.000000"),
        "user_properties": [("plan", "gold")],
        "event_properties": [
            ("gift", "false"),
            ("price", "6.25"),
            ("quantity", "2"),
            ("tags", '["a","b"]'),
        ],
        "platform_properties": [
            ("appversion", "3.2.1"),
            ("device_family", "Apple iPhone"),
            ("osname", "iOS"),
            ("osversion", "17.4"),
            ("platform", "iOS"),
            ("version", "3.2.1"),
        ],
    }


def test_the_same_insert_id_twice_gives_one_exported_row(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    first = _event(1, insert_id="purchase-42")
    # the same event exported again (a backfill): its own uuid, received later
    again = _event(
        2,
        insert_id="purchase-42",
        server_received_time="2024-05-01 12:30:00",
        event_properties='{"copy": "second"}',
    )
    # another device may use the same $insert_id: Amplitude keeps both
    other_device = _event(3, insert_id="purchase-42", device_id="dev-2")
    project = _project(make_project, [first, again, other_device])
    _build(project)

    rows = _exported(project, tmp_path, "2024-05-01")
    assert sorted(dict(r["identifiers"])["device_id"] for r in rows) == [
        "dev-1",
        "dev-2",
    ]
    kept = next(r for r in rows if dict(r["identifiers"])["device_id"] == "dev-1")
    assert kept["event_properties"] == [("screen", "home")]
    assert project.query(
        "select source_rows, exported_rows, rejected_rows, duplicates_removed "
        "from hackle_daily_summary"
    ) == [(3, 2, 0, 1)]


def test_a_session_id_of_minus_one_leaves_session_id_out(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = _project(
        make_project,
        [_event(1, session_id=-1), _event(2, session_id=1714564800000)],
    )
    _build(project)

    sessions = {
        row["insert_id"]: dict(row["identifiers"]).get("session_id")
        for row in _exported(project, tmp_path, "2024-05-01")
    }
    assert sorted(sessions.values(), key=str) == ["1714564800000", None]


@pytest.mark.parametrize(
    ("source_timezone", "expected_ts"),
    [
        ("UTC", datetime(2024, 5, 1, 19, 0, 0, 250000, tzinfo=UTC)),
        ("Asia/Seoul", datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_times_without_zone_are_read_in_the_source_timezone(
    make_project: Callable[[], Project],
    tmp_path: Path,
    source_timezone: str,
    expected_ts: datetime,
) -> None:
    project = _project(
        make_project,
        [
            _event(
                1,
                event_time="2024-05-01 19:00:00.250",
                server_received_time="2024-05-01 19:00:05",
                server_upload_time="2024-05-01 19:00:06",
            )
        ],
    )
    _build(project, amplitude_source_timezone=source_timezone)

    [row] = _exported(project, tmp_path, "2024-05-01")
    assert row["ts"] == expected_ts
    complete = project.query("select complete_until from stg_amplitude__completeness")
    assert complete == [(expected_ts.replace(tzinfo=None, microsecond=0, second=5),)]


def test_json_properties_that_are_not_objects_are_held_back(
    make_project: Callable[[], Project],
) -> None:
    project = _project(
        make_project,
        [
            _event(1),
            _event(2, event_properties="[]"),
            _event(3, event_properties="{bad json"),
            _event(4, user_properties='"gold"'),
            _event(5, event_properties="", user_properties=None),
        ],
    )
    _build(project)

    rejected = dict(
        project.query("select source_event_id, reason from hackle_events_rejected")
    )
    assert rejected == {
        "evt-2": "invalid_properties",
        "evt-3": "invalid_properties",
        "evt-4": "invalid_properties",
    }
    assert project.query("select count(*) from hackle_events") == [(2,)]


def test_a_revenue_column_feeds_the_metric(
    make_project: Callable[[], Project],
) -> None:
    project = _project(
        make_project,
        [_event(1, revenue=12.3456785), _event(2, revenue=None)],
        {**COLUMNS, "revenue": "double"},
    )
    _build(project)

    metrics = sorted(
        r[0] for r in project.query("select metric_value from hackle_events")
    )
    assert metrics == [Decimal("0"), Decimal("12.345679")]


def test_a_table_without_an_export_column_is_named_before_the_run(
    make_project: Callable[[], Project],
) -> None:
    columns = {name: kind for name, kind in COLUMNS.items() if name != "os_name"}
    project = _project(make_project, [], columns)

    result = project.dbt("build", *PRODUCTION, vars=VARS, check=False)
    assert result.returncode != 0
    assert "names the column 'os_name'" in result.stdout
