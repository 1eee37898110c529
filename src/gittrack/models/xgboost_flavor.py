"""The ``xgboost`` flavor: boosters and XGBoost's scikit-learn models in MLflow's format.

The model is saved with XGBoost's own ``save_model`` (``ubj`` by default, or ``json``),
which stores trees and parameters, not code: loading it runs no pickled code.  The class
to rebuild is read from ``model_class`` and must be one of xgboost's.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidModelError
from gittrack.models import save as saving
from gittrack.models.environment import pinned, write_environment
from gittrack.models.mlmodel import Model, ModelInfo, flavor_conf
from gittrack.models.signature import ModelSignature
from gittrack.models.sklearn_flavor import add_code_path

FLAVOR_NAME = "xgboost"


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    conda_env: Any = None,
    code_paths: Sequence[str] | None = None,
    mlflow_model: Model | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
    extra_files: Any = None,
    **kwargs: Any,
) -> None:
    """Save a ``Booster`` or an ``XGBModel`` as an MLflow model directory at ``path``."""
    import xgboost

    if model_format not in ("ubj", "json", "xgb"):
        raise InvalidModelError(f"model_format must be ubj, json or xgb, not {model_format!r}")
    folder = saving.new_model_dir(path)
    model = mlflow_model or Model()
    code = saving.copy_code(folder, code_paths)
    saving.signature_and_example(folder, model, signature, input_example, lambda x: _predict(xgb_model, x))
    if metadata is not None:
        model.extra["metadata"] = metadata
    data = f"model.{model_format}"
    xgb_model.save_model(str(folder / data), **kwargs)
    model_class = f"{type(xgb_model).__module__}.{type(xgb_model).__name__}"
    saving.add_pyfunc(model, "mlflow.xgboost", data=data, code=code)
    model.add_flavor(
        FLAVOR_NAME,
        xgb_version=xgboost.__version__,
        data=data,
        model_class=model_class,
        model_format=model_format,
        code=code,
    )
    write_environment(folder, [pinned("xgboost")], pip_requirements, extra_pip_requirements)
    saving.finish(folder, model)


def log_model(
    xgb_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    code_paths: Sequence[str] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
    extra_files: Any = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log an XGBoost model into the active run (see :func:`gittrack.sklearn.log_model`)."""

    def save(folder: Path, model: Model) -> None:
        save_model(
            xgb_model,
            folder,
            code_paths=code_paths,
            mlflow_model=model,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            model_format=model_format,
            metadata=metadata,
        )

    return saving.log_saved(save, artifact_path, name, registered_model_name=registered_model_name)


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The ``Booster`` or ``XGBModel`` at ``model_uri``."""
    return load_from_dir(saving.local_model_path(model_uri, dst_path))


def load_from_dir(path: Path) -> Any:
    conf = flavor_conf(Model.load(path), FLAVOR_NAME, path)
    add_code_path(path, conf.get("code"))
    module, _, name = str(conf.get("model_class") or "xgboost.core.Booster").rpartition(".")
    if module != "xgboost" and not module.startswith("xgboost."):
        raise InvalidModelError(f"{path}: model_class {module}.{name} is not an xgboost class")
    model = getattr(importlib.import_module(module), name)()
    model.load_model(str(path / str(conf["data"])))
    return model


def _predict(model: Any, data: Any) -> Any:
    import xgboost

    if isinstance(model, xgboost.Booster):
        return model.predict(xgboost.DMatrix(data))
    return model.predict(data)


class XGBoostPyfunc:
    """What ``pyfunc.load_model`` wraps for an XGBoost model."""

    def __init__(self, model: Any) -> None:
        self.xgb_model = model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return _predict(self.xgb_model, data)

    def get_raw_model(self) -> Any:
        return self.xgb_model


def load_pyfunc(path: Path) -> XGBoostPyfunc:
    return XGBoostPyfunc(load_from_dir(path))
