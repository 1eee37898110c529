"""Results of either backend as plain JSON, with what cannot match across backends masked.

Ids, times, artifact URIs, the user and the source tags differ between any two stores,
so they are replaced by a marker of their *presence* (``"<present>"``, ``"<time>"``); a
run id becomes ``"<id:ok>"`` when it is the id the backend gave that run, an experiment
id becomes ``"<exp:NAME>"``, and ``mlflow.parentRunId`` becomes ``"<run:KEY>"``.
Everything else is kept with its JSON type, so ``10`` and ``"10"`` stay different.
Non-finite floats are ``{"float": "nan"}``, ``{"float": "inf"}``, ``{"float": "-inf"}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

KEY_COLUMN = "tags.case_key"
ATTRIBUTE_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")
_GROUPS = ("metrics.", "params.", "tags.")
# Tags whose values depend on the machine, the process or the store: compared by presence.
VOLATILE_TAGS = frozenset(
    {
        "mlflow.user",
        "mlflow.source.name",
        "mlflow.source.type",
        "mlflow.source.git.commit",
        "mlflow.source.git.branch",
        "mlflow.source.git.repoURL",
        "mlflow.git.commit",
        "mlflow.git.branch",
        "mlflow.git.repoURL",
        "mlflow.note.content",
    }
)
# Tags MLflow's client adds from the repository of the script that logs, when it has a remote:
# present in a clone (CI), absent in a checkout without one. Not part of any answer.
CHECKOUT_TAGS = frozenset({"mlflow.source.git.repoURL", "mlflow.git.repoURL"})
PRESENT = "<present>"
TIME = "<time>"


@dataclass
class Ids:
    """What a backend called the scenario's runs and experiments."""

    runs: dict[str, str]  # case key -> run id
    experiments: dict[str, str]  # experiment name -> experiment id
    run_keys: dict[str, str] = field(init=False)
    experiment_names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.run_keys = {run_id: key for key, run_id in self.runs.items()}
        self.experiment_names = {exp_id: name for name, exp_id in self.experiments.items()}

    def run_marker(self, key: str | None, value: Any) -> str:
        expected = self.runs.get(key or "")
        return "<id:ok>" if expected is not None and value == expected else "<id:?>"

    def experiment_marker(self, value: Any) -> str:
        return f"<exp:{self.experiment_names.get(str(value), '?')}>"


# -- scalars ---------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, dict, tuple)) else False
    except (TypeError, ValueError, ImportError):
        return False


def scalar(value: Any) -> Any:
    """A JSON value keeping the Python type (bool, int, float, str)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if type(value).__name__ in ("Timestamp", "datetime", "datetime64", "NaTType"):
        return TIME if not is_missing(value) else None
    if isinstance(value, (list, tuple)):
        return [scalar(v) for v in value]
    if isinstance(value, dict):
        return {str(k): scalar(v) for k, v in value.items()}
    if is_missing(value):
        return None
    return {"type": type(value).__name__, "repr": repr(value)}


def tag_value(key: str, value: Any, ids: Ids) -> Any:
    if is_missing(value):
        return None
    if key in VOLATILE_TAGS:
        return PRESENT
    if key == "mlflow.parentRunId":
        return f"<run:{ids.run_keys.get(str(value), '?')}>"
    return scalar(value)


# -- DataFrames --------------------------------------------------------------------------------


def canonical_columns(columns: list[str]) -> list[str]:
    """Attribute columns in the frame's order, then metrics, params and tags, each sorted.

    MLflow fills its metric/param/tag columns from Python sets, so their order within a
    group changes from process to process; only the grouping is part of its answer.
    """
    columns = [c for c in columns if c.removeprefix("tags.") not in CHECKOUT_TAGS]
    head = [c for c in columns if not c.startswith(_GROUPS)]
    return head + [c for group in _GROUPS for c in sorted(c for c in columns if c.startswith(group))]


def frame(df: Any, ids: Ids) -> dict[str, Any]:
    columns = canonical_columns([str(c) for c in df.columns])
    records = df.to_dict(orient="records")
    rows = [_frame_row({c: record[c] for c in columns}, ids) for record in records]  # stable key order
    return {
        "kind": "frame",
        "keys": [row.get(KEY_COLUMN) for row in rows],
        "columns": columns,
        "dtypes": {c: str(df[c].dtype) for c in columns},
        "rows": rows,
    }


def _frame_row(record: dict[str, Any], ids: Ids) -> dict[str, Any]:
    key = record.get(KEY_COLUMN)
    key = None if is_missing(key) else str(key)
    return {str(column): cell(str(column), value, key, ids) for column, value in record.items()}


def cell(column: str, value: Any, key: str | None, ids: Ids) -> Any:
    """One DataFrame cell, masked as the module docstring says."""
    if column == "run_id":
        return ids.run_marker(key, value)
    if column == "experiment_id":
        return ids.experiment_marker(value)
    if column in ("artifact_uri", "user", "user_id"):
        return PRESENT if not is_missing(value) and value != "" else None
    if column in ("start_time", "end_time"):
        return None if is_missing(value) else TIME
    if column.startswith("tags."):
        return tag_value(column[5:], value, ids)
    if column.startswith("params."):
        return None if is_missing(value) else scalar(value)
    return scalar(value)


def frame_keys(df: Any) -> list[Any]:
    if KEY_COLUMN not in df.columns:
        return []
    return [None if is_missing(v) else str(v) for v in df[KEY_COLUMN]]


# -- entities ------------------------------------------------------------------------------------


def run(entity: Any, ids: Ids) -> dict[str, Any]:
    tags = dict(entity.data.tags)
    key = tags.get("case_key")
    info = entity.info
    return {
        "key": key,
        "info": {
            "run_id": ids.run_marker(key, info.run_id),
            "run_name": scalar(info.run_name),
            "experiment_id": ids.experiment_marker(info.experiment_id),
            "user_id": PRESENT if info.user_id else None,
            "status": scalar(info.status),
            "start_time": TIME if isinstance(info.start_time, int) and info.start_time > 0 else None,
            "end_time": TIME if isinstance(info.end_time, int) and info.end_time > 0 else None,
            "artifact_uri": PRESENT if info.artifact_uri else None,
            "lifecycle_stage": scalar(info.lifecycle_stage),
        },
        "params": {k: scalar(v) for k, v in sorted(entity.data.params.items())},
        "metrics": {k: scalar(v) for k, v in sorted(entity.data.metrics.items())},
        "tags": {k: tag_value(k, v, ids) for k, v in sorted(tags.items()) if k not in CHECKOUT_TAGS},
    }


def runs(entities: Any, ids: Ids) -> dict[str, Any]:
    items = [run(r, ids) for r in entities]
    return {"kind": "runs", "keys": [item["key"] for item in items], "runs": items}


def experiment(entity: Any, ids: Ids) -> dict[str, Any] | None:
    if entity is None:
        return None
    return {
        "name": entity.name,
        "experiment_id": PRESENT if entity.experiment_id not in (None, "") else None,
        "id_is_scenario_id": ids.experiments.get(entity.name) == entity.experiment_id,
        "lifecycle_stage": entity.lifecycle_stage,
        "artifact_location": PRESENT if entity.artifact_location else None,
        "tags": {
            k: tag_value(k, v, ids) for k, v in sorted((entity.tags or {}).items()) if k not in CHECKOUT_TAGS
        },
        "creation_time": TIME if getattr(entity, "creation_time", None) else None,
        "last_update_time": TIME if getattr(entity, "last_update_time", None) else None,
    }


def experiments(entities: Any, ids: Ids) -> dict[str, Any]:
    items = [experiment(e, ids) for e in entities]
    return {"kind": "experiments", "keys": [e["name"] for e in items if e], "experiments": items}


def metric_history(entities: Any) -> dict[str, Any]:
    items = [
        {
            "key": m.key,
            "value": scalar(m.value),
            "step": scalar(m.step),
            "timestamp": TIME if m.timestamp else None,
        }
        for m in entities
    ]
    return {"kind": "history", "keys": [(i["step"], i["value"]) for i in items], "metrics": items}


def error(exc: BaseException) -> dict[str, Any]:
    code = getattr(exc, "error_code", None)
    return {"kind": "error", "class": type(exc).__name__, "error_code": None if code is None else str(code)}


def value(result: Any) -> dict[str, Any]:
    return {"kind": "value", "value": scalar(result)}


# -- only what a case compares -----------------------------------------------------------------------

_NEEDS = {
    "columns": ("columns",),
    "dtypes": ("columns", "dtypes"),
    "token": ("has_token",),
    "pages": ("page_sizes",),
}
_DETAIL = {  # where each kind of answer keeps its details
    "frame": "rows",
    "runs": "runs",
    "run": "run",
    "experiments": "experiments",
    "experiment": "experiment",
    "history": "metrics",
}
_PARTS = {"params": "params", "metrics": "metrics", "tags": "tags", "attributes": "info"}


def trim(answer: dict[str, Any], checks: tuple[str, ...]) -> dict[str, Any]:
    """The parts of ``answer`` that ``checks`` compare (kind and keys always), so that
    expected.json holds what is a requirement and nothing else."""
    kind = answer["kind"]
    if kind in ("error", "value"):
        return answer
    keep = {"kind", "keys"} | {field for check in checks for field in _NEEDS.get(check, ())}
    out = {k: v for k, v in answer.items() if k in keep}
    groups = [c.partition(":")[2] for c in checks if c.startswith("values")]
    if groups and kind in _DETAIL:
        out[_DETAIL[kind]] = _only_groups(kind, answer[_DETAIL[kind]], [g for g in groups if g])
    return out


def _only_groups(kind: str, detail: Any, groups: list[str]) -> Any:
    if not groups:
        return detail
    if kind == "frame":
        return [
            {c: v for c, v in row.items() if c == KEY_COLUMN or _column_group(c) in groups} for row in detail
        ]
    if kind == "runs":
        return [{"key": r["key"], **{_PARTS[g]: r[_PARTS[g]] for g in groups}} for r in detail]
    if kind == "run":
        return {"key": detail["key"], **{_PARTS[g]: detail[_PARTS[g]] for g in groups}}
    return detail


def _column_group(column: str) -> str:
    prefix = column.partition(".")[0]
    return prefix if prefix in ("params", "metrics", "tags") else "attributes"
