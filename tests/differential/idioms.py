"""What users do with ``search_runs``' DataFrame: each idiom maps the frame to a JSON value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from differential.normalise import CHECKOUT_TAGS


def _answer_columns(df: Any) -> list[str]:
    """The frame's columns but the tags that depend on the checkout (normalise.CHECKOUT_TAGS)."""
    return [c for c in df.columns if str(c).removeprefix("tags.") not in CHECKOUT_TAGS]


def _keys(df: Any) -> list[Any]:
    return [str(k) for k in df["tags.case_key"]]


IDIOMS: dict[str, Callable[[Any], Any]] = {
    "epochs-eq-str": lambda df: _keys(df[df["params.epochs"] == "10"]),
    "epochs-eq-int": lambda df: _keys(df[df["params.epochs"] == 10]),
    "epochs-isin": lambda df: _keys(df[df["params.epochs"].isin(["10", "20"])]),
    "lr-eq-str": lambda df: _keys(df[df["params.lr"] == "0.1"]),
    "use-bn-eq-str": lambda df: _keys(df[df["params.use_bn"] == "True"]),
    "runname-column": lambda df: list(df["tags.mlflow.runName"]),
    "runname-unique": lambda df: sorted(df["tags.mlflow.runName"].unique()),
    "parent-notna": lambda df: _keys(df[df["tags.mlflow.parentRunId"].notna()]),
    "rmse-idxmin": lambda df: str(df.loc[df["metrics.rmse"].idxmin(), "tags.case_key"]),
    "rmse-sort-values": lambda df: _keys(df.sort_values("metrics.rmse", kind="stable")),
    "rmse-dropna-count": lambda df: int(df.dropna(subset=["metrics.rmse"]).shape[0]),
    "rmse-mean-finite": lambda df: round(
        float(df["metrics.rmse"][df["metrics.rmse"].abs() < 1e300].mean()), 9
    ),
    "optimizer-unique": lambda df: sorted(str(v) for v in df["params.optimizer"].dropna().unique()),
    "optimizer-groupby-acc": lambda df: {
        str(k): round(float(v), 9)
        for k, v in df.groupby("params.optimizer")["metrics.acc"].max().dropna().items()
    },
    "status-counts": lambda df: {str(k): int(v) for k, v in df["status"].value_counts().sort_index().items()},
    "start-time-dtype": lambda df: str(df["start_time"].dtype),
    "end-time-dtype": lambda df: str(df["end_time"].dtype),
    "epochs-dtype": lambda df: str(df["params.epochs"].dtype),
    "epochs-isna-count": lambda df: int(df["params.epochs"].isna().sum()),
    "epochs-values": lambda df: [None if v is None or v != v else v for v in df["params.epochs"]],
    "lr-astype-float-sum": lambda df: round(float(df["params.lr"].dropna().astype(float).sum()), 9),
    "params-columns": lambda df: sorted(c for c in df.columns if c.startswith("params.")),
    "metrics-columns": lambda df: sorted(c for c in df.columns if c.startswith("metrics.")),
    "tags-columns": lambda df: sorted(c for c in _answer_columns(df) if c.startswith("tags.")),
    "leading-columns": lambda df: [c for c in df.columns if "." not in c],
    "run-id-is-str": lambda df: all(isinstance(v, str) and len(v) > 0 for v in df["run_id"]),
    "experiment-id-is-str": lambda df: all(isinstance(v, str) for v in df["experiment_id"]),
    "duration-column": lambda df: _keys(df[(df["end_time"] - df["start_time"]).dt.total_seconds() >= 0]),
    "to-dict-first": lambda df: sorted(k for k in df.iloc[0].to_dict() if k in _answer_columns(df)),
    "len": lambda df: len(df),
    "empty": lambda df: bool(df.empty),
    "note-str-contains": lambda df: _keys(df[df["tags.note"].str.contains("%", na=False, regex=False)]),
}
