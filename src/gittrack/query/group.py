"""Group runs by params and aggregate their metrics: mean ± std of rmse over seeds.

Runs fall in the same group when their group-by values have the same string form, the
form filters compare params by (MLflow stores params as strings), so a ``seed`` logged as
``1`` in one run and ``"1"`` in another is one group, and values of mixed types never
have to be compared with each other.  A run without the key is its own group (``None``),
listed last.  Aggregates ignore runs where the metric is missing or NaN; ``std`` is the
sample standard deviation (NaN for a single run), as pandas computes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from gittrack.errors import FilterError
from gittrack.query.filter_parse import quote_column

if TYPE_CHECKING:
    import pandas as pd

AGGREGATES = ("mean", "std", "min", "max", "count")
DEFAULT_AGG = ("mean", "std", "count")

Floats = npt.NDArray[np.float64]
Label = tuple[str | None, ...]


def group_runs(
    frame: pd.DataFrame, group_by: Sequence[str] | str, *, agg: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per distinct combination of ``group_by`` columns, with ``runs`` (the group size)
    and one ``metrics.<k>.<agg>`` column per metric and aggregate, sorted by the keys."""
    import pandas as pd

    from gittrack.query.filter import sort_frame

    keys = group_keys(group_by)
    aggs = check_aggregates(agg or DEFAULT_AGG)
    missing = [k for k in keys if k not in frame.columns]
    if missing and not frame.empty:
        raise FilterError(f"cannot group by {missing[0]!r}: no run has it")
    metrics = [c for c in frame.columns if c.startswith("metrics.") and c not in keys]
    columns = [*keys, "runs", *(f"{m}.{a}" for m in metrics for a in aggs)]
    if frame.empty:
        return pd.DataFrame({c: [] for c in columns}, columns=columns)
    table = pd.DataFrame(_aggregated(frame, keys, metrics, aggs), columns=columns)
    return sort_frame(table, [quote_column(k) for k in keys]).reset_index(drop=True)


def _aggregated(frame: pd.DataFrame, keys: list[str], metrics: list[str], aggs: list[str]) -> dict[str, Any]:
    """The grouped table's columns, groups in order of first appearance."""
    import pandas as pd

    groups = list(_groups(frame, keys).values())
    # Keys keep each value's logged type (object, None where missing), as in the runs frame.
    out: dict[str, Any] = {
        k: pd.array([frame[k].iloc[group[0]] for group in groups], dtype=object) for k in keys
    }
    out["runs"] = [len(group) for group in groups]
    for metric in metrics:
        values = frame[metric].to_numpy(dtype=np.float64, na_value=np.nan)
        for name in aggs:
            out[f"{metric}.{name}"] = [aggregate(values[group], name) for group in groups]
    return out


def group_keys(group_by: Sequence[str] | str) -> list[str]:
    """Frame columns of the group-by identifiers (the ORDER BY grammar, without ASC/DESC)."""
    from gittrack.query.filter import parse_order_by

    text = group_by if isinstance(group_by, str) else ",".join(group_by)
    if any(word.upper() in ("ASC", "DESC") for word in text.replace(",", " ").split()):
        raise FilterError(f"group-by keys take no ASC or DESC: {text!r}")
    keys = [k.column for k in parse_order_by(text)]
    if not keys:
        raise FilterError("no group-by key given; use e.g. params.lr,params.depth")
    return list(dict.fromkeys(keys))


def check_aggregates(agg: Sequence[str] | str) -> list[str]:
    """The aggregate names of ``agg`` (a list, or a comma-separated string), checked."""
    names = [a.strip() for a in agg.split(",")] if isinstance(agg, str) else [str(a) for a in agg]
    unknown = [a for a in names if a not in AGGREGATES]
    if unknown or not names:
        from gittrack.query.keys import near

        shown = unknown[0] if unknown else ""
        match = near(shown, AGGREGATES)
        hint = f" (did you mean {match!r}?)" if match else ""
        raise FilterError(f"unknown aggregate {shown!r}{hint}; use {', '.join(AGGREGATES)}")
    return list(dict.fromkeys(names))


def aggregate(values: Floats, name: str) -> float:
    """One aggregate of the present (non-NaN) values; NaN when there are none."""
    present = values[~np.isnan(values)]
    if name == "count":
        return len(present)
    if len(present) == 0 or (name == "std" and len(present) < 2):
        return math.nan
    if name == "std":
        return float(np.std(present, ddof=1))
    return float(getattr(np, name)(present))


def _groups(frame: pd.DataFrame, keys: list[str]) -> dict[Label, list[int]]:
    from gittrack.query.filter import _text  # the string form filters compare params by

    columns = [frame[k].to_numpy(dtype=object) if k in frame.columns else None for k in keys]
    groups: dict[Label, list[int]] = {}
    for position in range(len(frame)):
        label = tuple(
            None if column is None or _missing(column[position]) else _text(column[position])
            for column in columns
        )
        groups.setdefault(label, []).append(position)
    return groups


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


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
