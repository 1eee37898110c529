"""Module-level functions for figures, images, tables, datasets and the registry, with
MLflow's names: ``log_figure``, ``log_image``, ``log_table``, ``load_table``, ``log_input``,
``register_model``, ``search_registered_models``, ``search_model_versions``.

Like :mod:`gittrack.tracking.fluent`, each is a call on a :class:`Client`: on the active
run (started when there is none, as MLflow does) or on ``run_id`` when given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import InvalidValueError
from gittrack.tracking import fluent
from gittrack.tracking.client import Client
from gittrack.tracking.paging import PagedList
from gittrack.tracking.registry_entities import ModelVersion, RegisteredModel

if TYPE_CHECKING:
    import pandas as pd


def active_run_id(run_id: str | None = None) -> str:
    """``run_id``, else the active run's id (a run is started when none is active)."""
    if run_id is not None:
        return run_id
    active = fluent.active_run() or fluent.start_run()
    return active.run_id


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None, run_id: str | None = None
) -> None:
    Client().log_figure(active_run_id(run_id), figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    Client().log_image(active_run_id(run_id), image, artifact_file, key=key, step=step, timestamp=timestamp)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    Client().log_table(active_run_id(run_id), data, artifact_file)


def load_table(
    artifact_file: str,
    run_ids: list[str] | None = None,
    extra_columns: list[str] | None = None,
    experiment_id: str | None = None,
) -> pd.DataFrame:
    """The tables ``artifact_file`` of the runs of the current experiment (or ``experiment_id``)."""
    experiment = experiment_id or fluent.active_experiment_id()
    return Client().load_table(experiment, artifact_file, run_ids=run_ids, extra_columns=extra_columns)


def log_input(
    dataset: Any,
    context: str | None = None,
    tags: Mapping[str, str] | None = None,
    model: Any = None,
    run_id: str | None = None,
) -> None:
    """Record that the run used ``dataset`` (``gittrack.data.from_pandas``/``from_numpy``),
    in ``context`` (``training``, ``eval``...)."""
    from gittrack.tracking.datasets import DatasetInput, InputTag

    entity = dataset._to_mlflow_entity() if hasattr(dataset, "_to_mlflow_entity") else dataset
    labels = ([InputTag("mlflow.data.context", context)] if context else []) + [
        InputTag(str(k), str(v)) for k, v in (tags or {}).items()
    ]
    Client().log_inputs(active_run_id(run_id), [DatasetInput(entity, labels)])


def log_inputs(
    datasets: list[Any] | None = None,
    contexts: list[str | None] | None = None,
    tags_list: list[Mapping[str, str] | None] | None = None,
    models: list[Any] | None = None,
    run_id: str | None = None,
) -> None:
    """Several ``log_input`` calls at once, as MLflow's ``log_inputs``."""
    for i, dataset in enumerate(datasets or []):
        context = contexts[i] if contexts else None
        tags = tags_list[i] if tags_list else None
        log_input(dataset, context, tags, run_id=active_run_id(run_id))


def log_stream(stream: Any, artifact_file: str, run_id: str | None = None) -> None:
    Client().log_stream(active_run_id(run_id), stream, artifact_file)


def set_model_version_tag(
    name: str, version: str | int | None = None, key: str = "", value: Any = ""
) -> None:
    Client().set_model_version_tag(name, version, key, value)


def get_registry_uri() -> str:
    """The registry lives in the store: the registry URI is the tracking URI."""
    return fluent.get_tracking_uri()


def set_registry_uri(uri: str) -> None:
    """The registry is always the store's (``.runs/models``): a registry URI naming another
    place is ignored with a warning, as a foreign tracking URI is."""
    import warnings

    from gittrack.errors import GittrackWarning

    if str(uri) != fluent.get_tracking_uri():
        warnings.warn(
            f"gittrack keeps the model registry in the store ({fluent.get_tracking_uri()}); "
            f"registry URI {uri!r} is ignored",
            GittrackWarning,
            stacklevel=2,
        )


def flush_async_logging() -> None:
    """Every gittrack write is synchronous (done when the call returns): nothing to flush."""


def flush_artifact_async_logging() -> None:
    """Every gittrack write is synchronous (done when the call returns): nothing to flush."""


def register_model(
    model_uri: str, name: str, await_registration_for: int = 300, *, tags: Mapping[str, Any] | None = None
) -> ModelVersion:
    """Register the model at ``model_uri`` (``runs:/<run>/<path>``...) as a new version of
    ``name``, creating the registered model if needed."""
    return Client().register_model(model_uri, name, tags=tags)


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[RegisteredModel]:
    """Every registered model matching ``filter_string`` (all pages)."""
    found: PagedList[RegisteredModel] = Client().search_registered_models(filter_string, None, order_by)
    return list(found)[:max_results] if max_results is not None else list(found)


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[ModelVersion]:
    """Every model version matching ``filter_string`` (all pages)."""
    found = Client().search_model_versions(filter_string, None, order_by)
    return list(found)[:max_results] if max_results is not None else list(found)


# -- mlflow.artifacts -------------------------------------------------------------------------


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
) -> str:
    """The local path of an artifact (``runs:/``, ``models:/`` URI, or ``run_id`` +
    ``artifact_path``); a copy inside ``dst_path`` when given."""
    from gittrack.tracking.artifact_client import copy_out

    if (artifact_uri is None) == (run_id is None):
        raise InvalidValueError("give either artifact_uri, or run_id (with artifact_path)")
    client = Client(tracking_uri)
    if run_id is not None:
        return client.download_artifacts(run_id, artifact_path or "", dst_path)
    assert artifact_uri is not None
    return copy_out(client.resolve_uri(artifact_uri), dst_path)


def load_text(artifact_uri: str) -> str:
    return Path(download_artifacts(artifact_uri)).read_text(encoding="utf-8")


def load_dict(artifact_uri: str) -> Any:
    """A JSON or YAML artifact, parsed (YAML with the safe loader)."""
    from gittrack.store import yamlio

    text = load_text(artifact_uri)
    if artifact_uri.endswith((".yaml", ".yml")):
        return yamlio.load(text)
    return json.loads(text)


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[Any]:
    """The artifacts directly under a ``runs:/`` URI (or ``run_id`` + ``artifact_path``)."""
    from gittrack.tracking.artifact_uri import parse_runs_uri

    if artifact_uri is not None:
        run_id, artifact_path = parse_runs_uri(artifact_uri)
    if run_id is None:
        raise InvalidValueError("give artifact_uri (runs:/...) or run_id")
    return Client(tracking_uri).list_artifacts(run_id, artifact_path)
