"""Everything the exporter says to its user: one line per day, and errors."""

from __future__ import annotations

import logging
import sys
import traceback

from hackle_export.export import DayResult

logger = logging.getLogger(__name__)


def format_day(result: DayResult) -> str:
    """One line: day, status, rows, rejected by reason, duplicates, files, reason."""
    rejected_total = sum(result.rejected.values())
    rejected = f"rejected={rejected_total}"
    if result.rejected:
        reasons = ", ".join(f"{reason}={n}" for reason, n in result.rejected.items())
        rejected += f" ({reasons})"
    line = (
        f"{result.day.isoformat()} {result.status.value} rows={result.rows} "
        f"{rejected} duplicates_removed={result.duplicates_removed} "
        f"files={len(result.files)}"
    )
    if result.reason:
        line += f": {result.reason}"
    return line


def day(result: DayResult) -> None:
    print(format_day(result), file=sys.stdout, flush=True)


def notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def error(message: str, exc: BaseException | None = None, debug: bool = False) -> None:
    """Print one sentence; the traceback only when ``debug`` is set."""
    if debug and exc is not None:
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: {message}", file=sys.stderr, flush=True)
