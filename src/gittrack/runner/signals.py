"""Signals a wrapper passes on: Ctrl-C (SIGINT), SIGTERM and SIGHUP, to process groups.

``gittrack run`` forwards them to its command and ``gittrack sweep`` to its running
trials (the first through :class:`Forwarder`, which adds the grace period before SIGKILL);
both install handlers with :func:`on_signals` and send with :func:`send_group`.
Children run in their own sessions (``start_new_session``), so a terminal Ctrl-C reaches
them once, through the wrapper.  POSIX only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def on_signals(handle: Callable[[int], None]) -> Iterator[None]:
    """Call ``handle(signum)`` for each forwarded signal while inside; the previous handlers
    come back on leaving.  Outside the main thread signals stay as they are."""

    def handler(signum: int, frame: FrameType | None) -> None:
        handle(signum)

    try:
        previous = {s: signal.signal(s, handler) for s in FORWARDED_SIGNALS}
    except ValueError:  # not the main thread
        previous = {}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def send_group(pid: int, signum: int) -> None:
    """Send ``signum`` to the process group led by ``pid``; nothing if it is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


class Forwarder:
    """Passes SIGINT/SIGTERM/SIGHUP on to the child's process group; SIGKILL after the grace."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.signum: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._deadline: float | None = None

    def installed(self) -> AbstractContextManager[None]:
        """Forward the signals this process gets while inside."""
        return on_signals(self._handle)

    def attach(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        if self.signum is not None:  # a signal came while the child was starting
            self._send(self.signum)

    def _handle(self, signum: int) -> None:
        if self.signum is None:
            self.signum = signum
            self._deadline = time.monotonic() + self.grace
            self._send(signum)
        else:  # asked twice: stop waiting
            self._deadline = time.monotonic()

    def tick(self) -> None:
        if self._deadline is not None and time.monotonic() >= self._deadline:
            self._deadline = None
            self._send(signal.SIGKILL)

    def kill(self) -> None:
        self._send(signal.SIGKILL)

    def _send(self, signum: int) -> None:
        if self._proc is not None:
            send_group(self._proc.pid, signum)
