"""MLflow's artifact repository for ``gittrack:runs/<run id>/<path>`` URIs.

The URI is resolved when the repository is made, in the store of the current tracking URI
(:func:`.uris.current_store`), so a model logged on one machine loads from a clone on
another.  Files are written by gittrack's own artifact code (``store/artifacts.py``: a
temporary ``.tmp-`` file in the target folder, then a rename), into the run's
``artifacts/`` and never outside it; reading is MLflow's local repository over that folder,
except that downloads are always copies.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from mlflow.store.artifact.artifact_repo import ArtifactRepository
from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

from gittrack.integrations.mlflow_store import uris
from gittrack.integrations.mlflow_store.unsupported import finish
from gittrack.store import artifacts, names
from gittrack.store.atomic import TMP_PREFIX


@finish
class GittrackArtifactRepository(LocalArtifactRepository):  # type: ignore[misc]
    """A run's ``artifacts/`` (or a folder in it) as MLflow's artifact repository."""

    def __init__(
        self, artifact_uri: str, tracking_uri: str | None = None, registry_uri: str | None = None
    ) -> None:
        run_id, self._base = uris.parse_artifact_uri(artifact_uri)
        root = uris.artifacts_root(uris.current_store(tracking_uri), run_id)
        self._run_dir = root.parent
        super().__init__((root / self._base).as_uri(), tracking_uri, registry_uri)
        self.artifact_uri = uris.run_artifact_uri(self._run_dir.name, self._base)

    def _inside(self, artifact_path: str | None) -> str:
        return names.check_artifact_path("/".join(p for p in (self._base, artifact_path or "") if p))

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        artifacts.copy_file(self._run_dir, local_file, self._inside(artifact_path))

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        artifacts.copy_tree(self._run_dir, local_dir, self._inside(artifact_path))

    def _create_staging_artifact(
        self, artifact_file_name: str, artifact_path: str | None = None
    ) -> tuple[int, str, str]:
        """Streamed uploads are staged as gittrack's ``.tmp-`` files, which readers skip."""
        folder, destination = self._get_destination_artifact_path(artifact_file_name, artifact_path)
        descriptor, temp_path = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX)
        return descriptor, temp_path, destination

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """A copy, always (in a new temporary folder when ``dst_path`` is None): MLflow's local
        repository hands out the stored folder itself, into which ``models:/`` loading then
        writes ``registered_model_meta``; a committed run must not change by being read."""
        return str(ArtifactRepository.download_artifacts(self, artifact_path, dst_path))

    def list_artifacts(self, path: str | None = None) -> Any:
        found = super().list_artifacts(path)
        return [f for f in found if not os.path.basename(f.path).startswith(TMP_PREFIX)]

    @property
    def run_dir(self) -> Path:
        return self._run_dir
