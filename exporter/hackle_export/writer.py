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


def _map_leaves(schema: pa.Schema) -> list[str]:
    return [
        f"{field.name}.key_value.{leaf}"
        for field in schema
        if pa.types.is_map(field.type)
        for leaf in ("key", "value")
    ]


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Leaf columns worth a dictionary: the event key and the maps' keys and values.

    Time, insert ids, metrics and JSON identifiers are mostly distinct per row; a
    dictionary there is built only to be dropped.
    """
    return ["event_key", *_map_leaves(schema)]


def statistics_columns(schema: pa.Schema) -> list[str]:
    """Columns whose min and max go into the footer: the flat ones.

    A reader prunes row groups by time or event key; nobody prunes by the smallest
    map value, and working those out costs a sixth of the encoding.
    """
    return [field.name for field in schema if not pa.types.is_map(field.type)]


def new_run_id() -> str:
    """A fresh run id: sortable by start time, unique by its random tail."""
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{started}-{secrets.token_hex(4)}"


def part_name(range_index: int, index: int, run_id: str) -> str:
    """The file name of part ``index`` of a day's range ``range_index``.

    ``part-RRNNNNN-<run>.parquet``: the range in two digits and the part within
    it in five, so that names sort in the order of the rows (up to 100000 files
    a range). It never starts with ``_`` or ``.``.
    """
    return f"part-{range_index:02d}{index:05d}-{run_id}.parquet"


@dataclass(frozen=True)
class WrittenPart:
    """A closed part file and the rows written into it."""

    path: str
    rows: int


@dataclass
class _OpenPart:
    path: str
    sink: pa.NativeFile
    writer: pq.ParquetWriter
    rows: int = 0


class PartWriter:
    """Writes batches of one range of a day to its own part files in one folder.

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
        range_index: int = 0,
    ) -> None:
        self.fs = fs
        self.range_index = range_index
        self.folder = folder
        self.run_id = run_id
        self.schema = schema
        self.max_file_bytes = max_file_bytes
        self.parts: list[WrittenPart] = []
        self._current: _OpenPart | None = None

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

    def _open(self) -> _OpenPart:
        name = part_name(self.range_index, len(self.parts), self.run_id)
        path = f"{self.folder}/{name}"
        sink = self.fs.open_output_stream(path)
        # An explicit schema and no Spark flavour: INT64 millisecond UTC timestamps,
        # never INT96.
        writer = pq.ParquetWriter(
            sink,
            self.schema,
            compression=COMPRESSION,
            use_deprecated_int96_timestamps=False,
            use_dictionary=dictionary_columns(self.schema),
            write_statistics=statistics_columns(self.schema),
        )
        self._current = _OpenPart(path, sink, writer)
        return self._current

    def _finish(self, part: _OpenPart) -> None:
        part.writer.close()
        size = part.sink.tell()
        # The Parquet writer leaves a sink it did not open to its owner; object
        # stores only commit the file when the stream closes.
        part.sink.close()
        self._current = None
        self.parts.append(WrittenPart(part.path, part.rows))
        logger.debug("closed %s: %d rows, %d bytes", part.path, part.rows, size)

    def write(self, group: pa.Table) -> None:
        """Append ``group`` as one row group; roll to a new file past the size bound."""
        if group.num_rows == 0:
            return
        part = self._current or self._open()
        part.writer.write_table(group, row_group_size=group.num_rows)
        part.rows += group.num_rows
        if part.sink.tell() >= self.max_file_bytes:
            self._finish(part)

    def close(self) -> list[WrittenPart]:
        """Close the last file and return every part written."""
        part = self._current
        if part is None and not self.parts:
            part = self._open()
        if part is not None:
            self._finish(part)
        return self.parts

    def _abandon(self) -> None:
        # Only release handles: the half-written file carries no _SUCCESS and the
        # next run of the day removes it.
        part, self._current = self._current, None
        if part is None:
            return
        try:
            part.writer.close()
        finally:
            part.sink.close()
