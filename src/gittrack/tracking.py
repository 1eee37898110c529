"""``gittrack.tracking.MlflowClient``, where MLflow code imports it from."""

from gittrack.client import Client, MlflowClient

__all__ = ["Client", "MlflowClient"]
