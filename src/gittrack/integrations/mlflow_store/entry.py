"""What MLflow's entry points load (``pyproject.toml``): the builders MLflow calls with a
``gittrack:`` URI.  This is the plugin's interface; keep these names stable.

The store modules are imported when MLflow first builds a store, not when it loads the
entry points: MLflow loads them while ``import mlflow`` is still running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gittrack.integrations.mlflow_store.artifact_repo import GittrackArtifactRepository
    from gittrack.integrations.mlflow_store.registry_store import GittrackRegistryStore
    from gittrack.integrations.mlflow_store.tracking_store import GittrackStore


def tracking_store(store_uri: str | None = None, artifact_uri: str | None = None, **_: Any) -> GittrackStore:
    """``mlflow.tracking_store`` for the scheme ``gittrack``."""
    from gittrack.integrations.mlflow_store.tracking_store import GittrackStore

    return GittrackStore(store_uri, artifact_uri)


def registry_store(
    store_uri: str | None = None, tracking_uri: str | None = None, **_: Any
) -> GittrackRegistryStore:
    """``mlflow.model_registry_store`` for the scheme ``gittrack``."""
    from gittrack.integrations.mlflow_store.registry_store import GittrackRegistryStore

    return GittrackRegistryStore(store_uri, tracking_uri)


def artifact_repository(
    artifact_uri: str, tracking_uri: str | None = None, registry_uri: str | None = None, **_: Any
) -> GittrackArtifactRepository:
    """``mlflow.artifact_repository`` for the scheme ``gittrack``."""
    from gittrack.integrations.mlflow_store.artifact_repo import GittrackArtifactRepository

    return GittrackArtifactRepository(artifact_uri, tracking_uri, registry_uri)
