"""How the exporter's lines look: plain text, or one JSON object per line.

With ``--log-format json`` every line is one JSON object, so that a CI log
collector can parse each line on its own: log records, notices, progress and
errors on stderr; day results, dry-run reports and the range summary on stdout.
Each object has a ``type`` (``log``, ``notice``, ``error``, ``progress``, ``day``,
``dry_run``, ``summary``) and a ``time`` in UTC.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

logger = logging.getLogger(__name__)

OPTION = "--log-format"

TEXT_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def now_iso() -> str:
    """The current UTC time, to the millisecond, with a ``Z``."""
    return iso_utc(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """``moment`` (naive means UTC) as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


def json_line(entry: Mapping[str, Any]) -> str:
    """One JSON object on one line; values JSON lacks (dates, decimals) as text."""
    # json.dumps escapes line breaks inside strings, so a traceback stays one line.
    return json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))


def entry(kind: str, **fields: Any) -> dict[str, Any]:
    """A JSON line's object: its type and time first, then ``fields``."""
    return {"type": kind, "time": now_iso(), **fields}


class JsonFormatter(logging.Formatter):
    """Formats a log record as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, UTC)
        fields: dict[str, Any] = {
            "type": "log",
            "time": iso_utc(created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            fields["traceback"] = self.formatException(record.exc_info)
        return json_line(fields)


def formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format is LogFormat.JSON:
        return JsonFormatter()
    return logging.Formatter(TEXT_LOG_FORMAT)


def format_in_argv(argv: Sequence[str]) -> LogFormat:
    """The format a command line asks for, read before the full parse succeeds.

    A usage error is reported in the format the user asked for, even when the
    mistake is elsewhere on the line.
    """
    for index, arg in enumerate(argv):
        value = None
        if arg == OPTION and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith(OPTION + "="):
            value = arg.split("=", 1)[1]
        if value == LogFormat.JSON.value:
            return LogFormat.JSON
    return LogFormat.TEXT
