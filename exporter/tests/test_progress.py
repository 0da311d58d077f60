"""Progress of a range: a bar on a terminal, plain lines elsewhere, a closing table."""

# The expected table is compared line by line, as wide as it prints.
# ruff: noqa: E501

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading
from datetime import date

import pytest
from exporter_support import Project

from hackle_export import progress
from hackle_export.exit_codes import ExitCode
from hackle_export.export import DayResult, DayStatus
from hackle_export.progress import (
    DayRow,
    ProgressMode,
    RunProgress,
    choose_mode,
    render_bar,
    render_table,
)

DAYS = ["2023-12-31", "2024-01-01", "2024-01-02", "2024-01-03"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_lists_every_day_and_a_total_exactly() -> None:
    rows = [
        DayRow(date(2024, 1, 1), "published", 410, {"unknown_osname": 1,
               "missing_device_id": 2}, 2, 4, 50225, 0.4149),
        DayRow(date(2024, 1, 2), "published", 410, {"missing_id": 1}, 2, 1, 17195,
               12.5),
        DayRow(date(2024, 1, 3), "not_ready", 0, {}, 2, 0, None, 0.01),
    ]  # fmt: skip

    assert render_table(rows).splitlines() == [
        "day         status         rows  rejected                                                 duplicates  files  bytes  seconds",
        "----------  -------------  ----  -------------------------------------------------------  ----------  -----  -----  -------",
        "2024-01-01  published       410  3 (missing_device_id=2, unknown_osname=1)                         2      4  50225     0.41",
        "2024-01-02  published       410  1 (missing_id=1)                                                  2      1  17195    12.50",
        "2024-01-03  not_ready         0  0                                                                 2      0      -     0.01",
        "----------  -------------  ----  -------------------------------------------------------  ----------  -----  -----  -------",
        "total       2/3 published   820  4 (missing_device_id=2, missing_id=1, unknown_osname=1)           6      5  67420    12.92",
    ]  # fmt: skip


def test_the_total_line_widens_its_columns() -> None:
    # The total's rejected cell is the widest, so the columns align on it.
    table = render_table(
        [DayRow(date(2024, 1, 1), "published", 1, {"a": 1}, 0, 1, 10, 1.0)]
    ).splitlines()
    assert len({len(line) for line in table}) == 1


def test_bar_shows_share_rows_and_seconds() -> None:
    assert render_bar(date(2024, 1, 2), 2, 3, 200, 400, 1.54, width=10) == (
        "2024-01-02 [2/3] [#####-----]  50%  200/400 rows  1.5 s"
    )
    assert render_bar(date(2024, 1, 2), 2, 3, 0, None, 0.0, width=10) == (
        "2024-01-02 [2/3] 0 rows  0.0 s"
    )


@pytest.mark.parametrize(
    ("requested", "terminal", "env", "mode"),
    [
        (ProgressMode.AUTO, True, {}, ProgressMode.BAR),
        (ProgressMode.AUTO, True, {"CI": "true"}, ProgressMode.PLAIN),
        (ProgressMode.AUTO, True, {"CI": "false"}, ProgressMode.BAR),
        (ProgressMode.AUTO, False, {}, ProgressMode.PLAIN),
        (ProgressMode.BAR, False, {"CI": "1"}, ProgressMode.BAR),
        (ProgressMode.PLAIN, True, {}, ProgressMode.PLAIN),
    ],
)
def test_auto_mode_is_a_bar_only_on_a_terminal_outside_ci(
    requested: ProgressMode, terminal: bool, env: dict[str, str], mode: ProgressMode
) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    assert choose_mode(requested, stream, env) is mode


def test_a_forced_bar_fills_and_is_cleared_before_the_day_line() -> None:
    now = [0.0]
    stream = io.StringIO()
    run = RunProgress(1, ProgressMode.BAR, stream=stream, clock=lambda: now[0])

    run.start_day(date(2024, 1, 1))
    run.expect(400)
    for _ in range(4):
        now[0] += 1.0
        run.advance(100)
    seconds = run.finish_day(DayResult(date(2024, 1, 1), DayStatus.PUBLISHED, 400))

    assert seconds == 4.0
    frames = stream.getvalue().split("\r\x1b[K")
    assert frames[-1] == ""  # cleared last
    assert "[####################----]  83%" not in frames
    assert frames[-2] == (
        "2024-01-01 [1/1] [########################] 100%  400/400 rows  4.0 s"
    )
    assert "2024-01-01 [1/1] [######------------------]  25%  100/400 rows  1.0 s" in (
        frames
    )


def test_plain_mode_is_silent_for_a_quick_day_and_reports_a_long_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = [0.0]
    run = RunProgress(2, ProgressMode.PLAIN, clock=lambda: now[0])

    run.start_day(date(2024, 1, 1))
    run.expect(400)
    run.advance(100)
    now[0] = 29.0
    run.advance(100)
    assert capsys.readouterr().err == ""
    now[0] = 31.0
    run.advance(100)
    run.finish_day(DayResult(date(2024, 1, 1), DayStatus.PUBLISHED, 300))

    captured = capsys.readouterr()
    assert captured.err == "2024-01-01 [1/2] 300/400 rows after 31 s\n"
    assert "\r" not in captured.err


def test_plain_range_with_summary_ends_with_the_exact_table(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress, "monotonic", lambda: 0.0)
    project.set_status("2024-01-05 00:00:00")

    code = project.run("--all-days", "--allow-empty", "--manifest", "--summary")

    assert code == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.err == ""
    out = captured.out.splitlines()
    assert [line.split()[:2] for line in out[:4]] == [
        [day, "published"] for day in DAYS
    ]
    counts = {
        day: len(project.query("select 1 from hackle_events where ts::date = ?", [day]))
        for day in DAYS
    }
    sizes = {day: sum(p.stat().st_size for p in project.parts(day)) for day in DAYS}
    rejected = {
        "2023-12-31": {"missing_id": 1},
        "2024-01-01": {"missing_device_id": 2, "unknown_osname": 1},
        "2024-01-02": {"missing_id": 1},
        "2024-01-03": {},
    }  # fmt: skip
    expected = render_table(
        [
            DayRow(date.fromisoformat(day), "published", counts[day], rejected[day],
                   2, len(project.parts(day)), sizes[day], 0.0)
            for day in DAYS
        ]
    )  # fmt: skip
    assert "\n".join(out[4:]) == expected
    assert out[4].split() == [
        "day", "status", "rows", "rejected", "duplicates", "files", "bytes", "seconds"
    ]  # fmt: skip
    assert out[-1].split()[:4] == ["total", "4/4", "published", "1200"]


def test_plain_range_prints_day_lines_then_the_table_by_default(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--start", "2024-01-01", "--end", "2024-01-02") == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split()[0] for line in lines[:2]] == DAYS[1:3]
    assert len(lines) > 2 and "status" in lines[2]
    assert captured.err == ""


def test_no_summary_leaves_only_the_day_lines(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--start", "2024-01-01", "--end", "2024-01-02", "--no-summary")
    assert project.run(*args) == 0
    captured = capsys.readouterr()
    assert [line.split()[0] for line in captured.out.splitlines()] == DAYS[1:3]


def _read_all(fd: int, sink: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end closed
            return
        if not chunk:
            return
        sink.append(chunk)


def test_a_terminal_gets_a_bar_per_day_and_the_table(project: Project) -> None:
    project.set_status("2024-01-05 00:00:00")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TERM"] = "xterm"
    controller, terminal = pty.openpty()
    command = [
        sys.executable,
        "-m",
        "hackle_export",
        *project.args("--start", DAYS[1], "--end", DAYS[3], "--batch-rows", "50"),
    ]
    seen: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(controller, seen), daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        reader.join(timeout=10)
        os.close(controller)

    assert done.returncode == ExitCode.OK
    shown = b"".join(seen).decode()
    for index, day in enumerate(DAYS[1:], start=1):
        assert f"{day} [{index}/3] [" in shown
        assert f"{day} [{index}/3] [{'#' * progress.BAR_WIDTH}] 100%" in shown
    assert shown.endswith("\r\x1b[K")
    out = done.stdout.decode().splitlines()
    assert [line.split()[:2] for line in out[:3]] == [
        [day, "published"] for day in DAYS[1:]
    ]
    assert out[3].split()[:2] == ["day", "status"]
    assert out[-1].split()[:4] == ["total", "3/3", "published", "1200"]
    # Without --manifest the bytes are not known.
    assert out[-1].split()[-2] == "-"


def test_no_summary_turns_the_table_off_with_a_bar(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        project.run(
            "--start", DAYS[1], "--end", DAYS[2], "--progress", "bar", "--no-summary"
        )
        == 0
    )
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert "\r\x1b[K" in captured.err


def test_a_bar_for_one_day_publishes_it_as_usual(project: Project) -> None:
    assert project.run("--date", DAYS[1], "--progress", "bar") == 0
    assert len(project.parts(DAYS[1])) == 1
    assert project.success(DAYS[1]).exists()
