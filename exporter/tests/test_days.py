"""Choosing days: one day, ranges, every summary day, yesterday, time zones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from exporter_support import Project

from hackle_export.days import day_bounds, yesterday
from hackle_export.exit_codes import ExitCode


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def exported_ts(project: Project, day: str) -> list[datetime]:
    values = []
    for part in project.parts(day):
        values.extend(pq.read_table(part, columns=["ts"]).column("ts").to_pylist())
    return values


def test_range_reports_every_day_and_the_most_severe_code(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code = project.run("--start", "2023-12-31", "--end", "2024-01-03", "--no-summary")

    assert code == ExitCode.NOT_READY
    assert [line.split()[:2] for line in lines(capsys)] == [
        ["2023-12-31", "empty_refused"],
        ["2024-01-01", "published"],
        ["2024-01-02", "published"],
        ["2024-01-03", "not_ready"],
    ]
    assert project.success("2024-01-01").exists()
    assert project.success("2024-01-02").exists()
    assert not project.folder("2023-12-31").exists()
    assert not project.folder("2024-01-03").exists()


def test_day_line_counts_rows_rejections_duplicates_and_files(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", "2024-01-01", "--max-file-mb", "0.005") == 0

    rows = len(exported_ts(project, "2024-01-01"))
    files = len(project.parts("2024-01-01"))
    assert lines(capsys) == [
        f"2024-01-01 published rows={rows} rejected=3 (missing_device_id=2, "
        f"unknown_osname=1) duplicates_removed=2 files={files}"
    ]


def test_all_days_exports_every_summary_day(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.set_status("2024-01-05 00:00:00")

    assert project.run("--all-days", "--allow-empty", "--no-summary") == ExitCode.OK

    days = ["2023-12-31", "2024-01-01", "2024-01-02", "2024-01-03"]
    assert [line.split()[0] for line in lines(capsys)] == days
    assert sorted(p.name for p in project.dest.iterdir()) == [f"dt={d}" for d in days]
    assert all(project.success(day).exists() for day in days)
    total = sum(len(exported_ts(project, day)) for day in days)
    assert total == 1200


def test_all_days_notes_source_rows_without_a_day(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.set_status("2024-01-05 00:00:00")
    project.execute(
        """
        insert into hackle_events_rejected
        select null, 'missing_timestamp', 'n' || i from range(3) as t(i);
        insert into hackle_daily_summary values (null, 3, 0, 3, 0, 0)
        """
    )

    assert project.run("--all-days", "--allow-empty", "--no-summary") == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "hackle_daily_summary counts 3 source rows without a day (dt is null, "
        "neither an event time nor a received time); they are not exported and "
        "are in hackle_events_rejected with dt null"
    ]
    days = ["2023-12-31", "2024-01-01", "2024-01-02", "2024-01-03"]
    assert [line.split()[0] for line in captured.out.splitlines()] == days

    # One day's run does not concern them.
    assert project.run("--date", "2024-01-01") == ExitCode.OK
    assert capsys.readouterr().err == ""


def test_all_days_without_summary_rows_exports_nothing(project: Project) -> None:
    project.execute("delete from hackle_daily_summary")

    assert project.run("--all-days") == ExitCode.OK
    assert not project.dest.exists()


def test_default_day_is_yesterday_in_the_partition_time_zone(
    make_project: Callable[..., Project], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tz="Pacific/Kiritimati", complete_until="2999-01-01")
    expected = datetime.now(ZoneInfo("Pacific/Kiritimati")).date() - timedelta(1)

    assert project.run() == ExitCode.EMPTY_REFUSED
    assert lines(capsys)[0].split()[:2] == [expected.isoformat(), "empty_refused"]


def test_yesterday_follows_the_time_zone_across_midnight() -> None:
    now = datetime(2024, 3, 1, 16, 30, tzinfo=UTC)
    assert yesterday(ZoneInfo("UTC"), now) == date(2024, 2, 29)
    assert yesterday(ZoneInfo("Asia/Seoul"), now) == date(2024, 3, 1)


def test_bounds_of_a_day_follow_daylight_saving_time() -> None:
    bounds = day_bounds(date(2024, 3, 10), ZoneInfo("America/New_York"))
    assert bounds.start_utc == datetime(2024, 3, 10, 5)
    assert bounds.end_utc == datetime(2024, 3, 11, 4)


def test_seoul_day_takes_the_rows_between_its_midnights(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(tz="Asia/Seoul")
    # Just before and exactly at midnight 2024-01-02 in Seoul, i.e. 15:00 UTC.
    project.execute(
        """
        insert into hackle_events
        select edge.ts, e.event_key, e.identifiers, e.insert_id || '-' || edge.tag,
               e.metric_value, e.user_properties, e.event_properties,
               e.platform_properties
        from (select * from hackle_events limit 1) as e
        cross join (values (timestamp '2024-01-01 14:59:59.999', 'before'),
                           (timestamp '2024-01-01 15:00:00', 'at')) as edge(ts, tag)
        """
    )
    project.rebuild_summary()

    assert project.run("--date", "2024-01-02") == ExitCode.OK
    assert project.run("--date", "2024-01-01") == ExitCode.OK

    start, end = datetime(2024, 1, 1, 15), datetime(2024, 1, 2, 15)
    day_two = exported_ts(project, "2024-01-02")
    source = [row[0].replace(tzinfo=UTC) for row in project.source_rows(start, end)]
    assert day_two == source
    assert day_two[0] == datetime(2024, 1, 1, 15, tzinfo=UTC)
    assert max(day_two) < end.replace(tzinfo=UTC)
    day_one = exported_ts(project, "2024-01-01")
    assert day_one[-1] == datetime(2024, 1, 1, 14, 59, 59, 999000, tzinfo=UTC)
    assert len(day_one) + len(day_two) == len(
        project.source_rows(datetime(2024, 1, 1), end)
    )


def test_seoul_day_is_ready_only_when_its_utc_end_is_complete(
    make_project: Callable[..., Project],
) -> None:
    # 2024-01-03 in Seoul ends at 2024-01-03 15:00 UTC.
    project = make_project(tz="Asia/Seoul", complete_until="2024-01-03 14:59:59")
    assert project.run("--date", "2024-01-03") == ExitCode.NOT_READY
    assert project.run("--date", "2024-01-02") == ExitCode.OK

    project.set_status("2024-01-03 15:00:00")
    assert project.run("--date", "2024-01-03") == ExitCode.OK
