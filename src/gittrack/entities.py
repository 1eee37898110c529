"""``gittrack.entities``: MLflow's entity classes, where MLflow code imports them from."""

from gittrack.tracking.entities import (
    Experiment,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    ViewType,
)

__all__ = ["Experiment", "Metric", "Run", "RunData", "RunInfo", "RunStatus", "ViewType"]
