"""On DuckDB, hackle_events is stored in ts, insert_id order, full and incremental.

The exporter then streams each day with a plain scan instead of a sort; it checks
the order itself and says when it has to sort.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from dbt_support import Project
from test_incremental_days import PRODUCTION
from test_incremental_days import VARS as GENERIC_VARS

from hackle_export.readers.duckdb_reader import DuckDBReader

NOT_IN_ORDER = "is not stored in ts, insert_id order"

# The generic source of the incremental tests, declared complete so that every
# built day can be exported.
VARS = {**GENERIC_VARS, "sources_complete_until": "2030-01-01 00:00:00"}


def _add_events(project: Project, first: int, count: int, day: str) -> None:
    """``count`` events of ``day`` in no order, every third pair sharing a time."""
    project.execute(
        f"""
        insert into app.events
        select
            printf('%08x-0000-4000-8000-%012d', hash(i) % 4294967295, i),
            timestamp '{day}' + to_milliseconds(hash(i // 3 * 3) % 86400000),
            timestamp '{day}' + to_milliseconds(hash(i // 3 * 3) % 86400000 + 5000),
            'e' || (i % 7), 'dev-' || (i % 11), 'iOS', '1.0'
        from range({first}, {first + count}) as t(i)
        order by hash(i * 31)
        """
    )


def _days_in_order(project: Project) -> dict[date, bool]:
    days = [
        row[0] for row in project.query("select distinct ts::date from hackle_events")
    ]
    reader = DuckDBReader(project.database)
    try:
        return {
            day: reader.stored_in_order(
                datetime.combine(day, datetime.min.time()),
                datetime.combine(day + timedelta(days=1), datetime.min.time()),
            )
            for day in days
        }
    finally:
        reader.close()


def test_hackle_events_is_stored_in_order_after_full_and_incremental_builds(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    project.execute(
        "create schema app; create table app.events (event_id varchar, "
        "occurred_at timestamp, received_at timestamp, event_name varchar, "
        "device_id varchar, os_name varchar, app_version varchar)"
    )
    _add_events(project, 0, 600, "2024-05-01")
    _add_events(project, 600, 600, "2024-05-02")
    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)

    full = _days_in_order(project)
    assert full == {date(2024, 5, 1): True, date(2024, 5, 2): True}

    # A new day, and late events of the first day, in an incremental run.
    _add_events(project, 1200, 600, "2024-05-03")
    project.execute(
        "insert into app.events select printf('late-%04d', i), "
        "timestamp '2024-05-01 06:00:00' + to_seconds(i), "
        "timestamp '2024-05-03 10:00:00', 'late_event', 'dev-1', 'iOS', '1.0' "
        "from range(50) as t(i) order by i desc"
    )
    project.dbt("build", *PRODUCTION, vars=VARS)

    incremental = _days_in_order(project)
    assert set(incremental) == {date(2024, 5, d) for d in (1, 2, 3)}
    assert all(incremental.values()), incremental
    assert project.query(
        "select count(*) from hackle_events where event_key = 'late_event'"
    ) == [(50,)]

    exported = project.export(
        "--all-days",
        "--dest",
        str(project.workdir / "bucket"),
        "--verbose",
        "--batch-rows",
        "100",
    )
    assert exported.returncode == 0, exported.stderr
    assert NOT_IN_ORDER not in exported.stderr
