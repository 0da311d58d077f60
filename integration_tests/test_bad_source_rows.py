"""Hostile rows in a generic source: the build stays green and every row is
exported, held back with its reason, or counted as a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from dbt_support import Project

PRODUCTION = ("--exclude-resource-type", "unit_test")

VARS = {
    "sources": ["generic"],
    "generic_schema": "app",
    "generic_table": "events",
    "generic_event_properties_json": "props",
    "generic_user_properties_json": None,
    "generic_columns": {
        "event_time": "occurred_at",
        "event_name": "event_name",
        "event_id": "event_id",
        "id": "device_id",
        "device_id": "device_id",
        "metric": "metric",
        "osname": "os_name",
        "version": "app_version",
    },
}

# event_id, device_id, app_version, metric (text), props, the expected outcome
ROWS = [
    ("a1", "dev", "1.0", "12.3456785", '{"k": 1}', "exported"),
    ("a2", "   ", "1.0", None, None, "missing_id"),
    ("a3", "\t", "1.0", None, None, "missing_id"),
    ("a4", "\u00a0", "1.0", None, None, "missing_id"),
    ("a5", "dev", "   ", None, None, "missing_version"),
    ("a6", "dev", "1.0", "abc", None, "invalid_metric"),
    ("a7", "dev", "1.0", "NaN", None, "invalid_metric"),
    ("a8", "dev", "1.0", "1e19", None, "invalid_metric"),
    ("a9", "dev", "1.0", None, "{bad json", "invalid_properties"),
    ("b1", "dev", "1.0", None, "[1, 2, 3]", "invalid_properties"),
    ("b2", "dev", "1.0", None, '"scalar"', "invalid_properties"),
    ("b3", "dev", "1.0", None, "", "exported"),
    ("b4", "dev", "1.0", "1000000000000000.25", "{}", "exported"),
    ("b5", "dev", "1.0", "-0.0000005", None, "exported"),
    ("b6", "dev", "1.0", "1.123456789", None, "exported"),
]


def _quote(value: str | None) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


def _project(make_project: Callable[[], Project]) -> Project:
    project = make_project()
    project.execute(
        "create schema app; create table app.events (event_id varchar, "
        "occurred_at timestamp, event_name varchar, device_id varchar, "
        "os_name varchar, app_version varchar, metric varchar, props varchar)"
    )
    values = ", ".join(
        f"({_quote(event_id)}, timestamp '2024-05-01 12:00:00', 'e', "
        f"{_quote(device)}, 'iOS', {_quote(version)}, {_quote(metric)}, "
        f"{_quote(props)})"
        for event_id, device, version, metric, props, _ in ROWS
    )
    project.execute(f"insert into app.events values {values}")
    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    return project


def test_each_hostile_row_lands_where_it_should(
    make_project: Callable[[], Project],
) -> None:
    project = _project(make_project)

    outcomes = dict(
        project.query("select source_event_id, reason from hackle_events_rejected")
    )
    exported = {row[0] for row in project.query("select insert_id from hackle_events")}
    assert len(exported) + len(outcomes) == len(ROWS)
    for event_id, *_, expected in ROWS:
        if expected == "exported":
            assert event_id not in outcomes
        else:
            assert outcomes[event_id] == expected, event_id


def test_metrics_are_rounded_exactly(make_project: Callable[[], Project]) -> None:
    project = _project(make_project)

    metrics = sorted(
        row[0] for row in project.query("select metric_value from hackle_events")
    )
    # Half away from zero on the exact decimal text, never through a double.
    assert metrics == [
        Decimal("-0.000001"),
        Decimal("0"),
        Decimal("1.123457"),
        Decimal("12.345679"),
        Decimal("1000000000000000.250000"),
    ]


def test_a_failed_build_does_not_make_new_days_ready(
    make_project: Callable[[], Project], tmp_path
) -> None:
    project = _project(make_project)
    before = project.query("select source_complete_until from hackle_source_status")

    project.execute(
        "insert into app.events values ('c1', timestamp '2024-05-03 12:00:00', "
        "'e', 'dev', 'iOS', '1.0', null, null)"
    )
    # A change the incremental model refuses to absorb makes its build fail.
    project.execute("alter table hackle_events add column surprise integer")
    failed = project.dbt("build", *PRODUCTION, vars=VARS, check=False)
    assert failed.returncode != 0

    assert (
        project.query("select source_complete_until from hackle_source_status")
        == before
    )
    export = project.export("--date", "2024-05-02", "--dest", str(tmp_path / "b"))
    assert export.returncode == 75, export.stdout + export.stderr
    assert not (tmp_path / "b" / "dt=2024-05-02").exists()


def test_text_times_are_read_by_their_own_offset_or_held_back(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    project.execute(
        "create schema app; create table app.events (event_id varchar, "
        "occurred_at varchar, event_name varchar, device_id varchar, "
        "os_name varchar, app_version varchar, metric varchar, props varchar)"
    )
    times = {
        "t1": "2024-07-01 10:00:00+09:00",
        "t2": "2024-07-01T10:00:00Z",
        "t3": "2024-07-01 10:00:00",
        "t4": "not a date",
        "t5": "1719828000000",
    }
    values = ", ".join(
        f"('{event_id}', '{text}', 'e', 'dev', 'iOS', '1.0', null, null)"
        for event_id, text in times.items()
    )
    project.execute(f"insert into app.events values {values}")
    project.dbt(
        "build",
        "--full-refresh",
        *PRODUCTION,
        vars={**VARS, "generic_source_timezone": "Asia/Seoul"},
    )

    exported = dict(
        project.query("select insert_id, ts from hackle_events order by ts")
    )
    ids = dict(
        project.query("select source_event_id, insert_id from int_events__validated")
    )
    assert exported[ids["t1"]] == datetime(2024, 7, 1, 1, 0)
    assert exported[ids["t2"]] == datetime(2024, 7, 1, 10, 0)
    # no offset: read in generic_source_timezone
    assert exported[ids["t3"]] == datetime(2024, 7, 1, 1, 0)
    held_back = dict(
        project.query("select source_event_id, reason from hackle_events_rejected")
    )
    assert held_back == {"t4": "missing_timestamp", "t5": "missing_timestamp"}
