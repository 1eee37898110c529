"""``gittrack:`` URIs: the store a tracking URI names, and run artifact URIs.

Tracking (and registry) URIs name a directory of a git work tree, as
``gittrack.set_tracking_uri`` names a path: ``gittrack:.`` (the current directory),
``gittrack:relative/path`` and ``gittrack:///absolute/path``.  The store is that work
tree's store (``GITTRACK_DIR``, else ``store:`` of its ``.gittrack.yml``, else ``.runs``
at its top); a path whose last part is ``.runs`` is the store itself.

Artifact URIs never hold a machine's path: ``gittrack:runs/<run id>/<path>`` names
``<path>`` inside the run's ``artifacts/`` of the store the current tracking URI names,
worked out when the URI is read, so a clone on another machine resolves it to its own
checkout.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, unquote

from mlflow.exceptions import MlflowException

from gittrack.errors import MlflowException as GittrackException
from gittrack.integrations.mlflow_store.unsupported import as_mlflow
from gittrack.store import layout, names
from gittrack.store.config import load_config, resolve_store
from gittrack.tracking.uri import store_of_gittrack_uri

SCHEME = "gittrack"
PREFIX = f"{SCHEME}:"
RUNS = "runs/"


def is_gittrack(uri: object) -> bool:
    return isinstance(uri, str) and uri.startswith(PREFIX)


def store_of(uri: str) -> Path:
    """The store directory of a ``gittrack:`` tracking URI (as ``gittrack.set_tracking_uri``
    resolves it: :func:`gittrack.tracking.uri.store_of_gittrack_uri`)."""
    if not is_gittrack(uri):
        raise MlflowException.invalid_parameter_value(f"{uri!r} is not a gittrack: URI (gittrack:PATH)")
    try:
        return store_of_gittrack_uri(uri)
    except GittrackException as exc:
        raise as_mlflow(exc) from exc


def run_artifact_uri(run_id: str, path: str = "") -> str:
    """``gittrack:runs/<run id>[/<path>]``: a run's artifacts (or a file in them)."""
    tail = names.check_artifact_path(path) if path else ""
    return f"{PREFIX}{RUNS}{run_id}" + (f"/{quote(tail)}" if tail else "")


def parse_artifact_uri(uri: str) -> tuple[str, str]:
    """(run id, path inside its artifacts) of ``gittrack:runs/<run id>/<path>``."""
    rest = uri[len(PREFIX) :] if is_gittrack(uri) else ""
    rest = unquote(rest).lstrip("/")
    if not rest.startswith(RUNS):
        raise MlflowException.invalid_parameter_value(
            f"{uri!r} is not a gittrack artifact URI (gittrack:runs/<run id>/<path>)"
        )
    run_id, _, path = rest[len(RUNS) :].strip("/").partition("/")
    if not run_id:
        raise MlflowException.invalid_parameter_value(f"{uri!r} names no run")
    return run_id, names.check_artifact_path(path)


def current_store(tracking_uri: str | None) -> Path:
    """The store artifact URIs are resolved in: the given tracking URI's, else MLflow's
    current tracking URI's, else the store of the current directory's work tree."""
    for candidate in (tracking_uri, _mlflow_tracking_uri()):
        if is_gittrack(candidate):
            return store_of(str(candidate))
    return resolve_store(None, load_config())


def _mlflow_tracking_uri() -> str | None:
    from mlflow.tracking._tracking_service.utils import _resolve_tracking_uri

    try:
        return str(_resolve_tracking_uri())
    except Exception:  # an unset or odd URI: fall back to the work tree's store
        return os.environ.get("MLFLOW_TRACKING_URI")


def artifacts_root(store: Path, run_id: str) -> Path:
    from gittrack.store.reader import find_run_dir

    return find_run_dir(store, run_id) / layout.ARTIFACTS_DIR
