"""This repository installed as a dbt package into a user's own dbt project.

A scratch project is written the way a user would write theirs: its own name and
profile, a ``packages.yml`` entry for this repository (``local:`` here, ``git:``
with a ``revision:`` tag for users, see examples/packages.yml), the settings under
``vars: hackle_export:``, and a model of its own that refs one of ours. It is
built with the command the README gives for production, on the bundled sample.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dbt_support import BIN, REPO, Project, load_sample, new_project

PROFILE = "my_analytics"


@dataclass
class UserProject:
    """A user's dbt project with this repository installed as a package."""

    folder: Path
    database: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["DBT_LOG_PATH"] = str(self.folder / "logs")
        env["DBT_USE_COLORS"] = "false"
        for name in ("DBT_PROFILES_DIR", "DBT_TARGET_PATH", "HACKLE_DUCKDB_PATH"):
            env.pop(name, None)
        return subprocess.run(
            [str(BIN / args[0]), *args[1:], "--profiles-dir", str(self.folder)],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()


def write_user_project(
    folder: Path, database: Path, settings: Mapping[str, Any]
) -> UserProject:
    (folder / "models").mkdir(parents=True)
    project = {
        "name": "my_analytics",
        "version": "1.0.0",
        "config-version": 2,
        "profile": PROFILE,
        "model-paths": ["models"],
        "vars": {"hackle_export": dict(settings)},
    }
    (folder / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    packages = {"packages": [{"local": str(REPO)}]}
    (folder / "packages.yml").write_text(yaml.safe_dump(packages))
    profiles = {
        PROFILE: {
            "target": "dev",
            "outputs": {
                "dev": {
                    "type": "duckdb",
                    "path": str(database),
                    "schema": "main",
                    "threads": 2,
                }
            },
        }
    }
    (folder / "profiles.yml").write_text(yaml.safe_dump(profiles))
    (folder / "models" / "exported_per_day.sql").write_text(
        "select dt, exported_rows from {{ ref('hackle_daily_summary') }}\n"
    )
    user = UserProject(folder=folder, database=database)
    result = user.run("dbt", "deps")
    assert result.returncode == 0, result.stdout + result.stderr
    return user


@pytest.fixture(scope="module")
def sample_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sample: Project = new_project(tmp_path_factory.mktemp("package-sample"))
    load_sample(sample)
    return sample.database


@pytest.fixture(scope="module")
def built(
    sample_database: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[UserProject, str]:
    user = write_user_project(
        tmp_path_factory.mktemp("user") / "my_analytics",
        sample_database,
        {
            "partition_timezone": "Asia/Seoul",
            "sources_complete_until": "2030-01-01 00:00:00",
        },
    )
    result = user.run("dbt", "build", "--exclude-resource-type", "unit_test")
    assert result.returncode == 0, result.stdout + result.stderr
    return user, result.stdout


def test_dbt_build_runs_the_package_hook_seeds_models_and_tests(
    built: tuple[UserProject, str],
) -> None:
    user, output = built
    assert "hackle_export.on-run-start" in output
    assert "seed file main.hackle_event_mapping" in output
    assert "every_source_row_accounted_for" in output
    assert user.query("select count(*) from hackle_events")[0][0] > 0
    # the user's own model refs one of the package's
    assert user.query("select sum(exported_rows) from exported_per_day") == user.query(
        "select count(*) from hackle_events"
    )


def test_the_user_project_sets_the_package_vars(
    built: tuple[UserProject, str],
) -> None:
    user, _ = built
    assert user.query("select partition_timezone from hackle_source_status") == [
        ("Asia/Seoul",)
    ]
    # ts stays UTC; the day is the date in Seoul, nine hours ahead all year.
    seoul_days = dict(
        user.query(
            "select cast(ts + interval 9 hour as date) as d, count(*) "
            "from hackle_events group by d"
        )
    )
    utc_days = dict(
        user.query(
            "select cast(ts as date) as d, count(*) from hackle_events group by d"
        )
    )
    summary = dict(
        user.query(
            "select dt, exported_rows from hackle_daily_summary where exported_rows > 0"
        )
    )
    assert summary == seoul_days
    assert summary != utc_days


def test_the_package_unit_tests_pass_under_the_vars_they_assume(
    built: tuple[UserProject, str],
) -> None:
    user, _ = built
    result = user.run(
        "dbt",
        "test",
        "--select",
        "package:hackle_export,resource_type:unit_test",
        "--vars",
        "{partition_timezone: UTC}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS=" in result.stdout


def test_the_exporter_reads_the_user_project(
    built: tuple[UserProject, str], tmp_path: Path
) -> None:
    user, _ = built
    (day,) = user.query(
        "select max(dt) from hackle_daily_summary where exported_rows > 0"
    )[0]
    dest = tmp_path / "bucket"
    result = user.run(
        "hackle-export",
        "--project-dir",
        str(user.folder),
        "--date",
        day.isoformat(),
        "--dest",
        str(dest),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (dest / f"dt={day.isoformat()}" / "_SUCCESS").is_file()


def test_a_wrong_setting_in_the_user_project_stops_the_run(
    built: tuple[UserProject, str], tmp_path: Path
) -> None:
    user, _ = built
    wrong = write_user_project(tmp_path / "wrong", user.database, {"lookback_days": -1})
    result = wrong.run("dbt", "build", "--exclude-resource-type", "unit_test")
    assert result.returncode != 0
    assert "lookback_days must be a whole number of days" in result.stdout
