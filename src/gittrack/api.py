"""The module-level logging API, with MLflow's names and signatures.

``import gittrack as mlflow`` keeps MLflow tracking code working: ``set_experiment``,
``start_run`` (a context manager), ``log_param(s)``, ``log_metric(s)``, ``set_tag(s)``,
``log_artifact(s)``, ``log_text``, ``log_dict``, ``end_run``, ``get_run``.  As in MLflow,
a ``log_*`` call with no active run starts one.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from gittrack import api_hooks, context, ids
from gittrack.config import Config, load_config, resolve_store
from gittrack.entities import Experiment, Run, RunData, RunInfo, param_str, run_info
from gittrack.entities import run_from_record as _run_from_record
from gittrack.errors import ConfigError, GittrackWarning, RunNotFoundError, RunStateError
from gittrack.run_env import ENV_EXPERIMENT, ENV_RUN_ID
from gittrack.run_env import params as params  # re-exported: part of the module-level API
from gittrack.store import yamlio
from gittrack.store.layout import Meta
from gittrack.store.reader import find_run_dir, read_run
from gittrack.store.writer import RunWriter, now_ms


@dataclass
class _State:
    store: Path | None = None  # set by set_tracking_uri
    experiment: str | None = None  # set by set_experiment
    stack: list[ActiveRun] = field(default_factory=list)
    last: Path | None = None  # directory of the run most recently ended
    uncaught: type[BaseException] | None = None
    hooks_installed: bool = False


_state = _State()


class ActiveRun:
    """The run being logged to; ``with start_run() as run:`` ends it on exit."""

    def __init__(self, writer: RunWriter, *, owned: bool = True) -> None:
        self._writer = writer
        self._owned = owned  # False when attached to a run owned by `gittrack run`

    @property
    def info(self) -> RunInfo:
        return run_info(self._writer.meta, self._writer.meta.status, self._writer.run_dir)

    @property
    def data(self) -> RunData:
        w = self._writer
        metrics = {k: s.last for k, acc in w.metrics.items() if (s := acc.summary())}
        return RunData({k: param_str(v) for k, v in w.params.items()}, metrics, dict(w.tags))

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self in _state.stack:
            _end(self, api_hooks.end_status(kind))

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self._writer.meta.run_id!r}, name={self._writer.meta.name!r}>"


# -- where runs go ------------------------------------------------------------------------


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Store runs at a path or ``file:`` URI; other schemes keep the git store and warn."""
    text = os.fspath(uri)
    if text.startswith("file:"):
        from urllib.parse import unquote, urlparse

        _state.store = Path(unquote(urlparse(text).path)).resolve()
    elif "://" in text or text.startswith(("sqlite:", "databricks", "postgresql:", "mysql:")):
        warnings.warn(
            f"gittrack ignores tracking URI {text!r} and keeps storing runs in git ({get_tracking_uri()})",
            GittrackWarning,
            stacklevel=2,
        )
    else:
        _state.store = Path(text).expanduser().resolve()


def get_tracking_uri() -> str:
    return str(_store(load_config()))


def _store(config: Config) -> Path:
    return resolve_store(_state.store, config)


# -- experiments ---------------------------------------------------------------------------


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make ``experiment_name`` the experiment of new runs. The id of an experiment is its name."""
    name = experiment_name if experiment_name is not None else experiment_id
    _state.experiment = _check_experiment(name)
    return _experiment(_state.experiment, load_config())


def _experiment(name: str, config: Config) -> Experiment:
    return Experiment(experiment_id=name, name=name, artifact_location=_store(config).as_uri())


def _check_experiment(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"experiment name must be a non-empty string, got {name!r}")
    if any(ord(c) < 32 for c in name) or len(name) > 250:
        raise ConfigError(f"experiment name {name[:60]!r} has control characters or is too long")
    return name


def _default_experiment(config: Config) -> str:
    return (
        _state.experiment
        or os.environ.get(ENV_EXPERIMENT)
        or os.environ.get("MLFLOW_EXPERIMENT_NAME")
        or str(config.get("experiment") or "Default")
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
        current = _state.stack[-1].info.run_id
        raise RunStateError(
            f"run {current} is already active; end it with end_run() first, "
            "or start a nested run with start_run(nested=True)"
        )
    if nested and _state.stack and parent_run_id is None:
        parent_run_id = _state.stack[-1].info.run_id
    config = load_config()
    store = _store(config)
    attach = os.environ.get(ENV_RUN_ID) if not _state.stack and run_id is None else None
    if attach or run_id is not None:
        active = _resume(store, str(attach or run_id), owned=not attach)
    else:
        meta = _new_meta(config, experiment_id, run_name, parent_run_id, description)
        active = ActiveRun(_create(config, store, meta))
    _state.stack.append(active)
    _install_hooks()
    if tags:
        active._writer.set_tags(tags)
    return active


def _new_meta(
    config: Config, experiment: str | None, name: str | None, parent: str | None, description: str | None
) -> Meta:
    return Meta(
        run_id=ids.new_run_id(),
        name=name or ids.new_run_name(),
        experiment=_check_experiment(experiment) if experiment else _default_experiment(config),
        status="RUNNING",
        start_time=now_ms(),
        user=context.user(),
        host=context.host(),
        pid=os.getpid(),
        parent_run_id=parent,
        description=description,
        source=context.source(),
    )


def _create(config: Config, store: Path, meta: Meta) -> RunWriter:
    from gittrack import capture

    git_state = capture.git_state(config, store)
    environment = context.environment() if config.get("capture", "environment") else None
    meta = meta.with_changes(git=None if git_state is None else git_state.to_dict())
    diff = git_state.diff if git_state is not None else None
    return RunWriter.create(store, meta, new_id=ids.new_run_id, git_diff=diff, environment=environment)


def _resume(store: Path, run_id: str, *, owned: bool) -> ActiveRun:
    run_dir = find_run_dir(store, run_id)
    if any(a._writer.run_dir == run_dir for a in _state.stack):
        raise RunStateError(f"run {run_dir.name} is already active in this process")
    if not owned:  # the owner (`gittrack run`) keeps meta.yaml; we only append
        return ActiveRun(RunWriter.attach(run_dir), owned=False)
    return ActiveRun(RunWriter.resume(run_dir, pid=os.getpid(), host=context.host()))


def active_run() -> ActiveRun | None:
    return _state.stack[-1] if _state.stack else None


def last_active_run() -> Run | None:
    """The active run, else the run most recently ended in this process."""
    if _state.stack:
        return get_run(_state.stack[-1].info.run_id)
    return None if _state.last is None else _run_from_record(read_run(_state.last))


def end_run(status: str = "FINISHED") -> None:
    """End the active run (the innermost one when runs are nested)."""
    if _state.stack:
        _end(_state.stack[-1], status)


def _end(active: ActiveRun, status: str) -> None:
    writer = active._writer
    # Leave the stack first: a failing end must not leave a half-ended run active.
    _state.stack.remove(active)
    if active._owned:
        writer.finish(status)
    else:
        writer.close()
    _state.last = writer.run_dir


def get_run(run_id: str) -> Run:
    """A run by id (or unique id prefix) from the current store."""
    try:
        run_dir = find_run_dir(_store(load_config()), run_id)
    except RunNotFoundError:
        raise RunNotFoundError(f"run {run_id!r} not found in {get_tracking_uri()}") from None
    return _run_from_record(read_run(run_dir))


def _writer() -> RunWriter:
    if not _state.stack:
        start_run()  # as MLflow: logging without a run starts one
    return _state.stack[-1]._writer


def get_experiment_by_name(name: str) -> Experiment | None:
    from gittrack.client import Client

    return Client().get_experiment_by_name(name)


def search_experiments(view_type: int = 1, max_results: int | None = None) -> list[Experiment]:
    from gittrack.client import Client

    return Client().search_experiments(view_type, max_results)


def delete_run(run_id: str) -> None:
    from gittrack.client import Client

    Client().delete_run(run_id)


# -- logging ----------------------------------------------------------------------------


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    _writer().log_params({key: value})
    return value


def log_params(params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    _writer().log_params(params)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_ignored: Any,
) -> None:
    _writer().log_metric(key, value, step, timestamp)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_ignored: Any,
) -> None:
    _writer().log_metrics(metrics, step, timestamp)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    _writer().set_tags({key: value})


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    _writer().set_tags(tags)


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _writer().log_artifact(local_path, artifact_path)


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _writer().log_artifacts(local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _writer().write_artifact(artifact_file, text.encode("utf-8"))


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Write ``dictionary`` as YAML (``.yaml``/``.yml``) or JSON (anything else), as MLflow does."""
    writer = _writer()
    if artifact_file.endswith((".yaml", ".yml")):
        text = yamlio.dump(dictionary) or "{}\n"
    else:
        text = json.dumps(dictionary, indent=2, default=str) + "\n"
    writer.write_artifact(artifact_file, text.encode("utf-8"))


def get_artifact_uri(artifact_path: str | None = None) -> str:
    base = _writer().artifact_dir(artifact_path)
    return base.as_uri()


# -- ending runs the user forgot ---------------------------------------------------------------


def _install_hooks() -> None:
    """End runs still active at exit: FINISHED, or FAILED/KILLED after an uncaught exception."""
    if _state.hooks_installed:
        return
    _state.hooks_installed = True
    api_hooks.install(on_uncaught=_note_uncaught, at_exit=_end_all_at_exit, live_runs=_live_run_dirs)


def _note_uncaught(kind: type[BaseException]) -> None:
    _state.uncaught = kind


def _live_run_dirs() -> list[Path]:
    return [active._writer.run_dir for active in _state.stack]


def _end_all_at_exit() -> None:
    status = api_hooks.end_status(_state.uncaught)
    for active in reversed(list(_state.stack)):
        if active._writer.pid == os.getpid():  # never end a parent's run from a forked child
            _end(active, status)
