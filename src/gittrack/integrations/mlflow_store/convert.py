"""gittrack's entities as MLflow's (``mlflow.entities``): the same facts, MLflow's classes.

Run ids and experiment ids are gittrack's (an experiment's id is its name; MLflow's
``"0"`` is ``Default``); a run's artifact URI is ``gittrack:runs/<run id>``, resolved in
the current checkout when read (:mod:`.uris`).  Registry versions are strings, as MLflow's
stores return them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlflow.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunTag,
)
from mlflow.entities.model_registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)

from gittrack.integrations.mlflow_store import uris
from gittrack.store.metric_csv import MetricRow
from gittrack.tracking import entities as gt
from gittrack.tracking import registry_entities as gtr
from gittrack.tracking.datasets import DatasetInput as GittrackDatasetInput


def run(
    found: gt.Run,
    datasets: Sequence[GittrackDatasetInput] = (),
    outputs: Sequence[tuple[str, int]] = (),
    latest: Mapping[str, MetricRow] | None = None,
) -> Run:
    """MLflow's Run of ``found``; ``latest`` (:func:`.latest.latest_rows`) gives each metric the
    value, step and timestamp MLflow's file store reports (without it: step 0, time 0)."""
    info = found.info
    run_info = RunInfo(
        run_id=info.run_id,
        experiment_id=info.experiment_id,
        user_id=info.user_id or "",
        status=info.status,
        start_time=info.start_time,
        end_time=info.end_time,
        lifecycle_stage=info.lifecycle_stage or LifecycleStage.ACTIVE,
        artifact_uri=uris.run_artifact_uri(info.run_id),
        run_name=info.run_name,
    )
    data = RunData(
        metrics=[_latest(k, v, (latest or {}).get(k)) for k, v in found.data.metrics.items()],
        params=[Param(k, v) for k, v in found.data.params.items()],
        tags=[RunTag(k, v) for k, v in found.data.tags.items()],
    )
    inputs = RunInputs(dataset_inputs=[dataset_input(d) for d in datasets])
    return Run(run_info, data, inputs, RunOutputs([LoggedModelOutput(m, s) for m, s in outputs]))


def _latest(key: str, value: float, row: MetricRow | None) -> Metric:
    if row is None:
        return Metric(key, value, 0, 0)
    return Metric(key, row.value, row.timestamp, row.step)


def dataset_input(found: GittrackDatasetInput) -> DatasetInput:
    d = found.dataset
    dataset = Dataset(d.name, d.digest, d.source_type, d.source, d.schema, d.profile)
    return DatasetInput(dataset, [InputTag(t.key, t.value) for t in found.tags])


def experiment(found: gt.Experiment) -> Experiment:
    return Experiment(
        experiment_id=found.experiment_id,
        name=found.name,
        artifact_location=uris.PREFIX + uris.RUNS.rstrip("/"),
        lifecycle_stage=found.lifecycle_stage,
        tags=[ExperimentTag(k, v) for k, v in found.tags.items()],
        creation_time=found.creation_time,
        last_update_time=found.last_update_time,
    )


def metric(found: gt.Metric, run_id: str | None = None) -> Metric:
    return Metric(found.key, found.value, found.timestamp, found.step, run_id=run_id)


def model_version(found: gtr.ModelVersion, model_id: str | None = None) -> ModelVersion:
    return ModelVersion(
        name=found.name,
        version=str(found.version),
        creation_timestamp=found.creation_timestamp,
        last_updated_timestamp=found.last_updated_timestamp,
        description=found.description,
        user_id=found.user_id,
        current_stage=found.current_stage,
        source=found.source,
        run_id=found.run_id,
        status=found.status,
        status_message=found.status_message,
        tags=[ModelVersionTag(k, v) for k, v in found.tags.items()],
        run_link=found.run_link,
        aliases=list(found.aliases),
        model_id=model_id,
    )


def registered_model(found: gtr.RegisteredModel) -> RegisteredModel:
    return RegisteredModel(
        name=found.name,
        creation_timestamp=found.creation_timestamp,
        last_updated_timestamp=found.last_updated_timestamp,
        description=found.description,
        latest_versions=[model_version(v) for v in found.latest_versions],
        tags=[RegisteredModelTag(k, v) for k, v in found.tags.items()],
        aliases=[RegisteredModelAlias(a, str(v)) for a, v in found.aliases.items()],
    )


def tag_map(tags: Sequence[Any] | None) -> dict[str, str]:
    """``[RunTag(k, v)...]`` (or any objects with ``key``/``value``) as a dict, last wins."""
    return {t.key: t.value for t in tags or []}
