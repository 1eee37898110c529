"""Process hooks of the fluent API: end the runs a script forgot, and a heartbeat for live runs.

The API installs them once per process (:func:`install`) and keeps the run state;
these hooks only call back into it, so they never hold a stale copy of that state.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from gittrack.store import layout
from gittrack.store.reader import HEARTBEAT_SECONDS


def install(
    *,
    on_uncaught: Callable[[type[BaseException]], None],
    at_exit: Callable[[], None],
    live_runs: Callable[[], list[Path]],
) -> None:
    """Tell ``on_uncaught`` of an exception that ends the program, call ``at_exit`` at
    exit, and keep the run directories ``live_runs`` returns looking alive meanwhile."""
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        on_uncaught(kind)
        previous(kind, exc, tb)

    sys.excepthook = excepthook
    atexit.register(at_exit)
    _start_heartbeat(live_runs)


def end_status(kind: type[BaseException] | None) -> str:
    """The status of a run ended by exception ``kind`` (None: ended normally)."""
    if kind is None:
        return "FINISHED"
    return "KILLED" if issubclass(kind, KeyboardInterrupt) else "FAILED"


def _start_heartbeat(live_runs: Callable[[], list[Path]]) -> None:
    """Touch meta.yaml of live runs so readers on other machines can tell a dead run."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            for run_dir in live_runs():
                with contextlib.suppress(OSError):  # a run ended meanwhile
                    os.utime(run_dir / layout.META)

    threading.Thread(target=beat, name="gittrack-heartbeat", daemon=True).start()
    atexit.register(stop.set)
