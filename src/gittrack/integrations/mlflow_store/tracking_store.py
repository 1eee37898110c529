"""MLflow's tracking store over gittrack's files: :class:`GittrackStore`.

Every write goes through gittrack's :class:`~gittrack.tracking.client.Client` (so through
``store/writer.py``): a run is created by the process that calls ``create_run`` and
written by it alone, params and tags are appended one line each, metrics one CSV row
each, and ``meta.yaml`` is rewritten atomically at the start and end.  A process killed
mid-run leaves a run every reader reports KILLED.  Searches go through gittrack's query
engine.  MLflow's system tags that gittrack derives from ``meta.yaml``
(``mlflow.source.*``, ``mlflow.user``...) are stored only when they differ from it, so
MLflow's client and ``import gittrack`` write the same files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlflow.entities import Experiment, Metric, Run, RunInfo, RunStatus, ViewType
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.tracking.abstract_store import AbstractStore

from gittrack.integrations.mlflow_store import convert, grammar, logged_models, uris
from gittrack.integrations.mlflow_store.latest import latest_rows
from gittrack.integrations.mlflow_store.logged_model_store import LoggedModelMethods
from gittrack.integrations.mlflow_store.params import typed_param
from gittrack.integrations.mlflow_store.unsupported import Unsupported, finish
from gittrack.store import experiments as events
from gittrack.store.reader import find_run_dir, read_run
from gittrack.store.system_tags import derive
from gittrack.tracking import entities as gt
from gittrack.tracking import paging, writers
from gittrack.tracking.client import Client
from gittrack.tracking.datasets import Dataset, DatasetInput, InputTag
from gittrack.tracking.experiments import DEFAULT, experiment_name

# MLflow's context tags that gittrack derives from meta.yaml (kept only when they differ)
_DERIVED = (
    "mlflow.source.name",
    "mlflow.source.type",
    "mlflow.source.git.commit",
    "mlflow.source.git.branch",
    "mlflow.source.git.repoURL",
)
_heartbeat_started = False


@finish
class GittrackStore(LoggedModelMethods, AbstractStore):  # type: ignore[misc]
    """MLflow's ``AbstractStore`` for ``gittrack:`` tracking URIs."""

    def __init__(self, store_uri: str | None = None, artifact_uri: str | None = None) -> None:
        super().__init__()
        self.store_uri = store_uri or f"{uris.PREFIX}."
        self._store = uris.store_of(self.store_uri)
        self._client = Client(tracking_uri=str(self._store))
        _start_heartbeat()

    # -- experiments ------------------------------------------------------------------------

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        found = self._client.search_experiments(
            view_type,
            max_results,
            grammar.experiment_filter(filter_string),
            grammar.experiment_order_by(order_by),
            page_token,
        )
        return PagedList([convert.experiment(e) for e in found], found.token)

    def create_experiment(self, name: str, artifact_location: str | None = None, tags: Any = None) -> str:
        return self._client.create_experiment(name, artifact_location or None, convert.tag_map(tags))

    def get_experiment(self, experiment_id: str) -> Experiment:
        return convert.experiment(self._client.get_experiment(experiment_id))

    def get_experiment_by_name(self, experiment_name: str) -> Experiment | None:
        found = self._client.get_experiment_by_name(experiment_name)
        return None if found is None else convert.experiment(found)

    def delete_experiment(self, experiment_id: str) -> None:
        self._client.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._client.restore_experiment(experiment_id)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._client.rename_experiment(experiment_id, new_name)

    def set_experiment_tag(self, experiment_id: str, tag: Any) -> None:
        self._client.set_experiment_tag(experiment_id, tag.key, tag.value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._client.delete_experiment_tag(experiment_id, key)

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str | None,
        user_id: str | None,
        start_time: int | None,
        tags: Any,
        run_name: str | None,
    ) -> Run:
        name = experiment_name(experiment_id if experiment_id is not None else "0")
        if name != DEFAULT and events.read_record(self._store, name).creation_time is None:
            self._client.get_experiment(name)  # MLflow's error for an experiment that does not exist
        wanted = convert.tag_map(tags)
        if user_id and "mlflow.user" not in wanted:
            wanted["mlflow.user"] = user_id
        context = {k: wanted.pop(k) for k in _DERIVED if k in wanted}
        created = self._client.create_run(name, start_time, wanted, run_name)
        writer = writers.live(self._store, created.info.run_id)
        derived = derive(writer.meta) if writer is not None else created.data.tags
        differing = {k: v for k, v in context.items() if derived.get(k) != v}
        if differing:
            self._client.set_tags(created.info.run_id, differing)
        return self.get_run(created.info.run_id)

    def get_run(self, run_id: str) -> Run:
        found = self._client.get_run(run_id)
        run_dir = find_run_dir(self._store, found.info.run_id)
        datasets = self._client.get_dataset_inputs(found.info.run_id)
        return convert.run(found, datasets, _outputs(run_dir), latest_rows(run_dir, found.data.metrics))

    def update_run_info(
        self, run_id: str, run_status: Any, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        status = RunStatus.to_string(run_status) if isinstance(run_status, int) else run_status
        if run_name:
            self._client.update_run(run_id, name=run_name)
        if status is not None and RunStatus.is_terminated(RunStatus.from_string(status)):
            live = writers.live(self._store, run_id) is not None
            if live or read_run(find_run_dir(self._store, run_id)).meta.status == "RUNNING":
                self._client.set_terminated(run_id, status, end_time)  # also a dead owner's run
            else:
                self._client.update_run(run_id, status=status)
        elif status == "RUNNING" and self._client.get_run(run_id).info.status != "RUNNING":
            self._client.resume_run(run_id)  # start_run(run_id=...): this process writes it again
        elif status is not None:
            self._client.update_run(run_id, status=status)
        return self.get_run(run_id).info

    def delete_run(self, run_id: str) -> None:
        self._client.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self._client.restore_run(run_id)

    def get_metric_history(
        self, run_id: str, metric_key: str, max_results: int | None = None, page_token: str | None = None
    ) -> PagedList[Metric]:
        history = [convert.metric(m, run_id) for m in self._client.get_metric_history(run_id, metric_key)]
        if max_results is None and not page_token:
            return PagedList(history, None)
        found = paging.page(history, page_token, max_results or len(history) or 1)
        return PagedList(list(found), found.token)

    def _search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str,
        run_view_type: int,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        wanted = grammar.run_filter(filter_string)  # MLflow's grammar, MLflow's errors
        keys = grammar.run_order_by(order_by)
        found = self._client.search_runs(
            list(experiment_ids), wanted, run_view_type, max_results, keys, page_token
        )
        return [self._with_io(r) for r in found], found.token

    def _with_io(self, found: gt.Run) -> Run:
        run_dir = find_run_dir(self._store, found.info.run_id)
        latest = latest_rows(run_dir, found.data.metrics)
        try:
            datasets = self._client.get_dataset_inputs(found.info.run_id)
            return convert.run(found, datasets, _outputs(run_dir), latest)
        except (OSError, ValueError):  # a damaged inputs file: the run without them
            return convert.run(found, latest=latest)

    # -- logging ----------------------------------------------------------------------------

    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Sequence[Any], tags: Sequence[Any]
    ) -> None:
        for_models = [m for m in metrics if getattr(m, "model_id", None)]
        if for_models:
            self._log_model_metrics(run_id, for_models)
        plain = [m for m in metrics if not getattr(m, "model_id", None)]
        self._client.log_batch(
            run_id,
            metrics=[gt.Metric(m.key, m.value, m.timestamp, m.step) for m in plain],
            params=[gt.Param(p.key, typed_param(p.value)) for p in params],
            tags=[gt.RunTag(t.key, t.value) for t in tags],
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        self._client.delete_tag(run_id, key)

    def log_inputs(self, run_id: str, datasets: Any = None, models: Any = None) -> None:
        if models:
            raise Unsupported("log_inputs of logged models (model inputs)", "gittrack records datasets only")
        converted = [
            DatasetInput(
                Dataset(
                    d.dataset.name,
                    d.dataset.digest,
                    d.dataset.source_type,
                    d.dataset.source,
                    d.dataset.schema,
                    d.dataset.profile,
                ),
                [InputTag(t.key, t.value) for t in d.tags or []],
            )
            for d in datasets or []
        ]
        if converted:
            self._client.log_inputs(run_id, converted)

    def link_traces_to_run(self, trace_ids: list[str], run_id: str) -> None:
        raise Unsupported("link_traces_to_run", "gittrack stores no traces")

    def record_logged_model(self, run_id: str, mlflow_model: Any) -> None:
        """MLflow 2's ``mlflow.log-model.history`` tag, as MLflow's file store sets it."""
        import json

        history = self._client.get_run(run_id).data.tags.get("mlflow.log-model.history")
        models = json.loads(history) if history else []
        self._client.set_tag(
            run_id, "mlflow.log-model.history", json.dumps([*models, mlflow_model.get_tags_dict()])
        )


def _outputs(run_dir: Path) -> list[tuple[str, int]]:
    return [(m.model_id, m.step) for m in logged_models.in_run(run_dir) if not m.deleted]


def _start_heartbeat() -> None:
    """Keep the runs this process writes looking alive to readers on other hosts."""
    global _heartbeat_started
    if _heartbeat_started:
        return
    _heartbeat_started = True
    from gittrack.tracking import hooks

    hooks.install(
        on_uncaught=lambda kind: None,
        at_exit=lambda: None,
        live_runs=lambda: [w.run_dir for w in writers.held() if w.pid == os.getpid()],
    )


__all__ = ["GittrackStore"]
