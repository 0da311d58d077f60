"""Read back each written part file's footer and check it against the contract.

Only footers are read, never the data: the schema (physical and logical types,
nesting, repetition, column order) and the row counts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from hackle_export.errors import ContractViolation
from hackle_export.schema import (
    COLUMNS,
    IdentifiersFormat,
    ParquetLeaf,
    arrow_schema,
    parquet_leaves,
)
from hackle_export.writer import WrittenPart

logger = logging.getLogger(__name__)

_LOGICAL_KEYS = ("Type", "isAdjustedToUTC", "timeUnit", "precision", "scale")


def footer_leaves(schema: pq.ParquetSchema) -> list[ParquetLeaf]:
    """Describe a footer's leaf columns in the terms of :class:`ParquetLeaf`."""
    leaves = []
    for index in range(len(schema)):
        column = schema.column(index)
        logical = json.loads(column.logical_type.to_json())
        leaves.append(
            ParquetLeaf(
                path=column.path,
                physical_type=column.physical_type,
                logical_type=tuple(
                    (key, logical[key]) for key in _LOGICAL_KEYS if key in logical
                ),
                max_definition_level=column.max_definition_level,
                max_repetition_level=column.max_repetition_level,
                length=column.length if column.length > 0 else 0,
            )
        )
    return leaves


def _check_groups(path: str, schema: pq.ParquetSchema, expected: pa.Schema) -> None:
    # The leaves fix the types and levels; the Arrow view of the footer tells a
    # MAP-annotated group from a plain repeated one and shows required fields.
    found = schema.to_arrow_schema()
    for wanted in expected:
        field = found.field(wanted.name)
        if field.nullable or pa.types.is_map(field.type) != pa.types.is_map(
            wanted.type
        ):
            raise ContractViolation(
                f"{path} stores column {wanted.name} as {field.type} "
                f"({'optional' if field.nullable else 'required'}) instead of a "
                f"required {wanted.type}; the writer must be fixed"
            )


def check_footer(
    path: str, schema: pq.ParquetSchema, identifiers_format: IdentifiersFormat
) -> None:
    """Raise ContractViolation unless ``schema`` is exactly the contract's."""
    expected = parquet_leaves(identifiers_format)
    found = footer_leaves(schema)
    if found != expected:
        differences = [
            f"{want.path}: wanted {want}, found {got}"
            for want, got in zip(expected, found, strict=False)
            if want != got
        ]
        count = f"{len(found)} leaf columns instead of {len(expected)}"
        detail = differences[0] if differences else count
        raise ContractViolation(
            f"{path} does not have the contract's Parquet schema ({detail}); the "
            "writer must be fixed"
        )
    if tuple(schema.to_arrow_schema().names) != COLUMNS:
        raise ContractViolation(
            f"{path} has its columns in the wrong order; the writer must be fixed"
        )
    _check_groups(path, schema, arrow_schema(identifiers_format))


def verify_parts(
    fs: pafs.FileSystem,
    parts: Sequence[WrittenPart],
    identifiers_format: IdentifiersFormat,
    streamed_rows: int,
    expected_rows: int,
) -> int:
    """Check every part's footer and that footer rows == streamed == expected.

    Returns the total row count found in the footers.
    """
    footer_rows = 0
    for part in parts:
        with fs.open_input_file(part.path) as handle:
            metadata = pq.ParquetFile(handle).metadata
        check_footer(part.path, metadata.schema, identifiers_format)
        if metadata.num_rows != part.rows:
            raise ContractViolation(
                f"{part.path} holds {metadata.num_rows} rows but {part.rows} were "
                "written to it; export the day again"
            )
        footer_rows += metadata.num_rows
    if not footer_rows == streamed_rows == expected_rows:
        raise ContractViolation(
            f"the day has {expected_rows} exported_rows in hackle_daily_summary but "
            f"{streamed_rows} rows were read from hackle_events and {footer_rows} "
            "written; rebuild both with dbt build so that they agree"
        )
    logger.debug("verified %d files holding %d rows", len(parts), footer_rows)
    return footer_rows
