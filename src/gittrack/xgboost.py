"""``mlflow.xgboost`` for ``import gittrack as mlflow``: log, save, load and autolog XGBoost
models (implemented in :mod:`gittrack.models.xgboost_flavor`; needs xgboost installed)."""

from gittrack.models.autolog_xgboost import autolog
from gittrack.models.xgboost_flavor import FLAVOR_NAME, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "autolog", "load_model", "log_model", "save_model"]
