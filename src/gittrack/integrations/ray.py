"""Ray Tune experiments as gittrack runs: a Tune ``Callback`` that logs from the driver.

``GittrackCallback`` runs in the Tune driver (never in the trial workers, which may be on
other machines without the repository): every trial becomes a child run of a *tune run*,
with its config as params (nested keys joined by ``/``), every numeric value it reports
as a metric at its ``training_iteration``, and each checkpoint it saves as a reference, not
a copy: the tag ``ray.checkpoint_path`` holds the latest, and the artifact
``ray/checkpoints.yaml`` lists every one (iteration, filesystem, path), written when the
trial ends. Checkpoints stay where Tune's ``storage_path`` put them (a shared disk, a
bucket); a run records where to find them.

The tune run is the ``parent_run_id`` given, else the active run of the driver, else a
run the callback starts at ``setup`` and ends when the experiment ends.

This module imports Ray: import it only where Ray Tune is installed
(``pip install 'gittrack[ray]'``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from ray.tune import Callback

from gittrack.errors import GittrackError
from gittrack.store import names
from gittrack.tracking.client import Client
from gittrack.tracking.fluent import active_run

# Tune's bookkeeping in every result: the step, clocks and process facts, not metrics.
BOOKKEEPING = frozenset(
    {"training_iteration", "timestamp", "pid", "done", "iterations_since_restore", "trial_id", "date"}
)


class GittrackCallback(Callback):  # type: ignore[misc,unused-ignore]  # Any without Ray's types
    """Record every trial of a Tune run, from the driver, as a child run."""

    def __init__(
        self,
        *,
        experiment: str | None = None,
        run_name: str | None = None,
        parent_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        tracking_uri: str | None = None,
    ) -> None:
        self._client = Client(tracking_uri)
        self._experiment = experiment
        self._run_name = run_name
        self._parent = parent_run_id
        self._own_parent = False
        self._tags = {names.check_name(k, "tag name"): str(v) for k, v in (tags or {}).items()}
        self._runs: dict[str, str] = {}  # trial id -> run id
        self._checkpoints: dict[str, list[dict[str, Any]]] = {}
        self._warned: set[str] = set()

    @property
    def tune_run_id(self) -> str | None:
        """The tune (parent) run's id, once :meth:`setup` ran."""
        return self._parent

    def setup(
        self,
        stop: Any = None,
        num_samples: int | None = None,
        total_num_samples: int | None = None,
        **info: Any,
    ) -> None:
        if self._parent is not None:
            return
        current = active_run()
        if current is not None:
            self._parent = current.info.run_id
            return
        run = self._client.create_run(
            experiment_id=self._experiment, run_name=self._run_name, tags={**self._tags, "ray.tune": "true"}
        )
        self._parent, self._own_parent = run.info.run_id, True

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if trial.trial_id in self._runs:  # a restored trial goes on in its run
            return
        params = flatten(trial.config)
        for key in params:
            names.check_name(key, "param name")
        run = self._client.create_run(
            experiment_id=self._experiment or self._parent_experiment(),
            run_name=str(trial),
            parent_run_id=self._parent,
            tags={**self._tags, "ray.trial_id": str(trial.trial_id), "ray.trial_name": str(trial)},
        )
        self._runs[trial.trial_id] = run.info.run_id
        if params:
            self._client.log_params(run.info.run_id, params)

    def on_trial_result(
        self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any
    ) -> None:
        run_id = self._runs.get(trial.trial_id)
        if run_id is None:
            return
        step = int(result.get("training_iteration") or 0)
        metrics = {k: v for k, v in flatten(result).items() if self._loggable(k, v)}
        if metrics:
            self._client.log_metrics(run_id, metrics, step=step)

    def on_checkpoint(
        self, iteration: int, trials: list[Any], trial: Any, checkpoint: Any, **info: Any
    ) -> None:
        run_id = self._runs.get(trial.trial_id)
        if run_id is None:
            return
        path = str(checkpoint.path)
        filesystem = getattr(getattr(checkpoint, "filesystem", None), "type_name", "local")
        step = trial.last_result.get("training_iteration") if trial.last_result else None
        self._checkpoints.setdefault(trial.trial_id, []).append(
            {"iteration": step, "filesystem": filesystem, "path": path}
        )
        self._client.set_tag(run_id, "ray.checkpoint_path", path)

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._end_trial(trial, "FINISHED")

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._end_trial(trial, "FAILED")

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        for trial in trials:  # trials Tune stopped without a complete/error event
            self._end_trial(trial, "KILLED")
        if self._own_parent and self._parent is not None:
            self._client.set_terminated(self._parent, "FINISHED")
            self._own_parent = False

    # -- helpers ------------------------------------------------------------------------------

    def _end_trial(self, trial: Any, status: str) -> None:
        run_id = self._runs.pop(trial.trial_id, None)
        if run_id is None:
            return
        checkpoints = self._checkpoints.pop(trial.trial_id, [])
        if checkpoints:
            self._client.log_dict(run_id, {"checkpoints": checkpoints}, "ray/checkpoints.yaml")
        self._client.set_terminated(run_id, status)

    def _parent_experiment(self) -> str | None:
        return None if self._parent is None else self._client.get_run(self._parent).info.experiment_id

    def _loggable(self, key: str, value: Any) -> bool:
        if key in BOOKKEEPING or key.startswith("config/") or isinstance(value, bool | str) or value is None:
            return False
        try:
            float(value)
        except (TypeError, ValueError):
            return False  # lists, arrays, objects: not a metric
        try:
            names.check_metric_name(key)
        except GittrackError as exc:
            if key not in self._warned:  # said once per key, not at every result
                self._warned.add(key)
                warnings.warn(f"gittrack: Ray Tune result {key!r} is not logged: {exc}", stacklevel=2)
            return False
        return True


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level, keys joined by ``/`` (Tune's own delimiter)."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}/"))
        else:
            flat[name] = value
    return flat
