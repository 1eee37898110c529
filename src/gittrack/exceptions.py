"""``gittrack.exceptions``: MLflow's exception classes, where MLflow code imports them from."""

from gittrack.errors import MlflowException, RestException

__all__ = ["MlflowException", "RestException"]
