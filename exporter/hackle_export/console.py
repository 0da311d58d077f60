"""Everything the exporter says to its user: day lines, notices, errors, reports.

Results (day lines, dry-run reports, the range summary) go to stdout; notices,
errors and progress go to stderr. In the ``json`` log format each is one JSON
object per line (see :mod:`hackle_export.log_format`).
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Mapping
from typing import Any, TextIO

from hackle_export.export import DayResult
from hackle_export.log_format import LogFormat, entry, json_line

logger = logging.getLogger(__name__)

_format: list[LogFormat] = [LogFormat.TEXT]


def set_format(log_format: LogFormat) -> None:
    """Write every following line in ``log_format``."""
    _format[0] = log_format


def get_format() -> LogFormat:
    return _format[0]


def is_json() -> bool:
    return _format[0] is LogFormat.JSON


def _write(stream: TextIO, text: str) -> None:
    print(text, file=stream, flush=True)


def result(text: str, fields: Mapping[str, Any]) -> None:
    """A result on stdout: ``text`` as is, or ``fields`` as one JSON object."""
    _write(sys.stdout, json_line(fields) if is_json() else text)


def status(text: str, fields: Mapping[str, Any]) -> None:
    """A status line on stderr: ``text`` as is, or ``fields`` as one JSON object."""
    _write(sys.stderr, json_line(fields) if is_json() else text)


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


def day_fields(
    result: DayResult, file_bytes: int | None = None, seconds: float | None = None
) -> dict[str, Any]:
    """The day line as a JSON object, with bytes and seconds when known."""
    fields = entry(
        "day",
        day=result.day.isoformat(),
        status=result.status.value,
        exit_code=int(result.exit_code),
        rows=result.rows,
        rejected=sum(result.rejected.values()),
        rejected_by_reason=dict(result.rejected),
        duplicates_removed=result.duplicates_removed,
        files=[path.rsplit("/", 1)[-1] for path in result.files],
        bytes=file_bytes,
        seconds=None if seconds is None else round(seconds, 3),
        reason=result.reason,
    )
    if result.error is not None:
        fields["error"] = str(result.error)
    return fields


def day(
    result: DayResult, file_bytes: int | None = None, seconds: float | None = None
) -> None:
    """Report one day's outcome on stdout."""
    if is_json():
        _write(sys.stdout, json_line(day_fields(result, file_bytes, seconds)))
    else:
        _write(sys.stdout, format_day(result))


def notice(message: str) -> None:
    status(message, entry("notice", level="warning", message=message))


def error(message: str, exc: BaseException | None = None, debug: bool = False) -> None:
    """Print one sentence; the traceback only when ``debug`` is set."""
    if is_json():
        fields = entry("error", level="error", message=message)
        if debug and exc is not None:
            fields["traceback"] = "".join(traceback.format_exception(exc))
        _write(sys.stderr, json_line(fields))
        return
    if debug and exc is not None:
        traceback.print_exception(exc, file=sys.stderr)
    _write(sys.stderr, f"error: {message}")
