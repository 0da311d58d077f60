"""Fixtures that build the dbt project for real on DuckDB (see dbt_support)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from dbt_support import Project, load_sample, new_project


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The bundled sample, built once with the default vars (declared complete)."""
    project = new_project(tmp_path_factory.mktemp("sample"))
    load_sample(project)
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
        return new_project(tmp_path / f"project-{next(counter)}")

    return make


@pytest.fixture
def sample_copy(sample_project: Project, tmp_path: Path) -> Project:
    """A private copy of the built sample that a test may change."""
    project = new_project(tmp_path / "copy")
    shutil.copy(sample_project.database, project.database)
    return project
