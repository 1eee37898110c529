"""``gittrack export``: the runs as two tables that DuckDB, Polars, Spark and pandas read directly.

- ``runs``: one row per run: the attributes (``run_id``, ``run_name``, ``experiment_id``,
  ``status``, ``lifecycle_stage``, ``start_time``, ``end_time``, ``duration``, ``user``,
  ``parent_run_id``, ``git.commit``...), then ``params.<k>``, ``metrics.<k>`` (the last
  value) and ``tags.<k>``, as the runs frame has them (the same filters as ``gittrack ls``).
- ``metrics``: every logged value, long: ``run_id``, ``key``, ``step``, ``timestamp``,
  ``value``, in logging order.

Parquet (``--format parquet``, with pyarrow: ``pip install gittrack[parquet]``) keeps types:
times are UTC timestamps (ms), a params column whose values are all numbers (or all booleans)
is numeric (or boolean), any other params column is text (MLflow's string form), a metric
never logged is null and a NaN logged is NaN.  CSV (``--format csv``, no extra dependency)
writes times as ISO 8601 UTC, numbers by their shortest exact text (``nan``, ``inf``), a
missing value as an empty field.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import ConfigError
from gittrack.store import layout, names
from gittrack.store.metric_csv import metric_files, parse_columns

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("parquet", "csv")
TIME_COLUMNS = ("start_time", "end_time")
METRIC_COLUMNS = ("run_id", "key", "step", "timestamp", "value")


def export(
    store: Path,
    out_dir: Path,
    *,
    fmt: str,
    experiments: Sequence[str] | None = None,
    filter_string: str = "",
    view: str = "active",
    rev: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, tuple[Path, int]]:
    """Write ``runs.<fmt>`` and ``metrics.<fmt>`` into ``out_dir``: table -> (path, rows)."""
    from gittrack.query.search import search

    if fmt not in FORMATS:
        raise ConfigError(f"export format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        _require_pyarrow()
    frame = search(
        store, experiments=experiments, filter_string=filter_string, order_by=["start_time ASC"],
        view=view, rev=rev, warn=warn,
    )  # fmt: skip
    columns = runs_columns(frame)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs_path, metrics_path = out_dir / f"runs.{fmt}", out_dir / f"metrics.{fmt}"
    points = _points(store, list(frame["run_id"]), rev, warn)
    if fmt == "parquet":
        from gittrack.interop import parquet

        parquet.write_runs(runs_path, columns)
        count = parquet.write_metrics(metrics_path, points)
    else:
        _write_runs_csv(runs_path, columns)
        count = _write_metrics_csv(metrics_path, points)
    return {"runs": (runs_path, len(frame)), "metrics": (metrics_path, count)}


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError(
            "--format parquet needs pyarrow: pip install 'gittrack[parquet]' (or use --format csv)"
        ) from None


def runs_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """The runs table as columns of Python values: missing is None, a NaN logged as a metric is NaN."""
    nan_logged = [set(v.split("\t")) if isinstance(v, str) else set() for v in frame.get("_nan_metrics", [])]
    columns: dict[str, list[Any]] = {}
    for name in frame.columns:
        if name.startswith("_"):
            continue
        values = [_plain(v) for v in frame[name]]
        key = name[len("metrics.") :] if name.startswith("metrics.") else None
        columns[name] = [
            math.nan if v is _NAN and key is not None and nan_logged and key in nan_logged[i] else
            None if v is _NAN else v
            for i, v in enumerate(values)
        ]  # fmt: skip
    return columns


_NAN = object()  # a NaN in the frame: a missing value, or a metric whose last value is NaN


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as Python values; NaN and pandas' missing markers as _NAN."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        value = item()
    if (isinstance(value, float) and math.isnan(value)) or type(value).__name__ in ("NAType", "NaTType"):
        return _NAN
    return value


def _points(
    store: Path, run_ids: list[str], rev: str | None, warn: Callable[[str], None] | None
) -> Iterator[tuple[str, str, list[int], list[int], list[float]]]:
    """(run_id, key, steps, timestamps, values) of every metric of the runs, in logging order."""
    if rev is None:
        for run_id in run_ids:
            for key, path in metric_files(store / run_id).items():
                steps, stamps, values = parse_columns(path.read_text(encoding="utf-8"), path)
                yield run_id, key, steps, stamps, values
        return
    from gittrack.query.revision import records_at

    wanted = set(run_ids)
    for record in records_at(store, rev, warn or (lambda message: None)):
        if record.run_id in wanted:
            for key, rows in record.histories().items():
                yield (
                    record.run_id,
                    key,
                    [r.step for r in rows],
                    [r.timestamp for r in rows],
                    [r.value for r in rows],
                )


def _text(value: Any) -> str:
    """A CSV field: empty for missing, exact text for numbers, MLflow's form for params."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return names.param_str(value)


def _write_runs_csv(path: Path, columns: dict[str, list[Any]]) -> None:
    rows = len(next(iter(columns.values()), []))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(rows):
            writer.writerow(
                [
                    layout.iso_utc(int(v[i])) if name in TIME_COLUMNS and v[i] is not None else _text(v[i])
                    for name, v in columns.items()
                ]
            )


def _write_metrics_csv(
    path: Path, points: Iterator[tuple[str, str, list[int], list[int], list[float]]]
) -> int:
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(METRIC_COLUMNS)
        for run_id, key, steps, stamps, values in points:
            writer.writerows(
                (run_id, key, step, layout.iso_utc(stamp), repr(value))
                for step, stamp, value in zip(steps, stamps, values, strict=True)
            )
            count += len(steps)
    return count
