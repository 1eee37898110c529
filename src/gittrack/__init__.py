"""gittrack: Git-native experiment tracking with an MLflow-compatible API.

``import gittrack as mlflow`` and MLflow tracking code keeps working; runs are
plain files under ``.runs/`` in your repository.  Attributes are imported on first
use, so ``import gittrack`` (and the CLI's ``--help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "tracking.fluent": (
        "ActiveRun",
        "active_run",
        "delete_tag",
        "is_tracking_uri_set",
        "end_run",
        "get_artifact_uri",
        "get_tracking_uri",
        "last_active_run",
        "log_artifact",
        "log_artifacts",
        "log_dict",
        "log_metric",
        "log_metrics",
        "log_param",
        "log_params",
        "log_text",
        "set_experiment",
        "set_tag",
        "set_tags",
        "set_tracking_uri",
        "start_run",
    ),
    "tracking.fluent_queries": (
        "create_experiment",
        "delete_experiment",
        "delete_experiment_tag",
        "delete_run",
        "get_experiment",
        "get_experiment_by_name",
        "get_parent_run",
        "get_run",
        "restore_experiment",
        "restore_run",
        "search_experiments",
        "search_runs",
        "set_experiment_tag",
        "set_experiment_tags",
    ),
    "tracking.fluent_extras": (
        "flush_artifact_async_logging",
        "flush_async_logging",
        "get_registry_uri",
        "load_table",
        "log_figure",
        "log_image",
        "log_input",
        "log_inputs",
        "log_stream",
        "log_table",
        "register_model",
        "search_model_versions",
        "search_registered_models",
        "set_model_version_tag",
        "set_registry_uri",
    ),
    "models.autolog_all": ("autolog",),
    "tracking.client": ("Client", "MlflowClient"),
    "tracking.entities": ("Experiment", "Metric", "Run", "RunData", "RunInfo", "RunStatus", "ViewType"),
    "errors": ("GittrackError", "MlflowException"),
    "tracking.environ": ("params",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
# MLflow's submodules, reached as attributes (``mlflow.sklearn.log_model``) and imported on first use.
_SUBMODULES = (
    "artifacts",
    "data",
    "entities",
    "exceptions",
    "models",
    "pyfunc",
    "sklearn",
    "tracking",
    "xgboost",
)
__all__ = sorted([*_WHERE, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"gittrack.{name}")
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'gittrack' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gittrack.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
