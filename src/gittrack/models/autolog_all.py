"""``gittrack.autolog()``: every autolog integration whose library is installed (scikit-learn,
XGBoost), with the options they share, as ``mlflow.autolog()``."""

from __future__ import annotations

import importlib.util
from typing import Any


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, Any] | None = None,
    exclude_flavors: list[str] | None = None,
) -> None:
    """Enable (or with ``disable=True`` undo) autologging for each installed library."""
    options = dict(locals())
    options.pop("exclude_flavors")
    skipped = set(exclude_flavors or [])
    if "sklearn" not in skipped and importlib.util.find_spec("sklearn") is not None:
        from gittrack.models.autolog_sklearn import autolog as sklearn_autolog

        sklearn_autolog(**options)
    if "xgboost" not in skipped and importlib.util.find_spec("xgboost") is not None:
        from gittrack.models.autolog_xgboost import autolog as xgboost_autolog

        xgboost_autolog(**options)
