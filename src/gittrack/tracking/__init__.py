"""The MLflow-compatible tracking surface: ``Client``, the fluent API, entities, hooks.

Owns what a training script calls: :mod:`~gittrack.tracking.client` (the core, MLflow's
``MlflowClient``), :mod:`~gittrack.tracking.fluent` (``start_run``, ``log_metric``... a thin
layer keeping the active-run stack), :mod:`~gittrack.tracking.entities` (``Run``,
``Experiment``...), the tracking URI (:mod:`~gittrack.tracking.uri`), the live writers of
this process, git capture for new runs and the exit/heartbeat hooks.  It may import
``store``, ``git``, ``query`` and ``errors``; nothing below imports it.  ``MlflowClient``
is importable from here as from ``mlflow.tracking``.
"""

from gittrack.tracking.client import Client, MlflowClient

__all__ = ["Client", "MlflowClient"]
