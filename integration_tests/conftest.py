"""Fixtures that build the dbt project for real on DuckDB in a temporary folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SAMPLE_ROWS = 302  # 290 Snowplow rows and 12 generic rows


@dataclass
class Project:
    """One DuckDB file with the project built into it, and how to run dbt on it."""

    workdir: Path
    database: Path

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["HACKLE_DUCKDB_PATH"] = str(self.database)
        env["DBT_TARGET_PATH"] = str(self.workdir / "target")
        env["DBT_LOG_PATH"] = str(self.workdir / "logs")
        env["DBT_USE_COLORS"] = "false"
        env.pop("DBT_PROFILES_DIR", None)
        return env

    def dbt(
        self, *args: str, vars: Mapping[str, Any] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [
            str(BIN / "dbt"),
            *args,
            "--profiles-dir",
            str(self.workdir),
            "--target",
            "duckdb",
        ]
        if vars:
            command += ["--vars", json.dumps(dict(vars))]
        result = subprocess.run(
            command, cwd=REPO, env=self.env, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def export(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [
            str(BIN / "hackle-export"),
            "--profiles-dir",
            str(self.workdir),
            "--target",
            "duckdb",
            *args,
        ]
        return subprocess.run(
            command, cwd=REPO, env=self.env, capture_output=True, text=True
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        with duckdb.connect(str(self.database)) as con:
            con.execute(sql)


def _new_project(workdir: Path) -> Project:
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "profiles.example.yml", workdir / "profiles.yml")
    return Project(workdir=workdir, database=workdir / "hackle.duckdb")


def _load_sample(project: Project) -> None:
    subprocess.run(
        [
            sys.executable,
            str(REPO / "sample_data" / "load_sample_data.py"),
            str(project.database),
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The bundled sample, built once with the default vars (declared complete)."""
    project = _new_project(tmp_path_factory.mktemp("sample"))
    _load_sample(project)
    project.dbt(
        "build",
        "--full-refresh",
        vars={"sources_complete_until": "2030-01-01 00:00:00"},
    )
    return project


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[], Project]:
    """A fresh, empty project folder per test, for tests that write their source."""
    counter = iter(range(100))

    def make() -> Project:
        return _new_project(tmp_path / f"project-{next(counter)}")

    return make


@pytest.fixture
def sample_copy(sample_project: Project, tmp_path: Path) -> Project:
    """A private copy of the built sample that a test may change."""
    project = _new_project(tmp_path / "copy")
    shutil.copy(sample_project.database, project.database)
    return project
