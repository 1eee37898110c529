"""What an MLflow store holds, as the readers hand it to the importer.

Each reader (file store, SQLite, MLflow's client) turns its store into these plain records,
so the importer has one input whatever the store.  Values are MLflow's, unconverted:
params and tags are strings, times are epoch milliseconds, statuses are names
(``FINISHED``), a metric point is ``(step, timestamp, value)`` in the order MLflow's
``get_metric_history`` gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

Point = tuple[int, int, float]  # step, timestamp (ms), value
Histories = dict[str, list[Point]]

# MLflow's file store writes enums as numbers.
RUN_STATUSES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
DELETED_VERSION_STAGE = "Deleted_Internal"  # how MLflow marks a deleted model version


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    lifecycle_stage: str = "active"
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    artifact_location: str | None = None


@dataclass(frozen=True)
class Dataset:
    """One dataset input of a run; ``source``, ``schema`` and ``profile`` are MLflow's JSON text."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # the input's tags: mlflow.data.context...


@dataclass
class Run:
    run_id: str
    experiment_id: str
    name: str | None
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str
    user: str | None
    artifact_uri: str | None
    params: dict[str, str]
    tags: dict[str, str]
    datasets: list[Dataset]
    load_metrics: Callable[[], Histories] = field(repr=False)
    # where the reader knows the run keeps its own files (the file store's run folder)
    run_folder: Path | None = None


@dataclass(frozen=True)
class LoggedModel:
    """An MLflow 3 logged model: its files live outside the run's artifacts."""

    model_id: str
    name: str
    experiment_id: str
    source_run_id: str | None
    artifact_location: str
    creation_time: int = 0
    status: str = "READY"


@dataclass(frozen=True)
class ModelVersion:
    version: int
    source: str
    run_id: str | None
    stage: str = "None"
    description: str | None = None
    user: str | None = None
    created: int = 0
    updated: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "READY"

    @property
    def deleted(self) -> bool:
        return self.stage == DELETED_VERSION_STAGE


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str | None = None
    created: int = 0
    updated: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    versions: tuple[ModelVersion, ...] = ()


class Store(Protocol):
    """One MLflow store, read."""

    description: str  # for messages: the URI or path given
    clamps_infinity: bool  # SQLite stores +-inf as +-1.7976931348623157e308

    def experiments(self) -> list[Experiment]: ...

    def count_runs(self, experiment_ids: Sequence[str]) -> int: ...

    def runs(self, experiment_ids: Sequence[str]) -> Iterator[Run]: ...

    def logged_models(self) -> list[LoggedModel]: ...

    def registered_models(self) -> list[RegisteredModel]: ...

    def run_artifacts(self, run: Run) -> Located: ...

    def model_artifacts(self, model: LoggedModel) -> Located: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Located:
    """Where a run's (or logged model's) files are on this machine.

    ``path`` is the folder to copy (None when there is nothing to copy); ``missing`` says why
    files that should exist were not found (a warning for the report), None when the store
    shows the run simply logged none.
    """

    path: Path | None
    missing: str | None = None
