"""Write a day's conformed batches as Parquet part files, rolling at a size bound."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

COMPRESSION = "snappy"


def new_run_id() -> str:
    """A fresh run id: sortable by start time, unique by its random tail."""
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{started}-{secrets.token_hex(4)}"


def part_name(index: int, run_id: str) -> str:
    """The file name of part ``index``; never starts with ``_`` or ``.``."""
    return f"part-{index:05d}-{run_id}.parquet"


@dataclass(frozen=True)
class WrittenPart:
    """A closed part file and the rows written into it."""

    path: str
    rows: int


class PartWriter:
    """Writes batches to ``part-NNNNN-<run>.parquet`` files in one folder.

    A new file starts once the current one has passed ``max_file_bytes``. Closing
    always leaves at least one file, so an empty day still gets the full schema.
    """

    def __init__(
        self,
        fs: pafs.FileSystem,
        folder: str,
        run_id: str,
        schema: pa.Schema,
        max_file_bytes: int,
    ) -> None:
        self.fs = fs
        self.folder = folder
        self.run_id = run_id
        self.schema = schema
        self.max_file_bytes = max_file_bytes
        self.parts: list[WrittenPart] = []
        self._sink: pa.NativeFile | None = None
        self._writer: pq.ParquetWriter | None = None
        self._path = ""
        self._rows = 0

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abandon()

    def _open(self) -> pq.ParquetWriter:
        self._path = f"{self.folder}/{part_name(len(self.parts), self.run_id)}"
        self._rows = 0
        self._sink = self.fs.open_output_stream(self._path)
        # An explicit schema and no Spark flavour: INT64 millisecond UTC timestamps,
        # never INT96.
        self._writer = pq.ParquetWriter(
            self._sink,
            self.schema,
            compression=COMPRESSION,
            use_deprecated_int96_timestamps=False,
        )
        return self._writer

    def _finish(self) -> None:
        if self._writer is None or self._sink is None:
            return
        self._writer.close()
        size = self._sink.tell()
        # The Parquet writer leaves a sink it did not open to its owner; object
        # stores only commit the file when the stream closes.
        self._sink.close()
        self.parts.append(WrittenPart(self._path, self._rows))
        logger.debug("closed %s: %d rows, %d bytes", self._path, self._rows, size)
        self._writer = None
        self._sink = None

    def write(self, batch: pa.RecordBatch) -> None:
        """Append ``batch``; roll to a new file once the size bound is passed."""
        if batch.num_rows == 0:
            return
        writer = self._writer or self._open()
        writer.write_batch(batch)
        self._rows += batch.num_rows
        assert self._sink is not None
        if self._sink.tell() >= self.max_file_bytes:
            self._finish()

    def close(self) -> list[WrittenPart]:
        """Close the last file and return every part written."""
        if not self.parts and self._writer is None:
            self._open()
        self._finish()
        return self.parts

    def _abandon(self) -> None:
        # Close handles on failure; the half-written file carries no _SUCCESS and
        # the next run of the day removes it.
        try:
            if self._writer is not None:
                self._writer.close()
        finally:
            if self._sink is not None:
                self._sink.close()
            self._writer = None
            self._sink = None
