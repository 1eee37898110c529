"""``gittrack metrics``: one run's metric histories, or a one-line summary per metric.

Named ``metrics_view`` rather than ``metrics`` so that it is never mistaken for the store's
metric files (:mod:`gittrack.store.metric_csv`).  :func:`sparkline` draws a history in one
line of block characters and is meant for reuse by other commands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import UnknownKeyError
from gittrack.query.keys import hint
from gittrack.store.layout import iso_utc
from gittrack.store.metric_csv import MetricRow, metric_files, read_history
from gittrack.store.reader import find_run_dir

if TYPE_CHECKING:
    import pandas as pd

BLOCKS = "▁▂▃▄▅▆▇█"
SUMMARY_COLUMNS = ("metric", "last", "min", "max", "count", "step")


def metrics_view(
    store: Path,
    ref: str,
    names: Sequence[str] = (),
    *,
    exact: bool = False,
    rev: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The histories of ``names`` in run ``ref``, or with no names a summary of every metric;
    with ``rev``, of the run as committed at that git revision."""
    if names:
        return history(store, ref, names, exact=exact, rev=rev, warn=warn)
    return summary(store, ref, exact=exact, rev=rev, warn=warn)


def history(
    store: Path,
    ref: str,
    names: Sequence[str],
    *,
    exact: bool = True,
    rev: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """``step,timestamp,value`` of one metric, in logging order; with several metrics one
    long table with a leading ``metric`` column.  ``exact`` keeps timestamps as epoch ms,
    otherwise they are ISO-8601 UTC."""
    import pandas as pd

    run_id, files, read = _source(store, ref, rev, warn)
    unknown = [n for n in names if n not in files]
    if unknown:
        found = hint(unknown[0], files, none="it has no metrics")
        raise UnknownKeyError(f"run {run_id} has no metric {unknown[0]!r}{found}")
    columns: dict[str, list[Any]] = {"metric": [], "step": [], "timestamp": [], "value": []}
    for name in dict.fromkeys(names):
        rows = read(name)
        columns["metric"] += [name] * len(rows)
        columns["step"] += [r.step for r in rows]
        columns["timestamp"] += [r.timestamp if exact else iso_utc(r.timestamp) for r in rows]
        columns["value"] += [r.value for r in rows]
    frame = pd.DataFrame(columns).astype({"step": "int64", "value": "float64"})
    if exact:
        frame = frame.astype({"timestamp": "int64"})
    return frame if len(dict.fromkeys(names)) > 1 else frame.drop(columns=["metric"])


def _source(
    store: Path, ref: str, rev: str | None, warn: Callable[[str], None] | None
) -> tuple[str, list[str], Callable[[str], list[MetricRow]]]:
    """(run id, metric names, reader of one metric's rows) of run ``ref``, at ``rev`` if given."""
    if rev is not None:
        from gittrack.review.show import read_record

        record = read_record(store, ref, rev=rev, warn=warn)
        histories = record.histories()  # that run's CSV blobs, from git
        return record.run_id, list(histories), histories.__getitem__
    run_dir = find_run_dir(store, ref, warn)
    files = metric_files(run_dir)

    def read(name: str) -> list[MetricRow]:
        rows, problems = read_history(files[name])
        for problem in problems:
            if warn is not None:
                warn(str(problem))
        return rows

    return run_dir.name, list(files), read


def summary(
    store: Path,
    ref: str,
    *,
    exact: bool = False,
    rev: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per metric: ``metric,last,min,max,count,step`` (the last step); for people
    (not ``exact``) also ``history``, a sparkline of the values in step order."""
    import pandas as pd

    from gittrack.review.show import read_record

    record = read_record(store, ref, rev=rev, warn=warn)
    names = sorted(record.metrics)
    summaries = [(name, record.metrics[name]) for name in names]
    rows = [(name, s.last, s.min, s.max, s.count, s.step) for name, s in summaries]
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame = frame.astype({"last": "float64", "min": "float64", "max": "float64"})
    if not exact:
        histories = record.histories()
        frame["history"] = [sparkline(_in_step_order(histories.get(name, []))) for name in names]
    return frame


def _in_step_order(rows: list[MetricRow]) -> list[float]:
    return [r.value for r in sorted(rows, key=lambda r: r.step)]  # stable: logging order on ties


def sparkline(values: Sequence[float], width: int = 30) -> str:
    """``values`` as block characters, lowest ``▁`` to highest ``█``; at most ``width`` of them.

    Longer inputs are cut into ``width`` buckets of (almost) equal size and each drawn at
    its mean.  NaN (or a bucket of NaN only) is a space, ``inf``/``-inf`` are the top and
    bottom blocks, and a constant series is drawn at mid height.
    """
    if width < 1:
        raise ValueError(f"sparkline width must be at least 1, got {width}")
    points = _downsample([float(v) for v in values], width)
    finite = [v for v in points if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    return "".join(_block(v, low, high) for v in points)


def _downsample(values: list[float], width: int) -> list[float]:
    if len(values) <= width:
        return values
    size = len(values)
    return [_mean(values[i * size // width : (i + 1) * size // width]) for i in range(width)]


def _mean(bucket: list[float]) -> float:
    present = [v for v in bucket if not math.isnan(v)]
    return sum(present) / len(present) if present else math.nan


def _block(value: float, low: float, high: float) -> str:
    if math.isnan(value):
        return " "
    if math.isinf(value):
        return BLOCKS[-1] if value > 0 else BLOCKS[0]
    if high == low:
        return BLOCKS[len(BLOCKS) // 2 - 1]
    level = int((value - low) / (high - low) * (len(BLOCKS) - 1) + 0.5)
    return BLOCKS[level]
