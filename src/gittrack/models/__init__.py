"""Logged models and their flavors (``mlflow.models``): the MLmodel format, signatures,
input examples, the ``sklearn``, ``xgboost`` and ``python_function`` flavors, autolog.

A logged model is a directory in a run's ``artifacts/`` in MLflow's MLmodel format, so
MLflow loads gittrack's models and gittrack loads MLflow's.  The registry itself is the
tracking layer's (:mod:`gittrack.tracking.registry_client`).  This package may import
``tracking``, ``query``, ``store``, ``git`` and ``errors``; ``tracking`` never imports it.
scikit-learn, xgboost, numpy and pandas are imported only by the functions that use them.
Reading an MLmodel file never loads the model it describes.
"""

from gittrack.models.mlmodel import Model, ModelInfo
from gittrack.models.signature import ModelSignature, Schema, infer_signature

__all__ = ["Model", "ModelInfo", "ModelSignature", "Schema", "infer_signature"]
