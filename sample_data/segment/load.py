"""Load the Segment sample into ``demo_segment``, laid out as Segment's warehouses
lay out a source: ``tracks``, one table per event and ``identifies``."""

from __future__ import annotations

from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SCHEMA = "demo_segment"

# Column types as a Redshift warehouse of Segment's holds them: times without a
# zone (in UTC), typed context fields.
TRACKS_TYPES = {
    "timestamp": "timestamp",
    "original_timestamp": "timestamp",
    "sent_at": "timestamp",
    "received_at": "timestamp",
    "uuid_ts": "timestamp",
    "context_network_wifi": "boolean",
    "context_screen_width": "integer",
}
IDENTIFIES_TYPES = {
    "timestamp": "timestamp",
    "received_at": "timestamp",
    "logins": "integer",
    "newsletter": "boolean",
}
# Each event's own properties; the table also carries every column of its row in
# tracks, as Segment writes them.
EVENT_TABLE_TYPES = {
    "application_opened": {
        "from_background": "boolean",
        "build": "varchar",
        "version": "varchar",
    },
    "product_viewed": {
        "product_id": "varchar",
        "sku": "varchar",
        "name": "varchar",
        "category": "varchar",
        "price": "decimal(12, 2)",
        "quantity": "integer",
    },
    "order_completed": {
        "order_id": "varchar",
        "revenue": "decimal(12, 2)",
        "currency": "varchar",
        "discount": "double",
        "products_count": "integer",
        "coupon": "varchar",
        "first_order": "boolean",
    },
}


def _csv(name: str) -> str:
    path = HERE / f"{name}.csv"
    return f"read_csv('{path.as_posix()}', header = true, all_varchar = true)"


def _typed(name: str, types: dict[str, str]) -> str:
    casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in types.items())
    return f"select * replace ({casts}) from {_csv(name)}"


def load(con: duckdb.DuckDBPyConnection) -> int:
    """Replace the ``demo_segment`` tables; return the rows of ``tracks``."""
    # the models find per-event tables by listing the schema: start it afresh
    con.execute(f"drop schema if exists {SCHEMA} cascade")
    con.execute(f"create schema {SCHEMA}")
    con.execute(f"create table {SCHEMA}.tracks as {_typed('tracks', TRACKS_TYPES)}")
    con.execute(
        f"create table {SCHEMA}.identifies as {_typed('identifies', IDENTIFIES_TYPES)}"
    )
    for event, types in EVENT_TABLE_TYPES.items():
        properties = ", ".join(
            f'cast(p."{c}" as {t}) as "{c}"' for c, t in types.items()
        )
        con.execute(
            f"""
            create table {SCHEMA}.{event} as
            select tracks.*, {properties}
            from {SCHEMA}.tracks as tracks
            inner join {_csv(event)} as p
                on tracks.id = p.id
                and tracks.received_at = cast(p.received_at as timestamp)
            """
        )
    row = con.execute(f"select count(*) from {SCHEMA}.tracks").fetchone()
    return int(row[0]) if row else 0
