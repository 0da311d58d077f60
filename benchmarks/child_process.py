"""Run one command as a child process and measure its wall time and peak memory.

``os.wait4`` returns the resource usage of that one child, so two measured
commands never share a peak the way ``RUSAGE_CHILDREN`` would.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Measured:
    """What one finished child process took."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str


def run_measured(
    command: Sequence[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Measured:
    """Run ``command`` to its end; its output is captured into one text."""
    logger.debug("running %s", " ".join(command))
    started = time.perf_counter()
    with subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as child:
        assert child.stdout is not None
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        # Popen must not wait for a pid that wait4 has already reaped.
        child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux.
    return Measured(seconds, usage.ru_maxrss / 1024, child.returncode, output)
