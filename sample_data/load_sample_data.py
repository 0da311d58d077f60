"""Load the bundled sample events into an embedded DuckDB file.

Creates the tables that the default vars in dbt_project.yml point at:
``atomic.events`` (Snowplow web and mobile rows in one table) and
``demo_app.events`` (the generic source). Existing tables are replaced, so the
script can run before every demo or test build.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent

# Column types of Snowplow's atomic.events that the models read as non-text.
SNOWPLOW_TIMESTAMP_COLUMNS = (
    "etl_tstamp",
    "collector_tstamp",
    "dvce_created_tstamp",
    "dvce_sent_tstamp",
    "refr_dvce_tstamp",
    "derived_tstamp",
    "true_tstamp",
    "load_tstamp",
)
SNOWPLOW_DOUBLE_COLUMNS = ("se_value", "tr_total", "ti_price")


def _csv(path: Path) -> str:
    return f"read_csv('{path.as_posix()}', header = true, all_varchar = true)"


def load(database: Path) -> None:
    """Replace the sample source tables in ``database``."""
    web = SAMPLE_DIR / "snowplow" / "snowplow_web_events.csv"
    mobile = SAMPLE_DIR / "snowplow_mobile" / "snowplow_mobile_events.csv"
    generic = SAMPLE_DIR / "generic" / "app_events.csv"

    casts = [f"cast({c} as timestamp) as {c}" for c in SNOWPLOW_TIMESTAMP_COLUMNS]
    casts += [f"cast({c} as double) as {c}" for c in SNOWPLOW_DOUBLE_COLUMNS]

    with duckdb.connect(str(database)) as con:
        con.execute("create schema if not exists atomic")
        con.execute(
            f"""
            create or replace table atomic.events as
            with all_rows as (
                select * from {_csv(web)}
                union all by name
                select * from {_csv(mobile)}
            )
            select * replace ({", ".join(casts)}) from all_rows
            """
        )
        con.execute("create schema if not exists demo_app")
        con.execute(
            f"""
            create or replace table demo_app.events as
            select * replace (
                cast(occurred_at as timestamp) as occurred_at,
                cast(received_at as timestamp) as received_at,
                cast(revenue as double) as revenue
            )
            from {_csv(generic)}
            """
        )
        counts = con.execute(
            "select (select count(*) from atomic.events),"
            " (select count(*) from demo_app.events)"
        ).fetchone()
    logger.info(
        "loaded %s Snowplow rows and %s generic rows into %s",
        counts[0] if counts else "?",
        counts[1] if counts else "?",
        database,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="DuckDB file to load into")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    load(args.database)


if __name__ == "__main__":
    main()
