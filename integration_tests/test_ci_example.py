"""The example CI workflow: its steps, and its export script run for real.

The script of the export step is taken out of the YAML and run by bash the way
GitHub Actions runs a `shell: bash` step (`bash --noprofile --norc -eo pipefail`),
with stand-ins for dbt, hackle-export and sleep on the PATH that record their
calls and exit with the codes a test scripts.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from dbt_support import REPO

WORKFLOW = REPO / "examples" / "github-actions" / "hackle-export.yml"
PACKAGES = REPO / "examples" / "packages.yml"
EXPORT_STEP = "Build and export yesterday"

# Each stand-in appends its arguments to a log, then exits with the next code
# of its list (the last one repeats).
STAND_IN = """#!/usr/bin/env bash
echo "$*" >> "{log}"
calls=$(wc -l < "{log}")
codes=({codes})
index=$(( calls <= ${{#codes[@]}} ? calls - 1 : ${{#codes[@]}} - 1 ))
exit "${{codes[$index]}}"
"""


def _workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict[str, Any]]:
    return _workflow()["jobs"]["export"]["steps"]


def _export_step() -> dict[str, Any]:
    return next(step for step in _steps() if step.get("name") == EXPORT_STEP)


@dataclass
class Run:
    code: int
    output: str
    dbt: list[str]
    exports: list[str]
    sleeps: list[str]


def _run_export_step(
    tmp_path: Path,
    export_codes: Sequence[int],
    dbt_codes: Sequence[int] = (0,),
    env: dict[str, str] | None = None,
) -> Run:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    logs = {name: tmp_path / f"{name}.log" for name in ("dbt", "export", "sleep")}
    for name, log, codes in (
        ("dbt", logs["dbt"], dbt_codes),
        ("hackle-export", logs["export"], export_codes),
        ("sleep", logs["sleep"], (0,)),
    ):
        script = bin_dir / name
        script.write_text(
            STAND_IN.format(log=log, codes=" ".join(str(c) for c in codes))
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        log.touch()
    step_script = tmp_path / "step.sh"
    step_script.write_text(_export_step()["run"])

    run_env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        **{k: str(v) for k, v in _workflow()["jobs"]["export"]["env"].items()},
        "DAY_INPUT": "",
        **(env or {}),
    }
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(step_script)],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Run(
        code=result.returncode,
        output=result.stdout + result.stderr,
        dbt=logs["dbt"].read_text().splitlines(),
        exports=logs["export"].read_text().splitlines(),
        sleeps=logs["sleep"].read_text().splitlines(),
    )


def _yesterday_utc() -> str:
    # `date -d 'yesterday 12:00'` as the step computes it in UTC
    return (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


def test_the_workflow_installs_builds_then_exports() -> None:
    workflow = _workflow()
    # YAML 1.1 reads the key `on` as true
    triggers = workflow.get("on", workflow.get(True))
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    runs = [str(step.get("run", "")) for step in _steps()]
    install = next(i for i, run in enumerate(runs) if "pip install" in run)
    deps = next(i for i, run in enumerate(runs) if run.strip() == "dbt deps")
    export = _steps().index(_export_step())
    assert install < deps < export
    assert "hackle-export[dbt,s3]" in runs[install]

    step = _export_step()
    assert step["shell"] == "bash"
    script = step["run"]
    assert "${{" not in script, "expressions belong in env, not in the script"
    assert script.index("dbt build") < script.index("hackle-export")


def test_the_wait_is_bounded_within_the_job_timeout() -> None:
    job = _workflow()["jobs"]["export"]
    waiting = int(job["env"]["NOT_READY_ATTEMPTS"]) * int(
        job["env"]["NOT_READY_WAIT_SECONDS"]
    )
    assert 0 < waiting < job["timeout-minutes"] * 60


def test_a_day_not_ready_twice_is_retried_then_published(tmp_path: Path) -> None:
    run = _run_export_step(tmp_path, export_codes=[75, 75, 0])
    assert run.code == 0, run.output
    day = _yesterday_utc()
    assert run.exports == [f"--date {day} --dest s3://your-bucket/hackle"] * 3
    # readiness moves only when dbt runs, so each attempt rebuilds first
    assert run.dbt == ["build --exclude-resource-type unit_test"] * 3
    assert run.sleeps == ["900", "900"]
    assert f"published {day}" in run.output


def test_a_day_never_ready_stops_after_the_last_attempt(tmp_path: Path) -> None:
    run = _run_export_step(tmp_path, export_codes=[75], env={"NOT_READY_ATTEMPTS": "3"})
    assert run.code == 75
    assert len(run.exports) == 3
    assert len(run.sleeps) == 2
    assert "still not ready after 3 attempts" in run.output


@pytest.mark.parametrize("code", [1, 2, 3, 4, 130])
def test_any_other_exit_code_fails_at_once(tmp_path: Path, code: int) -> None:
    run = _run_export_step(tmp_path, export_codes=[code, 0])
    assert run.code == code
    assert len(run.exports) == 1
    assert run.sleeps == []
    assert f"exit code {code}" in run.output


def test_a_failed_dbt_build_stops_before_the_export(tmp_path: Path) -> None:
    run = _run_export_step(tmp_path, export_codes=[0], dbt_codes=[1])
    assert run.code == 1
    assert run.exports == []


def test_a_day_given_by_hand_is_exported(tmp_path: Path) -> None:
    run = _run_export_step(tmp_path, export_codes=[0], env={"DAY_INPUT": "2024-05-01"})
    assert run.code == 0, run.output
    assert run.exports == ["--date 2024-05-01 --dest s3://your-bucket/hackle"]


def test_the_day_is_yesterday_in_the_partition_zone(tmp_path: Path) -> None:
    run = _run_export_step(
        tmp_path, export_codes=[0], env={"PARTITION_TIMEZONE": "Pacific/Kiritimati"}
    )
    # UTC+14: its yesterday is today or yesterday in UTC, by the hour
    now = datetime.now(UTC) + timedelta(hours=14)
    assert run.exports == [
        f"--date {(now - timedelta(days=1)).date()} --dest s3://your-bucket/hackle"
    ]


def test_the_example_packages_file_pins_a_git_revision() -> None:
    packages = yaml.safe_load(PACKAGES.read_text())["packages"]
    assert len(packages) == 1
    assert packages[0]["git"].startswith("https://github.com/")
    assert packages[0]["git"].endswith(".git")
    assert packages[0]["revision"]
