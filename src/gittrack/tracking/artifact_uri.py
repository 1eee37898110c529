"""``runs:/`` and ``models:/`` URIs, and where their files are in this checkout.

``runs:/<run id>/<path>`` names a file or folder in a run's ``artifacts/`` (an id prefix or
run name works too); ``models:/<name>/<version>``, ``models:/<name>/<stage>``,
``models:/<name>/latest`` and ``models:/<name>@<alias>`` name a registered version, whose
files are those of its run.  Locations are worked out from the store at read time, never
stored as one machine's absolute path.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from gittrack.errors import InvalidArtifactPathError, ModelNotFoundError
from gittrack.store import layout, names
from gittrack.store.reader import find_run_dir


@dataclass(frozen=True)
class ModelsUri:
    """A parsed ``models:/`` URI: exactly one of version, stage and alias (or latest)."""

    name: str
    version: int | None = None
    stage: str | None = None
    alias: str | None = None
    latest: bool = False


def parse_models_uri(uri: str) -> ModelsUri:
    if not uri.startswith("models:/"):
        raise ModelNotFoundError(f"{uri!r} is not a models:/ URI")
    rest = urllib.parse.unquote(uri[len("models:/") :]).strip("/")
    if "@" in rest and "/" not in rest:
        name, _, alias = rest.partition("@")
        return ModelsUri(name, alias=alias)
    name, slash, which = rest.rpartition("/")
    if not slash or not name:
        raise ModelNotFoundError(
            f"{uri!r}: expected models:/NAME/VERSION, models:/NAME/STAGE or models:/NAME@ALIAS"
            + (" (MLflow 3 logged-model ids m-... are not gittrack's)" if rest.startswith("m-") else "")
        )
    if which.isdigit():
        return ModelsUri(name, version=int(which))
    if which.lower() == "latest":
        return ModelsUri(name, latest=True)
    return ModelsUri(name, stage=which)


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """(run reference, artifact path) of ``runs:/<run>/<path>``."""
    rest = urllib.parse.unquote(uri[len("runs:/") :]).strip("/")
    run, _, path = rest.partition("/")
    if not run:
        raise InvalidArtifactPathError(f"{uri!r}: expected runs:/<run id>/<artifact path>")
    return run, names.check_artifact_path(path)


def run_artifact(store: Path, run: str, artifact_path: str) -> tuple[str, Path]:
    """(full run id, local path) of an artifact of a run; the path is checked to stay inside."""
    run_dir = find_run_dir(store, run)
    return run_dir.name, run_dir / layout.ARTIFACTS_DIR / names.check_artifact_path(artifact_path)


def local_path(uri: str) -> Path:
    """A ``file:`` URI or a plain path as a local path."""
    if uri.startswith("file:"):
        parsed = urllib.parse.urlparse(uri)
        return Path(urllib.parse.unquote(parsed.path))
    return Path(uri)


def source_in_store(store: Path, source: str) -> tuple[str, str]:
    """(run id, artifact path) of a model ``source``: a ``runs:/`` URI, or a local path
    inside some run's ``artifacts/`` (what MLflow calls the storage location)."""
    if source.startswith("runs:/"):
        run, path = parse_runs_uri(source)
        return find_run_dir(store, run).name, path
    resolved = local_path(source).resolve()
    parts: tuple[str, ...] = ()
    if resolved.is_relative_to(store.resolve()):
        parts = resolved.relative_to(store.resolve()).parts
    if len(parts) < 2 or parts[1] != layout.ARTIFACTS_DIR or parts[0] in layout.RESERVED:
        raise InvalidArtifactPathError(
            f"model source {source!r} is not in a run of {store}: a registered version points at a "
            "model logged in a run (runs:/<run id>/<path>); log it with log_model first"
        )
    run_id = find_run_dir(store, parts[0]).name
    return run_id, "/".join(parts[2:])
