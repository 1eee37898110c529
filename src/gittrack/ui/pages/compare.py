"""``/compare?run=A&run=B...``: 2 to 10 runs side by side.

The rows are those of ``gittrack compare`` (:func:`gittrack.review.compare.compare_rows`):
params, each metric's last and best value, tags, and the datasets each run used
(:func:`~gittrack.review.compare.dataset_rows`, when some run logged one); a row whose
values differ is highlighted (:func:`~gittrack.review.compare.all_equal`) and the best
metric cells are marked
(:func:`~gittrack.review.compare.best_indices`).  Below: one chart per metric with every
run overlaid, and parallel coordinates / a scatter of params against a chosen metric.
More than :data:`MAX_COMPARE` runs asked: the first ten are compared and the page names
the ones left out.
"""

from __future__ import annotations

from typing import Any

from gittrack.review.compare import Row, all_equal, best_indices, compare_rows, dataset_rows
from gittrack.review.ls import commit_text
from gittrack.store.config import Config
from gittrack.ui import data
from gittrack.ui.pages.run import load
from gittrack.ui.source import RunSource
from gittrack.ui.web import HTTPError, Query, Response, Site

MAX_COMPARE = 10


def render(app: Site, query: Query) -> Response:
    refs = list(dict.fromkeys(r for r in query.get("run", []) if r))
    if len(refs) < 2:
        raise HTTPError(400, f"choose between 2 and {MAX_COMPARE} runs to compare (got {len(refs)})")
    warnings: list[str] = []
    loaded = [load(app, ref, warnings) for ref in refs[:MAX_COMPARE]]
    sources = list({s.run_id: s for s in loaded}.values())  # a run named twice is shown once
    histories = {s.run_id: s.histories() for s in sources}
    for source in sources:
        warnings.extend(source.warnings)
    labels = {s.run_id: s.record.meta.name for s in sources}
    charts = data.chart_data(histories, labels, app.config)
    sections = side_rows(sources, app.config)
    datasets = dataset_rows(app.store, [(app.rev, s.record) for s in sources])
    return app.page(
        "compare.html",
        title="Compare runs",
        warnings=warnings,
        plotly=True,
        page_data=relations_data(sources, charts, app.config),
        runs=[_run_facts(s) for s in sources],
        left_out=refs[MAX_COMPARE:],
        max_compare=MAX_COMPARE,
        params=sections["params"],
        metrics=sections["metrics"],
        tags=sections["tags"],
        datasets=[_side_row(row, "datasets") for row in datasets],
        chart_list=charts,
        relation_metrics=sorted({k for s in sources for k in s.record.metrics}),
        relation_params=sorted({k for s in sources for k in s.record.params}),
    )


def _run_facts(source: RunSource) -> dict[str, Any]:
    """The head row and the first table: who each run is."""
    meta = source.record.meta
    git = meta.git or {}
    return {
        "id": source.run_id,
        "name": meta.name,
        "status": source.record.status,
        "experiment": meta.experiment,
        "start": meta.start_time,
        "commit": commit_text(git.get("commit"), git.get("dirty")),
        "commit_full": git.get("commit") or "",
    }


def side_rows(sources: list[RunSource], config: Config | None) -> dict[str, list[dict[str, Any]]]:
    """``gittrack compare``'s rows, by kind (params, metrics, tags), shaped for the tables."""
    sections: dict[str, list[dict[str, Any]]] = {"params": [], "metrics": [], "tags": []}
    for row in compare_rows([s.record for s in sources], config=config):
        kind, _, label = row.key.partition(".")
        sections[kind].append(_side_row(row, label))
    return sections


def _side_row(row: Row, label: str) -> dict[str, Any]:
    best = set(best_indices(row))
    return {
        "label": label,
        "direction": row.direction,
        "differs": not all_equal(row.values),
        "cells": [(value, i in best) for i, value in enumerate(row.values)],
    }


def relations_data(
    sources: list[RunSource], charts: list[dict[str, Any]], config: Config | None
) -> dict[str, Any]:
    """Page data for app.js: the charts, and each run's params and last metric values."""
    metrics = sorted({k for s in sources for k in s.record.metrics})
    return {
        "charts": charts,
        "runs": [_run_data(s) for s in sources],
        "directions": {m: data.direction(m, config) for m in metrics},
    }


def _run_data(source: RunSource) -> dict[str, Any]:
    record = source.record
    return {
        "id": record.run_id,
        "name": record.meta.name,
        "params": record.params,
        "metrics": {k: s.last for k, s in record.metrics.items()},
    }
