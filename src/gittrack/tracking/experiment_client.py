"""The experiment methods of :class:`~gittrack.tracking.client.Client`, as MLflow has them.

An experiment's id is its name.  An experiment exists when it has an event file
(:mod:`gittrack.store.experiments`) or runs; ``Default`` always exists (its id ``"0"``, as in
MLflow, is accepted too).  Deleting an experiment hides its runs from active views
without rewriting them; renaming rewrites the ``experiment`` field of its runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import AlreadyExistsError, ExperimentNotFoundError, GittrackWarning, RunStateError
from gittrack.store import experiments as events
from gittrack.store import layout, names
from gittrack.store.experiments import ExperimentRecord
from gittrack.tracking import paging
from gittrack.tracking.entities import Experiment, ViewType
from gittrack.tracking.experiments import DEFAULT, check_name, experiment_name

if TYPE_CHECKING:
    import pandas as pd

_STAGES = {ViewType.ACTIVE_ONLY: {layout.ACTIVE}, ViewType.DELETED_ONLY: {layout.DELETED}}


class ExperimentMethods:
    """Mixin: experiment methods over ``self._store``."""

    _store: Path

    # -- reading ----------------------------------------------------------------------------

    def search_experiments(
        self,
        view_type: ViewType | int = ViewType.ACTIVE_ONLY,
        max_results: int | None = paging.DEFAULT_MAX_RESULTS,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> paging.PagedList[Experiment]:
        """Experiments matching MLflow's experiment filter (``name``, ``tags.<key>``,
        ``creation_time``, ``last_update_time``), newest first unless ``order_by`` says
        otherwise; a page of ``max_results`` with a ``token`` for the next."""
        from gittrack.query.filter import filter_frame, sort_frame
        from gittrack.query.filter_parse import EXPERIMENTS

        limit = paging.check_max_results(max_results)
        stages = _STAGES.get(ViewType.from_any(view_type), {layout.ACTIVE, layout.DELETED})
        frame = _frame([e for e in self._experiments() if e.lifecycle_stage in stages])
        frame = filter_frame(frame, filter_string or "", schema=EXPERIMENTS)
        frame = sort_frame(frame, order_by or ["creation_time DESC", "experiment_id ASC"], schema=EXPERIMENTS)
        found = [self._experiment_of(row) for row in frame.to_dict(orient="records")]
        return paging.page(found, page_token, limit)

    def get_experiment(self, experiment_id: str) -> Experiment:
        name = experiment_name(experiment_id)
        found = self._find(name)
        if found is None:
            raise ExperimentNotFoundError(f"Could not find experiment with ID {experiment_id}")
        return found

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._find(name)

    def get_experiments_by_name(self, names: Sequence[str]) -> list[Experiment]:
        """The experiments of ``names`` that exist, in that order (one look at the store)."""
        by_name = {e.name: e for e in self._experiments()}
        return [by_name[n] for n in names if n in by_name]

    def _find(self, name: str) -> Experiment | None:
        return next((e for e in self._experiments() if e.name == name), None)

    def _experiments(self) -> list[Experiment]:
        """Every experiment of the store: with event files, with runs, and Default."""
        from gittrack.query.search import experiment_starts

        records = events.read_records(self._store, _warn)
        starts = experiment_starts(self._store)
        found = []
        for name in sorted({DEFAULT, *records, *starts}):
            record = records.get(name, ExperimentRecord(name))
            if record.renamed_to is not None and name not in starts:
                continue  # renamed away, and no run kept the old name
            found.append(self._entity(record, starts.get(name)))
        return [_default_first(e, found) if e.name == DEFAULT else e for e in found]

    def _entity(self, record: ExperimentRecord, first_run: int | None) -> Experiment:
        times = [t for t in (record.creation_time, first_run) if t is not None]
        return Experiment(
            experiment_id=record.name,
            name=record.name,
            artifact_location=self._store.as_uri(),
            lifecycle_stage=record.lifecycle_stage,
            tags=dict(record.tags),
            creation_time=min(times) if times else None,
            last_update_time=record.last_update_time or (min(times) if times else None),
        )

    def _experiment_of(self, row: dict[str, Any]) -> Experiment:
        return Experiment(
            experiment_id=row["experiment_id"],
            name=row["name"],
            artifact_location=self._store.as_uri(),
            lifecycle_stage=row["lifecycle_stage"],
            tags={k[5:]: v for k, v in row.items() if k.startswith("tags.") and isinstance(v, str)},
            creation_time=_int(row.get("creation_time")),
            last_update_time=_int(row.get("last_update_time")),
        )

    # -- writing ----------------------------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        """Create an experiment (an event file); its id, which is its name, is returned."""
        name = check_name(name)
        checked = {names.check_name(k, "tag name"): str(v) for k, v in (tags or {}).items()}
        existing = self._find(name)
        if existing is not None:
            state = " in deleted state" if existing.lifecycle_stage == layout.DELETED else ""
            raise AlreadyExistsError(f"Experiment '{name}' already exists{state}.")
        if artifact_location:
            warnings.warn(
                f"gittrack keeps artifacts in each run's directory; artifact_location "
                f"{artifact_location!r} is not used",
                GittrackWarning,
                stacklevel=2,
            )
        events.append_event(self._store, name, "create", **({"tags": checked} if checked else {}))
        return name

    def ensure_experiment(self, name: str) -> Experiment:
        """The experiment ``name``, created when it has no event files yet (a gittrack
        extension behind ``set_experiment``): reads only that experiment's own files, and
        two processes creating it at once both succeed."""
        name = check_name(name)
        record = events.read_record(self._store, name)
        if record.creation_time is None and name != DEFAULT:
            events.append_event(self._store, name, "create")
            record = events.read_record(self._store, name)
        return self._entity(record, None)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment deleted; its runs leave the active views with it (restorable)."""
        name = self.get_experiment(experiment_id).name
        if name == DEFAULT:
            raise RunStateError(
                "Cannot delete the default experiment 'Default'. This is an internal experiment."
            )
        events.append_event(self._store, name, "delete")

    def restore_experiment(self, experiment_id: str) -> None:
        events.append_event(self._store, self.get_experiment(experiment_id).name, "restore")

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        name = self.get_experiment(experiment_id).name
        events.append_event(
            self._store, name, "set_tag", tags={names.check_name(key, "tag name"): str(value)}
        )

    def set_experiment_tags(self, experiment_id: str, tags: dict[str, Any]) -> None:
        """Several experiment tags in one event (a gittrack extension, behind the fluent
        ``set_experiment_tags``)."""
        name = self.get_experiment(experiment_id).name
        checked = {names.check_name(k, "tag name"): str(v) for k, v in tags.items()}
        events.append_event(self._store, name, "set_tag", tags=checked)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        experiment = self.get_experiment(experiment_id)
        if key not in experiment.tags:
            raise ExperimentNotFoundError(f"No tag with name: {key} in experiment {experiment.name!r}")
        events.append_event(self._store, experiment.name, "delete_tag", key=key)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment: every run of it gets the new name in its meta.yaml."""
        from gittrack.store.writer import set_meta_fields

        old = self.get_experiment(experiment_id)
        new_name = check_name(new_name)
        if self._find(new_name) is not None:
            raise AlreadyExistsError(f"Experiment '{new_name}' already exists.")
        if old.name == DEFAULT:
            raise RunStateError("Cannot rename the default experiment 'Default'.")
        run_dirs = self._run_dirs_of(old.name)
        for run_dir in run_dirs:
            set_meta_fields(run_dir, experiment=new_name)
        created = None if old.creation_time is None else layout.iso_utc(old.creation_time)
        events.append_event(
            self._store, new_name, "renamed_from", other=old.name, created=created, tags=old.tags
        )
        events.append_event(self._store, old.name, "renamed_to", other=new_name)

    def _run_dirs_of(self, experiment: str) -> list[Path]:
        from gittrack.query.search import search

        frame = search(self._store, experiments=[experiment], view="all")
        running = frame.loc[frame["status"] == "RUNNING", "run_id"].tolist()
        if running:
            raise RunStateError(
                f"experiment {experiment!r} has running runs ({', '.join(running[:5])}); "
                "rename it after they end"
            )
        return [self._store / run_id for run_id in frame["run_id"]]


def _default_first(default: Experiment, found: list[Experiment]) -> Experiment:
    """Default exists from the store's start, as in MLflow: as old as the oldest experiment."""
    if default.creation_time is not None:
        return default
    times = [e.creation_time for e in found if e.creation_time is not None]
    born = min(times) - 1 if times else None  # strictly first, as MLflow made it first
    return replace(default, creation_time=born, last_update_time=default.last_update_time or born)


def _frame(found: list[Experiment]) -> pd.DataFrame:
    """Experiments as a frame the query engine filters and sorts."""
    import pandas as pd

    rows = [
        {
            "experiment_id": e.experiment_id,
            "name": e.name,
            "lifecycle_stage": e.lifecycle_stage,
            "creation_time": e.creation_time,
            "last_update_time": e.last_update_time,
            **{f"tags.{k}": v for k, v in e.tags.items()},
        }
        for e in found
    ]
    columns = ["experiment_id", "name", "lifecycle_stage", "creation_time", "last_update_time"]
    frame = pd.DataFrame(rows, columns=[*columns, *sorted({k for r in rows for k in r} - set(columns))])
    for name in ("creation_time", "last_update_time"):
        frame[name] = frame[name].astype("Int64")
    return frame


def _int(value: Any) -> int | None:
    import pandas as pd

    return None if value is None or value is pd.NA else int(value)


def _warn(message: str) -> None:
    warnings.warn(message, GittrackWarning, stacklevel=4)
