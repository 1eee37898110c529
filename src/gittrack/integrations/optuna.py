"""Optuna studies as gittrack runs: a ``study.optimize`` callback.

``GittrackCallback`` writes each finished trial as a child run of a *study run*: the
trial's params, its objective value(s) as metrics (and its intermediate values as the
history of ``intermediate_value``), its state and number as tags, its start and end times
as the run's. The study run is, first found first used:

1. the ``study_run_id`` given to the callback;
2. the run whose id the study holds in its user attribute ``gittrack.study_run_id``
   (:data:`STUDY_RUN_ATTR`), when that run is in this store: the way every worker of a
   distributed study (RDB storage, one ``optimize`` per process or machine) finds the one
   run a launcher created (:func:`start_study_run`);
3. the active run of this process (``with gittrack.start_run(): study.optimize(...)``);
4. else a run the callback starts itself, named after the study, one per callback object:
   it logs ``best_value`` as the study improves and ends at :meth:`GittrackCallback.end`
   (or when the process exits, like any run).

Optuna is imported by the caller, never here: this module reads the trial and study
objects Optuna passes in, so importing it costs nothing and needs no Optuna.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gittrack.errors import GittrackError
from gittrack.store import names
from gittrack.tracking.client import Client
from gittrack.tracking.fluent import active_run

STUDY_RUN_ATTR = "gittrack.study_run_id"
# Optuna's TrialState names -> the run's status. A pruned trial ended on purpose: FINISHED,
# its state tag says PRUNED. RUNNING/WAITING never reach a callback.
STATUS = {"COMPLETE": "FINISHED", "PRUNED": "FINISHED", "FAIL": "FAILED"}


class GittrackCallback:
    """Log every finished trial of ``study.optimize`` as a child run of the study run.

    ``metric_name``: the name of the objective value (a list of names for a
    multi-objective study; one name ``n`` becomes ``n_0``, ``n_1``... there).
    ``tag_user_attrs``: also log the trial's user attributes as ``optuna.user_attr.<key>``
    tags. ``tracking_uri``: the store (default: the current one, as for ``gittrack.log_*``).
    """

    def __init__(
        self,
        *,
        metric_name: str | Sequence[str] = "value",
        study_run_id: str | None = None,
        experiment: str | None = None,
        tag_user_attrs: bool = True,
        tracking_uri: str | None = None,
    ) -> None:
        names_ = [metric_name] if isinstance(metric_name, str) else list(metric_name)
        for name in names_:
            names.check_metric_name(name)
        self._metric_names = names_
        self._study_run_id = study_run_id
        self._experiment = experiment
        self._tag_user_attrs = tag_user_attrs
        self._client = Client(tracking_uri)
        self._lock = threading.Lock()  # optimize(n_jobs=k) calls back from k threads
        self._own_run: str | None = None
        self._ended = False
        self._best: float | None = None

    @property
    def study_run_id(self) -> str | None:
        """The study run this callback logged into (None before the first trial)."""
        return self._study_run_id or self._own_run

    def __call__(self, study: Any, trial: Any) -> None:
        state = trial.state.name
        if state not in STATUS:
            return
        params = dict(trial.params)
        metrics = self._values(trial)
        for key in params:  # a bad name fails before the trial's run exists
            names.check_name(key, "param name")
        with self._lock:
            parent = self._parent(study)
        run = self._client.create_run(
            experiment_id=self._experiment or self._parent_experiment(parent),
            start_time=_ms(trial.datetime_start),
            run_name=f"trial-{trial.number}",
            parent_run_id=parent,
            tags=self._tags(study, trial),
        )
        run_id = run.info.run_id
        end = _ms(trial.datetime_complete)
        try:
            if params:
                self._client.log_params(run_id, params)
            for key, value in metrics.items():
                self._client.log_metric(run_id, key, value, timestamp=end, step=0)
            for step, value in sorted(trial.intermediate_values.items()):
                self._client.log_metric(run_id, "intermediate_value", value, step=step)
        except BaseException:
            self._client.set_terminated(run_id, "FAILED", end)
            raise
        self._client.set_terminated(run_id, STATUS[state], end)
        if state == "COMPLETE" and self._own_run == parent:
            with self._lock:
                self._log_best(study, trial.number)

    def end(self, status: str = "FINISHED") -> None:
        """End the study run this callback started (a no-op when it used someone else's or
        ended it already); called at exit when the program did not."""
        with self._lock:
            if self._own_run is not None and not self._ended:
                self._ended = True
                self._client.set_terminated(self._own_run, status)

    # -- the study run ------------------------------------------------------------------------

    def _parent(self, study: Any) -> str:
        if self._study_run_id is not None:
            return self._study_run_id
        shared = study.user_attrs.get(STUDY_RUN_ATTR)
        if isinstance(shared, str) and self._in_store(shared):
            self._study_run_id = shared
            return shared
        current = active_run()
        if current is not None:
            self._study_run_id = current.info.run_id
            return self._study_run_id
        if self._own_run is None:
            self._own_run = _create_study_run(self._client, study, self._experiment)
            atexit.register(self.end)
        return self._own_run

    def _in_store(self, run_id: str) -> bool:
        try:
            self._client.get_run(run_id)
        except GittrackError:
            return False  # another machine's run: this worker starts its own
        return True

    def _parent_experiment(self, parent: str) -> str:
        return self._client.get_run(parent).info.experiment_id

    def _log_best(self, study: Any, number: int) -> None:
        if len(study.directions) != 1:
            return
        best = float(study.best_value)
        if best != self._best:
            self._best = best
            self._client.log_metric(self._own_run or "", "best_value", best, step=number)

    # -- one trial ------------------------------------------------------------------------------

    def _values(self, trial: Any) -> dict[str, float]:
        values = trial.values
        if values is None:  # pruned or failed: no objective value
            return {}
        keys = self._metric_names
        if len(keys) == 1 and len(values) > 1:
            keys = [f"{keys[0]}_{i}" for i in range(len(values))]
        if len(keys) != len(values):
            raise GittrackError(
                f"metric_name has {len(keys)} names for {len(values)} objective values: "
                "give one name per objective"
            )
        return {key: float(value) for key, value in zip(keys, values, strict=True)}

    def _tags(self, study: Any, trial: Any) -> dict[str, str]:
        tags = {
            "optuna.study_name": str(study.study_name),
            "optuna.trial_number": str(trial.number),
            "optuna.state": trial.state.name,
            "optuna.direction": ",".join(d.name for d in study.directions),
        }
        if self._tag_user_attrs:
            for key, value in trial.user_attrs.items():
                tags[names.check_name(f"optuna.user_attr.{key}", "tag name")] = str(value)
        return tags


def start_study_run(study: Any, *, run_name: str | None = None, tracking_uri: str | None = None) -> str:
    """Start the study run and record its id in the study's storage (user attribute
    :data:`STUDY_RUN_ATTR`), so every worker's callback logs its trials under it.

    Call it once, in the process that creates the study; end the run with
    ``Client().set_terminated(run_id)`` when the workers are done.
    """
    client = Client(tracking_uri)
    run_id = _create_study_run(client, study, None, run_name=run_name)
    study.set_user_attr(STUDY_RUN_ATTR, run_id)
    return run_id


def _create_study_run(client: Client, study: Any, experiment: str | None, run_name: str | None = None) -> str:
    tags = {
        "optuna.study_name": str(study.study_name),
        "optuna.direction": ",".join(d.name for d in study.directions),
        "optuna.sampler": type(study.sampler).__name__,
    }
    run = client.create_run(experiment_id=experiment, run_name=run_name or str(study.study_name), tags=tags)
    return run.info.run_id


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
