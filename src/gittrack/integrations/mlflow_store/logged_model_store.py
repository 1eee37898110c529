"""The logged-model methods of :class:`~.tracking_store.GittrackStore` (MLflow 3's
``create_logged_model``, ``finalize_logged_model``, tags, search...), over the files of
:mod:`.logged_models`.  A logged model's files are the run's ``artifacts/<name>/``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from mlflow.entities import LoggedModel, LoggedModelStatus, Metric
from mlflow.store.entities.paged_list import PagedList

from gittrack.integrations.mlflow_store import logged_models
from gittrack.integrations.mlflow_store.logged_models import ModelFile
from gittrack.integrations.mlflow_store.unsupported import Unsupported
from gittrack.store import names
from gittrack.store.reader import find_run_dir
from gittrack.tracking.client import Client
from gittrack.tracking.experiments import experiment_name


class LoggedModelMethods:
    """Mixin: logged models over ``self._store`` (the class supplies it and ``_client``)."""

    _store: Path
    _client: Client

    def create_logged_model(
        self,
        experiment_id: str = "0",
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Any = None,
        params: Any = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        if source_run_id is None:
            raise Unsupported(
                "create_logged_model without a run",
                "gittrack keeps a model in the run that logged it; log it inside mlflow.start_run()",
            )
        run_dir = find_run_dir(self._store, source_run_id)
        name = name or "model"
        names.check_artifact_path(name)
        now = logged_models.now()
        model = ModelFile(
            model_id=logged_models.new_model_id(),
            run_id=run_dir.name,
            name=name,
            artifact_path=logged_models.free_artifact_path(run_dir, name),
            experiment=experiment_name(experiment_id) if experiment_id is not None else "Default",
            created=now,
            updated=now,
            model_type=model_type,
            params=logged_models.params_of(params),
        )
        model = logged_models.with_tags(model, tags or [])
        logged_models.write(run_dir, model)
        return model.entity()

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        model = self._model_file(model_id)
        if model.deleted and not allow_deleted:
            raise logged_models._not_found(model_id)
        return model.entity()

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        return self._change(model_id, status=str(status)).entity()

    def set_logged_model_tags(self, model_id: str, tags: Any) -> None:
        model = self._model_file(model_id)
        self._save(logged_models.with_tags(model, tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        model = self._model_file(model_id)
        if key not in model.tags:
            raise logged_models._not_found(f"{model_id} tag {key}")
        self._save(replace(model, tags={k: v for k, v in model.tags.items() if k != key}))

    def delete_logged_model(self, model_id: str) -> None:
        self._change(model_id, deleted=True)

    def log_logged_model_params(self, model_id: str, params: Any) -> None:
        model = self._model_file(model_id)
        self._save(replace(model, params={**model.params, **logged_models.params_of(params)}))

    def log_outputs(self, run_id: str, models: Any) -> None:
        """The step each model was logged at (MLflow's run outputs), in the model's file."""
        find_run_dir(self._store, run_id)
        for output in models:
            self._change(output.model_id, step=int(output.step or 0))

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        datasets: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """MLflow's own filter, order and paging over the store's logged models."""
        from mlflow.utils.search_utils import SearchLoggedModelsUtils

        wanted = {experiment_name(e) for e in experiment_ids}
        found = [
            m.entity() for m in logged_models.every(self._store) if m.experiment in wanted and not m.deleted
        ]
        found = SearchLoggedModelsUtils.filter_logged_models(found, filter_string, datasets)
        ordered = SearchLoggedModelsUtils.sort(found, order_by)
        page, token = SearchLoggedModelsUtils.paginate(ordered, page_token, max_results or 100)
        return PagedList(page, token)

    def _log_model_metrics(self, run_id: str, metrics: list[Metric]) -> None:
        """Metrics of a logged model: kept in its file; also in the run unless the run
        already holds that very point (MLflow copies the run's metrics to its models)."""
        plain = []
        by_model: dict[str, list[Metric]] = {}
        for metric in metrics:
            by_model.setdefault(str(metric.model_id), []).append(metric)
            history = self._client.get_metric_history(run_id, metric.key)
            point = (metric.step, metric.timestamp, metric.value)
            if not any((h.step, h.timestamp, h.value) == point for h in history):
                plain.append(metric)
        for model_id, rows in by_model.items():
            model = self._model_file(model_id)
            self._save(replace(model, metrics=[*model.metrics, *map(logged_models.metric_row, rows)]))
        if plain:
            from gittrack.tracking import entities as gt

            self._client.log_batch(
                run_id, metrics=[gt.Metric(m.key, m.value, m.timestamp, m.step) for m in plain]
            )

    def _model_file(self, model_id: str) -> ModelFile:
        return logged_models.read(logged_models.find(self._store, model_id))

    def _change(self, model_id: str, **changes: Any) -> ModelFile:
        model = replace(self._model_file(model_id), updated=logged_models.now(), **changes)
        self._save(model)
        return model

    def _save(self, model: ModelFile) -> None:
        logged_models.write(find_run_dir(self._store, model.run_id), model)
