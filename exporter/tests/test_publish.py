"""Publishing a day: exact Parquet types, _SUCCESS last, re-runs, healing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from exporter_support import Project, RecordingHandler

from hackle_export import verify
from hackle_export.destination import Destination
from hackle_export.exit_codes import ExitCode
from hackle_export.export import DayStatus, ExportOptions, run_day
from hackle_export.readers.duckdb_reader import DuckDBReader
from hackle_export.schema import COLUMNS

DAY = "2024-01-01"
DAY_START = datetime(2024, 1, 1)
DAY_END = datetime(2024, 1, 2)

MAP_LEAVES = ["key_value.key", "key_value.value"]


def leaf_types(path: Path) -> list[tuple[str, str, str, int, int, int]]:
    schema = pq.ParquetFile(path).schema
    leaves = []
    for index in range(len(schema)):
        column = schema.column(index)
        leaves.append(
            (
                column.path,
                column.physical_type,
                str(column.logical_type),
                column.max_definition_level,
                column.max_repetition_level,
                column.length,
            )
        )
    return leaves


TS_LOGICAL = (
    "Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds, "
    "is_from_converted_type=false, force_set_converted_type=false)"
)


def expected_leaves(identifiers_json: bool = False) -> list[tuple]:
    def map_leaves(name: str) -> list[tuple]:
        return [
            (f"{name}.key_value.key", "BYTE_ARRAY", "String", 1, 1, 0),
            (f"{name}.key_value.value", "BYTE_ARRAY", "String", 2, 1, 0),
        ]

    identifiers = (
        [("identifiers", "BYTE_ARRAY", "String", 0, 0, 0)]
        if identifiers_json
        else map_leaves("identifiers")
    )
    return [
        ("ts", "INT64", TS_LOGICAL, 0, 0, 0),
        ("event_key", "BYTE_ARRAY", "String", 0, 0, 0),
        *identifiers,
        ("insert_id", "BYTE_ARRAY", "String", 0, 0, 0),
        (
            "metric_value",
            "FIXED_LEN_BYTE_ARRAY",
            "Decimal(precision=24, scale=6)",
            0,
            0,
            11,
        ),
        *map_leaves("user_properties"),
        *map_leaves("event_properties"),
        *map_leaves("platform_properties"),
    ]


def test_part_files_have_the_exact_contract_types(project: Project) -> None:
    assert project.run("--date", DAY) == ExitCode.OK

    [part] = project.parts(DAY)
    assert leaf_types(part) == expected_leaves()
    parquet_file = pq.ParquetFile(part)
    text = str(parquet_file.schema)
    for name in ("identifiers", "user_properties", "event_properties"):
        assert f"required group field_id=-1 {name} (Map)" in text
    assert "repeated group field_id=-1 key_value" in text
    assert "int96" not in text.lower()
    arrow = parquet_file.schema_arrow
    assert arrow.names == list(COLUMNS)
    assert not any(field.nullable for field in arrow)
    assert str(arrow.field("ts").type) == "timestamp[ms, tz=UTC]"
    assert parquet_file.metadata.row_group(0).column(0).compression == "SNAPPY"


def test_success_is_empty_and_newer_than_every_part(project: Project) -> None:
    assert (
        project.run("--date", DAY, "--max-file-mb", "0.005", "--batch-rows", "40") == 0
    )

    parts = project.parts(DAY)
    assert len(parts) > 1
    success = project.success(DAY)
    assert success.stat().st_size == 0
    assert all(success.stat().st_mtime_ns >= p.stat().st_mtime_ns for p in parts)
    names = sorted(p.name for p in project.folder(DAY).iterdir())
    assert names == sorted([*(p.name for p in parts), "_SUCCESS"])
    assert all(not p.name.startswith(("_", ".")) for p in parts)
    run_ids = {p.name.split("-", 2)[2] for p in parts}
    assert len(run_ids) == 1
    # part-RRNNNNN: two ranges of the day, each numbering its own files from 0.
    numbers = [(int(p.name[5:7]), int(p.name[7:12])) for p in parts]
    assert {r for r, _ in numbers} == {0, 1}
    for range_index in (0, 1):
        files = [n for r, n in numbers if r == range_index]
        assert files == list(range(len(files)))


def test_rows_round_trip_exactly_in_order(project: Project) -> None:
    assert (
        project.run("--date", DAY, "--max-file-mb", "0.005", "--batch-rows", "40") == 0
    )

    written = []
    for part in project.parts(DAY):
        written.extend(pq.read_table(part).to_pylist())
    source = project.source_rows(DAY_START, DAY_END)
    assert len(written) == len(source) > 400
    for row, expected in zip(written, source, strict=True):
        ts, event_key, identifiers, insert_id, metric, user, event, platform = expected
        assert row["ts"] == ts.replace(tzinfo=UTC)
        assert row["event_key"] == event_key
        assert row["identifiers"] == list(identifiers.items())
        assert row["insert_id"] == insert_id
        assert row["metric_value"] == metric
        assert row["user_properties"] == list(user.items())
        assert row["event_properties"] == list(event.items())
        assert row["platform_properties"] == list(platform.items())
    metrics = {row["metric_value"] for row in written}
    assert max(metrics).as_tuple().digits == (9,) * 24
    assert any(m < 0 for m in metrics)
    assert [] in [row["user_properties"] for row in written]


def test_identifiers_as_json_text(project: Project) -> None:
    assert project.run("--date", DAY, "--identifiers-format", "json") == 0

    [part] = project.parts(DAY)
    assert leaf_types(part) == expected_leaves(identifiers_json=True)
    written = pq.read_table(part).column("identifiers").to_pylist()
    source = [row[2] for row in project.source_rows(DAY_START, DAY_END)]
    assert written == [
        json.dumps(ids, ensure_ascii=False, separators=(",", ":")) for ids in source
    ]
    assert any("ユーザー" in text for text in written)
    # Events 0 and 1 share a ts; event 1 has the smaller insert_id.
    assert written[:2] == [
        '{"id":"user-1","device_id":"dev-1"}',
        '{"id":"ユーザー-0","device_id":"dev-0","user_id":"u0"}',
    ]


def test_rerun_with_fewer_files_leaves_no_stale_file(project: Project) -> None:
    sentinel = project.dest / "keep-me.txt"
    other_day = project.dest / "dt=2023-01-01" / "part-00000-other.parquet"
    other_day.parent.mkdir(parents=True)
    sentinel.write_text("vendor file", encoding="utf-8")
    other_day.write_bytes(b"not ours")

    assert (
        project.run("--date", DAY, "--max-file-mb", "0.005", "--batch-rows", "40") == 0
    )
    first = project.parts(DAY)
    assert len(first) > 2
    (project.folder(DAY) / ".hidden").write_text("x", encoding="utf-8")
    (project.folder(DAY) / "subfolder").mkdir()

    assert project.run("--date", DAY) == 0
    second = project.parts(DAY)
    assert len(second) == 1
    assert not set(first) & set(second)
    assert sorted(p.name for p in project.folder(DAY).iterdir()) == sorted(
        [second[0].name, "_SUCCESS"]
    )
    assert pq.ParquetFile(second[0]).metadata.num_rows == len(
        project.source_rows(DAY_START, DAY_END)
    )
    assert sentinel.read_text(encoding="utf-8") == "vendor file"
    assert other_day.read_bytes() == b"not ours"


def publish_with(
    project: Project, fs: object, day: date = date(2024, 1, 1)
) -> DayStatus:
    reader = DuckDBReader(project.db)
    try:
        result = run_day(
            reader,
            Destination(fs, str(project.dest)),
            day,
            reader.source_status(),
            ExportOptions(max_file_bytes=5000, batch_rows=40),
        )
    finally:
        reader.close()
    return result.status


def test_rerun_withdraws_success_before_writing_and_signals_last(
    project: Project, recording: tuple[object, RecordingHandler]
) -> None:
    fs, handler = recording
    assert (
        project.run("--date", DAY, "--max-file-mb", "0.005", "--batch-rows", "40") == 0
    )
    old_parts = {str(p) for p in project.parts(DAY)}

    assert publish_with(project, fs) == DayStatus.PUBLISHED

    success = str(project.success(DAY))
    # The day's lock lies beside the dt= folders; it is tested in test_lock.py.
    calls = [call for call in handler.calls if "/_hackle_locks" not in call[1]]
    assert calls[0] == ("delete_file", success)
    writes = [i for i, (op, path) in enumerate(calls) if op == "write"]
    part_writes = [i for i in writes if calls[i][1] != success]
    assert len(part_writes) > 1
    assert calls[-1] == ("write", success)
    deletes = {path for op, path in calls if op == "delete_file"}
    assert deletes == {success, *old_parts}
    last_delete = max(i for i, (op, _) in enumerate(calls) if op == "delete_file")
    assert max(part_writes) < last_delete < len(calls) - 1
    touched = {path for _, path in calls}
    assert all(path.startswith(str(project.folder(DAY))) for path in touched)


def test_failed_verification_leaves_no_success_and_next_run_heals(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        project.run("--date", DAY, "--max-file-mb", "0.005", "--batch-rows", "40") == 0
    )
    old_parts = project.parts(DAY)

    def broken_verify(*args: object, **kwargs: object) -> int:
        raise OSError("read-back failed")

    with monkeypatch.context() as patch:
        patch.setattr(verify, "verify_parts", broken_verify)
        assert project.run("--date", DAY) == ExitCode.FAILURE
    assert not project.success(DAY).exists()
    assert set(old_parts) < set(project.parts(DAY))

    assert project.run("--date", DAY) == ExitCode.OK
    assert project.success(DAY).exists()
    [healed] = project.parts(DAY)
    assert healed not in old_parts


def test_empty_day_allowed_gives_one_zero_row_file(project: Project) -> None:
    assert project.run("--date", "2023-12-31", "--allow-empty") == ExitCode.OK

    [part] = project.parts("2023-12-31")
    assert pq.ParquetFile(part).metadata.num_rows == 0
    assert leaf_types(part) == expected_leaves()
    assert project.success("2023-12-31").stat().st_size == 0


def test_empty_day_refused_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", "2023-12-31") == ExitCode.EMPTY_REFUSED

    assert not project.dest.exists()
    line = capsys.readouterr().out.strip()
    assert line == (
        "2023-12-31 empty_refused rows=0 rejected=1 (missing_id=1) "
        "duplicates_removed=2 files=0: no exported rows; pass --allow-empty to "
        "publish an empty day"
    )


def test_day_without_summary_row_is_empty(project: Project) -> None:
    assert project.run("--date", "2023-06-01") == ExitCode.EMPTY_REFUSED
    assert not project.dest.exists()


def test_not_ready_day_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", "2024-01-03") == ExitCode.NOT_READY

    assert not project.dest.exists()
    assert capsys.readouterr().out.strip() == (
        "2024-01-03 not_ready rows=0 rejected=0 duplicates_removed=2 files=0: the "
        "day ends at 2024-01-04 00:00:00 UTC and the source is complete until "
        "2024-01-03 00:00:00 UTC; retry later"
    )


def test_not_ready_line_when_the_source_vouches_for_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute("update hackle_source_status set source_complete_until = null")

    assert project.run("--date", DAY) == ExitCode.NOT_READY
    line = capsys.readouterr().out.strip()
    assert line.endswith(
        ": the day ends at 2024-01-02 00:00:00 UTC and the source vouches for no "
        "instant yet; retry later"
    )


def test_day_becomes_ready_when_the_source_is_complete(project: Project) -> None:
    project.set_status("2024-01-03 23:59:59.999")
    assert project.run("--date", "2024-01-03") == ExitCode.NOT_READY

    project.set_status("2024-01-04 00:00:00")
    assert project.run("--date", "2024-01-03") == ExitCode.OK
    assert project.success("2024-01-03").exists()


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("error: ")]
    return line


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_day_path_that_is_a_file_is_a_configuration_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.dest.mkdir()
    project.folder(DAY).write_text("not a folder", encoding="utf-8")

    assert project.run("--date", DAY) == ExitCode.USAGE
    assert f"{project.folder(DAY)} exists and is not a folder" in error_line(capsys)
    assert project.folder(DAY).read_text(encoding="utf-8") == "not a folder"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the destination, holding what looks like a published day."""
    folder = tmp_path / "outside"
    (folder / "nested").mkdir(parents=True)
    (folder / "part-00000-theirs.parquet").write_bytes(b"theirs")
    (folder / "nested" / "deep.txt").write_text("deep", encoding="utf-8")
    (folder / "_SUCCESS").write_bytes(b"")
    return folder


def test_day_folder_that_is_a_link_is_refused_before_any_change(
    project: Project, capsys: pytest.CaptureFixture[str], outside: Path
) -> None:
    before = snapshot(outside)
    project.dest.mkdir()
    project.folder(DAY).symlink_to(outside, target_is_directory=True)

    assert project.run("--date", DAY) == ExitCode.USAGE
    line = error_line(capsys)
    assert f"the day folder {project.folder(DAY)} is a symbolic link" in line
    assert snapshot(outside) == before


@pytest.mark.parametrize("target", ["nested", "part-00000-theirs.parquet"])
def test_link_inside_the_day_folder_is_refused_before_any_change(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    outside: Path,
    target: str,
) -> None:
    assert project.run("--date", DAY) == ExitCode.OK
    capsys.readouterr()
    link = project.folder(DAY) / "zz-link"
    link.symlink_to(outside / target)
    before_outside = snapshot(outside)
    before_day = snapshot(project.folder(DAY))

    assert project.run("--date", DAY) == ExitCode.USAGE
    assert f"{link} in the day folder is a symbolic link (1 in all)" in error_line(
        capsys
    )
    assert snapshot(outside) == before_outside
    assert snapshot(project.folder(DAY)) == before_day
    assert project.success(DAY).exists()


def test_link_deeper_in_the_day_folder_is_refused(
    project: Project, capsys: pytest.CaptureFixture[str], outside: Path
) -> None:
    sub = project.folder(DAY) / "sub"
    sub.mkdir(parents=True)
    (sub / "link").symlink_to(outside / "nested", target_is_directory=True)
    before = snapshot(outside)

    assert project.run("--date", DAY) == ExitCode.USAGE
    assert f"{sub / 'link'} in the day folder is a symbolic link" in error_line(capsys)
    assert snapshot(outside) == before
    assert (sub / "link").is_symlink()


@pytest.mark.parametrize("allow_empty", [False, True])
def test_summary_without_the_day_while_events_hold_it_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str], allow_empty: bool
) -> None:
    project.execute(f"delete from hackle_daily_summary where dt = '{DAY}'")
    extra = ["--allow-empty"] if allow_empty else []

    assert project.run("--date", DAY, *extra) == ExitCode.CONTRACT_VIOLATION
    assert error_line(capsys) == (
        f"error: {DAY}: hackle_daily_summary has no row for {DAY} but hackle_events "
        "holds 410 rows and hackle_events_rejected 3 rows of it; the marts "
        "disagree, run dbt build again"
    )
    assert not project.dest.exists()


def test_summary_without_the_day_while_rejected_rows_hold_it_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute("delete from hackle_daily_summary where dt = '2023-12-31'")

    assert project.run("--date", "2023-12-31") == ExitCode.CONTRACT_VIOLATION
    line = error_line(capsys)
    assert "hackle_events holds 0 rows and hackle_events_rejected 1 rows" in line
    assert "the marts disagree, run dbt build again" in line
    assert not project.dest.exists()


def test_summary_with_no_exported_rows_while_events_hold_some_is_a_violation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(
        f"update hackle_daily_summary set exported_rows = 0 where dt = '{DAY}'"
    )

    assert project.run("--date", DAY) == ExitCode.CONTRACT_VIOLATION
    assert (
        "hackle_daily_summary counts 0 exported_rows for 2024-01-01 but "
        "hackle_events holds 410 rows of it; the marts disagree"
    ) in error_line(capsys)
    assert not project.dest.exists()
