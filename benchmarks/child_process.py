"""Run one command as a child process and measure its wall time and peak memory.

Linux carries a process's peak resident memory across ``fork`` and ``exec``: a
command started by a benchmark that has itself grown large would report the
benchmark's peak as its own. So the command is started by a small launcher (this
file run as a script, a fresh interpreter that imports nothing heavy), and the
launcher reports the command's ``os.wait4`` figures back in a file.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
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
    with tempfile.TemporaryDirectory(prefix="hackle-measure-") as folder:
        report = Path(folder) / "measured.json"
        completed = subprocess.run(
            [sys.executable, __file__, str(report), *command],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if not report.exists():
            raise RuntimeError(
                f"the launcher of {command[0]} exited with {completed.returncode} "
                f"without measuring it:\n{completed.stdout}"
            )
        figures = json.loads(report.read_text(encoding="utf-8"))
    return Measured(
        figures["seconds"],
        figures["peak_rss_mb"],
        figures["returncode"],
        completed.stdout,
    )


def _launch(report: Path, command: Sequence[str]) -> int:
    """Run ``command`` with this process's output; write its figures to ``report``."""
    started = time.perf_counter()
    child = subprocess.Popen(list(command))
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    # Popen must not wait for a pid that wait4 has already reaped.
    child.returncode = os.waitstatus_to_exitcode(status)
    figures = {
        "seconds": seconds,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "returncode": child.returncode,
    }
    report.write_text(json.dumps(figures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_launch(Path(sys.argv[1]), sys.argv[2:]))
