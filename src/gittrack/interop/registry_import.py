"""MLflow's model registry as gittrack's registry files (``.runs/models/``).

Version numbers, stages, aliases, descriptions, tags, users and times are MLflow's.  A
version points at its run and the model's folder in the run's ``artifacts/``, so its MLflow
source is translated:

- ``models:/m-<id>`` (MLflow 3: a logged model) -> the run that logged it and the folder the
  importer copied the model to (``artifacts/<model name>``);
- ``runs:/<run id>/<path>`` -> that run and path;
- a path ending ``<run id>/artifacts/<path>`` or ``models/m-<id>/artifacts`` -> the same;
- ``models:/<name>/<version>`` (a copied version) -> wherever that version points.

A version whose run is not in the store (not imported, or filtered out by ``--experiment``)
or whose source names no run is skipped with the reason.  A deleted version (MLflow's
``Deleted_Internal`` stage) is kept as deleted, so its number is never reused.  Version
files get a uid derived from MLflow's version (not a random one), so two people importing
the same store on two branches write identical files, and merging them gives no duplicate.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from gittrack.errors import GittrackError, RunNotFoundError
from gittrack.interop.plan import model_path
from gittrack.interop.report import ImportReport
from gittrack.interop.source import LoggedModel, ModelVersion, RegisteredModel, Store
from gittrack.store import layout
from gittrack.store.reader import find_run_dir, parse_meta
from gittrack.store.registry import VersionRecord, canonical_stage, check_alias, check_model_name, read_model
from gittrack.store.registry_write import create_model, set_alias, write_version

_RUNS_URI = re.compile(r"runs:/([^/]+)/?(.*)")
_MODEL_ID = re.compile(r"(?:^models:/|/models/)(m-[0-9a-f]+)(?:/artifacts)?/?$")
_VERSION_URI = re.compile(r"models:/([^/@]+)/(\d+)$")


@dataclass(frozen=True)
class Target:
    """Where a version's model is: MLflow's run id and the path in that run's artifacts."""

    mlflow_run_id: str
    artifact_path: str
    model: LoggedModel | None = None


def import_registry(
    store: Path,
    mlflow: Store,
    models_by_run: dict[str, list[LoggedModel]],
    id_of: dict[str, str],
    report: ImportReport,
    *,
    dry_run: bool,
    selected: set[str],
    everything: bool,
) -> None:
    """Every registered model (with ``--experiment``: those with a version of a selected run)."""
    logged = {m.model_id: m for models in models_by_run.values() for m in models}
    registered = {m.name: m for m in mlflow.registered_models()}
    for model in registered.values():
        targets = {v.version: _target(v, logged, registered) for v in model.versions}
        if not everything and not any(t and t.mlflow_run_id in selected for t in targets.values()):
            continue
        try:
            check_model_name(model.name)
        except GittrackError as exc:
            report.skip(f"registered model {model.name!r}", str(exc))
            continue
        _import_model(store, model, targets, id_of, report, dry_run=dry_run)


def _target(
    version: ModelVersion,
    logged: dict[str, LoggedModel],
    registered: dict[str, RegisteredModel],
    depth: int = 0,
) -> Target | None:
    source = version.source
    if match := _RUNS_URI.fullmatch(source):
        return Target(match.group(1), match.group(2).strip("/"))
    if (match := _MODEL_ID.search(source)) and match.group(1) in logged:
        model = logged[match.group(1)]
        return None if model.source_run_id is None else Target(model.source_run_id, model.name, model)
    if (match := _VERSION_URI.fullmatch(source)) and depth < 5 and match.group(1) in registered:
        for other in registered[match.group(1)].versions:
            if other.version == int(match.group(2)):
                return _target(other, logged, registered, depth + 1)
    if version.run_id and f"/{version.run_id}/artifacts" in source:
        return Target(version.run_id, source.split(f"/{version.run_id}/artifacts", 1)[1].strip("/"))
    return None


def _import_model(
    store: Path,
    model: RegisteredModel,
    targets: dict[int, Target | None],
    id_of: dict[str, str],
    report: ImportReport,
    *,
    dry_run: bool,
) -> None:
    existing = read_model(store, model.name)
    if existing is None:
        report.registered_models += 1
        if not dry_run:
            existing = create_model(
                store,
                model.name,
                time=model.created,
                user=None,
                description=model.description,
                tags=model.tags,
            )
    taken = {v.number: v for v in existing.versions} if existing is not None else {}
    written: dict[int, VersionRecord] = dict(taken)
    for version in model.versions:
        what = f"version {version.version} of {model.name!r}"
        if version.version in taken:
            report.registry_existing += 1
            continue
        record = _record(store, model.name, version, targets.get(version.version), id_of, report, what)
        if record is None:
            continue
        report.model_versions += 1
        written[record.number] = record
        if not dry_run:
            write_version(store, model.name, record)
    for alias, number in sorted(model.aliases.items()):
        _alias(store, model.name, alias, written.get(number), report, dry_run=dry_run)


def _record(
    store: Path,
    name: str,
    version: ModelVersion,
    target: Target | None,
    id_of: dict[str, str],
    report: ImportReport,
    what: str,
) -> VersionRecord | None:
    uid = hashlib.sha256(f"{name}\0{version.version}\0{version.created}".encode()).hexdigest()[:6]
    stage = _stage(version, report, what)
    common = {
        "number": version.version,
        "uid": uid,
        "user": version.user,
        "created": version.created,
        "updated": version.updated,
        "stage": stage,
        "description": version.description,
        "tags": dict(version.tags),
    }
    if version.deleted:
        run_id = id_of.get(target.mlflow_run_id, "") if target else ""
        return VersionRecord(run_id=run_id, artifact_path="", deleted=True, **common)  # type: ignore[arg-type]
    if target is None:
        report.skip(what, f"its source {version.source!r} names no run gittrack can point at")
        return None
    run_dir = _run_dir(store, target.mlflow_run_id, id_of)
    if run_dir is None:
        report.skip(what, f"its run {target.mlflow_run_id} is not imported (see --experiment)")
        return None
    path = target.artifact_path if target.model is None else _model_folder(run_dir, target.model)
    return VersionRecord(run_id=run_dir.name, artifact_path=path, commit=_commit(run_dir), **common)  # type: ignore[arg-type]


def _stage(version: ModelVersion, report: ImportReport, what: str) -> str:
    if version.deleted:
        return "None"
    try:
        return canonical_stage(version.stage)
    except ValueError:
        report.lost("stage", what, f"stage {version.stage!r} is not one of MLflow's four; imported as None")
        return "None"


def _run_dir(store: Path, mlflow_run_id: str, id_of: dict[str, str]) -> Path | None:
    """The gittrack run imported from ``mlflow_run_id``: imported now, or by an earlier import."""
    if mlflow_run_id in id_of:
        return store / id_of[mlflow_run_id]
    try:
        return find_run_dir(store, mlflow_run_id)
    except (RunNotFoundError, GittrackError):
        return None


def _model_folder(run_dir: Path, model: LoggedModel) -> str:
    """The folder the importer copied a logged model to (see ``plan._models``)."""
    for plain in (True, False):
        path = model_path(model, plain=plain)
        mlmodel = run_dir / layout.ARTIFACTS_DIR / path / "MLmodel"
        if mlmodel.is_file() and model.model_id in mlmodel.read_text(encoding="utf-8", errors="replace"):
            return path
    return model_path(model, plain=True)


def _commit(run_dir: Path) -> str | None:
    try:
        meta = parse_meta((run_dir / layout.META).read_bytes(), str(run_dir))
    except (GittrackError, OSError):
        return None
    return None if meta.git is None else meta.git.get("commit")


def _alias(
    store: Path, name: str, alias: str, version: VersionRecord | None, report: ImportReport, *, dry_run: bool
) -> None:
    what = f"alias {alias!r} of {name!r}"
    try:
        check_alias(alias)
    except GittrackError as exc:
        report.skip(what, str(exc))
        return
    if (store / layout.MODELS_DIR).exists() and (_alias_file(store, name, alias)).exists():
        report.registry_existing += 1
        return
    if version is None or version.deleted:
        report.skip(what, "the version it names was not imported")
        return
    report.aliases += 1
    if not dry_run:
        set_alias(store, name, alias, version)


def _alias_file(store: Path, name: str, alias: str) -> Path:
    from gittrack.store.registry import ALIASES, model_dir

    return model_dir(store, name) / ALIASES / f"{alias}.yaml"
