"""Custom models: a :class:`PythonModel` subclass saved in MLflow's ``mlflow.pyfunc.model`` format.

The instance is pickled with cloudpickle as ``python_model.pkl``; files given as
``artifacts={"name": path}`` are copied into ``artifacts/`` and reach ``load_context`` and
``predict`` as ``context.artifacts["name"]`` (a local path).  ``predict`` may take
``(context, model_input, params=None)`` as in MLflow 2 or ``(model_input, params=None)``.
"""

from __future__ import annotations

import inspect
import os
import pickle
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidModelError
from gittrack.models import save as saving
from gittrack.models.environment import pinned, write_environment
from gittrack.models.mlmodel import PYFUNC, Model, ModelInfo, flavor_conf
from gittrack.models.signature import ModelSignature
from gittrack.models.sklearn_flavor import add_code_path

DATA = "python_model.pkl"


@dataclass
class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: the model's artifacts as local paths."""

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """Subclass and define ``predict``; ``load_context`` runs once when the model loads."""

    def load_context(self, context: PythonModelContext) -> None:
        """Load what ``predict`` needs from ``context.artifacts``."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError


def save_model(
    path: str | os.PathLike[str],
    loader_module: str | None = None,
    data_path: str | None = None,
    code_paths: Sequence[str] | None = None,
    conda_env: Any = None,
    mlflow_model: Model | None = None,
    python_model: Any = None,
    artifacts: dict[str, str] | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Save ``python_model`` (a :class:`PythonModel`) with its ``artifacts`` at ``path``."""
    import cloudpickle

    if python_model is None or loader_module is not None:
        raise InvalidModelError("gittrack saves custom models given as python_model=<a PythonModel>")
    folder = saving.new_model_dir(path)
    model = mlflow_model or Model()
    code = saving.copy_code(folder, code_paths)
    stored = _copy_artifacts(folder, artifacts or {})
    context = PythonModelContext(
        {k: str(folder / v["path"]) for k, v in stored.items()}, dict(model_config or {})
    )
    python_model.load_context(context)

    def predict(data: Any) -> Any:
        return _call_predict(python_model, context, data, None)

    saving.signature_and_example(folder, model, signature, input_example, predict)
    if metadata is not None:
        model.extra["metadata"] = metadata
    with open(folder / DATA, "wb") as handle:
        cloudpickle.dump(python_model, handle, protocol=pickle.DEFAULT_PROTOCOL)
    saving.add_pyfunc(
        model,
        "mlflow.pyfunc.model",
        python_model=DATA,
        artifacts=stored or None,
        cloudpickle_version=cloudpickle.__version__,
        code=code,
        model_config=model_config,
    )
    write_environment(folder, [pinned("cloudpickle")], pip_requirements, extra_pip_requirements)
    saving.finish(folder, model)


def _copy_artifacts(folder: Path, artifacts: dict[str, str]) -> dict[str, dict[str, str]]:
    stored = {}
    for name, source in artifacts.items():
        origin = Path(source.removeprefix("file://"))
        target = folder / "artifacts" / origin.name
        target.parent.mkdir(exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target)
        else:
            shutil.copyfile(origin, target)
        stored[name] = {"path": f"artifacts/{origin.name}", "uri": str(source)}
    return stored


def log_model(
    artifact_path: str | None = None,
    loader_module: str | None = None,
    data_path: str | None = None,
    code_paths: Sequence[str] | None = None,
    conda_env: Any = None,
    python_model: Any = None,
    artifacts: dict[str, str] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log a :class:`PythonModel` into the active run (``name=`` or ``artifact_path=``)."""

    def save(folder: Path, model: Model) -> None:
        save_model(
            folder,
            loader_module=loader_module,
            code_paths=code_paths,
            mlflow_model=model,
            python_model=python_model,
            artifacts=artifacts,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            metadata=metadata,
            model_config=model_config,
        )

    return saving.log_saved(save, artifact_path, name, registered_model_name=registered_model_name)


class PythonModelPyfunc:
    """A loaded :class:`PythonModel`, its context bound."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return _call_predict(self.python_model, self.context, data, params)

    def get_raw_model(self) -> Any:
        return self.python_model


def _call_predict(model: Any, context: PythonModelContext, data: Any, params: dict[str, Any] | None) -> Any:
    names = list(inspect.signature(model.predict).parameters)
    if names and names[0] == "context":
        return (
            model.predict(context, data, params=params) if "params" in names else model.predict(context, data)
        )
    return model.predict(data, params=params) if "params" in names else model.predict(data)


def load_pyfunc(path: Path) -> PythonModelPyfunc:
    import cloudpickle

    conf = flavor_conf(Model.load(path), PYFUNC, path)
    add_code_path(path, conf.get("code"))
    with open(path / str(conf.get("python_model", DATA)), "rb") as handle:
        model = cloudpickle.load(handle)
    stored = conf.get("artifacts") or {}
    context = PythonModelContext(
        {k: str(path / v["path"]) for k, v in stored.items()}, dict(conf.get("model_config") or {})
    )
    model.load_context(context)
    return PythonModelPyfunc(model, context)
