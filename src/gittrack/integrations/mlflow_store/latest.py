"""A run's latest metrics as MLflow's file store returns them: each with its step and time.

MLflow's ``Run.data`` holds, per key, the metric with the highest ``(step, timestamp,
value)`` of its history (``FileStore._get_metric_from_file``), with that row's own step and
timestamp.  ``meta.yaml``'s summary has the last value and step but no timestamp (and a
RUNNING run has no summary yet), so the rows are read from the run's metric CSVs, for the
keys the run has.  Metric files are only appended to, so a file's answer is kept while its
size and modification time stay the same (``mlflow ui`` searches the same runs again and
again).  Imports nothing of MLflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from gittrack.store.layout import METRICS_DIR
from gittrack.store.metric_csv import HEADER, MetricRow, read_history

_CACHE: dict[Path, tuple[int, int, MetricRow | None]] = {}
_CACHE_LIMIT = 200_000


def latest_rows(run_dir: Path, keys: Iterable[str]) -> dict[str, MetricRow]:
    """``{key: the row MLflow reports as the key's latest}`` for each of ``keys`` with rows."""
    found: dict[str, MetricRow] = {}
    folder = run_dir / METRICS_DIR
    for key in keys:
        row = _latest_of(folder / f"{key}.csv")  # the inverse of metric_csv.metric_files
        if row is not None:
            found[key] = row
    return found


def _latest_of(path: Path) -> MetricRow | None:
    try:
        stat = os.stat(path)
        cached = _CACHE.get(path)
        if cached is not None and cached[:2] == (stat.st_size, stat.st_mtime_ns):
            return cached[2]
        text = path.read_text(encoding="utf-8")
    except OSError:  # no such file (deleted under us): the summary value stays, without step/time
        return None
    well_formed, row = _fast(text)
    if not well_formed:  # a damaged or torn line: the reader's own rules decide what counts
        rows, _ = read_history(path)
        row = max(rows, key=lambda r: (r.step, r.timestamp, r.value)) if rows else None
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[path] = (stat.st_size, stat.st_mtime_ns, row)
    return row


def _fast(text: str) -> tuple[bool, MetricRow | None]:
    """(True, the latest row or None) for a well-formed file; (False, None) when a line is not."""
    if not text.startswith(HEADER) or not text.endswith("\n"):
        return False, None
    best: tuple[int, int, float] | None = None
    try:
        for line in text[len(HEADER) : -1].split("\n") if len(text) > len(HEADER) else ():
            step, timestamp, value = line.split(",")
            row = (int(step), int(timestamp), float(value))
            if best is None or row > best:
                best = row
    except ValueError:
        return False, None
    return True, None if best is None else MetricRow(*best)
