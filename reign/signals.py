"""SIGTERM and SIGHUP stop a run the way Ctrl-C does, so that nothing is lost when a run is killed.

The handler raises `Stopped` (a KeyboardInterrupt) in the main thread: the tool's process group is
killed on the way out (reign/process.py kills its group on any BaseException), the loop ends with
`interrupted`, the session and the audit trail are closed, and the exit code follows the convention
128 + signal number (130 Ctrl-C, 129 SIGHUP, 143 SIGTERM).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """Raised by the handler; carries the signal so that the exit code can say which one."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_received: list[int] = []


def received() -> int | None:
    """The first handled signal since `stop_on_signals` was entered, if any."""
    return _received[0] if _received else None


def exit_code(signum: int | None = None) -> int:
    return 128 + (signum if signum is not None else received() or signal.SIGINT)


def _handler(signum: int, frame: FrameType | None) -> None:
    first = not _received
    _received.append(signum)
    if first:  # a second signal while the run is being closed must not cut the closing short
        raise Stopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Handle SIGTERM and SIGHUP like Ctrl-C for the duration of a run (main thread only)."""
    _received.clear()
    try:
        previous = {s: signal.signal(s, _handler) for s in HANDLED}
    except ValueError:  # not the main thread: leave the defaults
        yield
        return
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
