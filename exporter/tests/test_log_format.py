"""--log-format json: every line on stdout and stderr is one JSON object."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

import pytest
from exporter_support import Project

from hackle_export.exit_codes import ExitCode
from hackle_export.log_format import JsonFormatter, LogFormat, format_in_argv

ONE_EVENT = "ts = (select min(ts) from hackle_events)"


def objects(text: str) -> list[dict[str, Any]]:
    """Parse every line; fail on any line that is not one JSON object."""
    parsed = []
    for line in text.splitlines():
        value = json.loads(line)
        assert isinstance(value, dict), line
        assert {"type", "time"} <= value.keys(), line
        assert value["time"].endswith("Z")
        parsed.append(value)
    return parsed


def test_a_range_with_logs_and_an_error_is_all_json(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(f"update hackle_events set event_key = null where {ONE_EVENT}")

    code = project.run(
        "--start", "2023-12-31", "--end", "2024-01-03",
        "--log-format", "json", "--verbose", "--debug", "--manifest", "--summary",
    )  # fmt: skip

    assert code == ExitCode.CONTRACT_VIOLATION
    captured = capsys.readouterr()
    out, err = objects(captured.out), objects(captured.err)

    days = [o for o in out if o["type"] == "day"]
    assert [(d["day"], d["status"]) for d in days] == [
        ("2023-12-31", "empty_refused"),
        ("2024-01-01", "contract_violation"),
        ("2024-01-02", "published"),
        ("2024-01-03", "not_ready"),
    ]
    published = days[2]
    assert published["rows"] == 410
    assert published["rejected_by_reason"] == {"missing_id": 1}
    assert published["duplicates_removed"] == 2
    assert published["bytes"] > 0 and published["seconds"] >= 0
    assert len(published["files"]) == 1
    assert published["exit_code"] == 0
    assert "event_key is null" in days[1]["error"]
    [summary] = [o for o in out if o["type"] == "summary"]
    assert [d["day"] for d in summary["days"]] == [d["day"] for d in days]
    assert len(out) == 5

    errors = [o for o in err if o["type"] == "error"]
    [error] = errors
    assert error["level"] == "error"
    assert error["message"].startswith("2024-01-01: column event_key is null")
    assert "Traceback" in error["traceback"]
    logs = [o for o in err if o["type"] == "log"]
    assert any(
        o["logger"] == "hackle_export.export"
        and o["message"].startswith("published 2024-01-02:")
        for o in logs
    )
    assert {o["level"] for o in logs} <= {"debug", "info", "warning", "error"}
    assert len(logs) + len(errors) == len(err)


def test_a_usage_error_is_json_too(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--log-format=json", "--date", "2024/01/01") == ExitCode.USAGE
    captured = capsys.readouterr()
    [error] = objects(captured.err)
    assert error["type"] == "error"
    assert "YYYY-MM-DD" in error["message"]
    assert captured.out == ""


def test_notices_are_json(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.execute(
        "insert into hackle_events_rejected values (null, 'missing_timestamp', 'n');"
        "insert into hackle_daily_summary values (null, 1, 0, 1, 0, 0)"
    )

    assert project.run("--all-days", "--log-format", "json") != ExitCode.USAGE

    [notice] = objects(capsys.readouterr().err)
    assert notice["type"] == "notice"
    assert "without a day" in notice["message"]


def test_text_stays_the_default(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run("--date", "2024-01-01") == ExitCode.OK
    assert capsys.readouterr().out.startswith("2024-01-01 published rows=410 ")


def test_the_formatter_keeps_a_traceback_on_one_line() -> None:
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord(
            "hackle_export.x", logging.ERROR, __file__, 1, "failed %s", ("day",),
            sys.exc_info(),
        )  # fmt: skip
    line = JsonFormatter().format(record)
    assert "\n" not in line
    value = json.loads(line)
    assert value["message"] == "failed day"
    assert value["level"] == "error"
    assert "ValueError: broken\nacross lines" in value["traceback"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--log-format", "json"], LogFormat.JSON),
        (["--log-format=json"], LogFormat.JSON),
        (["--log-format", "text"], LogFormat.TEXT),
        (["--log-format"], LogFormat.TEXT),
        ([], LogFormat.TEXT),
    ],
)
def test_the_format_is_read_before_the_parse(
    argv: list[str], expected: LogFormat
) -> None:
    assert format_in_argv(argv) is expected


def test_every_line_of_the_command_is_json(project: Project) -> None:
    project.set_status("2024-01-05 00:00:00")
    env = {k: v for k, v in os.environ.items() if k != "CI"}

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hackle_export",
            *project.args("--all-days", "--log-format", "json", "--verbose"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert done.returncode == ExitCode.EMPTY_REFUSED
    out, err = objects(done.stdout), objects(done.stderr)
    # every line is JSON: the day lines, then the range's summary
    assert out[-1]["type"] == "summary"
    out = out[:-1]
    assert [o["status"] for o in out] == [
        "empty_refused",
        "published",
        "published",
        "published",
    ]
    assert err and all(o["type"] == "log" for o in err)
