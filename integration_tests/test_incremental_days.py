"""Incremental builds on a small generic source: late events, replaced days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from dbt_support import Project

# Unit tests mock the sample's source tables; a build on another table leaves
# them out, as a production run does.
PRODUCTION = ("--exclude-resource-type", "unit_test")

VARS = {
    "sources": ["generic"],
    "generic_schema": "app",
    "generic_table": "events",
    "generic_event_properties_json": None,
    "generic_user_properties_json": None,
    "generic_columns": {
        "event_time": "occurred_at",
        "received_at": "received_at",
        "event_name": "event_name",
        "event_id": "event_id",
        "id": "device_id",
        "device_id": "device_id",
        "osname": "os_name",
        "version": "app_version",
    },
}


def _event(
    number: int, day: int, received_day: int | None = None, os_name: str = "iOS"
) -> str:
    received = received_day or day
    return (
        f"('00000000-0000-0000-0000-{number:012d}', "
        f"timestamp '2024-05-{day:02d} 12:00:00', "
        f"timestamp '2024-05-{received:02d} 12:00:05', 'e', 'dev', '{os_name}', "
        "'1.0')"
    )


def _source_project(
    make_project: Callable[[], Project], extra_rows: tuple[str, ...] = ()
) -> Project:
    project = make_project()
    project.execute(
        "create schema app; create table app.events (event_id varchar, "
        "occurred_at timestamp, received_at timestamp, event_name varchar, "
        "device_id varchar, os_name varchar, app_version varchar)"
    )
    # one event a day from May 1 to May 10
    rows = ", ".join([_event(day, day) for day in range(1, 11)] + list(extra_rows))
    project.execute(f"insert into app.events values {rows}")
    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    return project


def _ids_by_day(project: Project) -> dict[date, set[str]]:
    days: dict[date, set[str]] = {}
    for day, insert_id in project.query(
        "select cast(ts as date), insert_id from hackle_events"
    ):
        days.setdefault(day, set()).add(insert_id)
    return days


def test_an_event_two_days_late_lands_in_its_own_day(
    make_project: Callable[[], Project],
) -> None:
    project = _source_project(make_project)
    before = _ids_by_day(project)

    project.execute(f"insert into app.events values {_event(99, 8, 10)}")
    project.dbt("build", *PRODUCTION, vars=VARS)

    after = _ids_by_day(project)
    late_id = "00000000-0000-0000-0000-000000000099"
    assert after[date(2024, 5, 8)] == before[date(2024, 5, 8)] | {late_id}
    assert {d: ids for d, ids in after.items() if d != date(2024, 5, 8)} == {
        d: ids for d, ids in before.items() if d != date(2024, 5, 8)
    }
    summary = dict(project.query("select dt, exported_rows from hackle_daily_summary"))
    assert summary[date(2024, 5, 8)] == 2


def test_a_rebuilt_day_is_replaced_whole(make_project: Callable[[], Project]) -> None:
    project = _source_project(make_project)

    project.execute(
        "delete from app.events where event_id = '00000000-0000-0000-0000-000000000009'"
    )
    project.dbt("build", *PRODUCTION, vars=VARS)

    assert date(2024, 5, 9) not in _ids_by_day(project)
    assert project.query(
        "select count(*) from hackle_daily_summary where dt = '2024-05-09'"
    ) == [(0,)]


def test_an_event_received_late_beyond_the_lookback_lands_in_its_day(
    make_project: Callable[[], Project],
) -> None:
    project = _source_project(make_project)
    before = _ids_by_day(project)

    # received on May 10 for May 2, eight days before the newest day
    project.execute(f"insert into app.events values {_event(98, 2, 10)}")
    project.dbt("build", *PRODUCTION, vars=VARS)

    after = _ids_by_day(project)
    assert after[date(2024, 5, 2)] == before[date(2024, 5, 2)] | {
        "00000000-0000-0000-0000-000000000098"
    }
    assert len(after[date(2024, 5, 1)]) == 1


def test_a_backfill_of_old_rows_is_reported_not_lost(
    make_project: Callable[[], Project],
) -> None:
    project = _source_project(make_project)
    # an old row loaded now with its old receipt time: no window reaches it
    project.execute(f"insert into app.events values {_event(97, 2, 2)}")

    result = project.dbt("build", *PRODUCTION, vars=VARS, check=False)
    assert result.returncode != 0
    assert "FAIL 1 every_source_row_accounted_for" in result.stdout
    assert len(_ids_by_day(project)[date(2024, 5, 2)]) == 1

    project.dbt("build", *PRODUCTION, vars={**VARS, "lookback_days": 9})
    assert len(_ids_by_day(project)[date(2024, 5, 2)]) == 2


MARTS = (
    "select * from hackle_events order by insert_id, ts",
    "select * from hackle_events_rejected order by insert_id, received_at",
    "select * from hackle_daily_summary order by dt",
)


def test_an_incremental_run_gives_what_a_full_refresh_gives(
    make_project: Callable[[], Project],
) -> None:
    # event 50 held back on May 4 (an OS the contract does not accept)
    project = _source_project(make_project, (_event(50, 4, os_name="Web"),))

    project.execute(
        "insert into app.events values "
        # late, for May 8
        f"{_event(99, 8, 10)}, "
        # a second copy of May 3's event, timed on May 9: a duplicate
        f"{_event(3, 9, 10)}, "
        # a copy of May 4's held-back event that can be exported: it wins
        f"{_event(50, 9, 10)}"
    )
    project.dbt("build", *PRODUCTION, vars=VARS)
    incremental = [project.query(sql) for sql in MARTS]

    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    assert [project.query(sql) for sql in MARTS] == incremental

    summary = {
        row[0]: row[1:]
        for row in project.query(
            "select dt, exported_rows, rejected_rows, duplicates_removed "
            "from hackle_daily_summary"
        )
    }
    assert summary[date(2024, 5, 3)] == (1, 0, 0)
    assert summary[date(2024, 5, 4)] == (1, 0, 1)
    assert summary[date(2024, 5, 9)] == (2, 0, 1)
    assert project.query("select count(*) from hackle_events_rejected") == [(0,)]


def test_an_incremental_run_re_reads_only_rows_received_in_its_window(
    make_project: Callable[[], Project],
) -> None:
    project = _source_project(make_project)
    may_1 = "00000000-0000-0000-0000-000000000001"
    # changed in place, long after it was received: no window reaches it
    project.execute(f"update app.events set os_name = 'Web' where event_id = '{may_1}'")
    project.execute(f"insert into app.events values {_event(11, 11)}")

    project.dbt("build", *PRODUCTION, vars=VARS)

    # the newest day was May 10: May 7 on is re-read
    assert project.query("select reread_start from stg_reread_window") == [
        (datetime(2024, 5, 7),)
    ]
    assert project.query(
        f"select row_status from int_events__validated where insert_id = '{may_1}'"
    ) == [("exported",)]
    assert may_1 in _ids_by_day(project)[date(2024, 5, 1)]
    assert len(_ids_by_day(project)[date(2024, 5, 11)]) == 1

    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    assert date(2024, 5, 1) not in _ids_by_day(project)
    assert project.query("select reread_start from stg_reread_window") == [(None,)]


def test_a_partial_selection_cannot_leave_the_reread_window_inconsistent(
    make_project: Callable[[], Project],
) -> None:
    project = _source_project(make_project)
    project.dbt("build", *PRODUCTION, vars=VARS)

    result = project.dbt(
        "build",
        "--full-refresh",
        "--select",
        "int_events__validated",
        *PRODUCTION,
        vars=VARS,
        check=False,
    )
    assert result.returncode != 0
    assert "dbt build --full-refresh --select stg_reread_window+" in result.stdout

    # the views copy the window's start into their SQL: they must follow it
    result = project.dbt(
        "build", "--select", "stg_reread_window", *PRODUCTION, vars=VARS, check=False
    )
    assert result.returncode != 0
    assert "built without the views that read it" in result.stdout
