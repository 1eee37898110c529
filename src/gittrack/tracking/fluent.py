"""The module-level logging API, with MLflow's names and signatures.

``import gittrack as mlflow`` keeps MLflow tracking code working: ``set_experiment``,
``start_run`` (a context manager), ``log_param(s)``, ``log_metric(s)``, ``set_tag(s)``,
``log_artifact(s)``, ``log_text``, ``log_dict``, ``end_run``, ``get_run``.  As in MLflow,
a ``log_*`` call with no active run starts one.

This module keeps only the process's run state (the stack of active runs and the
experiment set by ``set_experiment``); every read and write is a call on the active
run's :class:`~gittrack.tracking.client.Client`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from gittrack.errors import MlflowException, RunStateError
from gittrack.store import artifacts, layout
from gittrack.store.config import load_config
from gittrack.store.reader import find_run_dir
from gittrack.store.writer import RunWriter
from gittrack.tracking import environ, hooks, writers
from gittrack.tracking.client import Client
from gittrack.tracking.entities import Experiment, Run, RunData, RunInfo
from gittrack.tracking.environ import ENV_EXPERIMENT, ENV_RUN_ID
from gittrack.tracking.experiments import DEFAULT
from gittrack.tracking.experiments import experiment_name as experiment_id_name
from gittrack.tracking.uri import get_tracking_uri as get_tracking_uri
from gittrack.tracking.uri import is_tracking_uri_set as is_tracking_uri_set
from gittrack.tracking.uri import set_tracking_uri as set_tracking_uri

if TYPE_CHECKING:
    pass


@dataclass
class _State:
    experiment: str | None = None  # set by set_experiment
    stack: list[ActiveRun] = field(default_factory=list)
    last: tuple[Path, str] | None = None  # (store, run id) of the run most recently ended
    uncaught: type[BaseException] | None = None
    hooks_installed: bool = False


_state = _State()


class ActiveRun:
    """The run being logged to; ``with start_run() as run:`` ends it on exit."""

    def __init__(self, client: Client, writer: RunWriter, *, owned: bool = True) -> None:
        self._client = client
        self._writer = writer
        self._owned = owned  # False when attached to a run owned by `gittrack run`
        self.run_id = writer.meta.run_id

    @property
    def info(self) -> RunInfo:
        return self._client.get_run(self.run_id).info

    @property
    def data(self) -> RunData:
        return self._client.get_run(self.run_id).data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self in _state.stack:
            _end(self, hooks.end_status(kind), error=hooks.error_of(exc))

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.run_id!r}, name={self._writer.meta.name!r}>"


# -- experiments ---------------------------------------------------------------------------


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment the one new runs go to, creating it when it does not exist (as
    MLflow does).  The id of an experiment is its name."""
    if (experiment_name is None) == (experiment_id is None):
        raise MlflowException(
            "Must specify exactly one of: `experiment_id` or `experiment_name`.", "INVALID_PARAMETER_VALUE"
        )
    client = Client()
    if experiment_name is not None:
        found = client.ensure_experiment(experiment_name)
    else:
        found = client.get_experiment(experiment_id_name(experiment_id))
    name = found.name
    if found.lifecycle_stage == layout.DELETED:
        raise MlflowException(
            f"Cannot set a deleted experiment {name!r} as the active experiment. You can restore the "
            "experiment, or permanently delete the experiment to create a new one.",
            "INVALID_PARAMETER_VALUE",
        )
    _state.experiment = name
    return found


def active_experiment_id() -> str:
    """The experiment new runs and searches go to: set_experiment's, else the environment's,
    else .gittrack.yml's, else Default."""
    return (
        _state.experiment
        or os.environ.get(ENV_EXPERIMENT)
        or os.environ.get("MLFLOW_EXPERIMENT_NAME")
        or (
            experiment_id_name(os.environ["MLFLOW_EXPERIMENT_ID"])
            if os.environ.get("MLFLOW_EXPERIMENT_ID")
            else None
        )
        or str(load_config().get("experiment") or DEFAULT)
    )


# -- runs ------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    **_ignored: Any,
) -> ActiveRun:
    """Start a new run, or resume ``run_id``. Use as ``with start_run():``."""
    if _state.stack and not nested:
        raise RunStateError(
            f"run {_state.stack[-1].run_id} is already active; end it with end_run() first, "
            "or start a nested run with start_run(nested=True)"
        )
    if nested and _state.stack and parent_run_id is None:
        parent_run_id = _state.stack[-1].run_id
    client = Client()
    wrapper = os.environ.get(ENV_RUN_ID) if not _state.stack else None  # `gittrack run`'s run
    active = None
    if wrapper and run_id is None:
        chosen = {
            "experiment": experiment_id_name(experiment_id) if experiment_id else _state.experiment,
            "name": run_name,
            "description": description,
        }
        active = _attach(client, wrapper, chosen)
        parent_run_id = parent_run_id or wrapper  # when the choices make a run of its own
    if active is None:
        active = _open(client, run_id, experiment_id, run_name, parent_run_id, description)
        if wrapper and active.run_id != wrapper:
            environ.note(
                f"run {active.run_id} ({active._writer.meta.name}) is a run of its own; run {wrapper} "
                "keeps the command's output and exit code"
            )
    _state.stack.append(active)
    _install_hooks()
    if tags:
        client.set_tags(active.run_id, tags)
    return active


def _open(
    client: Client,
    run_id: str | None,
    experiment_id: str | None,
    run_name: str | None,
    parent_run_id: str | None,
    description: str | None,
) -> ActiveRun:
    """Resume run ``run_id``, or create a new run."""
    if run_id is not None:
        return ActiveRun(client, _held(client, client.resume_run(run_id).info.run_id))
    experiment = experiment_id_name(experiment_id) if experiment_id else active_experiment_id()
    run = client.create_run(
        experiment, run_name=run_name, parent_run_id=parent_run_id, description=description
    )
    return ActiveRun(client, _held(client, run.info.run_id))


def _held(client: Client, run_id: str) -> RunWriter:
    writer = writers.live(client.store, run_id)
    assert writer is not None, f"the client holds no writer for run {run_id}"
    return writer


def _attach(client: Client, run_id: str, chosen: Mapping[str, str | None]) -> ActiveRun | None:
    """The run of ``gittrack run`` (which keeps meta.yaml; we only append), named as the
    script ``chosen``; None when those choices cannot be that run (:func:`environ.claim`)."""
    run_dir = find_run_dir(client.store, run_id)
    if writers.live(client.store, run_dir.name) is not None:
        raise RunStateError(f"run {run_dir.name} is already active in this process")
    writer = RunWriter.attach(run_dir)
    claimed = environ.claim(writer.meta.to_dict(), chosen)
    if claimed is None:
        writer.close()
        return None
    writer.meta = writer.meta.with_changes(**claimed)  # as the wrapper writes it
    return ActiveRun(client, writers.hold(writer), owned=False)


def active_run() -> ActiveRun | None:
    return _state.stack[-1] if _state.stack else None


def last_active_run() -> Run | None:
    """The active run, else the run most recently ended in this process."""
    if _state.stack:
        active = _state.stack[-1]
        return active._client.get_run(active.run_id)
    if _state.last is None:
        return None
    store, run_id = _state.last
    return Client(str(store)).get_run(run_id)


def end_run(status: str = "FINISHED") -> None:
    """End the active run (the innermost one when runs are nested)."""
    if _state.stack:
        _end(_state.stack[-1], status)


def _end(active: ActiveRun, status: str, error: dict[str, str | None] | None = None) -> None:
    """End ``active``; a FAILED run keeps ``error`` (else the uncaught exception ending the
    program, if any) in its meta.yaml."""
    # Leave the stack first: a failing end must not leave a half-ended run active.
    _state.stack.remove(active)
    writer = active._writer
    _state.last = (writer.run_dir.parent, active.run_id)
    if active._owned:
        # written by set_terminated's one rewrite of meta.yaml; a resumed run's old error goes
        failed = status.upper() == "FAILED"
        writer.meta = writer.meta.with_changes(error=(error or hooks.uncaught_error()) if failed else None)
        active._client.set_terminated(active.run_id, status)
    else:
        writer.close()
        writers.release(writer)


def _active() -> ActiveRun:
    if not _state.stack:
        start_run()  # as MLflow: logging without a run starts one
    return _state.stack[-1]


def _target(run_id: str | None) -> tuple[Client, str]:
    """The client and run a logging call writes to: ``run_id`` when given, else the active run."""
    if run_id is None:
        active = _active()
        return active._client, active.run_id
    return Client(), run_id


# -- logging ----------------------------------------------------------------------------


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    active = _active()
    return active._client.log_param(active.run_id, key, value)


def log_params(params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    client, target = _target(run_id)
    client.log_params(target, params)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_ignored: Any,
) -> None:
    if run_id is None and _state.stack:  # the hot path: straight to the active run's writer
        _state.stack[-1]._writer.log_metric(key, value, step, timestamp)
        return
    client, target = _target(run_id)
    client.log_metric(target, key, value, timestamp, step)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_ignored: Any,
) -> None:
    client, target = _target(run_id)
    client.log_metrics(target, metrics, step, timestamp)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    active = _active()
    active._client.set_tag(active.run_id, key, value)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    active = _active()
    active._client.set_tags(active.run_id, tags)


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    client, target = _target(run_id)
    client.log_artifact(target, local_path, artifact_path)


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    client, target = _target(run_id)
    client.log_artifacts(target, local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    client, target = _target(run_id)
    client.log_text(target, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    client, target = _target(run_id)
    client.log_dict(target, dictionary, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    active = _active()
    return artifacts.artifact_dir(active._writer.run_dir, artifact_path).as_uri()


def delete_tag(key: str) -> None:
    active = _active()
    active._client.delete_tag(active.run_id, key)


# -- ending runs the user forgot ---------------------------------------------------------------


def _install_hooks() -> None:
    """End runs still active at exit: FINISHED, or FAILED/KILLED after an uncaught exception."""
    if _state.hooks_installed:
        return
    _state.hooks_installed = True
    hooks.install(on_uncaught=_note_uncaught, at_exit=_end_all_at_exit, live_runs=_live_run_dirs)


def _note_uncaught(kind: type[BaseException]) -> None:
    _state.uncaught = kind


def _live_run_dirs() -> list[Path]:
    return [writer.run_dir for writer in writers.held()]


def _end_all_at_exit() -> None:
    status = hooks.end_status(_state.uncaught)
    for active in reversed(list(_state.stack)):
        if active._writer.pid == os.getpid():  # never end a parent's run from a forked child
            _end(active, status)
