"""``/compare?run=A&run=B...``: 2 to 10 runs side by side.

Params with differences highlighted, last metric values with the best marked, one
chart per metric with every run overlaid, and parallel coordinates / a scatter of
params against a chosen metric.
"""

from __future__ import annotations

from typing import Any

from gittrack.store.config import Config
from gittrack.ui import data
from gittrack.ui.html import esc, json_script, link, run_url, show, status_badge, when
from gittrack.ui.pages.run import chart_controls, load
from gittrack.ui.pages.runs import MAX_COMPARE
from gittrack.ui.source import RunSource
from gittrack.ui.web import HTTPError, Query, Response, Site


def render(app: Site, query: Query) -> Response:
    refs = list(dict.fromkeys(r for r in query.get("run", []) if r))
    if not 2 <= len(refs) <= MAX_COMPARE:
        raise HTTPError(400, f"choose between 2 and {MAX_COMPARE} runs to compare (got {len(refs)})")
    warnings: list[str] = []
    sources = [load(app, ref, warnings) for ref in refs]
    histories = {s.run_id: s.histories() for s in sources}
    for source in sources:
        warnings.extend(source.warnings)
    labels = {s.run_id: s.record.meta.name for s in sources}
    charts = data.chart_data(histories, labels, app.config)
    payload = relations_data(sources, charts, app.config)
    body = "".join(
        [
            f"<h1>Compare {len(sources)} runs</h1>",
            _runs_table(sources),
            "<h2>Params</h2>",
            '<label class="toggle"><input type="checkbox" id="only-diff"> only params that differ</label>',
            _params_table(sources),
            "<h2>Metrics</h2>",
            _metrics_table(sources, app),
            chart_controls() if charts else "",
            chart_divs(charts),
            relations(sources),
        ]
    )
    return app.page("Compare runs", body, warnings, charts=True, data=json_script("page-data", payload))


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


def _head(sources: list[RunSource]) -> str:
    cells = "".join(f"<th>{link(esc(run_url(s.run_id)), s.record.meta.name)}</th>" for s in sources)
    return f"<thead><tr><th></th>{cells}</tr></thead>"


def _side_table(table_id: str, sources: list[RunSource], rows: list[str]) -> str:
    return f'<table class="grid side" id="{table_id}">{_head(sources)}<tbody>{"".join(rows)}</tbody></table>'


def _runs_table(sources: list[RunSource]) -> str:
    def commit(s: RunSource) -> str:
        git = s.record.meta.git or {}
        return f'<span class="mono">{esc(str(git.get("commit") or "")[:8])}</span>'

    rows = [
        ("status", [status_badge(s.record.status) for s in sources]),
        ("experiment", [esc(s.record.meta.experiment) for s in sources]),
        ("started", [esc(when(s.record.meta.start_time)) for s in sources]),
        ("commit", [commit(s) for s in sources]),
    ]
    body = "".join(
        f"<tr><th>{esc(k)}</th>" + "".join(f"<td>{c}</td>" for c in cs) + "</tr>" for k, cs in rows
    )
    return f'<table class="grid side" id="compare-runs">{_head(sources)}<tbody>{body}</tbody></table>'


def _params_table(sources: list[RunSource]) -> str:
    keys = sorted({k for s in sources for k in s.record.params})
    if not keys:
        return '<p class="muted">no params</p>'
    rows = []
    for key in keys:
        values = [s.record.params.get(key) for s in sources]
        differs = len({repr(s.record.params[key]) if key in s.record.params else None for s in sources}) > 1
        cells = "".join(f"<td>{show(v, 40)}</td>" for v in values)
        rows.append(f'<tr class="{"differs" if differs else "same"}"><th>{esc(key)}</th>{cells}</tr>')
    return _side_table("compare-params", sources, rows)


def _metrics_table(sources: list[RunSource], app: Site) -> str:
    keys = sorted({k for s in sources for k in s.record.metrics})
    if not keys:
        return '<p class="muted">no metrics</p>'
    rows = []
    for key in keys:
        way = data.direction(key, app.config)
        values = [s.record.metrics[key].last if key in s.record.metrics else None for s in sources]
        finite = [v for v in values if v is not None and v == v and abs(v) != float("inf")]
        best = (min(finite) if way == "min" else max(finite)) if finite else None
        cells = "".join(
            f'<td class="{"best" if v is not None and v == best else ""}">{show(v, 16)}</td>' for v in values
        )
        rows.append(f"<tr><th>{esc(key)} {data.arrow(way)}</th>{cells}</tr>")
    return _side_table("compare-metrics", sources, rows)


def chart_divs(charts: list[dict[str, Any]]) -> str:
    divs = "".join(
        f'<figure class="chart-box"><figcaption>{esc(c["metric"])}</figcaption>'
        f'<div class="chart" id="chart-{i}" data-index="{i}"></div></figure>'
        for i, c in enumerate(charts)
    )
    return f'<div class="charts">{divs}</div>'


def relations(sources: list[RunSource]) -> str:
    metrics = sorted({k for s in sources for k in s.record.metrics})
    params = sorted({k for s in sources for k in s.record.params})
    if not metrics or not params:
        return ""
    metric_options = "".join(f'<option value="{esc(m)}">{esc(m)}</option>' for m in metrics)
    param_options = "".join(f'<option value="{esc(p)}">{esc(p)}</option>' for p in params)
    return (
        "<h2>Params against a metric</h2>"
        f'<div class="chart-controls"><label>metric <select id="rel-metric">{metric_options}</select></label>'
        f'<label>scatter x <select id="rel-param">{param_options}</select></label></div>'
        '<div class="charts"><figure class="chart-box wide"><figcaption>parallel coordinates</figcaption>'
        '<div class="chart" id="parcoords"></div></figure>'
        '<figure class="chart-box"><figcaption>scatter</figcaption>'
        '<div class="chart" id="scatter"></div></figure></div>'
    )
