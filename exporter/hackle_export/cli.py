"""The ``hackle-export`` command: publish days of ``hackle_events`` as Parquet.

Exit codes are those of :mod:`hackle_export.exit_codes`: 0 done, 1 unexpected
failure, 2 usage or configuration error, 3 contract violation, 4 empty day refused,
75 day not ready (retry later), 130 interrupted by Ctrl-C or SIGTERM. For a range
the most severe code wins (2 > 130 > 1 > 3 > 75 > 4 > 0); a range goes on past a
day that fails, is not ready, is empty or breaks the contract, and stops at a usage
or configuration error or an interruption.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hackle_export import __version__, console, dry_run, interrupt, publish
from hackle_export.days import day_range, parse_day, yesterday, zone
from hackle_export.destination import Destination, open_destination
from hackle_export.errors import ExportError, UsageError
from hackle_export.exit_codes import ExitCode, most_severe
from hackle_export.export import MEBIBYTE, ExportOptions, run_day
from hackle_export.log_format import LogFormat, format_in_argv, formatter
from hackle_export.profiles import load_target
from hackle_export.progress import (
    ProgressMode,
    ProgressReader,
    RunProgress,
    choose_mode,
)
from hackle_export.readers import open_reader
from hackle_export.readers.base import (
    DAILY_SUMMARY,
    REJECTED,
    SourceStatus,
    WarehouseReader,
)
from hackle_export.schema import IdentifiersFormat

logger = logging.getLogger(__name__)

PACKAGE_LOGGER = "hackle_export"
# Ranges of a day written at once; each holds a batch in memory.
MAX_WRITERS = 16
# A batch is one row group held in memory; ten million rows already need gigabytes.
MAX_BATCH_ROWS = 10_000_000


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports mistakes instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}; see hackle-export --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hackle-export",
        description=(
            "Publish days of hackle_events as Parquet part files under "
            "<dest>/dt=YYYY-MM-DD/, writing _SUCCESS last."
        ),
        epilog=(
            "exit codes: 0 done, 1 unexpected failure, 2 usage or configuration "
            "error, 3 contract violation, 4 empty day refused, 75 day not ready, "
            "130 interrupted (Ctrl-C or SIGTERM)"
        ),
    )
    days = parser.add_argument_group("days (choose one way; default: yesterday)")
    days.add_argument(
        "--date",
        help="one day, YYYY-MM-DD (default: yesterday in the partition time zone)",
    )
    days.add_argument("--start", help="first day of an inclusive range, YYYY-MM-DD")
    days.add_argument("--end", help="last day of an inclusive range, YYYY-MM-DD")
    days.add_argument(
        "--all-days",
        action="store_true",
        help="every day that has a row in hackle_daily_summary",
    )
    parser.add_argument(
        "--dest",
        required=True,
        help="folder, file:// URL, s3://bucket/prefix or gs://bucket/prefix that "
        "holds the dt=YYYY-MM-DD folders",
    )
    parser.add_argument(
        "--identifiers-format",
        choices=[f.value for f in IdentifiersFormat],
        default=IdentifiersFormat.MAP.value,
        help="write identifiers as map<string,string> (default) or as a JSON "
        "object in a string",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="publish a ready day without events as one zero-row file",
    )
    parser.add_argument(
        "--max-file-mb",
        type=float,
        default=256.0,
        help="start a new part file once the current one passes this size "
        "(MiB, default 256)",
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=ExportOptions.batch_rows,
        help="rows per record batch and row group "
        f"(default {ExportOptions.batch_rows})",
    )
    parser.add_argument(
        "--writers",
        type=int,
        default=ExportOptions.writers,
        help="write a large day as up to this many ranges side by side, each into "
        f"part files of its own (DuckDB; default {ExportOptions.writers})",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="write nothing; print what each day would publish and how it differs "
        "from what its dt= folder holds now",
    )
    parser.add_argument(
        "--manifest",
        action="store_true",
        help="after each day's _SUCCESS, write <dest>/_hackle_manifests/"
        "dt=YYYY-MM-DD.json (rows, files with size and sha256, schema "
        "fingerprint, source watermark, version, run id)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--log-format",
        choices=[f.value for f in LogFormat],
        default=LogFormat.TEXT.value,
        help="text (default), or json: one JSON object per line, logs and errors "
        "on stderr, day results on stdout",
    )
    output.add_argument(
        "--progress",
        choices=[m.value for m in ProgressMode],
        default=ProgressMode.AUTO.value,
        help="auto (default): a bar per day on a terminal, plain lines when stderr "
        "is not a terminal or CI is set; bar or plain force one",
    )
    output.add_argument(
        "--summary",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="end with a table of every day: status, rows, rejected, duplicates, "
        "files, bytes, seconds (default: for a range or --all-days)",
    )
    parser.add_argument("--target", help="dbt target (default: the profile's target)")
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        help="folder holding profiles.yml (default: as dbt finds it)",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path("."),
        help="folder holding dbt_project.yml (default: the current folder)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="log each step with its numbers (rows, files, seconds) to stderr",
    )
    parser.add_argument(
        "--debug", action="store_true", help="debug logs and tracebacks on errors"
    )
    parser.add_argument("--version", action="version", version=__version__)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line; raise UsageError when it is wrong."""
    args = build_parser().parse_args(argv)
    ways = [
        args.date is not None,
        args.start is not None or args.end is not None,
        args.all_days,
    ]
    if sum(ways) > 1:
        raise UsageError(
            "--date, --start/--end and --all-days exclude each other; use one of them"
        )
    if (args.start is None) != (args.end is None):
        raise UsageError("--start and --end go together; give both")
    # An empty --date (an unset variable in a job) is a mistake, not "yesterday".
    args.date = parse_day(args.date, "--date") if args.date is not None else None
    if args.start is not None:
        args.range = day_range(
            parse_day(args.start, "--start"), parse_day(args.end, "--end")
        )
    else:
        args.range = None
    if not math.isfinite(args.max_file_mb) or args.max_file_mb <= 0:
        raise UsageError(
            f"--max-file-mb {args.max_file_mb} must be a number of MiB above 0"
        )
    if not 1 <= args.batch_rows <= MAX_BATCH_ROWS:
        raise UsageError(
            f"--batch-rows {args.batch_rows} must be between 1 and {MAX_BATCH_ROWS}"
        )
    if not 1 <= args.writers <= MAX_WRITERS:
        raise UsageError(
            f"--writers {args.writers} must be between 1 and {MAX_WRITERS}"
        )
    return args


def _days(
    args: argparse.Namespace, reader: WarehouseReader, source: SourceStatus
) -> list[date]:
    if args.date is not None:
        return [args.date]
    if args.range is not None:
        return list(args.range)
    if args.all_days:
        undated = reader.undated_source_rows()
        if undated:
            console.notice(
                f"{DAILY_SUMMARY} counts {undated} source rows without a day (dt is "
                "null, neither an event time nor a received time); they are not "
                f"exported and are in {REJECTED} with dt null"
            )
        return reader.summary_days()
    return [yesterday(zone(source.partition_timezone))]


def _describe(exc: Exception) -> str:
    if isinstance(exc, ExportError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"reading or writing failed ({exc}); check the destination and run again"
    return (
        f"unexpected {type(exc).__name__} ({exc}); run again, with --debug to see "
        "where it failed"
    )


@dataclass
class _Progress:
    """How far a run got, so that an interruption can say what it left behind."""

    debug: bool = False
    destination: Destination | None = None
    # The day being exported; None before the first and between two days.
    day: date | None = None
    # The bar and table of the run, once it has days.
    run: RunProgress | None = None

    def clear(self) -> None:
        if self.run is not None:
            self.run.close()


def _interruption(progress: _Progress) -> str:
    stopped = "interrupted"
    if interrupt.received() == "SIGTERM":
        stopped = "stopped by SIGTERM"
    day, destination = progress.day, progress.destination
    if day is None or destination is None:
        return f"{stopped}; no day was being changed, run again for the days not done"
    try:
        complete = publish.has_success(destination.fs, destination.day_folder(day))
    except Exception:
        # The report must come out whatever state the destination is in.
        return f"{stopped} while exporting {day}; run again to publish it whole"
    if complete:
        return (
            f"{stopped}; {day} still has its _SUCCESS, so its folder holds one "
            "complete run; run again for the days not done"
        )
    return f"{stopped}; {day} has no _SUCCESS and the next run publishes it whole"


def _run(args: argparse.Namespace, progress: _Progress) -> ExitCode:
    destination = open_destination(args.dest)
    progress.destination = destination
    target = load_target(args.project_dir, args.profiles_dir, args.target)
    reader = open_reader(target)
    try:
        source = reader.source_status()
        days = _days(args, reader, source)
        if not days:
            console.notice("hackle_daily_summary has no days; nothing to export")
            return ExitCode.OK
        if args.dry_run:
            return _dry_run(args, reader, destination, days, source)
        options = ExportOptions(
            identifiers_format=IdentifiersFormat(args.identifiers_format),
            allow_empty=args.allow_empty,
            max_file_bytes=max(1, int(args.max_file_mb * MEBIBYTE)),
            batch_rows=args.batch_rows,
            writers=args.writers,
            write_manifest=args.manifest,
        )
        mode = choose_mode(ProgressMode(args.progress), sys.stderr, os.environ)
        run = RunProgress(len(days), mode)
        progress.run = run
        watched = ProgressReader(reader, run)
        codes = []
        for day in days:
            interrupt.check()
            progress.day = day
            run.start_day(day)
            result = run_day(watched, destination, day, source, options)
            seconds = run.finish_day(result)
            if result.error is not None:
                console.error(
                    f"{day}: {_describe(result.error)}", result.error, args.debug
                )
            manifest = result.manifest
            console.day(result, manifest.total_bytes if manifest else None, seconds)
            progress.day = None
            codes.append(result.exit_code)
        if _wants_summary(args, mode):
            console.result(run.table(), run.summary_fields())
        return most_severe(codes)
    finally:
        reader.close()


def _wants_summary(args: argparse.Namespace, mode: ProgressMode) -> bool:
    if args.summary is not None:
        return bool(args.summary)
    # a range ends with its table in every mode, so that CI logs show it too
    return args.range is not None or args.all_days


def _dry_run(
    args: argparse.Namespace,
    reader: WarehouseReader,
    destination: Destination,
    days: list[date],
    source: SourceStatus,
) -> ExitCode:
    codes = []
    for day in days:
        interrupt.check()
        started = time.monotonic()
        report = dry_run.dry_run_day(reader, destination, day, source, args.allow_empty)
        if report.error is not None:
            console.error(f"{day}: {_describe(report.error)}", report.error, args.debug)
        fields = dry_run.fields(report)
        fields["seconds"] = round(time.monotonic() - started, 3)
        console.result(dry_run.render(report), fields)
        codes.append(report.exit_code)
    return most_severe(codes)


def _log_handler(debug: bool, verbose: bool, log_format: LogFormat) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    package_logger = logging.getLogger(PACKAGE_LOGGER)
    if log_format is LogFormat.JSON:
        # On the root logger, so that other libraries' warnings are JSON lines too.
        logging.getLogger().addHandler(handler)
        logging.captureWarnings(True)
    else:
        package_logger.addHandler(handler)
    if debug:
        package_logger.setLevel(logging.DEBUG)
    else:
        package_logger.setLevel(logging.INFO if verbose else logging.WARNING)
    return handler


def _remove_log_handler(handler: logging.Handler) -> None:
    logging.getLogger(PACKAGE_LOGGER).removeHandler(handler)
    root = logging.getLogger()
    if handler in root.handlers:
        root.removeHandler(handler)
        logging.captureWarnings(False)


def _main(argv: Sequence[str] | None, progress: _Progress) -> int:
    console.set_format(format_in_argv(sys.argv[1:] if argv is None else argv))
    try:
        args = parse_args(argv)
    except UsageError as exc:
        console.error(str(exc))
        return ExitCode.USAGE
    except SystemExit as exc:
        # --help and --version end the parse on purpose.
        return int(exc.code or 0)

    progress.debug = args.debug
    log_format = LogFormat(args.log_format)
    console.set_format(log_format)
    handler = _log_handler(args.debug, args.verbose, log_format)
    try:
        return int(_run(args, progress))
    except Exception as exc:
        interrupt.check(exc)
        progress.clear()
        console.error(_describe(exc), exc, args.debug)
        if isinstance(exc, ExportError):
            return int(exc.exit_code)
        return int(ExitCode.FAILURE)
    finally:
        _remove_log_handler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code."""
    progress = _Progress()
    with interrupt.stop_signals_raise():
        try:
            return _main(argv, progress)
        except KeyboardInterrupt as exc:
            progress.clear()
            console.error(_interruption(progress), exc, progress.debug)
            return int(ExitCode.INTERRUPTED)
        finally:
            console.set_format(LogFormat.TEXT)
