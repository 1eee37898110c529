"""Group runs by params and aggregate their metrics: mean ± std of rmse over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gittrack.errors import FilterError

if TYPE_CHECKING:
    import pandas as pd

AGGREGATES = ("mean", "std", "min", "max", "count")
DEFAULT_AGG = ("mean", "std", "count")


def group_runs(
    frame: pd.DataFrame, group_by: Sequence[str] | str, *, agg: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per distinct combination of ``group_by`` columns, with ``runs`` (the group size)
    and one ``metrics.<k>.<agg>`` column per metric and aggregate."""
    from gittrack.query.filter import parse_order_by

    keys = [k.column for k in parse_order_by(group_by)]  # same identifier grammar as ORDER BY
    aggs = list(agg or DEFAULT_AGG)
    unknown = [a for a in aggs if a not in AGGREGATES]
    if unknown:
        raise FilterError(f"unknown aggregate {unknown[0]!r}; use {', '.join(AGGREGATES)}")
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise FilterError(f"cannot group by {missing[0]!r}: no run has it")
    metrics = [c for c in frame.columns if c.startswith("metrics.")]
    work = frame[keys + metrics].copy()
    for key in keys:  # a group key must be hashable and comparable: use the string form
        work[key] = [None if v is None or v != v else v for v in work[key]]
    grouped = work.groupby(keys, dropna=False, sort=True)
    out = grouped.size().rename("runs").to_frame()
    for metric in metrics:
        stats = grouped[metric].agg(aggs)
        for name in aggs:
            out[f"{metric}.{name}"] = stats[name]
    return out.reset_index()


def pretty(grouped: pd.DataFrame) -> pd.DataFrame:
    """For people: ``mean`` and ``std`` columns merged into one ``mean ± std`` column."""
    import pandas as pd

    out = {}
    for column in grouped.columns:
        if column.endswith(".std") and column[:-4] + ".mean" in grouped.columns:
            continue
        if column.endswith(".mean") and column[:-5] + ".std" in grouped.columns:
            std = grouped[column[:-5] + ".std"]
            out[column[:-5]] = [_pm(m, s) for m, s in zip(grouped[column], std, strict=True)]
        else:
            out[column] = list(grouped[column])
    return pd.DataFrame(out)


def _pm(mean: float, std: float) -> str:
    if mean != mean:
        return ""
    return f"{mean:.4g}" if std != std else f"{mean:.4g} ± {std:.2g}"
