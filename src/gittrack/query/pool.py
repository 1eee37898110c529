"""Reading many run directories on every core: a process pool over chunks of run ids.

The run index (:mod:`gittrack.query.index`) uses it for a cold build; a few runs are read
in the calling process.  The workers are spawned (not forked), so a caller's threads (the
UI server's) never leak into them.  Spawned workers import the caller's main module again,
so the pool is used only under gittrack's own command line: a user's script calling
``search_runs`` without a ``__main__`` guard would otherwise run again in every worker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def read_all(
    store: Path,
    ids: list[str],
    one: Callable[[Path, str], T],
    chunk: Callable[[str, list[str]], list[T]],
    pool_from: int,
) -> list[T]:
    """``one(store, id)`` for every id, in order; at least ``pool_from`` ids are read by a
    process pool calling ``chunk(store, ids)`` (a module-level function) on slices of them."""
    workers = os.cpu_count() or 1
    if len(ids) < pool_from or workers < 2 or not _under_cli():
        return [one(store, run_id) for run_id in ids]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(200, len(ids) // (workers * 8))
    parts = [ids[i : i + size] for i in range(0, len(ids), size)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return [read for part in pool.map(chunk, [str(store)] * len(parts), parts) for read in part]
    except (OSError, RuntimeError):  # no processes to be had: read them here
        return [one(store, run_id) for run_id in ids]


A = TypeVar("A")


def map_chunks(items: list[A], chunk: Callable[[list[A]], list[T]], pool_from: int) -> list[T]:
    """``chunk(items)``, in order; at least ``pool_from`` items are split over a process pool
    (``chunk`` a module-level function, the items picklable: data, not paths to read)."""
    workers = os.cpu_count() or 1
    if len(items) < pool_from or workers < 2 or not _under_cli():
        return chunk(items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(200, len(items) // (workers * 8))
    parts = [items[i : i + size] for i in range(0, len(items), size)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return [done for part in pool.map(chunk, parts) for done in part]
    except (OSError, RuntimeError):  # no processes to be had: do it here
        return chunk(items)


def _under_cli() -> bool:
    """Whether this process is gittrack's command line (``gittrack ...``, ``python -m gittrack``),
    whose main module spawned workers do not run again."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "gittrack.__main__":
        return True
    path = getattr(main, "__file__", None)
    return path is not None and os.path.basename(path) in ("gittrack", "gittrack.exe")
