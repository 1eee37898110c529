"""The registry and logged models for people: ``gittrack models ls``/``show``, and what the UI shows.

Everything here reads YAML and JSON files only (``MLmodel``, the registry's files, input
examples): nothing ever loads (unpickles) a model, because runs arrive from other
people's branches.  Each function reads the work tree, or with ``rev`` the files as
committed at that revision, straight from git's objects.

For the UI: :func:`registry_at` (registered models with versions, aliases, stages),
:func:`run_models` (a run's logged models with flavors, signature, input example) and
:func:`run_datasets` (a run's datasets).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from gittrack.errors import ModelNotFoundError
from gittrack.store import layout
from gittrack.store.inputs import DatasetRecord, parse_inputs
from gittrack.store.reader import find_run_dir
from gittrack.store.registry import ModelRecord, parse_registry, read_registry
from gittrack.tracking.registry_entities import latest_per_stage

if TYPE_CHECKING:
    import pandas as pd

MLMODEL = "MLmodel"
EXAMPLE_LIMIT = 2000  # characters of an input example shown


@dataclass(frozen=True)
class LoggedModel:
    """A model directory in a run's artifacts, as its MLmodel describes it (never loaded)."""

    path: str  # inside the run's artifacts: "model"
    flavors: dict[str, dict[str, Any]]
    signature_inputs: list[dict[str, Any]] | None
    signature_outputs: list[dict[str, Any]] | None
    input_example: str | None  # the JSON text, shortened
    serialization_format: str | None
    created: str | None
    problem: str | None = None  # an MLmodel that could not be read

    @property
    def loader(self) -> str | None:
        return self.flavors.get("python_function", {}).get("loader_module")


def registry_at(store: Path, rev: str | None = None) -> list[ModelRecord]:
    """Every registered model (versions, aliases, stages, problems), in the work tree or at ``rev``."""
    if rev is None:
        return read_registry(store)
    files, _ = _files_at(store, rev, layout.MODELS_DIR)
    return parse_registry(files, prefix=f"{rev}:{store.name}/{layout.MODELS_DIR}")


def _files_at(
    store: Path, rev: str, below: str, names: list[str] | None = None
) -> tuple[dict[str, bytes], str]:
    from gittrack import git
    from gittrack.query.revision import store_prefix

    root, prefix = store_prefix(store)
    sha = git.resolve_revision(root, rev)
    return git.read_tree_files(root, sha, f"{prefix}/{below}", names=names), sha


def find_model(models: list[ModelRecord], name: str) -> ModelRecord:
    for model in models:
        if model.name == name:
            return model
    known = ", ".join(m.name for m in models) or "none"
    raise ModelNotFoundError(f"no registered model '{name}' (registered: {known})")


MODEL_COLUMNS = ["name", "versions", "latest", "aliases", "stages", "updated", "description", "problems"]


def models_table(store: Path, *, rev: str | None = None) -> pd.DataFrame:
    """``models ls``: one row per registered model, its latest version, aliases and stages."""
    import pandas as pd

    rows = [model_summary(model) for model in registry_at(store, rev)]
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def model_summary(model: ModelRecord) -> dict[str, Any]:
    """One row of ``models ls`` (and of the UI's models page): versions, the latest number,
    aliases and the latest version in each stage as text, last update, problems found."""
    live = model.live_versions
    stages = ", ".join(f"{r.stage}: {r.number}" for r in latest_per_stage(model) if r.stage != "None")
    return {
        "name": model.name,
        "versions": len(live),
        "latest": max((v.number for v in live), default=None),
        "aliases": ", ".join(f"{a}: {r.version}" for a, r in sorted(model.aliases.items())),
        "stages": stages,
        "updated": layout.iso_utc(model.updated) if model.updated else None,
        "description": model.description,
        "problems": len(model.problems),
    }


def versions_table(
    store: Path, name: str, *, rev: str | None = None, warn: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """``models show NAME``: one row per version with its run, the run's metrics, commit and
    who registered it; runs come from the same revision as the registry."""
    import pandas as pd

    from gittrack.query.search import search

    model = find_model(registry_at(store, rev), name)
    runs = search(store, rev=rev, view="all", warn=warn)
    by_id = {row["run_id"]: row for row in runs.to_dict(orient="records")}
    metric_columns = sorted({c for c in runs.columns if c.startswith("metrics.")})
    rows = []
    for version in model.live_versions:
        run = by_id.get(version.run_id, {})
        used = [c for c in metric_columns if run.get(c) == run.get(c) and run.get(c) is not None]
        rows.append(
            {
                "version": version.number,
                "stage": version.stage,
                "aliases": ", ".join(model.aliases_of(version)),
                "run_id": version.run_id,
                "run_name": run.get("run_name") if run else "(run not in this store)",
                **{c: run.get(c) for c in used},
                "artifact_path": version.artifact_path,
                "commit": (version.commit or "")[:8] or None,
                "user": version.user,
                "created": layout.iso_utc(version.created) if version.created else None,
                "description": version.description,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["version", "stage", "aliases", "run_id", "run_name"])
    metric_order = [c for c in metric_columns if c in frame.columns]
    rest = [c for c in frame.columns if c not in metric_order]
    return frame[rest[:5] + metric_order + rest[5:]]


def run_models(store: Path, run_id: str, *, rev: str | None = None) -> list[LoggedModel]:
    """The models logged in a run (directories of its artifacts holding an ``MLmodel``)."""
    files = _run_files(store, run_id, rev, extra=[MLMODEL, "input_example.json"])
    found = []
    for path, blob in sorted(files.items()):
        parts = PurePosixPath(path).parts
        if len(parts) >= 2 and parts[0] == layout.ARTIFACTS_DIR and parts[-1] == MLMODEL:
            folder = "/".join(parts[1:-1])
            found.append(
                describe_mlmodel(
                    folder, blob, files.get(f"{layout.ARTIFACTS_DIR}/{folder}/input_example.json")
                )
            )
    return found


def run_datasets(store: Path, run_id: str, *, rev: str | None = None) -> list[DatasetRecord]:
    """The datasets a run used (its ``inputs.yaml``), each with name, digest, source, schema,
    profile and context."""
    raw = _run_files(store, run_id, rev, extra=[layout.INPUTS]).get(layout.INPUTS)
    return [] if raw is None else parse_inputs(raw, f"{run_id}/{layout.INPUTS}")


def _run_files(store: Path, run_id: str, rev: str | None, *, extra: list[str]) -> dict[str, bytes]:
    """The files named ``extra`` anywhere in a run, keyed by path inside the run."""
    if rev is not None:  # ``run_id`` is the full id at that revision
        return _files_at(store, rev, run_id, names=extra)[0]
    run_dir = find_run_dir(store, run_id)
    return {
        p.relative_to(run_dir).as_posix(): p.read_bytes()
        for p in sorted(run_dir.rglob("*"))
        if p.name in extra
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(run_dir).parts)
    }


def describe_mlmodel(folder: str, raw: bytes, example: bytes | None) -> LoggedModel:
    """What an MLmodel file says, read with the safe YAML loader."""
    from gittrack.store import yamlio

    try:
        data = yamlio.load(raw)
        flavors = {str(k): dict(v or {}) for k, v in (data.get("flavors") or {}).items()}
    except (yamlio.YAMLError, AttributeError, TypeError, ValueError) as exc:
        return LoggedModel(folder, {}, None, None, None, None, None, problem=f"unreadable MLmodel ({exc})")
    signature = data.get("signature") or {}
    text = None if example is None else example.decode("utf-8", "replace")
    if text is not None and len(text) > EXAMPLE_LIMIT:
        text = text[:EXAMPLE_LIMIT] + "…"
    formats = [c.get("serialization_format") or c.get("model_format") for c in flavors.values()]
    return LoggedModel(
        path=folder,
        flavors=flavors,
        signature_inputs=_specs(signature.get("inputs")),
        signature_outputs=_specs(signature.get("outputs")),
        input_example=text,
        serialization_format=next((f for f in formats if f), None),
        created=None if data.get("utc_time_created") is None else str(data["utc_time_created"]),
    )


def _specs(text: Any) -> list[dict[str, Any]] | None:
    if not text:
        return None
    try:
        found = json.loads(text)
    except (TypeError, ValueError):
        return None
    return found if isinstance(found, list) else None
