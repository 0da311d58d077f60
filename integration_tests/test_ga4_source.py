"""The ga4 source kind on small GA4 export datasets written by each test.

Each test writes date tables in the shape of Google's BigQuery export (the schema
of the bundled sample's generator), builds the project on them and reads the
marts or the exported bucket.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
from dbt_support import REPO, Project

# Unit tests mock the sample's tables; a build on another dataset leaves them
# out, as a production run does.
PRODUCTION = ("--exclude-resource-type", "unit_test")
DATASET = "analytics_123"
PROPERTY_ZONE = ZoneInfo("America/Los_Angeles")
VARS: dict[str, Any] = {"sources": ["ga4"], "ga4_schema": DATASET}


def _generator() -> ModuleType:
    path = REPO / "sample_data" / "ga4" / "generate.py"
    spec = importlib.util.spec_from_file_location("ga4_sample_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


GENERATE = _generator()


def _event(
    local: datetime,
    name: str,
    pseudo_id: str | None = "p-1",
    params: dict[str, Any] | None = None,
    offset_micros: int | None = 1_500_000,
) -> dict[str, Any]:
    """One export row of an Android app event at a wall-clock time of the property."""
    moment = local.replace(tzinfo=PROPERTY_ZONE)
    return {
        "event_date": moment.strftime("%Y%m%d"),
        "event_timestamp": int(moment.timestamp()) * 1_000_000 + moment.microsecond,
        "event_name": name,
        "event_params": [GENERATE.param(k, v) for k, v in (params or {}).items()],
        "event_server_timestamp_offset": offset_micros,
        "user_pseudo_id": pseudo_id,
        "device": {"operating_system": "Android", "operating_system_version": "14"},
        "app_info": {"version": "2.4.0"},
        "stream_id": "4174518301",
        "platform": "ANDROID",
    }


def _write(project: Project, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Create (or replace) one table of the dataset with these rows."""
    with duckdb.connect(str(project.database)) as con:
        con.execute(f"create schema if not exists {DATASET}")
        con.register("new_rows", GENERATE.shard_table(list(rows)))
        con.execute(f"create or replace table {DATASET}.{table} as from new_rows")


def _append(project: Project, table: str, rows: Iterable[dict[str, Any]]) -> None:
    with duckdb.connect(str(project.database)) as con:
        con.register("new_rows", GENERATE.shard_table(list(rows)))
        con.execute(f"insert into {DATASET}.{table} from new_rows")


def _exported_names(project: Project) -> list[str]:
    return sorted(
        row[0] for row in project.query("select event_key from hackle_events")
    )


def _read_day(bucket: Path, day: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for part in sorted((bucket / f"dt={day}").glob("part-*.parquet")):
        rows += pq.read_table(part).to_pylist()
    return rows


def test_byte_identical_rows_in_a_shard_give_one_event_with_a_stable_insert_id(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    level_up = _event(
        datetime(2024, 5, 1, 9, 0, 0, 250), "level_up", params={"level": 3}
    )
    _write(
        project,
        "events_20240501",
        [level_up, dict(level_up), _event(datetime(2024, 5, 1, 9, 5), "screen_view")],
    )

    insert_ids = []
    for _ in range(2):
        project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
        insert_ids.append(
            project.query(
                "select insert_id from hackle_events where event_key = 'level_up'"
            )
        )

    assert len(insert_ids[0]) == 1
    assert insert_ids[0] == insert_ids[1]
    assert project.query(
        "select source_rows, exported_rows, duplicates_removed "
        "from hackle_daily_summary"
    ) == [(3, 2, 1)]


def test_the_daily_table_of_a_date_wins_over_its_intraday_table(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    final = [
        _event(datetime(2024, 5, 1, 9, 0), "session_start"),
        _event(datetime(2024, 5, 1, 9, 1), "level_up", params={"level": 3}),
    ]
    _write(project, "events_20240501", final)
    # the intraday table Google has not removed yet: the same events, one of them
    # still provisional
    _write(
        project,
        "events_intraday_20240501",
        [*final, _event(datetime(2024, 5, 1, 9, 2), "provisional")],
    )

    for use_intraday in (False, True):
        project.dbt(
            "build",
            "--full-refresh",
            *PRODUCTION,
            vars={**VARS, "ga4_use_intraday": use_intraday},
        )
        assert _exported_names(project) == ["level_up", "session_start"]
        assert project.query(
            "select sum(source_rows), sum(duplicates_removed) from hackle_daily_summary"
        ) == [(2, 0)]


def test_a_date_with_only_an_intraday_table_is_not_ready_unless_asked(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = make_project()
    _write(project, "events_20240501", [_event(datetime(2024, 5, 1, 9, 0), "a")])
    # May 2 is still streaming; its last event so far is at 18:00 in Los Angeles,
    # after the end of the UTC day May 2
    _write(
        project,
        "events_intraday_20240502",
        [
            _event(datetime(2024, 5, 2, 9, 0), "b"),
            _event(datetime(2024, 5, 2, 18, 0), "c"),
        ],
    )
    bucket = tmp_path / "bucket"

    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    # the end of May 1 in Los Angeles
    assert project.query("select source_complete_until from hackle_source_status") == [
        (datetime(2024, 5, 2, 7, 0),)
    ]
    assert project.export("--date", "2024-05-01", "--dest", str(bucket)).returncode == 0
    waiting = project.export("--date", "2024-05-02", "--dest", str(bucket))
    assert waiting.returncode == 75, waiting.stderr
    assert not (bucket / "dt=2024-05-02").exists()

    project.dbt(
        "build", "--full-refresh", *PRODUCTION, vars={**VARS, "ga4_use_intraday": True}
    )
    ready = project.export("--date", "2024-05-02", "--dest", str(bucket))
    assert ready.returncode == 0, ready.stderr
    assert [row["event_key"] for row in _read_day(bucket, "2024-05-02")] == ["b"]


def test_tables_that_only_look_like_shards_are_ignored(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    _write(project, "events_20240501", [_event(datetime(2024, 5, 1, 9, 0), "real")])
    for table in (
        "events_fresh_20240501",
        "events_20240101_backup",
        "events_intraday_20240501_old",
        "events_20241301",
        "events_2024050",
    ):
        _write(project, table, [_event(datetime(2024, 5, 1, 9, 0), table)])
    with duckdb.connect(str(project.database)) as con:
        con.execute(
            f"create table {DATASET}.pseudonymous_users_20240501 "
            "(pseudo_user_id varchar, stream_id varchar)"
        )
        con.execute(
            f"insert into {DATASET}.pseudonymous_users_20240501 values ('p', 's')"
        )

    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)

    assert _exported_names(project) == ["real"]


def test_a_utc_day_is_assembled_from_the_two_shards_that_overlap_it(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = make_project()
    # in each date of Los Angeles, events in its morning (the same UTC day) and
    # its evening (already the next UTC day); the last date ends before 17:00
    hours = {date(2024, 5, 1): (2, 16, 17, 23), date(2024, 5, 2): (0, 9, 16, 20)}
    hours[date(2024, 5, 3)] = (8, 16)
    for day, day_hours in hours.items():
        _write(
            project,
            f"events_{day:%Y%m%d}",
            [
                _event(
                    datetime(day.year, day.month, day.day, h, 59, 59, 999999),
                    f"{day:%m%d}_{h:02d}",
                    pseudo_id=f"p-{h}",
                )
                for h in day_hours
            ],
        )
    bucket = tmp_path / "bucket"

    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    result = project.export("--all-days", "--dest", str(bucket))
    assert result.returncode == 0, result.stderr

    by_day = {
        day: sorted(row["event_key"] for row in _read_day(bucket, day))
        for day in ("2024-05-01", "2024-05-02", "2024-05-03")
    }
    # UTC May 2 runs from 17:00 on May 1 to 17:00 on May 2 in Los Angeles
    assert by_day["2024-05-02"] == [
        "0501_17",
        "0501_23",
        "0502_00",
        "0502_09",
        "0502_16",
    ]
    assert by_day["2024-05-01"] == ["0501_02", "0501_16"]
    assert by_day["2024-05-03"] == ["0502_20", "0503_08", "0503_16"]
    for day, names in by_day.items():
        rows = _read_day(bucket, day)
        assert all(
            row["ts"].astimezone(UTC).date().isoformat() == day for row in rows
        ), names
    exported = [name for names in by_day.values() for name in names]
    assert sorted(exported) == sorted(
        f"{day:%m%d}_{h:02d}" for day, day_hours in hours.items() for h in day_hours
    )
    assert sorted(p.name for p in bucket.iterdir()) == [
        "dt=2024-05-01",
        "dt=2024-05-02",
        "dt=2024-05-03",
    ]


def test_rows_without_user_pseudo_id_are_held_back_and_never_merged(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    moment = datetime(2024, 5, 1, 16, 30)
    _write(
        project,
        "events_20240501",
        [
            _event(moment, "page_view", pseudo_id=None, params={"page_location": "/a"}),
            _event(moment, "page_view", pseudo_id=None, params={"page_location": "/b"}),
            _event(
                moment, "page_view", pseudo_id="p-1", params={"page_location": "/a"}
            ),
        ],
    )

    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)

    rejected = project.query(
        "select reason, insert_id from hackle_events_rejected where source_kind = 'ga4'"
    )
    assert [reason for reason, _ in rejected] == ["missing_id", "missing_id"]
    assert len({insert_id for _, insert_id in rejected}) == 2
    assert project.query(
        "select source_rows, exported_rows, rejected_rows, duplicates_removed "
        "from hackle_daily_summary"
    ) == [(3, 1, 2, 0)]


def test_an_event_two_days_late_lands_in_its_own_day(
    make_project: Callable[[], Project],
) -> None:
    project = make_project()
    # one event a day at noon in Los Angeles (19:00 UTC), May 1 to May 10
    for day in range(1, 11):
        _write(
            project,
            f"events_202405{day:02d}",
            [
                _event(
                    datetime(2024, 5, day, 12, 0),
                    f"day_{day:02d}",
                    pseudo_id=f"p-{day}",
                )
            ],
        )
    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    before = dict(project.query("select event_key, insert_id from hackle_events"))

    # a phone that was offline uploads an event of May 8 two days later; Google
    # adds it to the table of May 8
    late = _event(
        datetime(2024, 5, 8, 13, 0),
        "late",
        pseudo_id="p-late",
        offset_micros=int(timedelta(days=2).total_seconds()) * 1_000_000,
    )
    _append(project, "events_20240508", [late])
    project.dbt("build", *PRODUCTION, vars=VARS)

    after = dict(project.query("select event_key, insert_id from hackle_events"))
    assert {k: v for k, v in after.items() if k != "late"} == before
    assert project.query(
        "select cast(ts as date) from hackle_events where event_key = 'late'"
    ) == [(date(2024, 5, 8),)]
    summary = dict(project.query("select dt, exported_rows from hackle_daily_summary"))
    assert summary[date(2024, 5, 8)] == 2


def test_a_missing_daily_table_holds_back_the_days_that_need_it(
    make_project: Callable[[], Project], tmp_path: Path
) -> None:
    project = make_project()
    for day in (3, 5, 6):
        _write(
            project,
            f"events_202406{day:02d}",
            [_event(datetime(2024, 6, day, 9, 0), f"e{day}")],
        )
    bucket = tmp_path / "bucket"

    project.dbt("build", "--full-refresh", *PRODUCTION, vars=VARS)
    # June 4 is missing: complete only to the end of June 3 in Los Angeles
    assert project.query("select source_complete_until from hackle_source_status") == [
        (datetime(2024, 6, 4, 7, 0),)
    ]
    waiting = project.export("--date", "2024-06-04", "--dest", str(bucket))
    assert waiting.returncode == 75, waiting.stderr

    _write(project, "events_20240604", [_event(datetime(2024, 6, 4, 9, 0), "e4")])
    project.dbt("build", *PRODUCTION, vars=VARS)
    assert project.query("select source_complete_until from hackle_source_status") == [
        (datetime(2024, 6, 7, 7, 0),)
    ]
