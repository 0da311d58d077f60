"""The import contract's columns, as an Arrow schema and as Parquet leaf columns.

The Arrow schema is what the writer is given; the Parquet leaves are what every
written file's footer must show when read back. Both are spelled out here rather
than derived from each other, so a writer that drifts is caught by the check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa

logger = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = (
    "ts",
    "event_key",
    "identifiers",
    "insert_id",
    "metric_value",
    "user_properties",
    "event_properties",
    "platform_properties",
)
MAP_COLUMNS: tuple[str, ...] = (
    "identifiers",
    "user_properties",
    "event_properties",
    "platform_properties",
)
STRING_COLUMNS: tuple[str, ...] = ("event_key", "insert_id")

TS_TYPE = pa.timestamp("ms", tz="UTC")
METRIC_TYPE = pa.decimal128(24, 6)
MAP_TYPE = pa.map_(pa.string(), pa.string())

# Bytes a FIXED_LEN_BYTE_ARRAY needs to hold 24 decimal digits plus a sign.
DECIMAL_BYTE_LENGTH = 11


class IdentifiersFormat(StrEnum):
    """How the ``identifiers`` column is written."""

    MAP = "map"
    JSON = "json"


def arrow_schema(identifiers_format: IdentifiersFormat) -> pa.Schema:
    """The exact Arrow schema written to every part file."""
    identifiers_type = (
        pa.string() if identifiers_format is IdentifiersFormat.JSON else MAP_TYPE
    )
    types: dict[str, pa.DataType] = {
        "ts": TS_TYPE,
        "event_key": pa.string(),
        "identifiers": identifiers_type,
        "insert_id": pa.string(),
        "metric_value": METRIC_TYPE,
        "user_properties": MAP_TYPE,
        "event_properties": MAP_TYPE,
        "platform_properties": MAP_TYPE,
    }
    return pa.schema([pa.field(name, types[name], nullable=False) for name in COLUMNS])


def stream_schema(ts_type: pa.DataType = TS_TYPE) -> pa.Schema:
    """The contract's columns as a reader hands them over: nullable (the conformer
    marks them required), identifiers as a map, and ``ts`` as ``ts_type``."""
    return pa.schema(
        pa.field(f.name, ts_type if f.name == "ts" else f.type)
        for f in arrow_schema(IdentifiersFormat.MAP)
    )


@dataclass(frozen=True)
class ParquetLeaf:
    """One leaf column as a Parquet footer describes it."""

    path: str
    physical_type: str
    logical_type: tuple[tuple[str, Any], ...]
    max_definition_level: int
    max_repetition_level: int
    length: int = 0


_STRING = (("Type", "String"),)
_TIMESTAMP_MS_UTC = (
    ("Type", "Timestamp"),
    ("isAdjustedToUTC", True),
    ("timeUnit", "milliseconds"),
)
_DECIMAL_24_6 = (("Type", "Decimal"), ("precision", 24), ("scale", 6))


def _map_leaves(name: str) -> list[ParquetLeaf]:
    # A required MAP group holds a repeated key_value group: the key is required
    # (one definition level), the value optional (two).
    return [
        ParquetLeaf(f"{name}.key_value.key", "BYTE_ARRAY", _STRING, 1, 1),
        ParquetLeaf(f"{name}.key_value.value", "BYTE_ARRAY", _STRING, 2, 1),
    ]


def parquet_leaves(identifiers_format: IdentifiersFormat) -> list[ParquetLeaf]:
    """The leaf columns, in order, that a conforming file's footer must list."""
    identifiers = (
        [ParquetLeaf("identifiers", "BYTE_ARRAY", _STRING, 0, 0)]
        if identifiers_format is IdentifiersFormat.JSON
        else _map_leaves("identifiers")
    )
    return [
        ParquetLeaf("ts", "INT64", _TIMESTAMP_MS_UTC, 0, 0),
        ParquetLeaf("event_key", "BYTE_ARRAY", _STRING, 0, 0),
        *identifiers,
        ParquetLeaf("insert_id", "BYTE_ARRAY", _STRING, 0, 0),
        ParquetLeaf(
            "metric_value",
            "FIXED_LEN_BYTE_ARRAY",
            _DECIMAL_24_6,
            0,
            0,
            DECIMAL_BYTE_LENGTH,
        ),
        *_map_leaves("user_properties"),
        *_map_leaves("event_properties"),
        *_map_leaves("platform_properties"),
    ]
