"""Helpers for the failure, re-run and lock tests: real exporter processes.

Processes run ``stop_at_step.py`` (which stops a run at a named step) or the
exporter's own module, with this test's environment, and are always waited for
within a time limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from hackle_export import publish

STOP_AT_STEP = Path(__file__).with_name("stop_at_step.py")
PROCESS_TIMEOUT_S = 120.0

DAY = "2024-01-01"
# Four part files of about 100 rows each for DAY, ten row groups of 40 rows.
SMALL_PARTS = ("--max-file-mb", "0.005", "--batch-rows", "40")
PARTS_OF_DAY = 4


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def command(
    args: Sequence[str], stop: tuple[str, str, int] | None = None, seconds: float = 0
) -> list[str]:
    """The command line of an exporter process, stopped at a step if asked."""
    if stop is None:
        return [sys.executable, "-m", "hackle_export", *args]
    action, step, occurrence = stop
    return [
        sys.executable,
        str(STOP_AT_STEP),
        action,
        step,
        str(occurrence),
        str(seconds),
        "--",
        *args,
    ]


def start(
    args: Sequence[str],
    stop: tuple[str, str, int] | None = None,
    seconds: float = 0,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(args, stop, seconds),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finish(process: subprocess.Popen[str]) -> Finished:
    try:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(
            f"the exporter did not end in time: {err[-2000:]}"
        ) from None
    return Finished(process.returncode, out, err)


def run(
    args: Sequence[str],
    stop: tuple[str, str, int] | None = None,
    env: dict[str, str] | None = None,
) -> Finished:
    return finish(start(args, stop, env=env))


@contextmanager
def failing_at(step: str, occurrence: int) -> Iterator[None]:
    """Raise inside this process at the ``occurrence``-th time ``step`` is reached."""
    seen: list[str] = []

    def observer(reached: str, detail: str) -> None:
        if reached == step:
            seen.append(detail)
            if len(seen) == occurrence:
                raise OSError(f"injected failure at {step} {occurrence}")

    stop_observing: Callable[[], None] = publish.observe(observer)
    try:
        yield
    finally:
        stop_observing()
    assert len(seen) >= occurrence, f"{step} was reached {len(seen)} times"


def part_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet"))


def run_id_of(name: str) -> str:
    """``part-0000003-<run>.parquet`` -> ``<run>``."""
    return name.removesuffix(".parquet").split("-", 2)[2]


def contents(files: Sequence[Path]) -> list[bytes]:
    return [path.read_bytes() for path in files]


def assert_same_day(folder: Path, reference: Path) -> None:
    """``folder`` holds one complete run whose parts equal ``reference``'s, byte
    for byte, in the same order (names differ only by their run id)."""
    names = sorted(p.name for p in folder.iterdir())
    parts = part_files(folder)
    assert names == sorted([*(p.name for p in parts), "_SUCCESS"])
    assert len({run_id_of(p.name) for p in parts}) == 1
    assert contents(parts) == contents(part_files(reference))
    assert (folder / "_SUCCESS").read_bytes() == b""


def rows(files: Sequence[Path]) -> int:
    return sum(pq.ParquetFile(path).metadata.num_rows for path in files)
