"""The manifest of a published day, outside every dt= folder, written last."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pyarrow.parquet as pq
from exporter_support import Project, RecordingHandler

from hackle_export import __version__
from hackle_export.destination import Destination
from hackle_export.exit_codes import ExitCode
from hackle_export.export import DayStatus, ExportOptions, run_day
from hackle_export.manifest import schema_fingerprint
from hackle_export.readers.duckdb_reader import DuckDBReader
from hackle_export.schema import IdentifiersFormat

DAY = "2024-01-01"
SMALL_PARTS = ("--max-file-mb", "0.005", "--batch-rows", "40")


def manifest_file(project: Project, day: str = DAY) -> Path:
    return project.dest / "_hackle_manifests" / f"dt={day}.json"


def read(project: Project, day: str = DAY) -> dict[str, Any]:
    return dict(json.loads(manifest_file(project, day).read_text(encoding="utf-8")))


def test_the_manifest_describes_the_published_files(project: Project) -> None:
    started = datetime.now(UTC)
    assert project.run("--date", DAY, "--manifest", *SMALL_PARTS) == ExitCode.OK

    manifest = read(project)
    parts = project.parts(DAY)
    assert len(parts) > 2
    assert manifest["day"] == DAY
    assert [f["name"] for f in manifest["files"]] == [p.name for p in parts]
    for entry, part in zip(manifest["files"], parts, strict=True):
        assert entry["bytes"] == part.stat().st_size
        assert entry["sha256"] == hashlib.sha256(part.read_bytes()).hexdigest()
        assert entry["rows"] == pq.ParquetFile(part).metadata.num_rows
    assert manifest["rows"] == sum(f["rows"] for f in manifest["files"])
    assert manifest["rows"] == len(
        project.source_rows(datetime(2024, 1, 1), datetime(2024, 1, 2))
    )
    assert manifest["schema_fingerprint"] == schema_fingerprint(
        pq.ParquetFile(parts[0]).schema
    )
    assert len(manifest["schema_fingerprint"]) == 64
    assert manifest["source_complete_until"] == "2024-01-03T00:00:00.000Z"
    assert manifest["partition_timezone"] == "UTC"
    assert manifest["exporter_version"] == __version__
    assert all(manifest["run_id"] in part.name for part in parts)
    written = datetime.fromisoformat(manifest["written_at"].replace("Z", "+00:00"))
    assert started - timedelta(seconds=1) <= written <= datetime.now(UTC)

    # Outside the dt= folders, which keep only parts and _SUCCESS.
    assert sorted(p.name for p in project.dest.iterdir()) == [
        "_hackle_manifests",
        f"dt={DAY}",
    ]
    assert {p.name for p in project.folder(DAY).iterdir()} == {
        "_SUCCESS",
        *(p.name for p in parts),
    }


def test_the_fingerprint_follows_the_schema(project: Project) -> None:
    assert project.run("--date", DAY, "--manifest") == ExitCode.OK
    as_map = read(project)["schema_fingerprint"]
    assert project.run("--date", "2024-01-02", "--manifest") == ExitCode.OK
    assert read(project, "2024-01-02")["schema_fingerprint"] == as_map

    assert project.run(
        "--date", DAY, "--manifest", "--identifiers-format", IdentifiersFormat.JSON
    ) == ExitCode.OK  # fmt: skip
    assert read(project)["schema_fingerprint"] != as_map


def test_the_manifest_is_written_after_success(
    project: Project, recording: tuple[pafs.FileSystem, RecordingHandler]
) -> None:
    fs, handler = recording
    reader = DuckDBReader(project.db)
    try:
        result = run_day(
            reader,
            Destination(fs, str(project.dest)),
            date(2024, 1, 1),
            reader.source_status(),
            ExportOptions(max_file_bytes=5000, batch_rows=40, write_manifest=True),
        )
    finally:
        reader.close()

    assert result.status is DayStatus.PUBLISHED
    writes = [path for call, path in handler.calls if call == "write"]
    assert writes[-2] == str(project.success(DAY))
    assert writes[-1] == str(manifest_file(project))
    assert result.manifest is not None
    assert result.manifest.total_bytes == sum(
        p.stat().st_size for p in project.parts(DAY)
    )


def test_a_republished_day_replaces_its_manifest(project: Project) -> None:
    assert project.run("--date", DAY, "--manifest", *SMALL_PARTS) == ExitCode.OK
    first = read(project)

    assert project.run("--date", DAY, "--manifest") == ExitCode.OK
    second = read(project)

    assert second["run_id"] != first["run_id"]
    assert [f["name"] for f in second["files"]] == [p.name for p in project.parts(DAY)]
    assert len(second["files"]) == 1
    assert second["rows"] == first["rows"]


def test_a_failed_rerun_leaves_no_manifest_of_the_old_files(project: Project) -> None:
    assert project.run("--date", DAY, "--manifest") == ExitCode.OK
    assert manifest_file(project).exists()
    project.execute(
        "update hackle_events set event_key = null where ts = "
        "(select min(ts) from hackle_events)"
    )

    assert project.run("--date", DAY, "--manifest") == ExitCode.CONTRACT_VIOLATION

    assert not project.success(DAY).exists()
    assert not manifest_file(project).exists()


def test_without_the_option_nothing_lies_outside_the_dt_folders(
    project: Project,
) -> None:
    assert project.run("--date", DAY) == ExitCode.OK
    assert not manifest_file(project).exists()
    assert not (project.dest / "_hackle_manifests").exists()
