"""A manifest per published day, kept where the importer never looks.

``<dest>/_hackle_manifests/dt=YYYY-MM-DD.json`` describes the day as published:
its rows, each part file's name, rows, size and sha256, the schema fingerprint,
the source watermark it was exported under, the exporter's version, the run id
and when it was written. The folder's leading underscore keeps readers of the
prefix from taking it for data, and nothing of it lies under a ``dt=`` folder.

It is written after ``_SUCCESS``, and removed whenever a run withdraws a day's
``_SUCCESS``, so a manifest only ever describes a complete day; republishing a
day replaces it. The checksums are of the stored objects: each part is read back
once to compute them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from hackle_export import __version__
from hackle_export.destination import Destination
from hackle_export.errors import ContractViolation, ExportError
from hackle_export.log_format import iso_utc, now_iso
from hackle_export.verify import footer_leaves

logger = logging.getLogger(__name__)

FOLDER = "_hackle_manifests"
FORMAT_VERSION = 1
READ_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ManifestFile:
    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What one published day holds."""

    day: str
    rows: int
    files: tuple[ManifestFile, ...]
    schema_fingerprint: str
    source_complete_until: str | None
    partition_timezone: str
    exporter_version: str
    run_id: str
    written_at: str
    manifest_version: int = FORMAT_VERSION

    @property
    def total_bytes(self) -> int:
        return sum(part.bytes for part in self.files)

    def to_json(self) -> str:
        fields = asdict(self)
        fields["files"] = [asdict(part) for part in self.files]
        return json.dumps(fields, indent=2, ensure_ascii=False) + "\n"


def manifest_path(destination: Destination, day: date) -> str:
    return f"{destination.root.rstrip('/')}/{FOLDER}/dt={day.isoformat()}.json"


def schema_fingerprint(schema: pq.ParquetSchema) -> str:
    """sha256 of a canonical JSON description of a Parquet schema.

    The description lists every leaf column (path, physical type, logical type,
    definition and repetition levels, fixed length) and every top-level column
    with its Arrow type and nullability, so that a MAP group, a plain repeated
    group and an optional column all give different fingerprints.
    """
    arrow = schema.to_arrow_schema()
    description = {
        "leaves": [asdict(leaf) for leaf in footer_leaves(schema)],
        "columns": [[f.name, str(f.type), f.nullable] for f in arrow],
    }
    canonical = json.dumps(description, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def describe_file(fs: pafs.FileSystem, path: str) -> tuple[ManifestFile, str]:
    """A part file's manifest entry and its schema fingerprint, read back."""
    digest = hashlib.sha256()
    size = 0
    with fs.open_input_stream(path) as stream:
        while chunk := stream.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    with fs.open_input_file(path) as handle:
        metadata = pq.ParquetFile(handle).metadata
    entry = ManifestFile(
        path.rsplit("/", 1)[-1], metadata.num_rows, size, digest.hexdigest()
    )
    return entry, schema_fingerprint(metadata.schema)


def build_manifest(
    fs: pafs.FileSystem,
    day: date,
    part_paths: Sequence[str],
    run_id: str,
    complete_until: datetime | None,
    partition_timezone: str,
) -> Manifest:
    files = []
    fingerprints = set()
    for path in part_paths:
        described, fingerprint = describe_file(fs, path)
        files.append(described)
        fingerprints.add(fingerprint)
    if len(fingerprints) > 1:
        raise ContractViolation(
            f"the part files of {day} have {len(fingerprints)} different Parquet "
            "schemas; export the day again"
        )
    return Manifest(
        day=day.isoformat(),
        rows=sum(part.rows for part in files),
        files=tuple(files),
        schema_fingerprint=fingerprints.pop() if fingerprints else "",
        source_complete_until=(
            iso_utc(complete_until) if complete_until is not None else None
        ),
        partition_timezone=partition_timezone,
        exporter_version=__version__,
        run_id=run_id,
        written_at=now_iso(),
    )


def write_manifest(
    destination: Destination,
    day: date,
    part_paths: Sequence[str],
    run_id: str,
    complete_until: datetime | None,
    partition_timezone: str,
) -> Manifest:
    """Describe the published parts of ``day`` and write (or replace) its manifest."""
    fs = destination.fs
    path = manifest_path(destination, day)
    try:
        manifest = build_manifest(
            fs, day, part_paths, run_id, complete_until, partition_timezone
        )
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        with fs.open_output_stream(path) as stream:
            stream.write(manifest.to_json().encode("utf-8"))
    except ContractViolation:
        raise
    except Exception as exc:
        raise ExportError(
            f"{day} is published with _SUCCESS but its manifest {path} could not be "
            f"written ({_first_line(exc)}); export the day again to write it"
        ) from exc
    logger.info(
        "wrote the manifest of %s: %d rows, %d files, %d bytes",
        day,
        manifest.rows,
        len(manifest.files),
        manifest.total_bytes,
    )
    return manifest


def withdraw_manifest(destination: Destination, day: date) -> bool:
    """Remove the manifest of ``day``, if any; return whether there was one."""
    fs = destination.fs
    path = manifest_path(destination, day)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return False
    fs.delete_file(path)
    logger.info("removed %s before changing the day", path)
    return True


def read_manifest(fs: pafs.FileSystem, path: str) -> dict[str, Any]:
    with fs.open_input_stream(path) as stream:
        return dict(json.loads(stream.read().decode("utf-8")))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
