"""``search_runs`` and :class:`Client` (also ``MlflowClient``), with MLflow's signatures.

The Client is the core of the tracking API: every write and read goes through it, and
the fluent functions (:mod:`gittrack.tracking.fluent`) call it for the active run, as
MLflow's do.  Experiments are identified by name: an experiment's id is its name, the
same on every branch and machine.  Wherever MLflow takes ``experiment_ids``, a single id
or a list works.  Every search goes through :func:`gittrack.query.search.search`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import RunNotFoundError
from gittrack.store import artifacts, context, ids, layout, yamlio
from gittrack.store.config import Config, load_config
from gittrack.store.layout import Meta
from gittrack.store.reader import find_run_dir, read_run
from gittrack.store.writer import RunWriter, now_ms
from gittrack.tracking import experiments, uri, writers
from gittrack.tracking.entities import Experiment, Metric, Run, ViewType, run_from_record, run_from_writer

if TYPE_CHECKING:
    import pandas as pd

_VIEWS = {ViewType.ACTIVE_ONLY: "active", ViewType.DELETED_ONLY: "deleted", ViewType.ALL: "all"}


class PagedList(list[Run]):
    """A list of runs with MLflow's ``token`` attribute (always None: results are not paged)."""

    token: str | None = None


def search_runs(
    experiment_ids: str | Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    order_by: Sequence[str] | str | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
    *,
    rev: str | None = None,
    group_by: Sequence[str] | str | None = None,
    agg: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Runs matching an MLflow-style filter, as a DataFrame (default) or a list of Runs.

    With no experiment given, all experiments are searched (MLflow would search only the
    active one; searching everything is what a git-wide history wants).
    ``group_by`` aggregates metrics per group (see :func:`gittrack.query.group.group_runs`).
    """
    return Client()._search(
        experiment_ids,
        filter_string,
        run_view_type,
        max_results,
        order_by,
        output_format,
        experiment_names=experiment_names,
        rev=rev,
        group_by=group_by,
        agg=agg,
    )


def _experiments(ids: str | Sequence[str] | None, names: Sequence[str] | None) -> list[str]:
    wanted = [ids] if isinstance(ids, str) else list(ids or [])
    wanted += [names] if isinstance(names, str) else list(names or [])
    return [str(w) for w in wanted]


class Client:
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

    # -- experiments --------------------------------------------------------------------

    def search_experiments(
        self,
        view_type: ViewType | int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> list[Experiment]:
        """Experiments that have runs (plus those set in this process), by name.

        An experiment is only a name here, so ``filter_string`` takes MLflow's name
        conditions (``name = 'x'``, ``name LIKE 'nyc-%'``, ``!=``, ``ILIKE``, joined by
        AND) and ``order_by`` takes ``name ASC|DESC``; anything else is a FilterError.
        """
        from gittrack.query.search import search

        matches = experiments.name_filter(filter_string or "")
        descending = experiments.name_order(order_by)
        frame = search(self._store, view=_VIEWS[ViewType.from_any(view_type)])
        names = set(frame["experiment_id"]) | experiments.session_names()
        chosen = sorted((n for n in names if matches(n)), reverse=descending)
        found = [self._experiment(n) for n in chosen]
        return found if max_results is None else found[:max_results]

    def _experiment(self, name: str) -> Experiment:
        return Experiment(experiment_id=name, name=name, artifact_location=self._store.as_uri())

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return next((e for e in self.search_experiments(ViewType.ALL) if e.name == name), None)

    def get_experiment(self, experiment_id: str) -> Experiment:
        found = self.get_experiment_by_name(experiment_id)
        if found is None:
            raise RunNotFoundError(f"no experiment {experiment_id!r} (no run has it)")
        return found

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        return experiments.check_name(name)

    # -- runs -----------------------------------------------------------------------------

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
        """A new RUNNING run written by this process until :meth:`set_terminated`.

        ``mlflow.runName``, ``mlflow.parentRunId`` and ``mlflow.note.content`` in ``tags``
        are stored as the run's name, parent and description (meta.yaml), as MLflow's
        system tags are derived from them when read.
        """
        tags = {str(k): v for k, v in (tags or {}).items()}
        config = self._loaded_config()
        meta = Meta(
            run_id=ids.new_run_id(),
            name=str(tags.pop("mlflow.runName", None) or run_name or ids.new_run_name()),
            experiment=experiments.check_name(experiment_id or config.get("experiment") or "Default"),
            status="RUNNING",
            start_time=start_time or now_ms(),
            user=context.user(),
            host=context.host(),
            pid=os.getpid(),
            parent_run_id=_opt(tags.pop("mlflow.parentRunId", None)) or parent_run_id,
            description=_opt(tags.pop("mlflow.note.content", None)) or description,
            source=context.source(),
        )
        writer = writers.hold(self._new_writer(config, meta))
        if tags:
            writer.set_tags(tags)
        return run_from_writer(writer)

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
        from gittrack.errors import RunStateError

        run_dir = self._run_dir(run_id)
        if writers.live(self._store, run_dir.name) is not None:
            raise RunStateError(f"run {run_dir.name} is already active in this process")
        writer = RunWriter.resume(run_dir, pid=os.getpid(), host=context.host())
        return run_from_writer(writers.hold(writer))

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        """End a run this process writes: FINISHED unless ``status`` says otherwise."""
        writer = writers.live(self._store, run_id)
        if writer is None:
            writer = RunWriter.attach(self._run_dir(run_id))
        try:
            writer.finish(status or "FINISHED", end_time)
        finally:
            writers.release(writer)

    def search_runs(
        self,
        experiment_ids: str | Sequence[str] | None = None,
        filter_string: str = "",
        run_view_type: ViewType | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        rev: str | None = None,
    ) -> PagedList:
        found = self._search(
            experiment_ids, filter_string, run_view_type, max_results, order_by, "list", rev=rev
        )
        assert isinstance(found, PagedList)
        return found

    def _search(
        self,
        experiment_ids: str | Sequence[str] | None,
        filter_string: str,
        run_view_type: ViewType | int,
        max_results: int | None,
        order_by: Sequence[str] | str | None,
        output_format: str,
        *,
        experiment_names: Sequence[str] | None = None,
        rev: str | None = None,
        group_by: Sequence[str] | str | None = None,
        agg: Sequence[str] | None = None,
    ) -> pd.DataFrame | list[Run]:
        from gittrack.query.search import search
        from gittrack.tracking.mlflow_frame import mlflow_frame, runs_from_frame

        if output_format not in ("pandas", "list"):
            raise ValueError(f"output_format must be 'pandas' or 'list', not {output_format!r}")
        frame = search(
            self._store,
            experiments=_experiments(experiment_ids, experiment_names),
            filter_string=filter_string or "",
            order_by=order_by,
            max_results=max_results,
            view=_VIEWS[ViewType.from_any(run_view_type)],
            rev=rev,
        )
        if group_by:
            from gittrack.query.group import group_runs

            return group_runs(frame, group_by, agg=agg)
        if output_format == "list":
            return PagedList(runs_from_frame(frame, self._store))
        return mlflow_frame(frame, self._store)

    def get_run(self, run_id: str) -> Run:
        """A run by id (or unique id prefix) from this client's store."""
        writer = writers.live(self._store, run_id)
        if writer is not None:
            return run_from_writer(writer)
        try:
            run_dir = self._run_dir(run_id)
        except RunNotFoundError:
            raise RunNotFoundError(f"run {run_id!r} not found in {self._store}") from None
        return run_from_record(read_run(run_dir))

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of one metric, in logging order ([] for a metric never logged)."""
        from gittrack.store.metric_csv import parse_columns
        from gittrack.store.names import check_metric_name

        path = layout.metric_path(self._run_dir(run_id), check_metric_name(key))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        steps, stamps, values = parse_columns(text, path)
        return list(map(Metric, repeat(key), values, stamps, steps))

    # -- logging --------------------------------------------------------------------------

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        self.set_tags(run_id, {key: value})

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set several tags with one write (a gittrack extension; MLflow has ``log_batch``)."""
        self._write(run_id, lambda w: w.set_tags(tags))

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

    # -- artifacts ------------------------------------------------------------------------

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        artifacts.copy_file(self._run_dir(run_id), local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        artifacts.copy_tree(self._run_dir(run_id), local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        artifacts.write_bytes(self._run_dir(run_id), artifact_file, text.encode("utf-8"))

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Write ``dictionary`` as YAML (``.yaml``/``.yml``) or JSON (anything else), as MLflow does."""
        if artifact_file.endswith((".yaml", ".yml")):
            text = yamlio.dump(dictionary) or "{}\n"
        else:
            text = json.dumps(dictionary, indent=2, default=str) + "\n"
        self.log_text(run_id, text, artifact_file)

    # -- lifecycle ------------------------------------------------------------------------

    def delete_run(self, run_id: str) -> None:
        """Hide a run from default views (recoverable with restore_run; `gittrack gc` removes it)."""
        self._set_stage(run_id, layout.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_stage(run_id, layout.ACTIVE)

    def _run_dir(self, run_id: str) -> Path:
        return find_run_dir(self._store, run_id)

    def _set_stage(self, run_id: str, stage: str) -> None:
        from gittrack.store.writer import set_lifecycle_stage

        set_lifecycle_stage(self._run_dir(run_id), stage)

    def _write(self, run_id: str, change: Callable[[RunWriter], None]) -> None:
        """Change a run: through this process's writer of it, else append as a guest and
        re-compact a finished run."""
        from gittrack.store.writer import compact

        writer = writers.live(self._store, run_id)
        if writer is not None:
            change(writer)
            return
        run_dir = self._run_dir(run_id)
        writer = writers.live(self._store, run_dir.name) or RunWriter.attach(run_dir)
        change(writer)
        if writers.live(self._store, run_dir.name) is writer:
            return
        writer.close()
        if read_run(run_dir).meta.status != "RUNNING":
            compact(run_dir)
            if writer.metrics:
                writer.write_meta(metrics={k: s for k, a in writer.metrics.items() if (s := a.summary())})


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


MlflowClient = Client
