"""The one DataFrame of runs that every query, CLI table and UI page starts from.

Columns: ``run_id``, ``run_name``, ``experiment_id``, ``status``, ``lifecycle_stage``,
``start_time``/``end_time`` (epoch ms), ``duration`` (s), ``user``, ``parent_run_id``,
``git.commit``, ``git.branch``, ``git.dirty``, then ``params.<k>`` (object dtype, the
logged Python values), ``metrics.<k>`` (float, last value) and ``tags.<k>`` (str), MLflow's
``tags.mlflow.*`` system tags included (derived from meta.yaml, :mod:`gittrack.store.system_tags`).
The hidden ``_nan_metrics`` column names the metrics logged as NaN (a value MLflow matches
with ``!=`` and sorts after the numbers), since the float column holds NaN for a missing
metric too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gittrack.store import system_tags
from gittrack.store.reader import RunRecord

if TYPE_CHECKING:
    import pandas as pd

ATTRIBUTE_COLUMNS = (
    "run_id",
    "run_name",
    "experiment_id",
    "status",
    "lifecycle_stage",
    "start_time",
    "end_time",
    "duration",
    "user",
    "parent_run_id",
    "git.commit",
    "git.branch",
    "git.dirty",
)


NAN_METRICS = "_nan_metrics"  # tab-separated keys of metrics whose last value is NaN
DATASETS = "_datasets"  # one line per dataset input: name, digest, context (tab-separated)


def record_row(record: RunRecord) -> dict[str, Any]:
    """One run as a flat mapping of frame columns."""
    meta = record.meta
    git = meta.git or {}
    row: dict[str, Any] = {
        "run_id": meta.run_id,
        "run_name": meta.name,
        "experiment_id": meta.experiment,
        "status": record.status,
        "lifecycle_stage": meta.lifecycle_stage,
        "start_time": meta.start_time,
        "end_time": meta.end_time,
        "duration": meta.duration,
        "user": meta.user,
        "parent_run_id": meta.parent_run_id,
        "git.commit": git.get("commit"),
        "git.branch": git.get("branch"),
        "git.dirty": git.get("dirty"),
    }
    # A param logged as None is "None" to MLflow, not a missing param.
    row.update({f"params.{k}": "None" if v is None else v for k, v in record.params.items()})
    row.update({f"metrics.{k}": s.last for k, s in record.metrics.items()})
    nan = [k for k, s in record.metrics.items() if math.isnan(s.last)]
    if nan:
        row[NAN_METRICS] = "\t".join(sorted(nan))
    if record.datasets:
        row[DATASETS] = "\n".join("\t".join(d) for d in record.datasets)
    row.update({f"tags.{k}": v for k, v in system_tags.derive(meta).items()})
    row.update({f"tags.{k}": v for k, v in record.tags.items()})
    return row


def frame_from_rows(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Build the runs frame with stable column order and dtypes."""
    return frame_from_columns(columns_from_rows(rows))


def columns_from_rows(rows: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows as plain lists per column, in the frame's column order (JSON-ready)."""
    rows = list(rows)
    keys: dict[str, None] = dict.fromkeys(ATTRIBUTE_COLUMNS)
    for row in rows:
        keys.update(dict.fromkeys(row))
    extra = sorted(k for k in keys if k not in ATTRIBUTE_COLUMNS)
    return {name: [row.get(name) for row in rows] for name in [*ATTRIBUTE_COLUMNS, *by_kind(extra)]}


def frame_from_columns(values_by_column: dict[str, list[Any]]) -> pd.DataFrame:
    """The runs frame from :func:`columns_from_rows`'s lists, with the frame's dtypes."""
    import pandas as pd

    columns: dict[str, Any] = {}
    for name, values in values_by_column.items():
        if name.startswith("metrics.") or name == "duration":
            columns[name] = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
        elif name in ("start_time", "end_time"):
            columns[name] = pd.array(values, dtype="Int64")
        else:
            # object keeps each param's logged type (42 stays int, "42" stays str)
            columns[name] = pd.array(values, dtype=object)
    return pd.DataFrame(columns, columns=list(values_by_column))


def by_kind(columns: list[str]) -> list[str]:
    order = {"params": 0, "metrics": 1, "tags": 2}
    return sorted(columns, key=lambda c: (order.get(c.split(".", 1)[0], 3), c))


def runs_frame(records: Iterable[RunRecord]) -> pd.DataFrame:
    return frame_from_rows(record_row(r) for r in records)
