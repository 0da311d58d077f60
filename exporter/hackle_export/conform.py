"""Give each record batch of a day the exact Arrow types of the contract.

Nothing here changes a value: types are cast only where the cast is exact, and
anything else (a null, a sub-millisecond ``ts``, a ``ts`` outside the day, a map
entry without a value) is a contract violation that the dbt models must fix.
"""

from __future__ import annotations

import json
import logging

import pyarrow as pa
import pyarrow.compute as pc

from hackle_export.days import DayBounds
from hackle_export.errors import ContractViolation
from hackle_export.schema import (
    COLUMNS,
    MAP_COLUMNS,
    MAP_TYPE,
    METRIC_TYPE,
    STRING_COLUMNS,
    TS_TYPE,
    IdentifiersFormat,
    arrow_schema,
)

logger = logging.getLogger(__name__)

FIX = "fix hackle_events and run dbt build again"


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _is_text(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    )


def _map_values(array: pa.MapArray) -> pa.Array:
    # .items ignores slicing, so cut it to this array's own entries.
    if len(array) == 0:
        return array.items.slice(0, 0)
    first = array.offsets[0].as_py()
    last = array.offsets[len(array)].as_py()
    return array.items.slice(first, last - first)


class Conformer:
    """Conform the batches of one day to the contract schema."""

    def __init__(self, bounds: DayBounds, identifiers_format: IdentifiersFormat):
        self.bounds = bounds
        self.identifiers_format = identifiers_format
        self.schema = arrow_schema(identifiers_format)

    def conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Return ``batch`` with the contract schema, or raise ContractViolation."""
        if tuple(batch.schema.names) != COLUMNS:
            raise ContractViolation(
                f"hackle_events has the columns {', '.join(batch.schema.names)} but "
                f"the contract needs exactly {', '.join(COLUMNS)} in that order; {FIX}"
            )
        arrays = []
        for name in COLUMNS:
            column = batch.column(name)
            if column.null_count:
                raise ContractViolation(
                    f"column {name} is null in {_rows(column.null_count)} and the "
                    f"contract allows no null; {FIX}"
                )
            arrays.append(self._conform_column(name, column))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _conform_column(self, name: str, column: pa.Array) -> pa.Array:
        if name == "ts":
            return self._ts(column)
        if name in STRING_COLUMNS:
            return self._text(name, column)
        if name == "metric_value":
            return self._metric(column)
        if name in MAP_COLUMNS:
            conformed = self._map(name, column)
            if name == "identifiers" and self.identifiers_format == "json":
                return self._json(conformed)
            return conformed
        raise AssertionError(name)

    def _wrong_type(
        self, name: str, column: pa.Array, wanted: str
    ) -> ContractViolation:
        return ContractViolation(
            f"column {name} has the Arrow type {column.type}, not {wanted}; {FIX}"
        )

    def _ts(self, column: pa.Array) -> pa.Array:
        if not pa.types.is_timestamp(column.type):
            raise self._wrong_type("ts", column, "a timestamp")
        millis = column.cast(pa.timestamp("ms", tz=column.type.tz), safe=False)
        lossy = pc.not_equal(millis.cast(column.type), column)
        lossy_count = pc.sum(lossy).as_py() or 0
        if lossy_count:
            example = column[pc.index(lossy, True).as_py()]
            raise ContractViolation(
                f"column ts has digits below the millisecond in {_rows(lossy_count)} "
                f"(first: {example}); the contract needs ts truncated to "
                f"milliseconds, {FIX}"
            )
        ts = millis.cast(TS_TYPE)

        epoch_ms = ts.cast(pa.int64())
        outside = pc.or_(
            pc.less(epoch_ms, self.bounds.start_ms),
            pc.greater_equal(epoch_ms, self.bounds.end_ms),
        )
        outside_count = pc.sum(outside).as_py() or 0
        if outside_count:
            example = ts[pc.index(outside, True).as_py()]
            raise ContractViolation(
                f"column ts lies outside {self.bounds.day} ({self.bounds.start_utc} "
                f"to {self.bounds.end_utc} UTC) in {_rows(outside_count)} (first: "
                f"{example}); {FIX}"
            )
        return ts

    def _text(self, name: str, column: pa.Array) -> pa.Array:
        if not _is_text(column.type):
            raise self._wrong_type(name, column, "text")
        return column.cast(pa.string())

    def _metric(self, column: pa.Array) -> pa.Array:
        if not pa.types.is_decimal(column.type):
            raise self._wrong_type("metric_value", column, "decimal(24,6)")
        try:
            return column.cast(METRIC_TYPE, safe=True)
        except pa.ArrowInvalid as exc:
            raise ContractViolation(
                f"column metric_value holds values that decimal(24,6) cannot hold "
                f"exactly ({exc}); {FIX}"
            ) from exc

    def _map(self, name: str, column: pa.Array) -> pa.MapArray:
        data_type = column.type
        if not (
            pa.types.is_map(data_type)
            and _is_text(data_type.key_type)
            and _is_text(data_type.item_type)
        ):
            raise self._wrong_type(name, column, "map(varchar, varchar)")
        conformed = column.cast(MAP_TYPE)
        null_values = _map_values(conformed).null_count
        if null_values:
            raise ContractViolation(
                f"column {name} has map entries whose value is null ({null_values} "
                f"of them); the contract leaves such entries out, {FIX}"
            )
        return conformed

    def _json(self, identifiers: pa.MapArray) -> pa.Array:
        texts = []
        for pairs in identifiers.to_pylist():
            as_object = dict(pairs)
            if len(as_object) != len(pairs):
                raise ContractViolation(
                    f"column identifiers repeats a key within one row ({pairs}); "
                    f"map keys must be unique, {FIX}"
                )
            texts.append(
                json.dumps(as_object, ensure_ascii=False, separators=(",", ":"))
            )
        return pa.array(texts, type=pa.string())
