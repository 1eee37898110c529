"""Objects with MLflow's names and attributes: Run, RunInfo, RunData, Experiment, Metric, ViewType.

Code that reads ``run.info.run_id`` or ``run.data.params`` from MLflow reads the same
from gittrack.  Times are epoch milliseconds and params are strings, as in MLflow.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gittrack.store import layout
from gittrack.store.layout import Meta
from gittrack.store.names import param_str as param_str  # re-exported: Run.data.params
from gittrack.store.reader import RunRecord
from gittrack.store.system_tags import derive as system_tags_of
from gittrack.store.writer import RunWriter


class ViewType(enum.IntEnum):
    """Which runs a search sees (MLflow's values)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def from_any(cls, value: ViewType | int | str | None) -> ViewType:
        if value is None:
            return cls.ACTIVE_ONLY
        if isinstance(value, str):
            return cls[value.upper()]
        return cls(value)


class RunStatus:
    """Run status names, as ``mlflow.entities.RunStatus`` spells them."""

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    SCHEDULED = "SCHEDULED"

    @staticmethod
    def is_terminated(status: str) -> bool:
        return status in ("FINISHED", "FAILED", "KILLED")


@dataclass(slots=True)  # not frozen: a frozen __init__ is ~2x slower, and histories are long
class Metric:
    key: str
    value: float
    timestamp: int
    step: int


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class ExperimentTag:
    key: str
    value: str


@dataclass(frozen=True)
class FileInfo:
    """An artifact as ``list_artifacts`` reports it; ``file_size`` is None for a directory."""

    path: str
    is_dir: bool
    file_size: int | None


class LifecycleStage:
    ACTIVE = layout.ACTIVE
    DELETED = layout.DELETED

    @staticmethod
    def matches_view_type(view_type: int, lifecycle_stage: str) -> bool:
        view = ViewType.from_any(view_type)
        return view == ViewType.ALL or (lifecycle_stage == layout.ACTIVE) == (view == ViewType.ACTIVE_ONLY)


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    run_name: str
    experiment_id: str
    user_id: str | None
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = layout.ACTIVE

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class RunData:
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData

    def to_dictionary(self) -> dict[str, Any]:
        return {"info": vars(self.info), "data": vars(self.data)}


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = layout.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


def artifact_uri(run_dir: Path | str) -> str:
    path = Path(run_dir) / layout.ARTIFACTS_DIR
    return path.as_uri() if path.is_absolute() else str(path)


def system_tags(record: RunRecord) -> dict[str, str]:
    """The ``mlflow.*`` tags MLflow adds to every run, derived from meta.yaml."""
    return meta_system_tags(record.meta)


def meta_system_tags(meta: Meta) -> dict[str, str]:
    """The ``mlflow.*`` tags of a run's meta.yaml."""
    return system_tags_of(meta)


def run_info(meta: Meta, status: str, run_dir: Path | str) -> RunInfo:
    """MLflow's RunInfo of a run, with ``status`` as the reader sees it."""
    return RunInfo(
        run_id=meta.run_id,
        run_name=meta.name,
        experiment_id=meta.experiment,
        user_id=meta.user,
        status=status,
        start_time=meta.start_time,
        end_time=meta.end_time,
        artifact_uri=artifact_uri(run_dir),
        lifecycle_stage=meta.lifecycle_stage,
    )


def run_from_record(record: RunRecord) -> Run:
    info = run_info(record.meta, record.status, record.location)
    data = RunData(
        params={k: param_str(v) for k, v in record.params.items()},
        metrics={k: s.last for k, s in record.metrics.items()},
        tags={**system_tags(record), **record.tags},
    )
    return Run(info, data)


def run_from_writer(writer: RunWriter) -> Run:
    """The Run a live writer of this process holds, from memory (no file is read)."""
    meta = writer.meta
    data = RunData(
        params={k: param_str(v) for k, v in writer.params.items()},
        metrics={k: s.last for k, acc in writer.metrics.items() if (s := acc.summary())},
        tags={**meta_system_tags(meta), **writer.tags},
    )
    return Run(run_info(meta, meta.status, writer.run_dir), data)
