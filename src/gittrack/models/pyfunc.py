"""``python_function``: load any model with one ``predict`` (``pyfunc.load_model``).

The ``loader_module`` of a model's ``python_function`` flavor says how it loads; gittrack
knows MLflow's ``mlflow.sklearn``, ``mlflow.xgboost`` and ``mlflow.pyfunc.model`` (a
:class:`PythonModel`), which covers the models gittrack logs and those MLflow logs with
these flavors.  ``predict`` takes the input the signature describes: a DataFrame's columns
are put in the signature's order (missing ones are an error), and an array given to a
model whose signature names columns becomes a DataFrame with those names.
"""

from __future__ import annotations

import os
from typing import Any

from gittrack.errors import InvalidModelError
from gittrack.models import python_model
from gittrack.models.example import load_example
from gittrack.models.mlmodel import PYFUNC, Model, flavor_conf
from gittrack.models.save import local_model_path

_LOADERS = {
    "mlflow.sklearn": "gittrack.models.sklearn_flavor",
    "mlflow.xgboost": "gittrack.models.xgboost_flavor",
    "mlflow.pyfunc.model": "gittrack.models.python_model",
}


class PyFuncModel:
    """A loaded model with MLflow's ``predict(data, params=None)``."""

    def __init__(self, model_meta: Model, model_impl: Any, predict_fn: str = "predict") -> None:
        self.metadata = model_meta
        self._model_impl = model_impl
        self._predict_fn = predict_fn
        self.input_example: Any = None

    @property
    def loader_module(self) -> str:
        return str(self.metadata.flavors[PYFUNC]["loader_module"])

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        data = enforce_schema(data, self.metadata)
        method = getattr(self._model_impl, self._predict_fn)
        if self._predict_fn == "predict":
            return method(data, params=params)
        return method(data)

    def unwrap_python_model(self) -> Any:
        found = getattr(self._model_impl, "python_model", None)
        if found is None:
            raise InvalidModelError("this model is not a PythonModel")
        return found

    def get_raw_model(self) -> Any:
        return self._model_impl.get_raw_model()

    def __repr__(self) -> str:
        return f"<PyFuncModel: loader_module={self.loader_module!r}, run_id={self.metadata.run_id!r}>"


def load_model(
    model_uri: str | os.PathLike[str],
    suppress_warnings: bool = False,
    dst_path: str | None = None,
    model_config: dict[str, Any] | None = None,
) -> PyFuncModel:
    """Load the model at ``model_uri`` (``runs:/<run>/<path>``, ``models:/NAME/VERSION``,
    ``models:/NAME/STAGE``, ``models:/NAME@ALIAS``, a local path) for prediction.
    Loading a pickled model runs code from it: only load models from branches you trust."""
    import importlib

    path = local_model_path(model_uri, dst_path)
    meta = Model.load(path)
    conf = flavor_conf(meta, PYFUNC, path)
    loader = str(conf.get("loader_module"))
    if loader not in _LOADERS:
        raise InvalidModelError(
            f"{path}: gittrack cannot load models of loader_module {loader!r} (it loads "
            f"{', '.join(sorted(_LOADERS))}); load this one with MLflow"
        )
    module = importlib.import_module(_LOADERS[loader])
    impl = module.load_pyfunc(path)
    loaded = PyFuncModel(meta, impl, str(conf.get("predict_fn") or "predict"))
    loaded.input_example = load_example(path, meta.saved_input_example_info)
    return loaded


def enforce_schema(data: Any, meta: Model) -> Any:
    """The input as the model's signature wants it (columns in order; arrays named)."""
    schema = meta.get_input_schema()
    if schema is None or not schema.has_input_names() or schema.is_tensor_spec():
        return data
    import numpy as np
    import pandas as pd

    wanted = schema.input_names()
    if isinstance(data, np.ndarray) and data.ndim == 2 and data.shape[1] == len(wanted):
        return pd.DataFrame(data, columns=wanted)
    if isinstance(data, dict) and not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data if any(isinstance(v, list | np.ndarray) for v in data.values()) else [data])
    if isinstance(data, pd.DataFrame):
        required = [str(s["name"]) for s in schema.specs if s.get("required", True)]
        missing = [c for c in required if c not in data.columns]
        if missing:
            raise InvalidModelError(f"the model's input is missing the column(s) {', '.join(missing)}")
        return data[[c for c in wanted if c in data.columns]]
    return data


PythonModel = python_model.PythonModel
PythonModelContext = python_model.PythonModelContext
save_model = python_model.save_model
log_model = python_model.log_model


def get_model_dependencies(model_uri: str, format: str = "pip") -> str:
    """The path of the model's ``requirements.txt``."""
    path = local_model_path(model_uri) / "requirements.txt"
    if not path.is_file():
        raise InvalidModelError(f"the model at {model_uri} has no requirements.txt")
    return str(path)
