"""The Redshift reader: UNLOAD to a staging prefix, stream, publish, clean up.

The staged files live in a real S3-compatible server (moto, on 127.0.0.1) and are
read through pyarrow's S3 filesystem as in production; Redshift itself is
:class:`redshift_support.FakeRedshift`, which writes the files UNLOAD would. The
UNLOAD statement can only be checked as text here: its query is parsed for
Redshift's dialect with sqlglot.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
import sqlglot
from redshift_support import (
    BUCKET,
    FakeRedshift,
    S3Server,
    start_s3_server,
    stop_s3_server,
    unload_row,
)
from sqlglot import expressions as exp

from hackle_export.destination import Destination
from hackle_export.errors import ConfigError, ContractViolation
from hackle_export.export import DayStatus, ExportOptions, run_day
from hackle_export.profiles import Target
from hackle_export.readers.redshift_reader import (
    RedshiftReader,
    StagingPlace,
    connection_options,
    to_event_batch,
    unload_statement,
)
from hackle_export.schema import IdentifiersFormat, arrow_schema

DAY = date(2024, 5, 1)
STAGING = f"s3://{BUCKET}/_staging/"
ROLE = "arn:aws:iam::123456789012:role/hackle-unload"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = start_s3_server()
    try:
        server.filesystem().create_dir(BUCKET)
        yield server
    finally:
        stop_s3_server(server)


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> pafs.S3FileSystem:
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    fs = s3_server.filesystem()
    for info in fs.get_file_info(pafs.FileSelector(BUCKET, recursive=True)):
        if info.type == pafs.FileType.File:
            fs.delete_file(info.path)
    return fs


def redshift_target(**settings: object) -> Target:
    values: dict[str, object] = {
        "type": "redshift",
        "host": "cluster.example.invalid",
        "port": 5439,
        "dbname": "analytics",
        "user": "exporter",
        "password": "s3cret-Pa55",
        "schema": "hackle",
    }
    values.update(settings)
    return Target("hackle_export", "redshift", "redshift", values)


def open_reader(warehouse: FakeRedshift, s3_server: S3Server) -> RedshiftReader:
    env = {
        **s3_server.env,
        "HACKLE_UNLOAD_STAGING": STAGING,
        "HACKLE_UNLOAD_IAM_ROLE": ROLE,
    }
    return RedshiftReader.from_target(
        redshift_target(), env=env, connect=lambda options: warehouse
    )


def staged_objects(fs: pafs.FileSystem) -> list[str]:
    selector = pafs.FileSelector(f"{BUCKET}/_staging", recursive=True)
    selector.allow_not_found = True
    return [
        info.path
        for info in fs.get_file_info(selector)
        if info.type == pafs.FileType.File
    ]


def day_rows(count: int, start: datetime) -> list[dict[str, object]]:
    return [
        unload_row(
            start + timedelta(minutes=7 * i, microseconds=123000),
            f"00000000-0000-4000-8000-{i:012d}",
            metric=f"{i}.125000",
            identifiers={"id": f"u{i}", "device_id": f"d{i}", "user_id": "ユーザー"},
            user={"plan": "pro"} if i % 2 else {},
            event={"screen": 'home "x"', "count": str(i)},
            platform={"osname": "Android", "version": "2.1"},
        )
        for i in range(count)
    ]


def read_parts(folder: Path) -> pa.Table:
    """The day's part files, each checked to hold exactly the contract's types."""
    tables = []
    for part in sorted(folder.glob("part-*")):
        table = pq.ParquetFile(part).read()
        identifiers_format = (
            IdentifiersFormat.JSON
            if pa.types.is_string(table.schema.field("identifiers").type)
            else IdentifiersFormat.MAP
        )
        wanted = arrow_schema(identifiers_format)
        assert table.schema.names == wanted.names
        for field in wanted:
            assert table.schema.field(field.name).type.equals(field.type)
            assert not table.schema.field(field.name).nullable
        tables.append(table)
    return pa.concat_tables(tables)


def publish(
    tmp_path: Path,
    warehouse: FakeRedshift,
    s3_server: S3Server,
    allow_empty: bool = False,
    identifiers_format: IdentifiersFormat = IdentifiersFormat.MAP,
) -> tuple[object, Path]:
    reader = open_reader(warehouse, s3_server)
    root = tmp_path / "bucket"
    destination = Destination(pafs.LocalFileSystem(), str(root))
    source = reader.source_status()
    options = ExportOptions(
        identifiers_format=identifiers_format, allow_empty=allow_empty, batch_rows=7
    )
    try:
        result = run_day(reader, destination, DAY, source, options)
    finally:
        reader.close()
    return result, root / f"dt={DAY.isoformat()}"


@pytest.mark.parametrize("int96", [True, False], ids=["int96", "int64"])
def test_staged_files_are_published_in_the_contract_and_removed(
    tmp_path: Path, s3: pafs.S3FileSystem, s3_server: S3Server, int96: bool
) -> None:
    rows = day_rows(30, datetime(2024, 5, 1, 0, 0, 0))
    warehouse = FakeRedshift(
        s3,
        summaries={DAY: (30, 30, 0, 0, 0)},
        files={DAY: [rows[:13], rows[13:]]},
        int96=int96,
    )

    result, folder = publish(tmp_path, warehouse, s3_server)

    assert result.status is DayStatus.PUBLISHED, result.error
    assert result.rows == 30
    assert (folder / "_SUCCESS").stat().st_size == 0
    table = read_parts(folder)
    assert table.num_rows == 30
    first = table.slice(0, 1).to_pylist()[0]
    assert first["ts"].isoformat() == "2024-05-01T00:00:00.123000+00:00"
    assert dict(first["identifiers"]) == {
        "id": "u0",
        "device_id": "d0",
        "user_id": "ユーザー",
    }
    assert dict(first["event_properties"]) == {"screen": 'home "x"', "count": "0"}
    assert first["user_properties"] == []
    assert str(first["metric_value"]) == "0.125000"

    # One fresh staging folder per unload, outside every dt= folder, emptied.
    [prefix] = warehouse.unload_prefixes
    assert prefix.startswith(f"{BUCKET}/_staging/hackle-2024-05-01-")
    assert "dt=" not in prefix
    assert staged_objects(s3) == []


def test_json_identifiers_come_from_the_super_text(
    tmp_path: Path, s3: pafs.S3FileSystem, s3_server: S3Server
) -> None:
    rows = day_rows(3, datetime(2024, 5, 1, 8))
    warehouse = FakeRedshift(s3, summaries={DAY: (3, 3, 0, 0, 0)}, files={DAY: [rows]})

    result, folder = publish(
        tmp_path, warehouse, s3_server, identifiers_format=IdentifiersFormat.JSON
    )

    assert result.status is DayStatus.PUBLISHED, result.error
    assert len(list(folder.glob("part-*"))) == 1
    identifiers = read_parts(folder).column("identifiers").to_pylist()
    assert identifiers[0] == '{"id":"u0","device_id":"d0","user_id":"ユーザー"}'


def test_a_day_without_rows_unloads_no_file_and_publishes_an_empty_day(
    tmp_path: Path, s3: pafs.S3FileSystem, s3_server: S3Server
) -> None:
    warehouse = FakeRedshift(s3, summaries={DAY: (2, 0, 2, 0, 0)})

    result, folder = publish(tmp_path, warehouse, s3_server, allow_empty=True)

    assert result.status is DayStatus.PUBLISHED, result.error
    assert result.rows == 0
    assert len(list(folder.glob("part-*"))) == 1
    empty = read_parts(folder)
    assert empty.num_rows == 0
    assert (folder / "_SUCCESS").exists()
    assert len(warehouse.unload_prefixes) == 1
    assert staged_objects(s3) == []


def test_an_empty_day_is_refused_before_any_unload(
    tmp_path: Path, s3: pafs.S3FileSystem, s3_server: S3Server
) -> None:
    warehouse = FakeRedshift(s3, summaries={DAY: (1, 0, 1, 0, 0)})

    result, folder = publish(tmp_path, warehouse, s3_server)

    assert result.status is DayStatus.EMPTY_REFUSED
    assert warehouse.unload_prefixes == []
    assert not folder.exists()


def test_super_text_that_is_not_an_object_breaks_the_contract_and_is_cleaned_up(
    tmp_path: Path, s3: pafs.S3FileSystem, s3_server: S3Server
) -> None:
    rows = day_rows(4, datetime(2024, 5, 1, 3))
    rows[2]["event_properties"] = '["a", "b"]'
    warehouse = FakeRedshift(
        s3, summaries={DAY: (4, 4, 0, 0, 0)}, files={DAY: [rows[:2], rows[2:]]}
    )

    result, folder = publish(tmp_path, warehouse, s3_server)

    assert result.status is DayStatus.CONTRACT_VIOLATION
    assert "event_properties" in str(result.error)
    assert not (folder / "_SUCCESS").exists()
    assert staged_objects(s3) == []


def test_a_failed_unload_leaves_no_staging_files(
    tmp_path: Path, s3: pafs.S3FileSystem, s3_server: S3Server
) -> None:
    rows = day_rows(5, datetime(2024, 5, 1, 3))
    warehouse = FakeRedshift(
        s3,
        summaries={DAY: (5, 5, 0, 0, 0)},
        files={DAY: [rows]},
        fail_unload_after_files=True,
    )

    result, folder = publish(tmp_path, warehouse, s3_server)

    assert result.status is DayStatus.FAILED
    assert "could not UNLOAD" in str(result.error)
    assert not (folder / "_SUCCESS").exists()
    assert staged_objects(s3) == []


def test_unload_statement_selects_one_day_into_the_staging_folder() -> None:
    place = StagingPlace.parse("s3://bucket/_staging/", ROLE)
    statement = unload_statement(
        "hack'le",
        datetime(2024, 4, 30, 15),
        datetime(2024, 5, 1, 15),
        place,
        "bucket/_staging/hackle-2024-05-01-abc",
    )

    match = re.fullmatch(
        r"unload \('((?:[^']|'')*)'\) to '([^']*)' iam_role '([^']*)' "
        r"format as parquet",
        statement,
    )
    assert match, statement
    query, to, role = match.group(1).replace("''", "'"), match.group(2), match.group(3)
    assert to == "s3://bucket/_staging/hackle-2024-05-01-abc/"
    assert role == ROLE

    select = sqlglot.parse_one(query, read="redshift")
    assert isinstance(select, exp.Select)
    assert [e.alias_or_name for e in select.expressions] == [
        "ts",
        "event_key",
        "identifiers",
        "insert_id",
        "metric_value",
        "user_properties",
        "event_properties",
        "platform_properties",
    ]
    table = select.find(exp.Table)
    assert table is not None
    assert (table.db, table.name) == ("hack'le", "hackle_events")
    literals = [lit.this for lit in select.find(exp.Where).find_all(exp.Literal)]
    assert literals == ["2024-04-30 15:00:00.000000", "2024-05-01 15:00:00.000000"]
    assert [o.this.name for o in select.args["order"].expressions] == [
        "ts",
        "insert_id",
    ]


@pytest.mark.parametrize(
    ("url", "role", "wanted"),
    [
        ("", ROLE, "HACKLE_UNLOAD_STAGING is not set"),
        ("/tmp/staging", ROLE, "not an s3://bucket/prefix/ URL"),
        ("s3://bucket/hackle/dt=2024-05-01/", ROLE, "outside every dt= folder"),
        ("s3://bucket/_staging/", " ", "HACKLE_UNLOAD_IAM_ROLE is not set"),
    ],
)
def test_staging_settings_are_checked(url: str, role: str, wanted: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(wanted)):
        StagingPlace.parse(url, role)


def test_connection_comes_from_the_target_and_the_password_is_never_logged(
    caplog: pytest.LogCaptureFixture, s3_server: S3Server
) -> None:
    assert connection_options(redshift_target()) == {
        "host": "cluster.example.invalid",
        "port": 5439,
        "database": "analytics",
        "user": "exporter",
        "password": "s3cret-Pa55",
    }
    iam = connection_options(
        redshift_target(
            method="iam", password=None, cluster_id="c1", region="eu-west-1"
        )
    )
    assert iam["iam"] is True
    assert iam["db_user"] == "exporter"
    assert iam["cluster_identifier"] == "c1"
    assert "password" not in iam

    caplog.set_level(logging.DEBUG, logger="hackle_export")
    warehouse = FakeRedshift(pafs.LocalFileSystem())
    open_reader(warehouse, s3_server).close()
    assert "s3cret-Pa55" not in caplog.text
    assert "cluster.example.invalid" in caplog.text


def test_a_failed_connection_says_where_without_the_password() -> None:
    def refuse(options: object) -> object:
        raise OSError("password s3cret-Pa55 rejected")

    env = {"HACKLE_UNLOAD_STAGING": STAGING, "HACKLE_UNLOAD_IAM_ROLE": ROLE}
    with pytest.raises(Exception, match="could not connect") as caught:
        RedshiftReader.from_target(redshift_target(), env=env, connect=refuse)
    assert "s3cret-Pa55" not in str(caught.value)


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigError, match="lacks host, user"):
        connection_options(redshift_target(host=None, user=None))


def test_super_values_that_are_not_text_break_the_contract() -> None:
    batch = pa.RecordBatch.from_pylist(
        [unload_row(datetime(2024, 5, 1), "00000000-0000-4000-8000-000000000001")],
    )
    batch = batch.set_column(
        batch.schema.get_field_index("user_properties"),
        "user_properties",
        pa.array(['{"age": 31}']),
    )
    with pytest.raises(ContractViolation, match="non-text value 31"):
        to_event_batch(batch)
