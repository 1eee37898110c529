"""The registry's objects with MLflow's names and attributes: RegisteredModel, ModelVersion.

Code that reads ``mv.version``, ``mv.current_stage`` or ``rm.aliases`` from MLflow reads
the same here.  Versions are ints (as MLflow's local stores return them), times are
epoch milliseconds.  ``artifact_path`` and ``commit`` are gittrack's additions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gittrack.store.registry import ModelRecord, VersionRecord


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = "None"
    source: str | None = None
    run_id: str | None = None
    status: str = "READY"
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)
    model_id: str | None = None
    artifact_path: str = ""  # gittrack: the model's folder inside the run's artifacts
    commit: str | None = None  # gittrack: the git commit the run ran on

    def to_dictionary(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)

    def to_dictionary(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["latest_versions"] = [v.to_dictionary() for v in self.latest_versions]
        return data


def model_version(model: ModelRecord, record: VersionRecord) -> ModelVersion:
    return ModelVersion(
        name=model.name,
        version=record.number,
        creation_timestamp=record.created,
        last_updated_timestamp=record.updated,
        description=record.description,
        user_id=record.user,
        current_stage=record.stage,
        source=record.source,
        run_id=record.run_id,
        tags=dict(record.tags),
        aliases=model.aliases_of(record),
        artifact_path=record.artifact_path,
        commit=record.commit,
    )


def latest_per_stage(model: ModelRecord, stages: list[str] | None = None) -> list[VersionRecord]:
    """The highest live version in each stage (all four stages when ``stages`` is empty),
    in MLflow's stage order."""
    from gittrack.store.registry import STAGES, canonical_stage

    wanted = [canonical_stage(s) for s in stages] if stages else list(STAGES)
    latest: dict[str, VersionRecord] = {}
    for record in model.live_versions:
        if record.stage in wanted and (
            record.stage not in latest or (record.number, record.created) > _key(latest[record.stage])
        ):
            latest[record.stage] = record
    return [latest[s] for s in wanted if s in latest]


def _key(record: VersionRecord) -> tuple[int, int]:
    return (record.number, record.created)


def registered_model(model: ModelRecord) -> RegisteredModel:
    return RegisteredModel(
        name=model.name,
        creation_timestamp=model.created,
        last_updated_timestamp=model.updated,
        description=model.description,
        latest_versions=[model_version(model, r) for r in latest_per_stage(model)],
        tags=model.tags,
        aliases={a: r.version for a, r in sorted(model.aliases.items())},
    )
