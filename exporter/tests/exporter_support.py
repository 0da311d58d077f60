"""A small warehouse and dbt project per test, built with SQL in a DuckDB file.

The DuckDB file holds the four relations the dbt project builds for the exporter:
three days of events with maps, decimals and millisecond timestamps, the per-day
summary, the rejected rows and the one-row source status.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs

from hackle_export.cli import main

# 1200 events, two at a time 422 s (plus a few ms) apart, from 2024-01-01 00:00 to
# 2024-01-03 22:17 UTC. The two events sharing a ts sort by insert_id in the
# opposite order of i.
EVENTS_SQL = """
create or replace table hackle_events as
select
    timestamp '2024-01-01'
        + to_milliseconds((i // 2) * 422000 + (i // 2) % 997) as ts,
    'event_' || (i % 5) as event_key,
    case
        when i % 3 = 0 then map(
            ['id', 'device_id', 'user_id'],
            ['ユーザー-' || i, 'dev-' || (i % 17), 'u' || i]
        )
        else map(['id', 'device_id'], ['user-' || i, 'dev-' || (i % 17)])
    end as identifiers,
    printf('%08x-0000-4000-8000-%012x', 2000 - i, i) as insert_id,
    case
        when i = 5 then 999999999999999999.999999
        when i % 11 = 0 then -(i * 1000.123456)
        when i % 7 = 0 then 0
        else i * 1.25
    end::decimal(24, 6) as metric_value,
    case
        when i % 4 = 0 then map([]::varchar[], []::varchar[])
        else map(['plan'], ['p' || (i % 3)])
    end as user_properties,
    map(['screen', 'note'], ['home', '한국어 "quoted"']) as event_properties,
    map(['osname', 'version'], ['Android', '1.2.' || (i % 9)])
        as platform_properties
from range(0, 1200) as t(i)
"""

REJECTED_SQL = """
create or replace table hackle_events_rejected as
select * from (values
    (date '2023-12-31', 'missing_id', 'r1'),
    (date '2024-01-01', 'missing_device_id', 'r2'),
    (date '2024-01-01', 'missing_device_id', 'r3'),
    (date '2024-01-01', 'unknown_osname', 'r4'),
    (date '2024-01-02', 'missing_id', 'r5')
) as t(dt, reason, source_event_id)
"""

# Counts per partition day, recomputed whenever a test changes the events.
SUMMARY_SQL = """
create or replace table hackle_daily_summary as
with exported as (
    select
        timezone('{tz}', ts at time zone 'UTC')::date as dt,
        count(*) as exported_rows
    from hackle_events
    group by 1
),
rejected as (
    select dt, count(*) as rejected_rows from hackle_events_rejected group by 1
),
days as (
    select dt from exported union select dt from rejected
)
select
    days.dt,
    coalesce(exported_rows, 0) + coalesce(rejected_rows, 0) + 2 as source_rows,
    coalesce(exported_rows, 0)::bigint as exported_rows,
    coalesce(rejected_rows, 0)::bigint as rejected_rows,
    2::bigint as duplicates_removed,
    0::bigint as key_collisions
from days
left join exported using (dt)
left join rejected using (dt)
"""

STATUS_SQL = """
create or replace table hackle_source_status as
select '{tz}' as partition_timezone,
       timestamp '{complete_until}' as source_complete_until
"""


@dataclass
class Project:
    """A dbt project folder with profiles.yml, its DuckDB file and a bucket."""

    root: Path
    db: Path
    dest: Path
    tz: str

    def args(self, *extra: str) -> list[str]:
        return [
            "--project-dir",
            str(self.root),
            "--profiles-dir",
            str(self.root),
            "--dest",
            str(self.dest),
            *extra,
        ]

    def run(self, *extra: str) -> int:
        return main(self.args(*extra))

    def execute(self, sql: str) -> None:
        with duckdb.connect(str(self.db)) as con:
            con.execute(sql)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def rebuild_summary(self) -> None:
        self.execute(SUMMARY_SQL.format(tz=self.tz))

    def set_status(self, complete_until: str, tz: str | None = None) -> None:
        self.execute(STATUS_SQL.format(tz=tz or self.tz, complete_until=complete_until))

    def folder(self, day: str) -> Path:
        return self.dest / f"dt={day}"

    def parts(self, day: str) -> list[Path]:
        return sorted(self.folder(day).glob("part-*.parquet"))

    def success(self, day: str) -> Path:
        return self.folder(day) / "_SUCCESS"

    def source_rows(self, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
        return self.query(
            "select * from hackle_events where ts >= ? and ts < ? "
            "order by ts, insert_id",
            [start, end],
        )


PROFILES_YML = """
hackle_export:
  target: local
  outputs:
    local:
      type: duckdb
      path: "{db}"
      schema: main
      threads: 1
    warehouse:
      type: bigquery
      method: oauth
      project: some-project
      dataset: analytics
    cluster:
      type: redshift
      host: localhost
      dbname: analytics
"""


def build_project(
    root: Path, tz: str = "UTC", complete_until: str = "2024-01-03 00:00:00"
) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    db = root / "warehouse.duckdb"
    (root / "dbt_project.yml").write_text(
        "name: hackle_export_test\nprofile: hackle_export\n", encoding="utf-8"
    )
    (root / "profiles.yml").write_text(
        textwrap.dedent(PROFILES_YML).format(db=db), encoding="utf-8"
    )
    project = Project(root, db, root / "bucket", tz)
    project.execute(EVENTS_SQL)
    project.execute(REJECTED_SQL)
    project.rebuild_summary()
    project.set_status(complete_until)
    return project


class RecordingHandler(pafs.FileSystemHandler):
    """The local filesystem, noting every change made through it, in order."""

    def __init__(self) -> None:
        self.local = pafs.LocalFileSystem()
        self.calls: list[tuple[str, str]] = []

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return id(self)

    def get_type_name(self) -> str:
        return "recording-local"

    def normalize_path(self, path: str) -> str:
        return self.local.normalize_path(path)

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.local.get_file_info(paths)

    def get_file_info_selector(
        self, selector: pafs.FileSelector
    ) -> list[pafs.FileInfo]:
        return self.local.get_file_info(selector)

    def create_dir(self, path: str, recursive: bool) -> None:
        self.calls.append(("create_dir", path))
        self.local.create_dir(path, recursive=recursive)

    def delete_dir(self, path: str) -> None:
        self.calls.append(("delete_dir", path))
        self.local.delete_dir(path)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        self.calls.append(("delete_dir_contents", path))
        self.local.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self) -> None:
        raise AssertionError("the exporter must never empty a whole filesystem")

    def delete_file(self, path: str) -> None:
        self.calls.append(("delete_file", path))
        self.local.delete_file(path)

    def move(self, src: str, dest: str) -> None:
        self.calls.append(("move", src))
        self.local.move(src, dest)

    def copy_file(self, src: str, dest: str) -> None:
        self.calls.append(("copy_file", dest))
        self.local.copy_file(src, dest)

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.local.open_input_stream(path)

    def open_input_file(self, path: str) -> pa.NativeFile:
        return self.local.open_input_file(path)

    def open_output_stream(
        self, path: str, metadata: dict[str, str] | None = None
    ) -> pa.NativeFile:
        self.calls.append(("write", path))
        return self.local.open_output_stream(path, metadata=metadata)

    def open_append_stream(
        self, path: str, metadata: dict[str, str] | None = None
    ) -> pa.NativeFile:
        self.calls.append(("append", path))
        return self.local.open_append_stream(path, metadata=metadata)
