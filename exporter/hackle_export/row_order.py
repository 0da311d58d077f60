"""The order a day's rows are written in: by ``ts``, then by ``insert_id``.

The order makes a re-export byte-identical and lets part files be read in name
order; it holds only while no two rows share both values, which the contract's
unique ``insert_id`` promises.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hackle_export.errors import ContractViolation, ExportError

logger = logging.getLogger(__name__)

Key = tuple[Any, Any]


def neighbours(ts: pa.Array, insert_id: pa.Array) -> tuple[pa.Array, pa.Array]:
    """For each row after the first: whether it sorts before the row above it, and
    whether it repeats that row's ``ts`` and ``insert_id``."""
    above_ts, below_ts = ts.slice(0, len(ts) - 1), ts.slice(1)
    above_id, below_id = insert_id.slice(0, len(ts) - 1), insert_id.slice(1)
    same_ts = pc.equal(below_ts, above_ts)
    backwards = pc.or_(
        pc.less(below_ts, above_ts), pc.and_(same_ts, pc.less(below_id, above_id))
    )
    repeated = pc.and_(same_ts, pc.equal(below_id, above_id))
    return backwards, repeated


def key_at(ts: pa.Array, insert_id: pa.Array, index: int) -> Key:
    return ts[index].as_py(), insert_id[index].as_py()


def first_and_last(ts: pa.Array, insert_id: pa.Array) -> tuple[Key, Key]:
    return key_at(ts, insert_id, 0), key_at(ts, insert_id, len(ts) - 1)


def comparable(*keys: Key) -> bool:
    """Whether keys can be compared; a null is refused elsewhere, in its own words."""
    return all(None not in key for key in keys)


class RowOrder:
    """Checks that the rows of one range come strictly in ``ts, insert_id`` order."""

    def __init__(self) -> None:
        self._last: Key | None = None

    def check(self, batch: pa.RecordBatch) -> None:
        """Raise unless ``batch`` follows the rows before it, in order, unrepeated."""
        if batch.num_rows == 0:
            return
        ts, insert_id = batch.column("ts"), batch.column("insert_id")
        first, last = first_and_last(ts, insert_id)
        if self._last is not None and comparable(first, self._last):
            _check_pair(self._last, first)
        backwards, repeated = neighbours(ts, insert_id)
        if pc.any(repeated).as_py():
            index = pc.index(repeated, True).as_py()
            key = key_at(ts, insert_id, index)
            _check_pair(key, key)
        if pc.any(backwards).as_py():
            index = pc.index(backwards, True).as_py()
            _check_pair(key_at(ts, insert_id, index), key_at(ts, insert_id, index + 1))
        self._last = last


def _check_pair(above: Key, below: Key) -> None:
    """Raise unless ``below`` comes strictly after ``above``."""
    if below == above:
        raise ContractViolation(
            f"insert_id {below[1]} appears more than once at ts {below[0]}; the "
            "contract exports each event once, fix hackle_events and run dbt "
            "build again"
        )
    if below < above:
        raise ExportError(
            f"the warehouse returned ts {below[0]}, insert_id {below[1]} after ts "
            f"{above[0]}, insert_id {above[1]}, out of the order it was asked "
            "for; nothing was published, export the day again"
        )
