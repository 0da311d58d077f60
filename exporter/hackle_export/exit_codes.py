"""Exit codes of ``hackle-export``.

====  ====================  =========================================================
code  name                  meaning
====  ====================  =========================================================
0     OK                    every requested day was published with ``_SUCCESS``
1     FAILURE               unexpected failure (I/O, warehouse error); the day has no
                            ``_SUCCESS`` and the next run heals it
2     USAGE                 usage or configuration error; stops a range at once
130   INTERRUPTED           stopped by Ctrl-C or SIGTERM; stops a range at once, the
                            day being exported has no ``_SUCCESS`` unless it was
                            already complete, and the next run publishes it whole
3     CONTRACT_VIOLATION    the day's rows break the import contract; no ``_SUCCESS``
4     EMPTY_REFUSED         a ready day has no events and ``--allow-empty`` was not
                            given; nothing written
75    NOT_READY             the source is not complete up to the end of the day yet,
                            or another run holds the day's lock; nothing written,
                            retry later (``EX_TEMPFAIL``)
====  ====================  =========================================================

For a range of days the most severe code wins, in this order:
2 > 130 > 1 > 3 > 75 > 4 > 0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import IntEnum

logger = logging.getLogger(__name__)


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    CONTRACT_VIOLATION = 3
    EMPTY_REFUSED = 4
    NOT_READY = 75
    INTERRUPTED = 130


# Most severe first: a usage error hides everything, a refused empty day hides
# only success.
SEVERITY: tuple[ExitCode, ...] = (
    ExitCode.USAGE,
    ExitCode.INTERRUPTED,
    ExitCode.FAILURE,
    ExitCode.CONTRACT_VIOLATION,
    ExitCode.NOT_READY,
    ExitCode.EMPTY_REFUSED,
    ExitCode.OK,
)


def most_severe(codes: Iterable[ExitCode]) -> ExitCode:
    """Return the most severe of ``codes``, or ``OK`` when there are none."""
    return min(codes, key=SEVERITY.index, default=ExitCode.OK)
