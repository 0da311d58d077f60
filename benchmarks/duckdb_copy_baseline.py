"""The speed limit: DuckDB writes one day of hackle_events to Parquet by itself.

Run as a child process by export_benchmark.py, so that its peak memory is its own.
The file does not meet the contract's types; only its speed matters.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

# The same rows in the same order as the export writes: the events are stored in
# ts, insert_id order, as the dbt model stores them, and a scan keeps that order.
COPY_SQL = """
copy (
    select * from hackle_events
    where ts >= timestamp '{day}' and ts < timestamp '{day}' + interval 1 day
) to '{out}' (format parquet)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="DuckDB file holding the day")
    parser.add_argument("day", help="the day, YYYY-MM-DD")
    parser.add_argument("out", type=Path, help="Parquet file to write")
    args = parser.parse_args()
    with duckdb.connect(str(args.database), read_only=True) as con:
        con.execute(COPY_SQL.format(day=args.day, out=args.out.as_posix()))
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
