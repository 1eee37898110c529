"""Reading MLflow's file store (an ``mlruns`` folder) with the standard library and PyYAML.

::

    mlruns/<experiment id>/meta.yaml            name, lifecycle_stage, times, artifact_location
    mlruns/<experiment id>/tags/<key>           one file per tag (the value, no newline)
    mlruns/<experiment id>/<run id>/meta.yaml   status as a number, times, user, artifact_uri
    .../<run id>/params/<key>, tags/<key>       one file per value; '/' in a key is a sub-folder
    .../<run id>/metrics/<key>                  lines "<timestamp> <value> <step>"
    .../<run id>/inputs/<id>/meta.yaml          a dataset input: its dataset id and tags
    mlruns/<experiment id>/datasets/<id>/meta.yaml   the experiment's datasets
    mlruns/<experiment id>/models/<model id>/meta.yaml   MLflow 3 logged models
    mlruns/.trash/<experiment id>/...           deleted experiments, moved here with their runs
    mlruns/models/<name>/...                    the model registry

A folder git dropped because it was empty (``params/``, ``artifacts/``...) reads as empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gittrack.errors import GittrackError
from gittrack.interop.locate import Locator
from gittrack.interop.mlflow_client import Downloader
from gittrack.interop.source import (
    RUN_STATUSES,
    Dataset,
    Experiment,
    Histories,
    Located,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
)
from gittrack.store import yamlio

_NOT_RUNS = frozenset({"tags", "datasets", "models", "traces"})
_MODEL_STATUSES = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


class FileStore:
    """An ``mlruns`` folder (see the module docstring)."""

    clamps_infinity = False

    def __init__(
        self, root: Path, *, artifact_roots: Sequence[Path] = (), fetch: Downloader | None = None
    ) -> None:
        if not root.is_dir():
            raise GittrackError(f"{root} is not a folder: give an mlruns folder or sqlite:///path/mlflow.db")
        self.root = root
        self.description = str(root)
        self.fetch = fetch
        self.locator = Locator([root.parent, root, *artifact_roots], fetch)
        self._experiments = {e.experiment_id: (e, folder) for e, folder in self._read_experiments()}

    # -- experiments and runs ------------------------------------------------------------

    def _read_experiments(self) -> Iterator[tuple[Experiment, Path]]:
        for parent in (self.root, self.root / ".trash"):
            for folder in _subfolders(parent):
                meta = _yaml(folder / "meta.yaml")
                if not isinstance(meta, dict) or "experiment_id" not in meta:
                    continue
                stage = "deleted" if parent.name == ".trash" else str(meta.get("lifecycle_stage") or "active")
                yield (
                    Experiment(
                        experiment_id=str(meta["experiment_id"]),
                        name=str(meta.get("name") or meta["experiment_id"]),
                        lifecycle_stage=stage,
                        creation_time=_int(meta.get("creation_time")),
                        last_update_time=_int(meta.get("last_update_time")),
                        tags=_values(folder / "tags"),
                        artifact_location=_opt(meta.get("artifact_location")),
                    ),
                    folder,
                )

    def experiments(self) -> list[Experiment]:
        return [e for e, _folder in self._experiments.values()]

    def _run_folders(self, experiment_ids: Sequence[str]) -> Iterator[tuple[str, Path]]:
        for experiment_id in experiment_ids:
            _experiment, folder = self._experiments[experiment_id]
            for run_folder in _subfolders(folder):
                if run_folder.name not in _NOT_RUNS and (run_folder / "meta.yaml").is_file():
                    yield experiment_id, run_folder

    def count_runs(self, experiment_ids: Sequence[str]) -> int:
        return sum(1 for _ in self._run_folders(experiment_ids))

    def runs(self, experiment_ids: Sequence[str]) -> Iterator[Run]:
        for experiment_id, folder in self._run_folders(experiment_ids):
            meta = _yaml(folder / "meta.yaml")
            if isinstance(meta, dict):
                yield self._run(experiment_id, folder, meta)

    def _run(self, experiment_id: str, folder: Path, meta: dict[str, Any]) -> Run:
        status = meta.get("status")
        experiment, _ = self._experiments[experiment_id]
        stage = str(meta.get("lifecycle_stage") or "active")
        return Run(
            run_id=str(meta.get("run_id") or meta.get("run_uuid") or folder.name),
            experiment_id=experiment_id,
            name=_opt(meta.get("run_name")) or None,
            status=RUN_STATUSES.get(status, str(status)) if isinstance(status, int) else str(status),
            start_time=_int(meta.get("start_time")),
            end_time=_int(meta.get("end_time")),
            lifecycle_stage="deleted" if experiment.lifecycle_stage == "deleted" else stage,
            user=_opt(meta.get("user_id")),
            artifact_uri=_opt(meta.get("artifact_uri")),
            params=_values(folder / "params"),
            tags=_values(folder / "tags"),
            datasets=self._datasets(folder),
            load_metrics=lambda: _histories(folder / "metrics"),
            run_folder=folder,
        )

    def _datasets(self, run_folder: Path) -> list[Dataset]:
        found = []
        datasets = run_folder.parent / "datasets"
        for input_folder in _subfolders(run_folder / "inputs"):
            link = _yaml(input_folder / "meta.yaml")
            if not isinstance(link, dict) or link.get("source_type") != "DATASET":
                continue
            meta = _yaml(datasets / str(link.get("source_id")) / "meta.yaml")
            if isinstance(meta, dict):
                found.append(_dataset(meta, link.get("tags") or {}))
        return found

    # -- models --------------------------------------------------------------------------

    def logged_models(self) -> list[LoggedModel]:
        found = []
        for experiment_id, (_experiment, folder) in self._experiments.items():
            for model_folder in _subfolders(folder / "models"):
                meta = _yaml(model_folder / "meta.yaml")
                if isinstance(meta, dict) and meta.get("model_id"):
                    status = meta.get("status")
                    found.append(
                        LoggedModel(
                            model_id=str(meta["model_id"]),
                            name=str(meta.get("name") or "model"),
                            experiment_id=experiment_id,
                            source_run_id=_opt(meta.get("source_run_id")),
                            artifact_location=str(meta.get("artifact_location") or ""),
                            creation_time=_int(meta.get("creation_timestamp")) or 0,
                            status=_MODEL_STATUSES.get(status, str(status))
                            if isinstance(status, int)
                            else str(status),
                        )
                    )
        return found

    def registered_models(self) -> list[RegisteredModel]:
        return [m for folder in _subfolders(self.root / "models") if (m := _registered_model(folder))]

    def run_artifacts(self, run: Run) -> Located:
        fallback = None if run.run_folder is None else run.run_folder / "artifacts"
        return self.locator.locate(run.artifact_uri, keep=2, fallback=fallback)

    def model_artifacts(self, model: LoggedModel) -> Located:
        return self.locator.locate(model.artifact_location, keep=3)

    def close(self) -> None:
        if self.fetch is not None:
            self.fetch.close()


def _registered_model(folder: Path) -> RegisteredModel | None:
    meta = _yaml(folder / "meta.yaml")
    if not isinstance(meta, dict) or not meta.get("name"):
        return None
    versions = []
    for version_folder in _subfolders(folder):
        data = _yaml(version_folder / "meta.yaml") if version_folder.name.startswith("version-") else None
        if isinstance(data, dict) and data.get("version") is not None:
            versions.append(
                ModelVersion(
                    version=int(data["version"]),
                    source=str(data.get("source") or ""),
                    run_id=_opt(data.get("run_id")) or None,
                    stage=str(data.get("current_stage") or "None"),
                    description=_opt(data.get("description")),
                    user=_opt(data.get("user_id")),
                    created=_int(data.get("creation_timestamp")) or 0,
                    updated=_int(data.get("last_updated_timestamp")) or 0,
                    tags=_values(version_folder / "tags"),
                    status=str(data.get("status") or "READY"),
                )
            )
    aliases = {k: int(v) for k, v in _values(folder / "aliases").items() if v.strip().isdigit()}
    return RegisteredModel(
        name=str(meta["name"]),
        description=_opt(meta.get("description")),
        created=_int(meta.get("creation_timestamp")) or 0,
        updated=_int(meta.get("last_updated_timestamp")) or 0,
        tags=_values(folder / "tags"),
        aliases=aliases,
        versions=tuple(sorted(versions, key=lambda v: v.version)),
    )


def _dataset(meta: dict[str, Any], tags: dict[str, Any]) -> Dataset:
    return Dataset(
        name=str(meta.get("name") or ""),
        digest=str(meta.get("digest") or ""),
        source_type=str(meta.get("source_type") or "unknown"),
        source=str(meta.get("source") or "{}"),
        schema=_opt(meta.get("schema")),
        profile=_opt(meta.get("profile")),
        tags={str(k): str(v) for k, v in tags.items()},
    )


def _histories(folder: Path) -> Histories:
    """Every metric file under ``metrics/``: lines ``<timestamp> <value> <step>`` in logging order."""
    found: Histories = {}
    for key, path in _files(folder):
        points = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                points.append((int(parts[2]) if len(parts) > 2 else 0, int(parts[0]), float(parts[1])))
        found[key] = points
    return found


def _values(folder: Path) -> dict[str, str]:
    """One file per key (a '/' in the key is a sub-folder), the file's text the value."""
    return {key: path.read_text(encoding="utf-8") for key, path in _files(folder)}


def _files(folder: Path) -> list[tuple[str, Path]]:
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(parent, name)
            found.append((path.relative_to(folder).as_posix(), path))
    return found


def _subfolders(folder: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [Path(e.path) for e in entries if e.is_dir() and not e.name.startswith(".")]


def _yaml(path: Path) -> Any:
    try:
        return yamlio.load(path.read_bytes())
    except (OSError, yamlio.YAMLError):
        return None


def _int(value: object) -> int | None:
    return None if value is None or value == "" else int(str(value))


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
