"""``/models`` and ``/models/<name>``: the model registry, read from its YAML files (no model
is ever loaded).

The list has the columns of ``gittrack models ls``
(:func:`gittrack.review.models.model_summary`); a model's page lists every version with
its run (name, status and the primary metric of the versions' runs, the best marked:
:func:`gittrack.query.directions.primary_metric`), source, commit, who registered it and
when, description, tags, stage and aliases.

Problems are shown as ``gittrack check`` says them: in the work tree its own findings
(:func:`gittrack.maintenance.check_registry.registry_findings`: conflict markers, a version
number taken twice after a merge, aliases naming no single version, versions whose run is
missing or not committed); at a revision, what the registry's files there show
(:attr:`gittrack.store.registry.ModelRecord.problems`) and versions whose run is not in the
store at that revision (``check`` reads only the work tree, so it has no word for those).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gittrack.errors import ModelNotFoundError
from gittrack.query import directions
from gittrack.review.models import find_model, model_summary, registry_at
from gittrack.store import layout
from gittrack.store.registry import ModelRecord, VersionRecord
from gittrack.ui import data
from gittrack.ui.web import HTTPError, Query, Response, Site


@dataclass(frozen=True)
class Issue:
    """A registry problem on the page: ``where`` is ``path:line`` as ``gittrack check`` prints it."""

    model: str  # the model's directory name under models/
    where: str
    message: str
    kind: str


def route(app: Site, segments: list[str], query: Query) -> Response:
    if len(segments) == 1:
        return render_list(app)
    if len(segments) == 2 and segments[1]:
        return render_model(app, segments[1])
    raise HTTPError(404, "no such page")


def render_list(app: Site) -> Response:
    """Every registered model: latest version, aliases, stages, and its problems."""
    warnings: list[str] = []
    models = registry_at(app.store, app.rev)
    issues = problems(app, models, warnings)
    rows = [
        {
            **model_summary(model),
            "aliases": aliases(model),
            "problems": [i for i in issues if i.model == model.dirname],
        }
        for model in models
    ]
    return app.page(
        "models.html", title="Models", warnings=warnings, models=rows, problems=issues, rev=app.rev
    )


def render_model(app: Site, name: str) -> Response:
    """One registered model and every version of it."""
    warnings: list[str] = []
    models = registry_at(app.store, app.rev)
    try:
        model = find_model(models, name)
    except ModelNotFoundError as exc:
        raise HTTPError(404, str(exc)) from None
    runs = app.search(warnings.append, view="all")
    by_id = {str(r["run_id"]): r for r in runs.to_dict(orient="records")}
    versions = model.live_versions
    metric, way, best = primary(app, [by_id.get(v.run_id) for v in versions])
    issues = [i for i in problems(app, [model], warnings, runs=set(by_id)) if i.model == model.dirname]
    return app.page(
        "model.html",
        title=model.name,
        warnings=warnings,
        model=model,
        summary=model_summary(model),
        aliases=aliases(model),
        metric=metric,
        direction=way,
        versions=[
            version_row(model, v, by_id.get(v.run_id), metric, i in best) for i, v in enumerate(versions)
        ],
        deleted=len(model.versions) - len(versions),
        problems=issues,
        rev=app.rev,
    )


def aliases(model: ModelRecord) -> list[dict[str, Any]]:
    """Each alias with the version it names (``target`` None: it names no single version)."""
    return [
        {"alias": alias, "version": record.version, "target": model.alias_target(alias)}
        for alias, record in sorted(model.aliases.items())
    ]


def primary(app: Site, runs: list[dict[str, Any] | None]) -> tuple[str | None, str | None, set[int]]:
    """The primary metric of the versions' runs, its direction, and the positions holding its
    best value (ties all marked)."""
    present = [r for r in runs if r is not None]
    names = {k[8:] for r in present for k, v in r.items() if k.startswith("metrics.") and _num(v)}
    metric = directions.primary_metric(names, app.config)
    if metric is None:
        return None, None, set()
    way = data.direction(metric, app.config)
    values = [(i, _value(r, metric)) for i, r in enumerate(runs)]
    found = directions.best(values, way)
    if found is None or sum(not math.isnan(v) for _, v in values) < 2:
        return metric, way, set()  # one value is no contest: nothing marked
    return metric, way, set(found[1])


def version_row(
    model: ModelRecord, version: VersionRecord, run: dict[str, Any] | None, metric: str | None, best: bool
) -> dict[str, Any]:
    value = _value(run, metric) if metric else math.nan
    return {
        "v": version,
        "aliases": model.aliases_of(version),
        "duplicate": version.number in model.duplicates,
        "run": run,
        "value": None if math.isnan(value) else value,
        "best": best,
    }


def problems(
    app: Site, models: list[ModelRecord], warnings: list[str], *, runs: set[str] | None = None
) -> list[Issue]:
    """The registry's problems, as ``gittrack check`` reports them (see the module docstring);
    ``runs`` are the run ids in the store, when the caller has them already."""
    if app.rev is None:
        return _work_tree_problems(app.store)
    found = [Issue(m.dirname, f"{p.path}:{p.line}", p.message, p.kind) for m in models for p in m.problems]
    if runs is None:
        runs = set(app.search(warnings.append, view="all")["run_id"])
    for model in models:
        for version in model.live_versions:
            if version.run_id not in runs:
                message = (
                    f"version {version.number} of '{model.name}' points at run {version.run_id}, which is "
                    f"not in the store at {app.rev}: commit that run where it was made "
                    "(gittrack commit RUN) and merge it"
                )
                folder = f"{app.rev}:{app.store.name}/{layout.MODELS_DIR}/{model.dirname}"
                where = f"{folder}/versions/{version.filename}:0"
                found.append(Issue(model.dirname, where, message, "missing-run"))
    return found


def _work_tree_problems(store: Path) -> list[Issue]:
    from gittrack.maintenance.check_registry import registry_findings

    root = store / layout.MODELS_DIR
    found = []
    for finding in registry_findings(store):
        try:
            model = finding.path.relative_to(root).parts[0]
            where = finding.path.relative_to(store.parent).as_posix()
        except (ValueError, IndexError):
            model, where = "", str(finding.path)
        found.append(Issue(model, f"{where}:{finding.line}", finding.message, finding.kind))
    return found


def _value(run: dict[str, Any] | None, metric: str) -> float:
    value = None if run is None else run.get(f"metrics.{metric}")
    return float(value) if value is not None and _num(value) else math.nan


def _num(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(float(value))
