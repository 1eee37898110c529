"""What the pages show, computed from the runs frame of :func:`gittrack.query.search.search`.

Experiment summaries, the best run per metric (direction-aware), and metric histories
shaped for charts (the best metric per commit is :func:`gittrack.review.history.best_per_commit`).
No filtering happens here: every set of runs comes from the query engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gittrack.query import directions
from gittrack.store.config import Config
from gittrack.store.metric_csv import MetricRow

if TYPE_CHECKING:
    import pandas as pd


def direction(metric: str, config: Config | None) -> directions.Direction:
    """``"min"`` or ``"max"``: which way ``metric`` gets better (see :mod:`gittrack.query.directions`)."""
    return directions.direction(metric, config)


@dataclass(frozen=True)
class Best:
    metric: str
    direction: str
    value: float
    run_id: str
    run_name: str


@dataclass(frozen=True)
class ExperimentSummary:
    name: str
    runs: int
    statuses: dict[str, int]
    last_start: int | None
    best: list[Best] = field(default_factory=list)


def metric_names(frame: pd.DataFrame) -> list[str]:
    return [c[len("metrics.") :] for c in frame.columns if c.startswith("metrics.")]


def best_run(frame: pd.DataFrame, metric: str, way: str) -> Best | None:
    """The run with the best finite value of ``metric`` (last logged value), or None."""
    import numpy as np

    column = f"metrics.{metric}"
    if column not in frame.columns or frame.empty:
        return None
    values = frame[column].to_numpy(dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        return None
    masked = np.where(finite, values, np.inf if way == "min" else -np.inf)
    pos = int(np.argmin(masked) if way == "min" else np.argmax(masked))
    row = frame.iloc[pos]
    return Best(metric, way, float(values[pos]), str(row["run_id"]), str(row["run_name"]))


def experiments(frame: pd.DataFrame, config: Config | None, *, top: int = 3) -> list[ExperimentSummary]:
    """One summary per experiment: run counts by status, and the best run for its main metrics."""
    out = []
    for name, group in frame.groupby("experiment_id", sort=True):
        counts = group["status"].value_counts()
        starts = group["start_time"].dropna()
        out.append(
            ExperimentSummary(
                name=str(name),
                runs=len(group),
                statuses={str(k): int(v) for k, v in counts.items()},
                last_start=int(starts.max()) if len(starts) else None,
                best=[b for m in main_metrics(group, top) if (b := best_run(group, m, direction(m, config)))],
            )
        )
    return out


def main_metrics(frame: pd.DataFrame, top: int) -> list[str]:
    """The ``top`` metrics logged by the most runs (ties by name)."""
    counts = {m: int(frame[f"metrics.{m}"].notna().sum()) for m in metric_names(frame)}
    ranked = sorted((m for m, n in counts.items() if n), key=lambda m: (-counts[m], m))
    return ranked[:top]


def series(rows: Sequence[MetricRow], limit: int = 20_000) -> dict[str, Any]:
    """A metric history as chart columns; long ones are thinned to about ``limit`` points."""
    stride = max(1, math.ceil(len(rows) / limit))
    kept = rows[::stride]
    if stride > 1 and kept[-1] is not rows[-1]:
        kept = [*kept, rows[-1]]
    return {
        "step": [r.step for r in kept],
        "time": [r.timestamp for r in kept],
        "value": [r.value for r in kept],
        "total": len(rows),
    }


def chart_data(
    histories: Mapping[str, Mapping[str, Sequence[MetricRow]]],
    labels: Mapping[str, str],
    config: Config | None,
) -> list[dict[str, Any]]:
    """``[{metric, direction, traces: [{run, name, step, time, value, total}]}]`` for app.js."""
    metrics = sorted({m for per_run in histories.values() for m in per_run})
    out = []
    for metric in metrics:
        traces = [
            {"run": run_id, "name": labels.get(run_id, run_id), **series(per_run[metric])}
            for run_id, per_run in histories.items()
            if per_run.get(metric)
        ]
        out.append({"metric": metric, "direction": direction(metric, config), "traces": traces})
    return out
