"""Load the Amplitude sample: Export API event records into ``demo_amplitude.events``.

The records file holds a connector's test output, one JSON object a line; the lines
whose ``stream`` is ``events`` carry one Amplitude export event each in ``data``.
Each event becomes one row with the export's field names as columns (``$insert_id``
as ``insert_id``, see COLUMNS), time fields as UTC timestamps without zone, and
object fields as JSON text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

RECORDS = Path(__file__).resolve().parent / "amplitude_export_records.jsonl"

# Every field of an export event, as the column it is loaded into and its type.
COLUMNS: dict[str, tuple[str, str]] = {
    "$insert_id": ("insert_id", "varchar"),
    "$insert_key": ("insert_key", "varchar"),
    "$schema": ("schema_id", "varchar"),
    "uuid": ("uuid", "varchar"),
    "event_id": ("event_id", "bigint"),
    "event_time": ("event_time", "timestamp"),
    "client_event_time": ("client_event_time", "timestamp"),
    "client_upload_time": ("client_upload_time", "timestamp"),
    "server_upload_time": ("server_upload_time", "timestamp"),
    "server_received_time": ("server_received_time", "timestamp"),
    "processed_time": ("processed_time", "timestamp"),
    "user_creation_time": ("user_creation_time", "timestamp"),
    "event_type": ("event_type", "varchar"),
    "amplitude_event_type": ("amplitude_event_type", "varchar"),
    "data_type": ("data_type", "varchar"),
    "app": ("app", "bigint"),
    "amplitude_id": ("amplitude_id", "bigint"),
    "user_id": ("user_id", "varchar"),
    "device_id": ("device_id", "varchar"),
    "session_id": ("session_id", "bigint"),
    "os_name": ("os_name", "varchar"),
    "os_version": ("os_version", "varchar"),
    "version_name": ("version_name", "varchar"),
    "start_version": ("start_version", "varchar"),
    "platform": ("platform", "varchar"),
    "library": ("library", "varchar"),
    "device_family": ("device_family", "varchar"),
    "device_type": ("device_type", "varchar"),
    "device_brand": ("device_brand", "varchar"),
    "device_manufacturer": ("device_manufacturer", "varchar"),
    "device_model": ("device_model", "varchar"),
    "device_carrier": ("device_carrier", "varchar"),
    "language": ("language", "varchar"),
    "country": ("country", "varchar"),
    "region": ("region", "varchar"),
    "city": ("city", "varchar"),
    "dma": ("dma", "varchar"),
    "location_lat": ("location_lat", "double"),
    "location_lng": ("location_lng", "double"),
    "ip_address": ("ip_address", "varchar"),
    "idfa": ("idfa", "varchar"),
    "adid": ("adid", "varchar"),
    "paying": ("paying", "varchar"),
    "sample_rate": ("sample_rate", "double"),
    "is_attribution_event": ("is_attribution_event", "boolean"),
    "partner_id": ("partner_id", "varchar"),
    "source_id": ("source_id", "varchar"),
    "amplitude_attribution_ids": ("amplitude_attribution_ids", "varchar"),
    "event_properties": ("event_properties", "varchar"),
    "user_properties": ("user_properties", "varchar"),
    "global_user_properties": ("global_user_properties", "varchar"),
    "group_properties": ("group_properties", "varchar"),
    "groups": ("groups", "varchar"),
    "plan": ("plan", "varchar"),
    "data": ("data", "varchar"),
}


def _utc(text: str) -> datetime:
    """Export time text (``2023-08-24 06:42:23.000000``, or ISO with an offset) as
    a UTC wall-clock time without zone."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _value(value: Any, data_type: str) -> Any:
    if value is None:
        return None
    if data_type == "timestamp":
        return _utc(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    if data_type == "varchar":
        return str(value)
    return value


def _events() -> list[dict[str, Any]]:
    with RECORDS.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return [record["data"] for record in records if record["stream"] == "events"]


def load(con: duckdb.DuckDBPyConnection) -> int:
    """Replace ``demo_amplitude.events``; return its row count."""
    columns = ", ".join(f"{name} {data_type}" for name, data_type in COLUMNS.values())
    con.execute("create schema if not exists demo_amplitude")
    con.execute(f"create or replace table demo_amplitude.events ({columns})")
    rows = [
        [
            _value(event.get(field), data_type)
            for field, (_, data_type) in COLUMNS.items()
        ]
        for event in _events()
    ]
    if rows:
        placeholders = ", ".join("?" for _ in COLUMNS)
        con.executemany(
            f"insert into demo_amplitude.events values ({placeholders})", rows
        )
    row = con.execute("select count(*) from demo_amplitude.events").fetchone()
    return int(row[0]) if row else 0
