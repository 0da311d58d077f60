"""Measure hackle-export against DuckDB's own Parquet writer, and dbt's daily build.

Generates a GA4-like day of events in a fresh DuckDB file, then measures in
separate child processes (so each peak resident memory is its own):

1. baseline: DuckDB ``COPY ... TO ... (format parquet)`` of that day;
2. export: ``hackle-export`` of the same day (read, conform, write, verify,
   ``_SUCCESS``) into a local folder;

and, on a generated ``generic`` source table, the incremental ``dbt build`` of a
new day after a history of days against the full build of the first day alone.

Results go to stdout, one ``name key=value ...`` line each; progress goes to
stderr. Nothing here asserts a target: it reports the numbers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from child_process import Measured, run_measured
from synthetic_events import add_generic_day, create_generic_table, write_export_day

from hackle_export.cli import parse_args as parse_export_args
from hackle_export.errors import UsageError

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

EXPORT_DAY = date(2024, 6, 1)
FIRST_SOURCE_DAY = date(2024, 5, 1)
GENERIC_SCHEMA = "bench_app"
GENERIC_TABLE = "events"
# Unit tests mock the sample's source tables; a production build leaves them out.
PRODUCTION = ("--exclude-resource-type", "unit_test")
FULL_BUILD = ("build", *PRODUCTION, "--full-refresh")
INCREMENTAL_BUILD = ("build", *PRODUCTION)
# What hackle-export is told by the benchmark itself: where the day is and goes.
OWN_EXPORT_OPTIONS = (
    "project_dir",
    "profiles_dir",
    "target",
    "date",
    "range",
    "all_days",
    "dest",
    "dry_run",
)
# Generated days are cut into milliseconds; a billion rows already need ~170 GB.
MAX_ROWS = 1_000_000_000

EXPORT_PROFILES = """\
hackle_export:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{db}"
      schema: main
      threads: 2
"""


class BenchmarkError(Exception):
    """A step of the benchmark failed; the message says which and what to check."""


def _line(name: str, **values: object) -> None:
    fields = " ".join(f"{key}={_text(value)}" for key, value in values.items())
    print(f"{name} {fields}", flush=True)


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    return json.dumps(text) if " " in text else text


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _check(step: str, measured: Measured) -> None:
    if measured.returncode != 0:
        tail = "\n".join(measured.output.splitlines()[-30:])
        raise BenchmarkError(
            f"{step} exited with {measured.returncode}; its last output lines:\n{tail}"
        )


def _rows_per_second(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else 0.0


def measure_export(workdir: Path, rows: int, export_args: Sequence[str]) -> None:
    """Generate one day of ``rows`` events; measure the baseline and the export."""
    db = workdir / "export.duckdb"
    logger.info("generating %d events for %s in %s", rows, EXPORT_DAY, db)
    started = datetime.now(UTC)
    with duckdb.connect(str(db)) as con:
        write_export_day(con, EXPORT_DAY, rows)
    generated = (datetime.now(UTC) - started).total_seconds()
    _line("generated", rows=rows, seconds=generated, db_mb=db.stat().st_size / 2**20)

    logger.info("baseline: DuckDB COPY to Parquet")
    baseline = run_measured(
        [
            sys.executable,
            str(HERE / "duckdb_copy_baseline.py"),
            str(db),
            EXPORT_DAY.isoformat(),
            str(workdir / "baseline.parquet"),
        ]
    )
    _check("the DuckDB COPY baseline", baseline)
    baseline_rate = _rows_per_second(rows, baseline.seconds)
    _line(
        "baseline",
        rows=rows,
        seconds=baseline.seconds,
        rows_per_second=baseline_rate,
        peak_rss_mb=baseline.peak_rss_mb,
    )

    project = workdir / "export-project"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        "name: hackle_export_benchmark\nprofile: hackle_export\n", encoding="utf-8"
    )
    (project / "profiles.yml").write_text(
        EXPORT_PROFILES.format(db=db.as_posix()), encoding="utf-8"
    )
    dest = workdir / "bucket"
    logger.info("export: hackle-export of %s", EXPORT_DAY)
    export = run_measured(
        [
            str(BIN / "hackle-export"),
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--date",
            EXPORT_DAY.isoformat(),
            "--dest",
            str(dest),
            "--progress",
            "plain",
            *export_args,
        ]
    )
    _check("hackle-export", export)
    if not (dest / f"dt={EXPORT_DAY}" / "_SUCCESS").exists():
        raise BenchmarkError(
            f"hackle-export exited 0 but wrote no _SUCCESS for {EXPORT_DAY}; "
            f"its output:\n{export.output}"
        )
    export_rate = _rows_per_second(rows, export.seconds)
    _line(
        "export",
        rows=rows,
        seconds=export.seconds,
        rows_per_second=export_rate,
        peak_rss_mb=export.peak_rss_mb,
        # The options passed with --export-arg, which change what is measured.
        options=" ".join(export_args) or "defaults",
    )
    ratio = export_rate / baseline_rate if baseline_rate else 0.0
    parts = sorted((dest / f"dt={EXPORT_DAY}").glob("part-*.parquet"))
    same_order = _same_insert_ids(workdir / "baseline.parquet", parts)
    _line("export_vs_baseline", rows=rows, ratio=ratio, same_order=same_order)


def _same_insert_ids(baseline: Path, parts: Sequence[Path]) -> bool:
    """Whether the baseline and the parts, in name order, hold the same insert ids.

    The same rows in the same order: the baseline must write what the export
    writes, or it is no yardstick.
    """
    wanted = pq.read_table(baseline, columns=["insert_id"]).column(0)
    written = pa.chunked_array(
        [
            chunk
            for part in parts
            for chunk in pq.read_table(part, columns=["insert_id"]).column(0).chunks
        ],
        type=wanted.type,
    )
    return bool(wanted.equals(written))


def _dbt(workdir: Path, db: Path, args: Sequence[str], vars_json: str) -> Measured:
    # Every command parses the project afresh, as a daily job on a new CI machine
    # does; otherwise the first build would pay for a parse the later ones skip.
    command = [str(BIN / "dbt"), "--no-partial-parse", *args]
    command += ["--profiles-dir", str(workdir), "--target", "duckdb"]
    command += ["--vars", vars_json]
    env = dict(os.environ)
    env.update(
        HACKLE_DUCKDB_PATH=str(db),
        DBT_TARGET_PATH=str(workdir / "target"),
        DBT_LOG_PATH=str(workdir / "logs"),
        DBT_USE_COLORS="false",
    )
    env.pop("DBT_PROFILES_DIR", None)
    measured = run_measured(command, cwd=REPO, env=env)
    _check(f"dbt {args[0]}", measured)
    return measured


def _time_split(workdir: Path, measured: Measured) -> dict[str, float]:
    """Where a build's time went, from dbt's own ``run_results.json``.

    ``startup_s`` is the time before dbt's first node (starting Python, reading
    the project); ``models_s`` and ``tests_s`` add up each node's own time, so on
    more than one thread they can exceed the wall time between them.
    """
    results = json.loads((workdir / "target" / "run_results.json").read_text())
    node_seconds = {"model": 0.0, "test": 0.0}
    for result in results["results"]:
        kind = result["unique_id"].split(".", 1)[0]
        if kind in node_seconds:
            node_seconds[kind] += float(result["execution_time"])
    return {
        "startup_s": max(measured.seconds - float(results["elapsed_time"]), 0.0),
        "models_s": node_seconds["model"],
        "tests_s": node_seconds["test"],
    }


def _built_events(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select count(*) from main.hackle_events").fetchone()
    return int(row[0]) if row else 0


def measure_dbt(
    workdir: Path, events_per_day: int, history_days: int, lookback_days: int | None
) -> None:
    """Time day 1 built alone, then one new day after ``history_days`` days."""
    workdir.mkdir()
    shutil.copy(REPO / "profiles.example.yml", workdir / "profiles.yml")
    db = workdir / "dbt.duckdb"
    dbt_vars: dict[str, object] = {
        "sources": ["generic"],
        "generic_schema": GENERIC_SCHEMA,
        "generic_table": GENERIC_TABLE,
    }
    if lookback_days is None:
        project = yaml.safe_load((REPO / "dbt_project.yml").read_text("utf-8"))
        lookback_days = int(project["vars"]["hackle_export"]["lookback_days"])
    dbt_vars["lookback_days"] = lookback_days
    vars_json = json.dumps(dbt_vars)

    def add_day(index: int) -> None:
        with duckdb.connect(str(db)) as con:
            add_generic_day(
                con,
                GENERIC_SCHEMA,
                GENERIC_TABLE,
                FIRST_SOURCE_DAY + timedelta(days=index),
                events_per_day,
                index * events_per_day,
            )

    with duckdb.connect(str(db)) as con:
        create_generic_table(con, GENERIC_SCHEMA, GENERIC_TABLE)
    add_day(0)
    # Unmeasured: the first dbt command on a machine also reads dbt itself from
    # disk, which no daily build pays again.
    logger.info("dbt: warming up with dbt parse")
    _dbt(workdir, db, ["parse"], vars_json)
    logger.info("dbt: full build of day 1 alone (%d events)", events_per_day)
    day1 = _dbt(workdir, db, FULL_BUILD, vars_json)
    _line(
        "dbt_day1",
        events=events_per_day,
        seconds=day1.seconds,
        hackle_events_rows=_built_events(db),
        **_time_split(workdir, day1),
    )

    for index in range(1, history_days):
        add_day(index)
    logger.info("dbt: full build of %d days of history", history_days)
    history = _dbt(workdir, db, FULL_BUILD, vars_json)
    _line(
        "dbt_history",
        days=history_days,
        events=events_per_day * history_days,
        seconds=history.seconds,
        hackle_events_rows=_built_events(db),
    )

    add_day(history_days)
    logger.info("dbt: incremental build of day %d", history_days + 1)
    new_day = _dbt(workdir, db, INCREMENTAL_BUILD, vars_json)
    _line(
        "dbt_new_day",
        day=history_days + 1,
        lookback_days=lookback_days,
        events=events_per_day,
        seconds=new_day.seconds,
        hackle_events_rows=_built_events(db),
        **_time_split(workdir, new_day),
    )
    ratio = new_day.seconds / day1.seconds if day1.seconds else 0.0
    _line("dbt_new_day_vs_day1", ratio=ratio)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _row_count(text: str) -> int:
    rows = _positive(text)
    if rows > MAX_ROWS:
        raise argparse.ArgumentTypeError(f"{text} is more than {MAX_ROWS} rows")
    return rows


def _not_negative(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number, 0 or more")
    return int(text)


def _check_export_args(parser: argparse.ArgumentParser, export_args: list[str]) -> None:
    """Refuse exporter options that are wrong, or that change what the benchmark
    sets itself (in any spelling the exporter accepts), before minutes go into
    generating the day."""
    own = ["--dest", str(Path("bucket").absolute()), "--date", str(EXPORT_DAY)]
    try:
        expected = parse_export_args(own)
        given = parse_export_args([*own, *export_args])
    except UsageError as exc:
        parser.error(f"--export-arg: {exc}")
    changed = [
        "--" + name.replace("_", "-")
        for name in OWN_EXPORT_OPTIONS
        if getattr(given, name) != getattr(expected, name)
    ]
    if changed:
        parser.error(
            f"--export-arg: the benchmark sets {', '.join(sorted(changed))} itself; "
            "pass only options that change how the day is written"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--rows",
        type=_row_count,
        default=5_000_000,
        help=f"events in the exported day (default 5000000, at most {MAX_ROWS})",
    )
    parser.add_argument(
        "--events-per-day",
        type=_positive,
        default=20_000,
        help="source events per day for the dbt builds (default 20000)",
    )
    parser.add_argument(
        "--history-days",
        type=_positive,
        default=30,
        help="days built before the new day is added (default 30)",
    )
    parser.add_argument(
        "--lookback-days",
        type=_not_negative,
        help="the project's lookback_days for the dbt builds (default: the "
        "project's own, 3)",
    )
    parser.add_argument(
        "--skip-export", action="store_true", help="measure only the dbt builds"
    )
    parser.add_argument(
        "--skip-dbt", action="store_true", help="measure only the export"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="an empty or new folder for the files (default: a temporary folder, "
        "removed at the end)",
    )
    parser.add_argument(
        "--export-arg",
        action="append",
        default=[],
        help="pass one more argument to hackle-export (repeatable), "
        "e.g. --export-arg=--batch-rows=200000",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logs")
    args = parser.parse_args(argv)
    if args.skip_export and args.skip_dbt:
        parser.error("--skip-export and --skip-dbt together leave nothing to measure")
    _check_export_args(parser, args.export_arg)
    if args.workdir is not None:
        _check_workdir(parser, args.workdir)
    return args


def _check_workdir(parser: argparse.ArgumentParser, workdir: Path) -> None:
    if not str(workdir).strip():
        parser.error("--workdir is empty; give a new or empty folder")
    if workdir.exists() and not workdir.is_dir():
        parser.error(f"--workdir {workdir} is not a folder; give a new or empty one")
    if workdir.exists() and any(workdir.iterdir()):
        parser.error(f"--workdir {workdir} is not empty; give a new or empty one")


def run(args: argparse.Namespace, workdir: Path) -> None:
    _line(
        "machine",
        nproc=os.cpu_count() or 0,
        memory_gb=_memory_gb(),
        cpu=_cpu_model(),
        python=platform.python_version(),
        duckdb=duckdb.__version__,
        date=datetime.now(UTC).date().isoformat(),
        # Other work on the machine skews every figure; this shows how much.
        load_1m=os.getloadavg()[0],
    )
    if not args.skip_export:
        measure_export(workdir, args.rows, args.export_arg)
    if not args.skip_dbt:
        measure_dbt(
            workdir / "dbt", args.events_per_day, args.history_days, args.lookback_days
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.workdir is None:
            with tempfile.TemporaryDirectory(prefix="hackle-bench-") as folder:
                run(args, Path(folder))
        else:
            args.workdir.mkdir(parents=True, exist_ok=True)
            run(args, args.workdir)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
