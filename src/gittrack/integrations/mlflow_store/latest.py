"""A run's latest metrics as MLflow's file store returns them: each with its step and time.

MLflow's ``Run.data`` holds, per key, the metric with the highest ``(step, timestamp,
value)`` of its history (``FileStore._get_metric_from_file``), with that row's own step and
timestamp.  ``meta.yaml``'s summary has the last value and step but no timestamp (and a
RUNNING run has no summary yet), so the rows are read from the run's metric CSVs, for the
keys the run has.  Imports nothing of MLflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gittrack.store.metric_csv import MetricRow, metric_files, read_history


def latest_rows(run_dir: Path, keys: Iterable[str]) -> dict[str, MetricRow]:
    """``{key: the row MLflow reports as the key's latest}`` for each of ``keys`` with rows."""
    wanted = set(keys)
    if not wanted:
        return {}
    found: dict[str, MetricRow] = {}
    for key, path in metric_files(run_dir).items():
        if key not in wanted:
            continue
        try:
            rows, _ = read_history(path)
        except OSError:  # deleted under us: the run's summary value stays, without step/time
            continue
        if rows:
            found[key] = max(rows, key=lambda r: (r.step, r.timestamp, r.value))
    return found
