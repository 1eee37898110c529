"""The ``sklearn`` flavor: save, log and load scikit-learn models in MLflow's format.

The model is serialised with cloudpickle (the default when it is installed, as MLflow's
autolog does; pickle otherwise) or skops (``serialization_format="skops"``, with
``skops_trusted_types`` for anything skops does not trust, such as a forest's trees).
MLflow 3's own default is skops, which refuses a RandomForest unless told which types to
trust; gittrack's default saves every estimator.  The ``python_function`` flavor names
``mlflow.sklearn`` as loader, so MLflow's ``pyfunc.load_model`` loads these models.

Loading a pickled model runs code from the file: load models only from branches you trust
(docs/models.md).
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidModelError
from gittrack.models import save as saving
from gittrack.models.environment import pinned, write_environment
from gittrack.models.mlmodel import Model, ModelInfo, flavor_conf
from gittrack.models.signature import ModelSignature

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SERIALIZATION_FORMAT_SKOPS = "skops"
SUPPORTED_SERIALIZATION_FORMATS = [
    SERIALIZATION_FORMAT_SKOPS,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
]
PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")


def default_serialization_format() -> str:
    """cloudpickle when installed (it also saves classes defined in a script), else pickle."""
    found = importlib.util.find_spec("cloudpickle") is not None
    return SERIALIZATION_FORMAT_CLOUDPICKLE if found else SERIALIZATION_FORMAT_PICKLE


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    conda_env: Any = None,
    code_paths: Sequence[str] | None = None,
    mlflow_model: Model | None = None,
    serialization_format: str | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    skops_trusted_types: list[str] | None = None,
    extra_files: Any = None,
) -> None:
    """Save ``sk_model`` as an MLflow model directory at ``path`` (which must not exist or be empty)."""
    import sklearn

    fmt = serialization_format or default_serialization_format()
    if fmt not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidModelError(
            f"serialization_format {fmt!r} is not one of {', '.join(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    if pyfunc_predict_fn not in PREDICT_FNS:
        raise InvalidModelError(f"pyfunc_predict_fn must be one of {', '.join(PREDICT_FNS)}")
    folder = saving.new_model_dir(path)
    model = mlflow_model or Model()
    code = saving.copy_code(folder, code_paths)
    predict = getattr(sk_model, "predict", None)
    saving.signature_and_example(folder, model, signature, input_example, predict)
    if metadata is not None:
        model.extra["metadata"] = metadata
    data = "model.skops" if fmt == SERIALIZATION_FORMAT_SKOPS else "model.pkl"
    _dump(sk_model, folder / data, fmt, skops_trusted_types)
    if hasattr(sk_model, pyfunc_predict_fn):
        saving.add_pyfunc(model, "mlflow.sklearn", model_path=data, predict_fn=pyfunc_predict_fn, code=code)
    conf: dict[str, Any] = {
        "pickled_model": data,
        "sklearn_version": sklearn.__version__,
        "serialization_format": fmt,
        "code": code,
    }
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        conf["skops_trusted_types"] = skops_trusted_types
    model.add_flavor(FLAVOR_NAME, **conf)
    default = [pinned("scikit-learn")]
    if fmt != SERIALIZATION_FORMAT_PICKLE:
        default.append(pinned(fmt))
    write_environment(folder, default, pip_requirements, extra_pip_requirements)
    saving.finish(folder, model)


def _dump(sk_model: Any, target: Path, fmt: str, trusted: list[str] | None) -> None:
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        skops.io.dump(sk_model, target)
        untrusted = set(skops.io.get_untrusted_types(file=target)) - set(trusted or [])
        if untrusted:
            target.unlink()
            raise InvalidModelError(
                "skops does not trust these types of the model: "
                f"{', '.join(sorted(untrusted))}; pass them as skops_trusted_types=[...] if you trust "
                "them, or use the default serialization_format (cloudpickle)"
            )
        return
    library: Any = pickle
    if fmt == SERIALIZATION_FORMAT_CLOUDPICKLE:
        import cloudpickle

        library = cloudpickle
    with open(target, "wb") as handle:
        library.dump(sk_model, handle, protocol=pickle.DEFAULT_PROTOCOL)


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    code_paths: Sequence[str] | None = None,
    serialization_format: str | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    extra_files: Any = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    name: str | None = None,
    skops_trusted_types: list[str] | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log ``sk_model`` into the active run as ``artifacts/<name>`` (``name=``, MLflow 3) or
    ``artifacts/<artifact_path>`` (MLflow 2); default ``model``.  Registers it as a new
    version of ``registered_model_name`` when given."""

    def save(folder: Path, model: Model) -> None:
        save_model(
            sk_model,
            folder,
            code_paths=code_paths,
            mlflow_model=model,
            serialization_format=serialization_format,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            pyfunc_predict_fn=pyfunc_predict_fn,
            metadata=metadata,
            skops_trusted_types=skops_trusted_types,
        )

    return saving.log_saved(save, artifact_path, name, registered_model_name=registered_model_name)


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The scikit-learn model at ``model_uri`` (``runs:/``, ``models:/``, a path).  Pickled
    models run code when loaded: only load models you trust."""
    path = saving.local_model_path(model_uri, dst_path)
    return load_from_dir(path)


def load_from_dir(path: Path) -> Any:
    conf = flavor_conf(Model.load(path), FLAVOR_NAME, path)
    add_code_path(path, conf.get("code"))
    fmt = str(conf.get("serialization_format") or SERIALIZATION_FORMAT_PICKLE)
    return _load_file(path / str(conf["pickled_model"]), fmt, conf.get("skops_trusted_types"))


def _load_file(target: Path, fmt: str, trusted: list[str] | None) -> Any:
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        return skops.io.load(target, trusted=trusted)
    if fmt not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidModelError(f"{target}: unknown serialization_format {fmt!r}")
    with open(target, "rb") as handle:
        if fmt == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.load(handle)
        return pickle.load(handle)  # noqa: S301 - the trust rule of docs/models.md


def add_code_path(path: Path, code: Any) -> None:
    if code:
        folder = str(path / str(code))
        if folder not in sys.path:
            sys.path.insert(0, folder)


class SklearnPyfunc:
    """What ``pyfunc.load_model`` wraps for a scikit-learn model."""

    def __init__(self, model: Any) -> None:
        self.sklearn_model = model
        for name in PREDICT_FNS[1:]:
            if (method := getattr(model, name, None)) is not None:
                setattr(self, name, method)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict(data)

    def get_raw_model(self) -> Any:
        return self.sklearn_model


def load_pyfunc(path: Path) -> SklearnPyfunc:
    return SklearnPyfunc(load_from_dir(path))
