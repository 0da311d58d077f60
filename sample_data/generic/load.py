"""Load the generic sample into ``demo_app.events``."""

from __future__ import annotations

from pathlib import Path

import duckdb

CSV = Path(__file__).resolve().parent / "app_events.csv"


def load(con: duckdb.DuckDBPyConnection) -> int:
    """Replace ``demo_app.events``; return its row count."""
    con.execute("create schema if not exists demo_app")
    con.execute(
        f"""
        create or replace table demo_app.events as
        select * replace (
            cast(occurred_at as timestamp) as occurred_at,
            cast(received_at as timestamp) as received_at,
            cast(revenue as double) as revenue
        )
        from read_csv('{CSV.as_posix()}', header = true, all_varchar = true)
        """
    )
    row = con.execute("select count(*) from demo_app.events").fetchone()
    return int(row[0]) if row else 0
