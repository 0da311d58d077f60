"""A local S3 server and a stand-in for Redshift's side of an UNLOAD.

There is no Redshift to run here. The S3 side is real: moto's server on
127.0.0.1, read through pyarrow's S3 filesystem exactly as in production. The
warehouse side is :class:`FakeRedshift`, a DB-API connection that answers the
exporter's small queries from fixed rows and, for an UNLOAD, writes Parquet
files shaped as Redshift writes them (SUPER as JSON text, timestamps without a
zone as INT96 or INT64, DECIMAL(24,6), every column optional, Parquet 1.0,
Snappy, ``<slice>_part_<n>.parquet``) under the statement's TO prefix, or none
for a day without rows.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

BUCKET = "warehouse-unload"

# The Arrow types a Redshift UNLOAD's files read back as (INT64 variant).
UNLOAD_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("us")),
        ("event_key", pa.string()),
        ("identifiers", pa.string()),
        ("insert_id", pa.string()),
        ("metric_value", pa.decimal128(24, 6)),
        ("user_properties", pa.string()),
        ("event_properties", pa.string()),
        ("platform_properties", pa.string()),
    ]
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class S3Server:
    """moto's S3 server on 127.0.0.1, and the environment that points at it."""

    process: subprocess.Popen[bytes]
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
        }

    def filesystem(self) -> pafs.S3FileSystem:
        return pafs.S3FileSystem(
            access_key="testing",
            secret_key="testing",
            region="us-east-1",
            scheme="http",
            endpoint_override=self.endpoint.removeprefix("http://"),
            allow_bucket_creation=True,
        )


def start_s3_server(timeout: float = 20.0) -> S3Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("moto's S3 server exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return S3Server(process, f"http://127.0.0.1:{port}")
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"moto's S3 server did not listen on port {port} in time")


def stop_s3_server(server: S3Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


def unload_row(
    ts: datetime,
    insert_id: str,
    metric: str = "0",
    *,
    event_key: str = "purchase",
    identifiers: dict[str, str] | None = None,
    user: dict[str, str] | None = None,
    event: dict[str, str] | None = None,
    platform: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One row as Redshift holds it: SUPER objects serialised as JSON text."""

    def text(value: dict[str, str]) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    return {
        "ts": ts,
        "event_key": event_key,
        "identifiers": text(identifiers or {"id": "u1", "device_id": "d1"}),
        "insert_id": insert_id,
        "metric_value": Decimal(metric),
        "user_properties": text(user or {}),
        "event_properties": text(event or {}),
        "platform_properties": text(platform or {"osname": "iOS", "version": "1.0"}),
    }


def write_unload_file(
    fs: pafs.FileSystem, path: str, rows: Sequence[dict[str, Any]], *, int96: bool
) -> None:
    """Write ``rows`` as one Parquet file the way UNLOAD does."""
    table = pa.Table.from_pylist(list(rows), schema=UNLOAD_SCHEMA)
    with fs.open_output_stream(path) as stream:
        pq.write_table(
            table,
            stream,
            version="1.0",
            compression="snappy",
            use_deprecated_int96_timestamps=int96,
        )


@dataclass
class FakeRedshift:
    """A DB-API connection standing in for Redshift (see the module docstring).

    ``files`` maps a day to the row groups of each file UNLOAD writes for it;
    a day missing from it unloads no file.
    """

    fs: pafs.FileSystem
    partition_timezone: str = "UTC"
    complete_until: datetime | None = datetime(2030, 1, 1)
    summaries: dict[date, tuple[int, int, int, int, int]] = field(default_factory=dict)
    files: dict[date, list[list[dict[str, Any]]]] = field(default_factory=dict)
    int96: bool = True
    fail_unload_after_files: bool = False
    statements: list[str] = field(default_factory=list)
    unload_prefixes: list[str] = field(default_factory=list)
    closed: bool = False

    def cursor(self) -> _FakeCursor:
        return _FakeCursor(self)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def _unload(self, statement: str) -> None:
        match = re.search(r"\) to '(s3://[^']+)'", statement)
        assert match, statement
        prefix = match.group(1).removeprefix("s3://")
        self.unload_prefixes.append(prefix)
        day_match = re.search(r"ts >= cast\(''(\d{4}-\d{2}-\d{2})", statement)
        assert day_match, statement
        day = date.fromisoformat(day_match.group(1))
        for number, rows in enumerate(self.files.get(day, [])):
            write_unload_file(
                self.fs,
                f"{prefix}{number:04d}_part_00.parquet",
                rows,
                int96=self.int96,
            )
        if self.fail_unload_after_files:
            raise RuntimeError("S3ServiceException: the slice lost its connection")

    def _answer(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        if "hackle_source_status" in sql:
            return [(self.partition_timezone, self.complete_until)]
        if "hackle_daily_summary" in sql and "where dt = %s" in sql:
            summary = self.summaries.get(params[0])
            return [summary] if summary else []
        if "hackle_daily_summary" in sql and "dt is null" in sql:
            return [(None,)]
        if "hackle_daily_summary" in sql:
            return [(day,) for day in sorted(self.summaries)]
        if "hackle_events_rejected" in sql:
            return []
        if "count(*)" in sql and "hackle_events" in sql:
            return [(0,)]
        raise AssertionError(f"unexpected query: {sql}")


class _FakeCursor:
    def __init__(self, connection: FakeRedshift) -> None:
        self._connection = connection
        self._rows: Iterator[tuple[Any, ...]] = iter(())

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._connection.statements.append(sql)
        if sql.startswith("unload "):
            self._connection._unload(sql)
            self._rows = iter(())
        else:
            self._rows = iter(self._connection._answer(sql, params or ()))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def close(self) -> None:
        pass
