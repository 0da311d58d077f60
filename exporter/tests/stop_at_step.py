"""Run ``hackle-export`` and stop it at a named step of a publish (tests only).

    python stop_at_step.py ACTION STEP OCCURRENCE [SECONDS] -- <hackle-export args>

ACTION is ``kill`` (the process sends itself SIGKILL: no clean-up of any kind
runs), ``raise`` (an exception, as a failing write would raise) or ``hold`` (sleep
SECONDS, so that another process can meet this one holding the day). STEP is one
of ``hackle_export.publish.STEPS``; OCCURRENCE counts from 1 (``part_written`` is
reached once per part file).

This file is the only place that watches the exporter's steps: the exporter itself
registers no observer and reads no setting that could make it stop.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from hackle_export import publish
from hackle_export.cli import main


class InjectedFailure(RuntimeError):
    """The failure a test asked for."""


def stop_at(action: str, step: str, occurrence: int, seconds: float = 0.0) -> None:
    """Register an observer that stops the run at ``step``'s ``occurrence``."""
    if step not in publish.STEPS:
        raise SystemExit(f"unknown step {step}; known: {', '.join(publish.STEPS)}")
    seen = []

    def observer(reached: str, detail: str) -> None:
        if reached != step:
            return
        seen.append(detail)
        if len(seen) != occurrence:
            return
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "raise":
            raise InjectedFailure(f"injected failure at {step} {occurrence}")
        elif action == "hold":
            time.sleep(seconds)

    publish.observe(observer)


if __name__ == "__main__":
    separator = sys.argv.index("--")
    action, step, occurrence, *rest = sys.argv[1:separator]
    stop_at(action, step, int(occurrence), float(rest[0]) if rest else 0.0)
    sys.exit(main(sys.argv[separator + 1 :]))
