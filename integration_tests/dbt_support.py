"""Build the dbt project for real on DuckDB in a temporary folder, and run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Project:
    """One DuckDB file with the project built into it, and how to run dbt on it."""

    workdir: Path
    database: Path
    # rows the sample loader put in each source kind's tables
    loaded: dict[str, int] = field(default_factory=dict)

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


def new_project(workdir: Path) -> Project:
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "profiles.example.yml", workdir / "profiles.yml")
    return Project(workdir=workdir, database=workdir / "hackle.duckdb")


def load_sample(project: Project) -> None:
    """Load the bundled sample into the project's DuckDB file."""
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "sample_data" / "load_sample_data.py"),
            "--counts",
            str(project.database),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    project.loaded = json.loads(result.stdout)


def default_sources() -> list[str]:
    """The source kinds dbt_project.yml enables by default."""
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    return list(project["vars"]["hackle_export"]["sources"])
