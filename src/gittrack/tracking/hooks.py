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
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from gittrack.store import layout
from gittrack.store.reader import HEARTBEAT_SECONDS

TRACEBACK_FRAMES = 10  # the last frames of a traceback kept in meta.yaml's error

_uncaught: list[BaseException] = []  # the exception that is ending the program, if any


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
        _uncaught[:] = [exc]
        on_uncaught(kind)
        previous(kind, exc, tb)

    sys.excepthook = excepthook
    atexit.register(at_exit)
    _start_heartbeat(live_runs)


def uncaught_error() -> dict[str, str | None] | None:
    """:func:`error_of` the exception that is ending the program (None when there is none)."""
    return error_of(_uncaught[0]) if _uncaught else None


def error_of(exc: BaseException | None) -> dict[str, str | None] | None:
    """The ``error`` of meta.yaml for a run ended by ``exc``: its type as Python's traceback
    names it (``ValueError``, ``mypkg.DataError``), its message, and the text of the last
    :data:`TRACEBACK_FRAMES` frames (chained exceptions included).  None for no exception
    and for Ctrl-C (a KILLED run, not a failure)."""
    if exc is None or isinstance(exc, KeyboardInterrupt):
        return None
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    text = "".join(traceback.format_exception(exc, limit=-TRACEBACK_FRAMES))
    return layout.error_record(name, str(exc), text.rstrip("\n"))


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
