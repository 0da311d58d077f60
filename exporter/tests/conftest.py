"""Fixtures: a small warehouse and dbt project per test (see exporter_support)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.fs as pafs
import pytest
from exporter_support import Project, RecordingHandler, build_project


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    def make(tz: str = "UTC", complete_until: str = "2024-01-03 00:00:00") -> Project:
        return build_project(tmp_path / "project", tz, complete_until)

    return make


@pytest.fixture
def project(make_project: Callable[..., Project]) -> Project:
    return make_project()


@pytest.fixture
def recording() -> Iterator[tuple[pafs.FileSystem, RecordingHandler]]:
    handler = RecordingHandler()
    yield pafs.PyFileSystem(handler), handler
