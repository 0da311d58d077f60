"""Re-exporting an unchanged day writes the same part files, byte for byte.

Only the names differ (each carries its run's id). The rows come in the same
order, every row group holds --batch-rows rows whatever batches the warehouse
streamed, and the footers carry no time or run of their own.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from exporter_support import Project
from safety_support import DAY, SMALL_PARTS, contents, part_files, run_id_of

from hackle_export.cli import main
from hackle_export.exit_codes import ExitCode
from hackle_export.export import row_groups
from hackle_export.readers.duckdb_reader import DuckDBReader


def export_and_keep(project: Project, *extra: str) -> tuple[list[str], list[bytes]]:
    """Export the day; return its part names and contents before the next run."""
    assert project.run("--date", DAY, *extra) == ExitCode.OK
    parts = part_files(project.folder(DAY))
    return [p.name for p in parts], contents(parts)


def recut_stream(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Make the warehouse hand out the same rows in batches of random sizes.

    BigQuery's read streams and Redshift's unloaded files cut a day differently
    on every run; this does the same to DuckDB's stream.
    """
    stream_events = DuckDBReader.stream_events
    sizes = random.Random(seed)

    @contextmanager
    def recut(
        self: DuckDBReader, start: datetime, end: datetime, batch_rows: int
    ) -> Iterator[Iterator[pa.RecordBatch]]:
        with stream_events(self, start, end, batch_rows) as batches:
            table = pa.Table.from_batches(list(batches))

            def pieces() -> Iterator[pa.RecordBatch]:
                offset = 0
                while offset < table.num_rows:
                    size = sizes.randint(1, 97)
                    yield from table.slice(offset, size).to_batches()
                    offset += size

            yield pieces()

    monkeypatch.setattr(DuckDBReader, "stream_events", recut)


def test_reexport_gives_byte_identical_parts(project: Project) -> None:
    first_names, first = export_and_keep(project, *SMALL_PARTS)
    second_names, second = export_and_keep(project, *SMALL_PARTS)

    assert len(first) > 1
    assert second == first
    # Same files in the same order, only another run id in their names.
    assert {run_id_of(n) for n in first_names}.isdisjoint(
        run_id_of(n) for n in second_names
    )
    assert [n[:10] for n in first_names] == [n[:10] for n in second_names]


def test_reexport_is_identical_however_the_warehouse_cuts_its_stream(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain = export_and_keep(project, *SMALL_PARTS)
    cut = []
    for seed in (1, 2):
        with monkeypatch.context() as patch:
            recut_stream(patch, seed)
            cut.append(export_and_keep(project, *SMALL_PARTS)[1])

    assert cut[0] == cut[1] == plain


def test_row_groups_hold_batch_rows_and_footers_hold_no_run_or_time(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    recut_stream(monkeypatch, 3)
    export_and_keep(project, *SMALL_PARTS)

    # Row groups of each range of the day, part-RRNNNNN grouped by RR.
    groups: dict[str, list[int]] = {}
    for part in part_files(project.folder(DAY)):
        metadata = pq.ParquetFile(part).metadata
        groups.setdefault(part.name[5:7], []).extend(
            metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)
        )
        assert set(metadata.metadata) == {b"ARROW:schema"}
        assert metadata.created_by.startswith("parquet-cpp-arrow version ")
        run_id = run_id_of(part.name)
        assert run_id.encode() not in part.read_bytes()
    assert len(groups) == 2
    for sizes in groups.values():
        assert all(size == 40 for size in sizes[:-1])
        assert 0 < sizes[-1] <= 40
    assert sum(sum(sizes) for sizes in groups.values()) == 410


def test_rows_of_a_reexport_come_in_the_same_order(project: Project) -> None:
    export_and_keep(project)
    [part] = part_files(project.folder(DAY))
    first = pq.read_table(part).column("insert_id").to_pylist()
    export_and_keep(project)
    [part] = part_files(project.folder(DAY))

    assert pq.read_table(part).column("insert_id").to_pylist() == first


@pytest.mark.parametrize(
    ("sizes", "rows", "expected"),
    [
        ([5, 5, 5], 4, [4, 4, 4, 3]),
        ([1] * 9, 4, [4, 4, 1]),
        ([0, 12, 0], 4, [4, 4, 4]),
        ([3], 10, [3]),
        ([], 10, []),
    ],
)
def test_row_groups_of_one_chunk_each(
    sizes: list[int], rows: int, expected: list[int]
) -> None:
    values = iter(range(sum(sizes)))
    batches = [
        pa.record_batch(
            {"n": pa.array([next(values) for _ in range(size)], pa.int64())}
        )
        for size in sizes
    ]

    regrouped = list(row_groups(batches, rows, chunk_rows=rows))

    assert [b.num_rows for b in regrouped] == expected
    flat = [n for b in regrouped for n in b.column("n").to_pylist()]
    assert flat == list(range(sum(sizes)))


def test_clean_runs_into_two_destinations_are_identical(
    project: Project, tmp_path: Path
) -> None:
    folders = []
    for name in ("a", "b"):
        args = project.args("--date", DAY, *SMALL_PARTS)
        args[args.index("--dest") + 1] = str(tmp_path / name)
        assert main(args) == ExitCode.OK
        folders.append(tmp_path / name / f"dt={DAY}")

    assert contents(part_files(folders[0])) == contents(part_files(folders[1]))
