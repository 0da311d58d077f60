"""The benchmark script runs end to end on a small day and prints its numbers.

Only that it works is checked here: times and ratios depend on the machine and
are never asserted.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "export_benchmark.py"


def _parse(stdout: str) -> dict[str, dict[str, str]]:
    lines: dict[str, dict[str, str]] = {}
    for line in stdout.splitlines():
        name, *fields = shlex.split(line)
        lines[name] = dict(field.split("=", 1) for field in fields)
    return lines


def test_the_benchmark_measures_a_small_export_and_dbt_build(tmp_path: Path) -> None:
    workdir = tmp_path / "bench"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--rows",
            "100000",
            "--events-per-day",
            "2000",
            "--history-days",
            "3",
            "--lookback-days",
            "1",
            "--workdir",
            str(workdir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr

    lines = _parse(result.stdout)
    assert set(lines) == {
        "machine",
        "generated",
        "baseline",
        "export",
        "export_vs_baseline",
        "dbt_day1",
        "dbt_history",
        "dbt_new_day",
        "dbt_new_day_vs_day1",
    }
    assert int(lines["machine"]["nproc"]) >= 1
    for name in ("baseline", "export"):
        assert lines[name]["rows"] == "100000"
        for key in ("seconds", "rows_per_second", "peak_rss_mb"):
            assert float(lines[name][key]) > 0
    float(lines["export_vs_baseline"]["ratio"])
    # The baseline wrote the same rows in the same order as the export.
    assert lines["export_vs_baseline"]["same_order"] == "True"
    float(lines["dbt_new_day_vs_day1"]["ratio"])
    assert lines["dbt_new_day"]["lookback_days"] == "1"
    # Each measured build says where its time went, from dbt's run results.
    for name in ("dbt_day1", "dbt_new_day"):
        assert float(lines[name]["models_s"]) > 0
        assert float(lines[name]["tests_s"]) > 0
        assert 0 < float(lines[name]["startup_s"]) < float(lines[name]["seconds"])

    # The export really published the day, and the dbt builds really built rows.
    day = workdir / "bucket" / "dt=2024-06-01"
    assert (day / "_SUCCESS").exists()
    assert list(day.glob("part-*.parquet"))
    assert int(lines["dbt_day1"]["hackle_events_rows"]) > 0
    assert int(lines["dbt_new_day"]["hackle_events_rows"]) > int(
        lines["dbt_history"]["hackle_events_rows"]
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [("full", "is not empty"), ("results.txt", "is not a folder")],
)
def test_the_benchmark_refuses_a_workdir_that_holds_something(
    tmp_path: Path, name: str, words: str
) -> None:
    # A folder with a file of the user's in it, or a file of the user's.
    mine = tmp_path / "full" / "keep.txt" if name == "full" else tmp_path / name
    mine.parent.mkdir(exist_ok=True)
    mine.write_text("mine", encoding="utf-8")
    workdir = tmp_path / name
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--skip-dbt", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert mine.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--rows", "abc"], "'abc' is not a positive whole number"),
        (["--rows", "0"], "is not a positive whole number"),
        (["--lookback-days", "-1"], "is not a whole number, 0 or more"),
        (["--skip-export", "--skip-dbt"], "leave nothing to measure"),
        # Checked with the exporter's own rules before any day is generated.
        (["--export-arg=--bogus"], "unrecognized arguments: --bogus"),
        (["--export-arg=--writers=99"], "--writers 99 must be between 1 and 16"),
        (["--export-arg=--dest=elsewhere"], "the benchmark sets --dest itself"),
        # The exporter takes a shortened option too; it is refused all the same.
        (["--export-arg=--des=elsewhere"], "the benchmark sets --dest itself"),
        (["--export-arg=--dry"], "the benchmark sets --dry-run itself"),
        (["--rows", "99999999999999"], "is more than 1000000000 rows"),
    ],
)
def test_the_benchmark_refuses_bad_options_before_any_work(
    tmp_path: Path, args: list[str], words: str
) -> None:
    workdir = tmp_path / "bench"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--workdir", str(workdir), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert words in result.stderr
    assert not workdir.exists()
