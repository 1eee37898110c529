"""``mlflow.pyfunc`` for ``import gittrack as mlflow``: load any model for prediction,
and log custom :class:`PythonModel` models (implemented in :mod:`gittrack.models.pyfunc`)."""

from gittrack.models.mlmodel import PYFUNC as FLAVOR_NAME
from gittrack.models.pyfunc import (
    PyFuncModel,
    PythonModel,
    PythonModelContext,
    get_model_dependencies,
    load_model,
    log_model,
    save_model,
)

load_pyfunc = load_model

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "get_model_dependencies",
    "load_model",
    "load_pyfunc",
    "log_model",
    "save_model",
]
