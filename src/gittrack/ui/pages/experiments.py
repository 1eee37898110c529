"""``/``: every experiment with its run counts and its best runs, direction-aware."""

from __future__ import annotations

from gittrack.ui import data
from gittrack.ui.html import esc, href, link, run_url, table, when
from gittrack.ui.web import Query, Response, Site

_HEADERS = ["Experiment", "Runs", "Running", "Finished", "Failed / killed", "Last run", "Best runs"]


def render(app: Site, query: Query) -> Response:
    warnings: list[str] = []
    frame = app.search(warnings.append)
    summaries = data.experiments(frame, app.config)
    rows = [_row(s) for s in summaries]
    if rows:
        body = table(_HEADERS, rows, 'class="grid" id="experiments-table"')
    else:
        body = '<p class="empty">No runs yet. Log one with <code>gittrack.start_run()</code>.</p>'
    title = f'<h1>Experiments</h1><p class="muted">{len(frame)} runs in {len(summaries)} experiments</p>'
    return app.page("Experiments", title + body, warnings)


def _row(summary: data.ExperimentSummary) -> list[str]:
    counts = summary.statuses
    return [
        link(href("/runs", {"exp": summary.name}), summary.name, "exp"),
        str(summary.runs),
        str(counts.get("RUNNING", 0)),
        str(counts.get("FINISHED", 0)),
        str(counts.get("FAILED", 0) + counts.get("KILLED", 0)),
        esc(when(summary.last_start)),
        "<br>".join(_best(b) for b in summary.best) or '<span class="muted">no metrics</span>',
    ]


def _best(best: data.Best) -> str:
    value = f"{best.value:.6g}"
    return (
        f'<span class="metric">{esc(best.metric)} {data.arrow(best.direction)}</span> '
        f"<strong>{esc(value)}</strong> {link(esc(run_url(best.run_id)), best.run_name, 'run')}"
    )
