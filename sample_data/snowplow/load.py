"""Load the Snowplow sample: web and mobile rows into one ``atomic.events``."""

from __future__ import annotations

from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
WEB = HERE / "snowplow_web_events.csv"
MOBILE = HERE.parent / "snowplow_mobile" / "snowplow_mobile_events.csv"

# Column types of Snowplow's atomic.events that the models read as non-text.
TIMESTAMP_COLUMNS = (
    "etl_tstamp",
    "collector_tstamp",
    "dvce_created_tstamp",
    "dvce_sent_tstamp",
    "refr_dvce_tstamp",
    "derived_tstamp",
    "true_tstamp",
    "load_tstamp",
)
DOUBLE_COLUMNS = ("se_value", "tr_total", "ti_price")


def _csv(path: Path) -> str:
    return f"read_csv('{path.as_posix()}', header = true, all_varchar = true)"


def load(con: duckdb.DuckDBPyConnection) -> int:
    """Replace ``atomic.events``; return its row count."""
    casts = [f"cast({c} as timestamp) as {c}" for c in TIMESTAMP_COLUMNS]
    casts += [f"cast({c} as double) as {c}" for c in DOUBLE_COLUMNS]
    con.execute("create schema if not exists atomic")
    con.execute(
        f"""
        create or replace table atomic.events as
        with all_rows as (
            select * from {_csv(WEB)}
            union all by name
            select * from {_csv(MOBILE)}
        )
        select * replace ({", ".join(casts)}) from all_rows
        """
    )
    row = con.execute("select count(*) from atomic.events").fetchone()
    return int(row[0]) if row else 0
