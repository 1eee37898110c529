""":class:`Client` (also ``MlflowClient``): MLflow's tracking client over the git store.

The Client is the core of the tracking API: every write and read goes through it, and
the fluent functions (:mod:`gittrack.tracking.fluent`) call it for the active run, as
MLflow's do.  Experiment methods live in :mod:`~gittrack.tracking.experiment_client`;
searches go through :func:`gittrack.query.search.search`.

MLflow's system tags are not stored twice: ``mlflow.runName``, ``mlflow.parentRunId``,
``mlflow.note.content`` and ``mlflow.user`` are the run's name, parent, description and user
in meta.yaml (:data:`gittrack.store.system_tags.FIELDS`); setting or deleting one of those tags changes that
field.  The other ``mlflow.source.*`` tags are derived from the run's source and git
state unless set explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import MlflowException, RunNotFoundError, RunStateError
from gittrack.store import context, ids, layout, names
from gittrack.store.config import Config, load_config
from gittrack.store.layout import Meta
from gittrack.store.reader import find_run_dir, read_run
from gittrack.store.system_tags import FIELDS as SYSTEM_FIELDS
from gittrack.store.writer import RunWriter, now_ms
from gittrack.tracking import paging, uri, writers
from gittrack.tracking.artifact_client import ArtifactClient
from gittrack.tracking.entities import Metric, Param, Run, RunTag, ViewType, run_from_record, run_from_writer
from gittrack.tracking.experiment_client import ExperimentMethods
from gittrack.tracking.experiments import check_name, experiment_name
from gittrack.tracking.paging import PagedList
from gittrack.tracking.registry_client import RegistryClient

if TYPE_CHECKING:
    import pandas as pd

VIEWS = {ViewType.ACTIVE_ONLY: "active", ViewType.DELETED_ONLY: "deleted", ViewType.ALL: "all"}


class Client(ExperimentMethods, RegistryClient, ArtifactClient):
    """MLflow's ``MlflowClient`` surface over the git store."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        explicit = uri.store_of_uri(tracking_uri, stacklevel=2) if tracking_uri is not None else None
        self._store = explicit or uri.store_path()
        self._config: Config | None = None

    @property
    def tracking_uri(self) -> str:
        return str(self._store)

    @property
    def store(self) -> Path:
        """The store directory this client reads and writes (a gittrack extension)."""
        return self._store

    def _loaded_config(self) -> Config:
        if self._config is None:
            self._config = load_config()
        return self._config

    # -- creating and ending runs -----------------------------------------------------------

    def create_run(
        self,
        experiment_id: str | None = None,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        *,
        parent_run_id: str | None = None,
        description: str | None = None,
    ) -> Run:
        """A new RUNNING run written by this process until :meth:`set_terminated`."""
        tags = {str(k): v for k, v in (tags or {}).items()}
        fields = {f: str(tags.pop(t)) for t, f in SYSTEM_FIELDS.items() if tags.get(t) is not None}
        config = self._loaded_config()
        meta = Meta(
            run_id=ids.new_run_id(),
            name=fields.get("name") or run_name or ids.new_run_name(),
            experiment=self._experiment_for_run(experiment_id, config),
            status="RUNNING",
            start_time=start_time or now_ms(),
            user=fields.get("user") or context.user(),
            host=context.host(),
            pid=os.getpid(),
            parent_run_id=fields.get("parent_run_id") or parent_run_id,
            description=fields.get("description") or description,
            source=context.source(),
        )
        for key in tags:  # checked before the run exists: a bad tag creates nothing
            names.check_name(key, "tag name")
        writer = writers.hold(self._new_writer(config, meta))
        if tags:
            writer.set_tags(tags)
        return run_from_writer(writer)

    def _experiment_for_run(self, experiment_id: str | None, config: Config) -> str:
        from gittrack.store.experiments import read_record

        name = experiment_name(experiment_id) if experiment_id else str(config.get("experiment") or "Default")
        if read_record(self._store, name).lifecycle_stage == layout.DELETED:
            raise RunStateError(f"The experiment {name!r} must be in the 'active' state to log runs")
        return check_name(name)

    def _new_writer(self, config: Config, meta: Meta) -> RunWriter:
        from gittrack.tracking import capture

        git_state = capture.git_state(config, self._store)
        environment = context.environment() if config.get("capture", "environment") else None
        meta = meta.with_changes(git=None if git_state is None else git_state.to_dict())
        diff = git_state.diff if git_state is not None else None
        return RunWriter.create(
            self._store, meta, new_id=ids.new_run_id, git_diff=diff, environment=environment
        )

    def resume_run(self, run_id: str) -> Run:
        """Take over a finished run (status back to RUNNING) to log more into it; a gittrack
        extension behind ``start_run(run_id=...)``."""
        run_dir = self._run_dir(run_id)
        if writers.live(self._store, run_dir.name) is not None:
            raise RunStateError(f"run {run_dir.name} is already active in this process")
        writer = RunWriter.resume(run_dir, pid=os.getpid(), host=context.host())
        return run_from_writer(writers.hold(writer))

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        """End a run: FINISHED unless ``status`` says otherwise."""
        writer = writers.live(self._store, run_id) or RunWriter.attach(self._run_dir(run_id))
        try:
            writer.finish(status or "FINISHED", end_time)
        finally:
            writers.release(writer)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Set a run's status and/or name."""
        if status is None and name is None:
            raise MlflowException("update_run needs a status or a name", "INVALID_PARAMETER_VALUE")
        if name is not None:
            self.set_tag(run_id, "mlflow.runName", name)
        if status is not None:
            status = status.upper()
            if status not in layout.STATUSES:
                raise MlflowException(f"Invalid run status {status!r}", "INVALID_PARAMETER_VALUE")
            writer = writers.live(self._store, run_id)
            if writer is not None:
                writer.write_meta(status=status)
            else:
                self._edit_meta(run_id, status=status)

    # -- reading runs -------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        """A run by id (or unique id prefix) from this client's store."""
        writer = writers.live(self._store, run_id)
        run = (
            run_from_writer(writer)
            if writer is not None
            else run_from_record(read_run(self._run_dir(run_id)))
        )
        return self._with_experiment_stage(run)

    def _with_experiment_stage(self, run: Run) -> Run:
        """A run of a deleted experiment is deleted too, as MLflow answers (its file is not
        rewritten: the experiment's one event file says it)."""
        from dataclasses import replace

        from gittrack.store.experiments import read_record

        if run.info.lifecycle_stage == layout.DELETED:
            return run
        if read_record(self._store, run.info.experiment_id).lifecycle_stage != layout.DELETED:
            return run
        return replace(run, info=replace(run.info, lifecycle_stage=layout.DELETED))

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags.get("mlflow.parentRunId")
        return None if parent is None else self.get_run(parent)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of one metric, in logging order ([] for a metric never logged)."""
        from gittrack.store.metric_csv import parse_columns

        path = layout.metric_path(self._run_dir(run_id), names.check_metric_name(key))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        steps, stamps, values = parse_columns(text, path)
        return list(map(Metric, repeat(key), values, stamps, steps))

    def search_runs(
        self,
        experiment_ids: str | Sequence[str] | None = None,
        filter_string: str = "",
        run_view_type: ViewType | int = ViewType.ACTIVE_ONLY,
        max_results: int = paging.DEFAULT_MAX_RESULTS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        rev: str | None = None,
    ) -> PagedList[Run]:
        """A page of runs matching the filter, in order; ``.token`` fetches the next page."""
        from gittrack.tracking.mlflow_frame import runs_from_frame

        limit = paging.check_max_results(max_results)
        offset = paging.offset_of(page_token)
        frame = self.search_frame(experiment_ids, filter_string, run_view_type, order_by, rev=rev)
        found = PagedList(runs_from_frame(frame.iloc[offset : offset + limit], self._store))
        found.token = paging.token_for(offset + limit) if offset + limit < len(frame) else None
        return found

    def search_frame(
        self,
        experiment_ids: str | Sequence[str] | None,
        filter_string: str = "",
        run_view_type: ViewType | int = ViewType.ACTIVE_ONLY,
        order_by: Sequence[str] | str | None = None,
        *,
        max_results: int | None = None,
        rev: str | None = None,
        typed_params: bool = False,
    ) -> pd.DataFrame:
        """The engine's runs frame for an MLflow-style search (a gittrack extension)."""
        from gittrack.query.search import search

        wanted = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids or [])
        return search(
            self._store,
            experiments=[experiment_name(e) for e in wanted],
            filter_string=filter_string or "",
            order_by=order_by,
            max_results=max_results,
            view=VIEWS[ViewType.from_any(run_view_type)],
            rev=rev,
            params_as_text=not typed_params,
        )

    # -- logging --------------------------------------------------------------------------

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        self.set_tags(run_id, {key: value})

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set several tags at once (a gittrack extension; MLflow has ``log_batch``)."""
        tags = {names.check_name(k, "tag name"): v for k, v in tags.items()}
        fields = {SYSTEM_FIELDS[k]: str(v) for k, v in tags.items() if k in SYSTEM_FIELDS}
        plain = {k: v for k, v in tags.items() if k not in SYSTEM_FIELDS}
        if plain:
            self._write(run_id, lambda w: w.set_tags(plain))
        if fields:
            self._set_fields(run_id, fields)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag (MLflow's error when the run has no such tag)."""
        run = self.get_run(run_id)
        if key not in run.data.tags:
            raise MlflowException(
                f"No tag with name: {key} in run with id {run_id}", "RESOURCE_DOES_NOT_EXIST"
            )
        if key in SYSTEM_FIELDS:
            self._set_fields(run_id, {SYSTEM_FIELDS[key]: None})
            return
        writer = writers.live(self._store, run.info.run_id)
        if writer is not None:
            writer.delete_tag(key)
        else:
            self._guest_writer(run.info.run_id).delete_tag(key)

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self.log_params(run_id, {key: value})
        return value

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Log several params with one write (a gittrack extension; MLflow has ``log_batch``)."""
        self._write(run_id, lambda w: w.log_params(params))

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        **_ignored: Any,
    ) -> None:
        writer = writers.live(self._store, run_id)
        if writer is not None:  # the hot path: one dict lookup, then one CSV row
            writer.log_metric(key, value, step, timestamp)
        else:
            self._write(run_id, lambda w: w.log_metric(key, value, step, timestamp))

    def log_metrics(
        self,
        run_id: str,
        metrics: Mapping[str, float],
        step: int | None = None,
        timestamp: int | None = None,
    ) -> None:
        """Log several metrics at one step (a gittrack extension; MLflow has ``log_batch``)."""
        self._write(run_id, lambda w: w.log_metrics(metrics, step, timestamp))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Params, tags and metrics in one call; every entry is checked before any is written."""
        param_map = {p.key: p.value for p in params}
        tag_map = {t.key: t.value for t in tags}
        for m in metrics:
            names.check_metric_value(names.check_metric_name(m.key), m.value)
        for key in tag_map:
            names.check_name(key, "tag name")

        def change(writer: RunWriter) -> None:
            writer.log_params(param_map)
            for m in metrics:
                writer.log_metric(m.key, m.value, m.step, m.timestamp)

        self._write(run_id, change)
        if tag_map:
            self.set_tags(run_id, tag_map)

    # -- lifecycle ------------------------------------------------------------------------

    def delete_run(self, run_id: str) -> None:
        """Hide a run from default views (recoverable with restore_run; `gittrack gc` removes it)."""
        self._edit_meta(run_id, lifecycle_stage=layout.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._edit_meta(run_id, lifecycle_stage=layout.ACTIVE)

    # -- helpers --------------------------------------------------------------------------

    def _run_dir(self, run_id: str) -> Path:
        try:
            return find_run_dir(self._store, run_id)
        except RunNotFoundError:
            raise RunNotFoundError(f"Run '{run_id}' not found in {self._store}") from None

    def _set_fields(self, run_id: str, fields: Mapping[str, str | None]) -> None:
        writer = writers.live(self._store, run_id)
        if writer is not None:
            writer.write_meta(**fields)
        else:
            self._edit_meta(run_id, **fields)

    def _edit_meta(self, run_id: str, **fields: Any) -> None:
        """Change meta.yaml fields of a run this process does not write (atomic rewrite)."""
        from gittrack.store.writer import set_meta_fields

        run_dir = self._run_dir(run_id)
        writer = writers.live(self._store, run_dir.name)
        if writer is not None:
            writer.write_meta(**fields)
        elif "status" in fields:
            self._guest_writer(run_dir.name).write_meta(**fields)
        else:
            set_meta_fields(run_dir, **fields)

    def _guest_writer(self, run_id: str) -> RunWriter:
        """A writer for a run no live process owns; a run another process writes is refused."""
        run_dir = self._run_dir(run_id)
        record = read_run(run_dir)
        if record.status == "RUNNING":
            raise RunStateError(
                f"run {run_dir.name} is being written by process {record.meta.pid} on "
                f"{record.meta.host}; change it after it ends"
            )
        return RunWriter.attach(run_dir)

    def _write(self, run_id: str, change: Callable[[RunWriter], None]) -> None:
        """Append to a run: through this process's writer of it, else as a guest writer that
        re-compacts a finished run afterwards."""
        from gittrack.store.writer import compact

        writer = writers.live(self._store, run_id)
        if writer is not None:
            change(writer)
            return
        run_dir = self._run_dir(run_id)
        writer = writers.live(self._store, run_dir.name)
        if writer is not None:
            change(writer)
            return
        writer = RunWriter.attach(run_dir)
        change(writer)
        writer.close()
        if read_run(run_dir).meta.status != "RUNNING":
            compact(run_dir)
            if writer.metrics:
                writer.write_meta(metrics={k: s for k, a in writer.metrics.items() if (s := a.summary())})


MlflowClient = Client
