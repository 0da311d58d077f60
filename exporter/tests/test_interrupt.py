"""Ctrl-C and SIGTERM: one sentence, exit 130, no _SUCCESS, the next run heals."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from exporter_support import Project

from hackle_export import interrupt
from hackle_export.exit_codes import ExitCode
from hackle_export.readers.duckdb_reader import DuckDBReader
from hackle_export.writer import PartWriter

DAY = "2024-01-01"
SMALL_FILES = ("--max-file-mb", "0.005", "--batch-rows", "40")
# One row per batch and per file: slow enough to be stopped half way.
ONE_ROW_FILES = ("--batch-rows", "1", "--max-file-mb", "0.000001")

HEALS = "has no _SUCCESS and the next run publishes it whole"


def captured_error(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """The day lines and the one error line; never a traceback."""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    [line] = captured.err.splitlines()
    return captured.out, line


def interrupt_writer(monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """Make the part writer raise KeyboardInterrupt on batch ``after + 1``."""
    write = PartWriter.write
    calls = []

    def write_then_stop(self: PartWriter, batch: pa.RecordBatch) -> None:
        calls.append(batch.num_rows)
        if len(calls) > after:
            raise KeyboardInterrupt
        write(self, batch)

    monkeypatch.setattr(PartWriter, "write", write_then_stop)


def interrupt_stream(
    monkeypatch: pytest.MonkeyPatch,
    after: int,
    stop: Callable[[], Iterator[pa.RecordBatch]],
) -> None:
    """Hand out ``after`` batches of the day, then whatever ``stop`` yields."""
    stream_events = DuckDBReader.stream_events

    @contextmanager
    def stream_then_stop(
        self: DuckDBReader, start: datetime, end: datetime, batch_rows: int
    ) -> Iterator[Iterator[pa.RecordBatch]]:
        with stream_events(self, start, end, batch_rows) as batches:

            def batches_then_stop() -> Iterator[pa.RecordBatch]:
                for index, batch in enumerate(batches):
                    if index == after:
                        yield from stop()
                        return
                    yield batch

            yield batches_then_stop()

    monkeypatch.setattr(DuckDBReader, "stream_events", stream_then_stop)


def raise_keyboard_interrupt() -> Iterator[pa.RecordBatch]:
    raise KeyboardInterrupt
    yield


def sigterm_turned_into_query_error() -> Iterator[pa.RecordBatch]:
    # What DuckDB does with an exception raised by a signal handler mid-query.
    try:
        signal.raise_signal(signal.SIGTERM)
    except KeyboardInterrupt as exc:
        # A second signal while stopping must not cut the report short.
        signal.raise_signal(signal.SIGTERM)
        raise RuntimeError("Query interrupted") from exc
    yield


def sigterm_swallowed() -> Iterator[pa.RecordBatch]:
    # A library that drops the exception entirely and carries on.
    with suppress(KeyboardInterrupt):
        signal.raise_signal(signal.SIGTERM)
    yield pa.record_batch({"ts": pa.array([], pa.timestamp("ms"))})


def stop_handlers() -> tuple[object, object]:
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def assert_heals(
    project: Project, *days: str, old_parts: frozenset[Path] = frozenset()
) -> None:
    assert project.run("--start", days[0], "--end", days[-1]) == ExitCode.OK
    for day in days:
        assert project.success(day).exists()
        [part] = project.parts(day)
        assert part not in old_parts
        assert sorted(p.name for p in project.folder(day).iterdir()) == sorted(
            [part.name, "_SUCCESS"]
        )


@pytest.mark.parametrize("where", ["writer", "reader"])
def test_ctrl_c_mid_stream_leaves_no_success_and_the_next_run_heals(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    assert project.run("--date", DAY, *SMALL_FILES) == ExitCode.OK
    old_parts = set(project.parts(DAY))
    capsys.readouterr()
    handlers = stop_handlers()

    with monkeypatch.context() as patch:
        if where == "writer":
            interrupt_writer(patch, after=3)
        else:
            interrupt_stream(patch, after=3, stop=raise_keyboard_interrupt)
        code = project.run("--date", DAY, *SMALL_FILES)

    assert code == ExitCode.INTERRUPTED == 130
    out, line = captured_error(capsys)
    assert line == f"error: interrupted; {DAY} {HEALS}"
    assert out == ""
    assert not project.success(DAY).exists()
    assert old_parts < set(project.parts(DAY))
    assert stop_handlers() == handlers
    assert interrupt.received() is None

    assert_heals(project, DAY, old_parts=frozenset(old_parts))


def test_sigterm_turned_into_a_query_error_stops_the_range(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handlers = stop_handlers()

    with monkeypatch.context() as patch:
        interrupt_stream(patch, after=3, stop=sigterm_turned_into_query_error)
        code = project.run("--start", DAY, "--end", "2024-01-02", *SMALL_FILES)

    assert code == ExitCode.INTERRUPTED
    out, line = captured_error(capsys)
    assert line == f"error: stopped by SIGTERM; {DAY} {HEALS}"
    assert out == ""
    assert project.parts(DAY)
    assert not project.success(DAY).exists()
    assert not project.folder("2024-01-02").exists()
    assert stop_handlers() == handlers

    assert_heals(project, DAY, "2024-01-02")


def test_sigterm_swallowed_by_a_library_still_stops_before_success(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as patch:
        interrupt_stream(patch, after=3, stop=sigterm_swallowed)
        code = project.run("--date", DAY, *SMALL_FILES)

    assert code == ExitCode.INTERRUPTED
    assert captured_error(capsys)[1] == f"error: stopped by SIGTERM; {DAY} {HEALS}"
    assert not project.success(DAY).exists()

    assert_heals(project, DAY)


def test_interrupted_before_the_day_changed_keeps_its_success(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert project.run("--date", DAY) == ExitCode.OK
    published = sorted(project.folder(DAY).iterdir())
    capsys.readouterr()

    def summary_then_stop(self: DuckDBReader, day: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(DuckDBReader, "day_summary", summary_then_stop)
        assert project.run("--date", DAY) == ExitCode.INTERRUPTED

    assert captured_error(capsys)[1] == (
        f"error: interrupted; {DAY} still has its _SUCCESS, so its folder holds one "
        "complete run; run again for the days not done"
    )
    assert sorted(project.folder(DAY).iterdir()) == published


def test_interrupted_before_any_day(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def status_then_stop(self: DuckDBReader) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(DuckDBReader, "source_status", status_then_stop)

    assert project.run("--date", DAY) == ExitCode.INTERRUPTED
    assert captured_error(capsys)[1] == (
        "error: interrupted; no day was being changed, run again for the days not done"
    )
    assert not project.dest.exists()

    assert project.run("--date", DAY, "--debug") == ExitCode.INTERRUPTED
    assert "Traceback" in capsys.readouterr().err


def test_stop_signals_are_restored_and_ignored_ones_stay_ignored() -> None:
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sigterm = signal.getsignal(signal.SIGTERM)
        with interrupt.stop_signals_raise():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not sigterm
            with pytest.raises(interrupt.Interrupted):
                signal.raise_signal(signal.SIGTERM)
            assert interrupt.received() == "SIGTERM"
        assert signal.getsignal(signal.SIGTERM) is sigterm
        assert interrupt.received() is None
    finally:
        signal.signal(signal.SIGINT, ignored)


def test_sigterm_stops_a_running_export_and_the_next_run_heals(
    project: Project,
) -> None:
    project.set_status("2024-01-04 00:00:00")
    days = ["2024-01-01", "2024-01-02", "2024-01-03"]
    command = [
        sys.executable,
        "-m",
        "hackle_export",
        *project.args("--start", days[0], "--end", days[-1], *ONE_ROW_FILES),
    ]

    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not project.parts(days[0]):
            assert process.poll() is None, "the export ended before it was stopped"
            assert time.monotonic() < deadline, "the export wrote no part file"
            time.sleep(0.002)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err
    [line] = err.splitlines()
    stopped = re.fullmatch(rf"error: stopped by SIGTERM; (\S+) {HEALS}", line)
    assert stopped, line
    published = [day_line.split()[:2] for day_line in out.splitlines()]
    done = len(published)
    assert published == [[day, "published"] for day in days[:done]]
    assert stopped[1] == days[done]
    assert not project.success(days[done]).exists()
    assert project.parts(days[done])
    assert not any(project.folder(day).exists() for day in days[done + 1 :])

    assert_heals(project, *days)
