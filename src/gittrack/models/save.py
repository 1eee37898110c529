"""What every flavor shares: a new model directory, its MLmodel and environment files, the
signature from an input example, logging a saved model into a run, resolving model URIs.

A logged model is a directory under the run's ``artifacts/`` (``artifacts/model/``...),
assembled in a hidden temporary directory beside it and renamed into place, so a killed
process never leaves half a model.  Logging again to the same path replaces the model.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidModelError
from gittrack.models.environment import pinned
from gittrack.models.example import save_example
from gittrack.models.mlmodel import PYFUNC, Model, ModelInfo
from gittrack.models.signature import ModelSignature, infer_signature
from gittrack.store import layout, names
from gittrack.store.atomic import TMP_PREFIX
from gittrack.store.reader import find_run_dir


def new_model_dir(path: str | os.PathLike[str]) -> Path:
    """An empty directory for ``save_model``; an existing non-empty one is refused, as MLflow does."""
    target = Path(path)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidModelError(f"path {str(target)!r} already exists and is not empty")
    target.mkdir(parents=True, exist_ok=True)
    return target


def signature_and_example(
    path: Path,
    model: Model,
    signature: ModelSignature | bool | None,
    input_example: Any,
    predict: Callable[[Any], Any] | None,
) -> None:
    """Save the input example and set the signature (inferred from the example and the
    model's prediction on it when not given; ``signature=False`` leaves none)."""
    example = None
    if input_example is not None:
        model.saved_input_example_info, example = save_example(path, input_example)
    if isinstance(signature, ModelSignature):
        model.signature = signature
    elif signature is None and example is not None and predict is not None:
        try:
            model.signature = infer_signature(example, predict(example))
        except Exception as exc:  # a signature is a nicety: never lose the model over it
            import warnings

            warnings.warn(f"could not infer the model signature from the input example: {exc}", stacklevel=3)


def add_pyfunc(model: Model, loader_module: str, **conf: Any) -> None:
    """The ``python_function`` flavor: how MLflow's ``pyfunc.load_model`` loads the model."""
    import platform

    entry = {
        "loader_module": loader_module,
        "python_version": platform.python_version(),
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        **{k: v for k, v in conf.items() if v is not None},
    }
    model.add_flavor(PYFUNC, **entry)


def copy_code(path: Path, code_paths: Sequence[str | os.PathLike[str]] | None) -> str | None:
    """Copy ``code_paths`` into ``code/`` of the model; the folder's name, or None."""
    if not code_paths:
        return None
    folder = path / "code"
    folder.mkdir()
    for item in code_paths:
        source = Path(item)
        if source.is_dir():
            shutil.copytree(source, folder / source.name)
        else:
            shutil.copyfile(source, folder / source.name)
    return "code"


def finish(path: Path, model: Model) -> None:
    """Write MLmodel last: its presence says the directory is a complete model."""
    model.extra.setdefault("gittrack_version", pinned("gittrack").partition("==")[2] or None)
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    model.extra["model_size_bytes"] = size
    model.save(path)


def log_saved(
    save: Callable[[Path, Model], None],
    artifact_path: str | None,
    name: str | None,
    *,
    registered_model_name: str | None = None,
    run_id: str | None = None,
) -> ModelInfo:
    """Save a model into the active run's artifacts (a run is started when none is active):
    ``save(directory, model)`` writes the files, then the directory replaces
    ``artifacts/<name or artifact_path or 'model'>``."""
    from gittrack.tracking.client import Client
    from gittrack.tracking.fluent_extras import active_run_id

    client = Client()
    run = find_run_dir(client.store, active_run_id(run_id)).name
    where = names.check_artifact_path(name or artifact_path or "model")
    if not where:
        raise InvalidModelError("log_model needs a name (or artifact_path) for the model's folder")
    target = find_run_dir(client.store, run) / layout.ARTIFACTS_DIR / where
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f"{TMP_PREFIX}{target.name}-{secrets.token_hex(4)}"
    try:
        model = Model(artifact_path=where, run_id=run)
        save(staging, model)
        _swap_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    info = model.get_model_info()
    if registered_model_name:
        version = client.register_model(info.model_uri, registered_model_name)
        info = ModelInfo(**{**vars(info), "registered_model_version": version.version})
    return info


def _swap_into_place(staging: Path, target: Path) -> None:
    if target.exists():
        old = target.parent / f"{TMP_PREFIX}{target.name}-old-{secrets.token_hex(4)}"
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)


def local_model_path(
    model_uri: str | os.PathLike[str], dst_path: str | os.PathLike[str] | None = None
) -> Path:
    """The local directory of the model ``model_uri`` names (``runs:/``, ``models:/``, a
    path); copied into ``dst_path`` when given."""
    from gittrack.tracking.artifact_client import copy_out
    from gittrack.tracking.client import Client

    uri = os.fspath(model_uri)
    local = (
        Client().resolve_uri(uri)
        if uri.startswith(("runs:/", "models:/"))
        else Path(uri.removeprefix("file://"))
    )
    return Path(copy_out(local, dst_path)) if dst_path is not None else local
