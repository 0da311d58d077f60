"""A day is written as ranges side by side, streamed without a sort when it can be.

The dbt model stores hackle_events on DuckDB in ts, insert_id order, so a plain
scan already gives the export's order and the exporter checks that instead of
sorting. A table in any other order is sorted by DuckDB; both give the same bytes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from exporter_support import Project
from safety_support import DAY, SMALL_PARTS, contents, part_files

from hackle_export.cli import main
from hackle_export.exit_codes import ExitCode
from hackle_export.export import row_groups
from hackle_export.readers.duckdb_reader import DuckDBReader
from hackle_export.writer import part_name

START = datetime(2024, 1, 1)
END = START + timedelta(days=1)
NOT_IN_ORDER = "is not stored in ts, insert_id order"


def store_in_order(project: Project) -> None:
    """Store hackle_events the way the dbt model does on DuckDB."""
    project.execute(
        "create or replace table hackle_events as "
        "select * from hackle_events order by ts, insert_id"
    )


def export(project: Project, *extra: str) -> list[Path]:
    assert project.run("--date", DAY, *extra) == ExitCode.OK
    return part_files(project.folder(DAY))


def read_rows(parts: list[Path]) -> list[tuple[datetime, str]]:
    rows = []
    for part in parts:
        table = pq.read_table(part, columns=["ts", "insert_id"])
        rows.extend(zip(*(table.column(i).to_pylist() for i in (0, 1)), strict=True))
    return rows


def test_a_day_stored_in_order_and_one_sorted_by_duckdb_give_the_same_bytes(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fixture's pairs of events that share a ts are stored against the order.
    sorted_by_duckdb = contents(export(project, *SMALL_PARTS, "--verbose"))
    assert NOT_IN_ORDER in capsys.readouterr().err

    store_in_order(project)
    streamed = contents(export(project, *SMALL_PARTS, "--verbose"))

    assert NOT_IN_ORDER not in capsys.readouterr().err
    assert len(streamed) > 2
    assert streamed == sorted_by_duckdb


def test_parts_read_in_name_order_give_the_rows_in_ts_insert_id_order(
    project: Project,
) -> None:
    rows = read_rows(export(project, *SMALL_PARTS))

    assert len(rows) == 410
    assert rows == sorted(rows)
    expected = [(r[0], r[3]) for r in project.source_rows(START, END)]
    assert [(ts.replace(tzinfo=None), i) for ts, i in rows] == expected


def test_one_writer_writes_one_range_with_the_same_rows(project: Project) -> None:
    two = export(project, *SMALL_PARTS)
    two_rows = read_rows(two)
    one = export(project, *SMALL_PARTS, "--writers", "1")

    assert {p.name[5:7] for p in two} == {"00", "01"}
    assert {p.name[5:7] for p in one} == {"00"}
    assert read_rows(one) == two_rows


def test_a_small_day_is_one_range_and_one_file(project: Project) -> None:
    # 410 rows never fill two row groups of the default 100000.
    [part] = export(project)

    assert part.name.startswith("part-0000000-")
    assert pq.ParquetFile(part).metadata.num_rows == 410


@pytest.mark.parametrize("writers", ["0", "17", "-1"])
def test_writers_outside_the_range_is_a_usage_error(
    project: Project, writers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(project.args("--date", DAY, "--writers", writers)) == ExitCode.USAGE
    assert f"--writers {writers} must be between 1 and 16" in capsys.readouterr().err


def test_split_day_cuts_at_whole_seconds_into_even_ranges(project: Project) -> None:
    # Twenty rows in each of 100 seconds of one day, in no particular order.
    project.execute(
        "create or replace table hackle_events as "
        "select * replace (timestamp '2024-01-01 10:00:00' "
        "+ to_milliseconds((i * 7919) % 100 * 1000 + i % 20) as ts) "
        "from (select *, row_number() over () - 1 as i from hackle_events "
        "union all select *, row_number() over () + 1199 from hackle_events) "
        "where i < 2000"
    )
    reader = DuckDBReader(project.db)
    try:
        whole = reader.split_day(START, END, 1, 10)
        three = reader.split_day(START, END, 3, 10)
        too_few = reader.split_day(START, END, 3, 1500)
        ranges = reader.split_day(START, END, 4, 10)
    finally:
        reader.close()

    assert whole == [(START, END)]
    assert too_few == [(START, END)]
    assert len(three) == 3
    assert len(ranges) == 4
    assert ranges[0][0] == START and ranges[-1][1] == END
    assert all(a[1] == b[0] for a, b in pairwise(ranges))
    assert all(cut.microsecond == 0 for _, cut in ranges[:-1])
    counts = [
        project.query(
            "select count(*) from hackle_events where ts >= ? and ts < ?",
            [start, end],
        )[0][0]
        for start, end in ranges
    ]
    assert sum(counts) == 2000
    assert all(480 <= count <= 520 for count in counts), counts


def test_row_groups_are_cut_into_the_same_chunks_however_the_stream_is_cut() -> None:
    values = list(range(57))

    def grouped(sizes: list[int]) -> list[list[int]]:
        batches, offset = [], 0
        for size in sizes:
            batches.append(
                pa.record_batch({"n": pa.array(values[offset : offset + size])})
            )
            offset += size
        return [
            [len(chunk) for chunk in group.column("n").chunks]
            for group in row_groups(batches, 25, chunk_rows=10)
        ]

    expected = [[10, 10, 5], [10, 10, 5], [7]]
    assert grouped([57]) == expected
    assert grouped([1] * 57) == expected
    assert grouped([3, 30, 0, 24]) == expected
    tables = list(row_groups([pa.record_batch({"n": pa.array(values)})], 25, 10))
    assert [n for t in tables for n in t.column("n").to_pylist()] == values


def test_split_day_gives_naive_utc_cuts_when_ts_has_a_time_zone(
    project: Project,
) -> None:
    project.execute(
        "create or replace table hackle_events as select * replace "
        "(timezone('UTC', ts) as ts) from hackle_events"
    )
    reader = DuckDBReader(project.db)
    try:
        ranges = reader.split_day(START, END, 2, 10)
    finally:
        reader.close()

    assert len(ranges) == 2
    assert all(cut.tzinfo is None for range_ in ranges for cut in range_)
    assert START < ranges[0][1] < END


def test_part_names_sort_in_the_order_of_the_rows_past_a_thousand_files() -> None:
    run = "20240101T000000Z-abc"
    names = [part_name(r, i, run) for r in (0, 1) for i in range(1500)]

    assert sorted(names) == names


def test_a_repeated_ts_and_insert_id_is_refused_however_the_day_is_stored(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.execute(
        "insert into hackle_events select * replace ('event_9' as event_key) "
        "from hackle_events where ts = (select min(ts) from hackle_events) limit 1"
    )
    project.rebuild_summary()
    for stored_in_order in (False, True):
        if stored_in_order:
            store_in_order(project)
        code = project.run("--date", DAY, *SMALL_PARTS)

        assert code == ExitCode.CONTRACT_VIOLATION
        assert "appears more than once at ts 2024-01-01 00:00:00" in (
            capsys.readouterr().err
        )
        assert not project.success(DAY).exists()


def test_a_failing_range_stops_another_that_waits_on_the_warehouse(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_in_order(project)
    project.execute(
        "update hackle_events set event_key = null "
        "where ts = (select min(ts) from hackle_events)"
    )
    interrupted = threading.Event()
    stream_events = DuckDBReader.stream_events

    @contextmanager
    def waiting_second_range(
        self: DuckDBReader, start: datetime, end: datetime, batch_rows: int
    ) -> Iterator[pa.RecordBatchReader]:
        if start != START:
            # As a long sort would: nothing comes until the query is stopped.
            assert interrupted.wait(30), "the waiting range was never stopped"
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        with stream_events(self, start, end, batch_rows) as batches:
            yield batches

    monkeypatch.setattr(DuckDBReader, "stream_events", waiting_second_range)
    monkeypatch.setattr(DuckDBReader, "interrupt", lambda self: interrupted.set())

    assert project.run("--date", DAY, *SMALL_PARTS) == ExitCode.CONTRACT_VIOLATION
    assert interrupted.is_set()
    err = capsys.readouterr().err
    assert "column event_key is null" in err
    assert "Interrupted" not in err
    assert not project.success(DAY).exists()


def test_interrupt_stops_a_sort_in_flight(project: Project) -> None:
    # Two million rows stored against the order: DuckDB has to sort them first.
    project.execute(
        "create or replace table hackle_events as select * replace ("
        "timestamp '2024-01-01' + to_milliseconds(hash(i) % 86400000) as ts, "
        "printf('%032d', i) as insert_id) "
        "from (select * from hackle_events limit 1), range(2000000) as t(i)"
    )
    reader = DuckDBReader(project.db)
    failures: list[BaseException] = []

    def read() -> None:
        try:
            with reader.stream_events(START, END, 1000) as batches:
                for _ in batches:
                    pass
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=read)
    started = time.monotonic()
    thread.start()
    time.sleep(0.3)
    reader.interrupt()
    thread.join(60)
    reader.close()

    assert not thread.is_alive()
    assert failures and isinstance(failures[0], duckdb.InterruptException), failures
    assert time.monotonic() - started < 20
