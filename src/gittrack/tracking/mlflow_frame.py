"""Runs frames shaped as MLflow returns them, and Run objects built from frame rows."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.tracking.entities import Run, RunData, RunInfo, artifact_uri, param_str

if TYPE_CHECKING:
    import pandas as pd

# MLflow's columns, in its order; metrics, params and tags follow, then gittrack's own.
_LEADING = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")
_TRAILING = (
    "run_name",
    "duration",
    "lifecycle_stage",
    "user",
    "parent_run_id",
    "git.commit",
    "git.branch",
    "git.dirty",
)


def mlflow_frame(frame: pd.DataFrame, store: Path, typed_params: bool = False) -> pd.DataFrame:
    """MLflow's columns and types: times as UTC datetimes, metrics, params, tags (MLflow's
    ``tags.mlflow.*`` included), then gittrack's columns (``run_name``, ``duration``,
    ``git.commit``...).

    Params are strings, as MLflow returns them (``df[df["params.epochs"] == "10"]``); with
    ``typed_params`` they keep their logged types, in a numeric dtype when every value is
    a number, so ``df["params.alpha"].max()`` works.
    """
    import pandas as pd

    from gittrack.query.filter import nan_values
    from gittrack.query.frame import NAN_METRICS
    from gittrack.query.search import with_artifact_uris

    keep = [c for c in frame.columns if c != NAN_METRICS and _has_values(frame, c, nan_values(frame, c))]
    out = frame[keep].copy()
    out = with_artifact_uris(out, store)
    out["artifact_uri"] = out["artifact_uri"].astype(out["run_id"].dtype)  # the ids' dtype, even when empty
    for name in ("start_time", "end_time"):
        out[name] = pd.to_datetime(out[name].astype("float64"), unit="ms", utc=True)
    for name in [c for c in out.columns if c.startswith(("params.", "tags."))]:
        typed = typed_params and name.startswith("params.")
        out[name] = _typed(out[name]) if typed else _strings(out[name])
    kinds = {"metrics": 0, "params": 1, "tags": 2}
    middle = sorted(
        (c for c in out.columns if c.split(".", 1)[0] in kinds and c not in _TRAILING),
        key=lambda c: (kinds[c.split(".", 1)[0]], c),
    )
    return out[[c for c in (*_LEADING, *middle, *_TRAILING) if c in out.columns]]


def _has_values(frame: pd.DataFrame, column: str, nan: Any) -> bool:
    """Whether any returned run has this key: MLflow makes a column only for those (an
    empty result keeps MLflow's six leading columns)."""
    if not column.startswith(("metrics.", "params.", "tags.")):
        return True
    return bool(frame[column].notna().any() or nan.any())


def _strings(column: pd.Series) -> pd.Series:
    """Each value as the string MLflow stores, in the dtype pandas gives a list of strings
    (MLflow builds its frame from such lists); missing where a run lacks the key."""
    import pandas as pd

    if isinstance(column.dtype, pd.StringDtype):
        return column  # strings already, missing as pandas gives them: what the loop would give
    values = [None if v is None or _isnan(v) or v is pd.NA else param_str(v) for v in column.tolist()]
    return pd.Series(values, index=column.index, name=column.name)


_INT64 = range(-(2**63), 2**63)


def _typed(column: pd.Series) -> pd.Series:
    """int64 when every run has an int, float64 for numbers, else the logged values as they are.

    An int beyond 64 bits (a hash used as a seed) keeps the column as Python objects,
    since neither int64 nor float64 could hold it exactly.
    """
    values = [v for v in column if v is not None and not _isnan(v)]
    if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return column
    if any(isinstance(v, int) and v not in _INT64 for v in values):
        return column
    if all(isinstance(v, int) for v in values) and len(values) == len(column):
        return column.astype("int64")
    return column.astype("float64")


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def runs_from_frame(frame: pd.DataFrame, store: Path) -> list[Run]:
    """Run objects (MLflow's shape: params as strings, last metric values) from frame rows."""
    from gittrack.query.frame import NAN_METRICS

    runs = []
    for row in frame.to_dict(orient="records"):
        logged_nan = set(str(row.get(NAN_METRICS) or "").split("\t")) - {""}
        info = RunInfo(
            run_id=row["run_id"],
            run_name=row["run_name"],
            experiment_id=row["experiment_id"],
            user_id=row.get("user"),
            status=row["status"],
            start_time=int(row["start_time"]),
            end_time=_int_or_none(row.get("end_time")),
            artifact_uri=artifact_uri(store / row["run_id"]),
            lifecycle_stage=row.get("lifecycle_stage") or "active",
        )
        data = RunData(
            params={k[7:]: param_str(v) for k, v in row.items() if k.startswith("params.") and _present(v)},
            metrics={
                k[8:]: float(v)
                for k, v in row.items()
                if k.startswith("metrics.") and (_present(v) or k[8:] in logged_nan)
            },
            tags={k[5:]: str(v) for k, v in row.items() if k.startswith("tags.") and _present(v)},
        )
        runs.append(Run(info, data))
    return runs


def _present(value: Any) -> bool:
    return value is not None and not _isnan(value) and value is not _pd_na()


def _pd_na() -> Any:
    import pandas as pd

    return pd.NA


def _int_or_none(value: Any) -> int | None:
    return None if not _present(value) else int(value)
