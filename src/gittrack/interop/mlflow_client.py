"""Reading any tracking URI through MLflow's own client (a server, a database MLflow reaches).

Used for a SOURCE that is neither an ``mlruns`` folder nor a SQLite file, and only when
MLflow is installed (it is never a gittrack dependency).  Artifacts are taken from the
machine when their recorded location is found here (:class:`~gittrack.interop.locate.Locator`),
otherwise downloaded by MLflow's client into a temporary folder that is removed when the
import ends.  What the client does not return is not imported: deleted model versions
(``search_model_versions`` leaves them out) and the datasets of runs on servers older than
MLflow 2.4.
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gittrack.errors import ConfigError
from gittrack.interop.locate import Locator
from gittrack.interop.source import (
    Dataset,
    Experiment,
    Histories,
    Located,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
)

_PAGE = 1000


def mlflow_installed() -> bool:
    return importlib.util.find_spec("mlflow") is not None


class Downloader:
    """Downloads a remote artifact location with MLflow (imported at the first download)."""

    def __init__(self) -> None:
        self._tmp: str | None = None

    def __call__(self, uri: str) -> Path | None:
        import mlflow.artifacts

        try:
            return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(self.folder())))
        except Exception:  # MLflow raises many kinds (network, permissions, not found)
            return None

    def folder(self) -> Path:
        """A new empty folder under this import's temporary folder."""
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="gittrack-import-")
        return Path(tempfile.mkdtemp(dir=self._tmp))

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


class ClientStore:
    """A tracking URI read with ``mlflow.MlflowClient`` (see the module docstring)."""

    clamps_infinity = False

    def __init__(self, uri: str, *, artifact_roots: Sequence[Path] = ()) -> None:
        if not mlflow_installed():
            raise ConfigError(
                f"{uri!r} is not an mlruns folder nor a sqlite:/// database; reading it needs MLflow's"
                " client: pip install mlflow (gittrack never depends on it)"
            )
        from mlflow import MlflowClient

        self.description = uri
        self.client: Any = MlflowClient(tracking_uri=uri, registry_uri=uri)
        self.downloader = Downloader()
        self.locator = Locator([Path.cwd(), *artifact_roots], self.downloader)

    def experiments(self) -> list[Experiment]:
        from mlflow.entities import ViewType

        found = _pages(lambda token: self.client.search_experiments(view_type=ViewType.ALL, page_token=token))
        return [
            Experiment(
                e.experiment_id,
                e.name,
                e.lifecycle_stage,
                e.creation_time,
                e.last_update_time,
                dict(e.tags),
                e.artifact_location,
            )
            for e in found
        ]

    def _search(self, experiment_ids: Sequence[str]) -> list[Any]:
        from mlflow.entities import ViewType

        if not experiment_ids:
            return []
        return _pages(
            lambda token: self.client.search_runs(
                list(experiment_ids), run_view_type=ViewType.ALL, max_results=_PAGE, page_token=token
            )
        )

    def count_runs(self, experiment_ids: Sequence[str]) -> int:
        return len(self._search(experiment_ids))

    def runs(self, experiment_ids: Sequence[str]) -> Iterator[Run]:
        for found in self._search(experiment_ids):
            info, data = found.info, found.data
            yield Run(
                run_id=info.run_id,
                experiment_id=info.experiment_id,
                name=info.run_name or None,
                status=str(info.status),
                start_time=info.start_time,
                end_time=info.end_time,
                lifecycle_stage=info.lifecycle_stage,
                user=info.user_id,
                artifact_uri=info.artifact_uri,
                params=dict(data.params),
                tags=dict(data.tags),
                datasets=[_dataset(d) for d in getattr(found.inputs, "dataset_inputs", None) or []],
                load_metrics=functools.partial(self._histories, info.run_id, list(data.metrics)),
            )

    def _histories(self, run_id: str, keys: list[str]) -> Histories:
        return {
            key: [(m.step, m.timestamp, m.value) for m in self.client.get_metric_history(run_id, key)]
            for key in keys
        }

    def logged_models(self) -> list[LoggedModel]:
        if not hasattr(self.client, "search_logged_models"):
            return []
        ids = [e.experiment_id for e in self.experiments()]
        found = _pages(lambda token: self.client.search_logged_models(experiment_ids=ids, page_token=token))
        return [
            LoggedModel(
                m.model_id,
                m.name,
                m.experiment_id,
                m.source_run_id,
                m.artifact_location,
                m.creation_timestamp or 0,
                str(m.status),
            )
            for m in found
        ]

    def registered_models(self) -> list[RegisteredModel]:
        found = []
        for model in _pages(lambda token: self.client.search_registered_models(page_token=token)):
            versions = _pages(
                lambda token, name=model.name: self.client.search_model_versions(
                    f"name='{_quote(name)}'", page_token=token
                )
            )
            found.append(
                RegisteredModel(
                    model.name,
                    model.description,
                    model.creation_timestamp or 0,
                    model.last_updated_timestamp or 0,
                    dict(model.tags),
                    {k: int(v) for k, v in (getattr(model, "aliases", None) or {}).items()},
                    tuple(sorted((_version(v) for v in versions), key=lambda v: v.version)),
                )
            )
        return found

    def run_artifacts(self, run: Run) -> Located:
        found = self.locator.find(run.artifact_uri or "", 2)
        if found is not None and found.is_dir():
            return Located(found)
        try:
            listed = self.client.list_artifacts(run.run_id)
        except Exception as exc:  # the server's answer, whatever went wrong
            return Located(None, f"artifacts could not be listed by MLflow's client: {exc}")
        if not listed:
            return Located(None)
        try:
            return Located(
                Path(self.client.download_artifacts(run.run_id, "", str(self.downloader.folder())))
            )
        except Exception as exc:
            return Located(None, f"artifacts could not be downloaded by MLflow's client: {exc}")

    def model_artifacts(self, model: LoggedModel) -> Located:
        return self.locator.locate(model.artifact_location, keep=3)

    def close(self) -> None:
        self.downloader.close()


def _pages(call: Any) -> list[Any]:
    found: list[Any] = []
    token = None
    while True:
        page = call(token)
        found.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return found


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


def _dataset(dataset_input: Any) -> Dataset:
    d = dataset_input.dataset
    tags = {t.key: t.value for t in dataset_input.tags}
    return Dataset(d.name, d.digest, d.source_type, d.source, d.schema, d.profile, tags)


def _version(v: Any) -> ModelVersion:
    return ModelVersion(
        int(v.version),
        v.source or "",
        v.run_id or None,
        v.current_stage or "None",
        v.description,
        v.user_id,
        v.creation_timestamp or 0,
        v.last_updated_timestamp or 0,
        dict(v.tags),
        str(v.status),
    )
