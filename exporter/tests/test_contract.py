"""Rows that break the contract stop the day: exit 3, no _SUCCESS."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from exporter_support import Project

from hackle_export.conform import Conformer
from hackle_export.days import day_bounds
from hackle_export.errors import ContractViolation
from hackle_export.exit_codes import ExitCode
from hackle_export.schema import COLUMNS, MAP_TYPE, IdentifiersFormat

DAY = "2024-01-01"
ONE_EVENT = (
    "insert_id = (select min(insert_id) from hackle_events "
    "where ts between '2024-01-01 12:00' and '2024-01-01 13:00')"
)


def assert_violation(
    project: Project, capsys: pytest.CaptureFixture[str], *words: str
) -> None:
    assert project.run("--date", DAY) == ExitCode.CONTRACT_VIOLATION
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{DAY} contract_violation rows=0")
    error = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(error) == 1
    for word in words:
        assert word in error[0]
    assert "Traceback" not in captured.err
    assert not project.success(DAY).exists()


@pytest.mark.parametrize(
    "column",
    ["event_key", "identifiers", "insert_id", "metric_value", "platform_properties"],
)
def test_null_in_any_column_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    project.execute(f"update hackle_events set {column} = null where {ONE_EVENT}")
    assert_violation(project, capsys, f"column {column} is null in 1 row")


def test_sub_millisecond_ts_is_a_violation_not_rounded(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(
        f"update hackle_events set ts = ts + interval 1 microsecond where {ONE_EVENT}"
    )
    assert_violation(project, capsys, "column ts", "below the millisecond in 1 row")


def test_null_map_value_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(
        "update hackle_events set user_properties = map(['plan'], [null::varchar]) "
        f"where {ONE_EVENT}"
    )
    assert_violation(
        project,
        capsys,
        "user_properties has map entries whose value is null (1 of them)",
    )


def test_summary_that_disagrees_with_the_rows_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(
        "update hackle_daily_summary set exported_rows = exported_rows + 1 "
        f"where dt = '{DAY}'"
    )
    assert_violation(project, capsys, "exported_rows", "hackle_daily_summary")


def test_failed_day_keeps_no_success_from_an_earlier_run(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", DAY) == ExitCode.OK
    assert project.success(DAY).exists()
    project.execute(f"update hackle_events set event_key = null where {ONE_EVENT}")

    assert project.run("--date", DAY) == ExitCode.CONTRACT_VIOLATION
    assert not project.success(DAY).exists()


def test_wrong_column_type_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute("alter table hackle_events alter metric_value type double")
    assert_violation(project, capsys, "metric_value", "decimal(24,6)")


def test_missing_column_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute("alter table hackle_events drop column event_properties")
    assert_violation(project, capsys, "event_properties")


def test_range_goes_on_past_a_violating_day(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(f"update hackle_events set event_key = null where {ONE_EVENT}")

    code = project.run("--start", "2024-01-01", "--end", "2024-01-02")
    assert code == ExitCode.CONTRACT_VIOLATION
    assert not project.success("2024-01-01").exists()
    assert project.success("2024-01-02").exists()


def batch(ts: list[datetime]) -> pa.RecordBatch:
    n = len(ts)
    columns = {
        "ts": pa.array(ts, pa.timestamp("us")),
        "event_key": pa.array(["e"] * n),
        "identifiers": pa.array([[("id", "a"), ("device_id", "b")]] * n, MAP_TYPE),
        "insert_id": pa.array([str(i) for i in range(n)]),
        "metric_value": pa.array([0] * n, pa.decimal128(24, 6)),
        "user_properties": pa.array([[]] * n, MAP_TYPE),
        "event_properties": pa.array([[]] * n, MAP_TYPE),
        "platform_properties": pa.array([[("osname", "iOS")]] * n, MAP_TYPE),
    }
    return pa.record_batch([columns[name] for name in COLUMNS], names=list(COLUMNS))


def test_ts_outside_the_day_is_a_violation() -> None:
    bounds = day_bounds(date(2024, 1, 2), ZoneInfo("Asia/Seoul"))
    conformer = Conformer(bounds, IdentifiersFormat.MAP)
    inside = [datetime(2024, 1, 1, 15), datetime(2024, 1, 2, 14, 59, 59, 999000)]

    conformed = conformer.conform(batch(inside))
    assert conformed.schema == conformer.schema
    for outside in (datetime(2024, 1, 1, 14, 59, 59, 999000), datetime(2024, 1, 2, 15)):
        with pytest.raises(ContractViolation, match=r"outside 2024-01-02 .* in 1 row"):
            conformer.conform(batch([*inside, outside]))


def test_repeated_identifier_key_is_a_violation_in_json_mode() -> None:
    bounds = day_bounds(date(2024, 1, 1), ZoneInfo("UTC"))
    conformer = Conformer(bounds, IdentifiersFormat.JSON)
    rows = batch([datetime(2024, 1, 1, 1)])
    repeated = pa.array([[("id", "a"), ("id", "b")]], MAP_TYPE)
    rows = rows.set_column(2, "identifiers", repeated)

    with pytest.raises(ContractViolation, match="repeats a key"):
        conformer.conform(rows)
