"""Stopping on Ctrl-C or SIGTERM: one exception, wherever the signal lands.

A person stops the exporter with Ctrl-C and a scheduler with SIGTERM. While
:func:`stop_signals_raise` is active, either signal raises :class:`Interrupted` in
the main thread. A warehouse client may turn that exception into an error of its
own (DuckDB reports ``Query interrupted``), so the signal is also remembered, and
:func:`check` turns such an error back into :class:`Interrupted`.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# What signal.getsignal returns: a function, SIG_DFL or SIG_IGN, or None for a
# handler installed outside Python.
Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signal_name`` says which one."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


_received: list[str] = []


def received() -> str | None:
    """The name of the stop signal that arrived, or None."""
    return _received[0] if _received else None


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    # Only the first signal raises, so that a second one cannot cut short the
    # clean-up and the one-line report of the first.
    if _received:
        return
    name = signal.Signals(signum).name
    _received.append(name)
    raise Interrupted(name)


def check(cause: BaseException | None = None) -> None:
    """Raise :class:`Interrupted` if a stop signal has arrived.

    ``cause`` is the error the signal became on its way, if any; checking between
    steps also catches a signal whose exception a library swallowed.
    """
    name = received()
    if name is not None:
        raise Interrupted(name) from cause


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Make Ctrl-C and SIGTERM raise :class:`Interrupted`; restore them afterwards.

    A signal that is ignored (as SIGINT is for a shell's background job) stays
    ignored. Outside the main thread nothing can be installed and nothing changes.
    """
    previous: dict[signal.Signals, Handler] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            handler = signal.getsignal(signum)
            if handler is signal.SIG_IGN:
                continue
            previous[signum] = handler
            signal.signal(signum, _on_stop_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # A handler installed outside Python cannot be put back; the default
            # is the closest there is.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        _received.clear()
