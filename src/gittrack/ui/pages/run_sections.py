"""The run page's sections beyond its params, metrics and tags: why it failed, its child runs,
the models it logged and where they are registered, the datasets it used (its data
lineage), its figures and its tables.

Everything is read from files and listed, never loaded: a model is what its ``MLmodel``
says (:func:`gittrack.review.models.run_models`), a figure is an ``<img>`` of the artifact
(an SVG in an ``<img>`` runs no script, and is served with a sandboxing CSP besides), a
``log_table`` JSON file becomes an escaped HTML table, and a plotly ``.html`` figure is
only offered as a download, because it loads plotly.js from a CDN and is a page of its own.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from gittrack.errors import CorruptRunError
from gittrack.review.models import LoggedModel, registry_at, run_datasets, run_models
from gittrack.review.show import children
from gittrack.store.config import load_config
from gittrack.store.inputs import DatasetRecord
from gittrack.ui.artifacts import read_table
from gittrack.ui.source import RunSource
from gittrack.ui.templating import run_url
from gittrack.ui.web import Site

FIGURES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
HTML_FIGURES = (".html", ".htm")
MAX_FIGURES = 24  # shown inline; the others stay in the artifacts list
MAX_TABLES = 10
TABLE_BYTES = 1 << 20  # larger JSON files are not read to look for a table
SPEC_ROWS = 50  # signature columns shown
SCHEMA_COLUMNS = 12  # dataset columns named in its schema summary


def sections(app: Site, source: RunSource, info: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """The context the run page's extra sections render from."""
    logged = run_models(app.store, source.run_id, rev=app.rev)
    folders = [m.path for m in logged]
    own = [a for a in info["artifacts"] if not _inside(str(a["path"]), folders)]
    figures = [a for a in own if str(a["path"]).lower().endswith(FIGURES)]
    registered = registrations(app, source.run_id)
    return {
        "error": info.get("error"),
        "parent_name": _name_of(app, info.get("parent_run_id"), warnings),
        "children": _children(app, source.run_id),
        "models": [model_view(source.run_id, m, registered.get(m.path.strip("/"), [])) for m in logged],
        "datasets": [dataset_view(d) for d in _datasets(app, source.run_id, warnings)],
        "figures": [figure_view(source.run_id, a) for a in figures[:MAX_FIGURES]],
        "more_figures": max(0, len(figures) - MAX_FIGURES),
        "tables": tables(source, own),
        "html_figures": [a for a in own if str(a["path"]).lower().endswith(HTML_FIGURES)],
    }


def _inside(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _name_of(app: Site, run_id: object, warnings: list[str]) -> str | None:
    """The name of run ``run_id`` (a parent), None when there is none or it is not in the store."""
    if not run_id:
        return None
    runs = app.search(warnings.append, view="all")
    names = runs.loc[runs["run_id"] == run_id, "run_name"]
    return str(names.iloc[0]) if len(names) else None


def _children(app: Site, run_id: str) -> dict[str, Any] | None:
    """The run's children with their status and the primary metric (best marked), or None."""
    config = app.config if app.config is not None else load_config()
    found = children(app.store, run_id, rev=app.rev, config=config)
    return found if found["runs"] else None


def registrations(app: Site, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """The registered versions pointing at this run, by the model's path in its artifacts."""
    found: dict[str, list[dict[str, Any]]] = {}
    for model in registry_at(app.store, app.rev):
        for version in model.live_versions:
            if version.run_id == run_id:
                found.setdefault(version.artifact_path.strip("/"), []).append(
                    {
                        "name": model.name,
                        "version": version.number,
                        "stage": version.stage,
                        "aliases": model.aliases_of(version),
                    }
                )
    return found


def model_view(run_id: str, model: LoggedModel, registered: list[dict[str, Any]]) -> dict[str, Any]:
    """A logged model for the page: flavors with their scalar settings, the signature as rows."""
    return {
        "path": model.path,
        "problem": model.problem,
        "flavors": [
            (name, {k: v for k, v in sorted(conf.items()) if isinstance(v, (str, int, float, bool))})
            for name, conf in sorted(model.flavors.items())
        ],
        "serialization_format": model.serialization_format,
        "created": model.created,
        "inputs": spec_rows(model.signature_inputs),
        "outputs": spec_rows(model.signature_outputs),
        "input_example": model.input_example,
        "registered": registered,
        "mlmodel": run_url(run_id, "preview", f"{model.path}/MLmodel"),
        "uri": f"runs:/{run_id}/{model.path}",
    }


def spec_rows(specs: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """Column or tensor specs of a signature as ``{rows: [(name, type, required)], more}``."""
    if specs is None:
        return None
    rows = []
    for spec in specs[:SPEC_ROWS]:
        if not isinstance(spec, dict):
            rows.append(("", str(spec), ""))
            continue
        kind = str(spec.get("type", ""))
        tensor = spec.get("tensor-spec")
        if isinstance(tensor, dict):
            kind = f"tensor {tensor.get('dtype', '')} {tuple(tensor.get('shape') or ())}"
        required = spec.get("required")
        shown = "" if required is None else str(bool(required)).lower()
        rows.append((str(spec.get("name") or ""), kind, shown))
    return {"rows": rows, "more": max(0, len(specs) - SPEC_ROWS)}


def _datasets(app: Site, run_id: str, warnings: list[str]) -> list[DatasetRecord]:
    try:
        return run_datasets(app.store, run_id, rev=app.rev)
    except CorruptRunError as exc:
        warnings.append(f"datasets: {exc}")
        return []


def dataset_view(record: DatasetRecord) -> dict[str, Any]:
    """A dataset for the page: where it came from and a one-line summary of its schema."""
    uri = record.source.get("uri") or record.source.get("url") or record.source.get("path")
    where = str(uri) if uri else ", ".join(f"{k}: {v}" for k, v in sorted(record.source.items()))
    return {
        "name": record.name,
        "digest": record.digest,
        "context": record.context,
        "source_type": record.source_type,
        "source": where,
        "schema": schema_summary(record.schema),
        "rows": (record.profile or {}).get("num_rows"),
        "tags": record.tags,
    }


def schema_summary(schema: dict[str, Any] | None) -> str:
    """``x double, y double, … (14 columns)``: the first columns of an MLflow schema."""
    if not schema:
        return ""
    columns = schema.get("mlflow_colspec") or schema.get("mlflow_tensorspec") or []
    if not isinstance(columns, list):
        return str(columns)
    parts = []
    for column in columns[:SCHEMA_COLUMNS]:
        if isinstance(column, dict):
            kind = column.get("type") or column.get("tensor-spec", {}).get("dtype", "")
            parts.append(f"{column.get('name') or '?'} {kind}".strip())
    text = ", ".join(parts)
    if len(columns) > SCHEMA_COLUMNS:
        text += f", … ({len(columns)} columns)"
    return text


def figure_view(run_id: str, artifact: dict[str, Any]) -> dict[str, Any]:
    path = str(artifact["path"])
    return {
        "path": path,
        "src": run_url(run_id, "artifacts", path) + "?inline=1",
        "preview": run_url(run_id, "preview", path),
    }


def tables(source: RunSource, artifacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``log_table`` files (JSON ``{"columns": [...], "data": [[...]]}``) as table rows
    (:func:`~gittrack.ui.artifacts.read_table`), of at most :data:`MAX_TABLES` files."""
    found: list[dict[str, Any]] = []
    for artifact in artifacts:
        path = str(artifact["path"])
        if len(found) == MAX_TABLES or not path.lower().endswith(".json") or artifact["size"] > TABLE_BYTES:
            continue
        opened = source.open_artifact(path)
        if opened is None:
            continue
        handle, _size = opened
        with handle:
            table = read_table(handle.read())
        if table is not None:
            found.append({"path": path, "name": posixpath.basename(path), **table})
    return found
