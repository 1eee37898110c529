"""``/history``: the best value of a metric at each commit along the branch's first parents.

Runs are matched to commits by their recorded ``git.commit``; runs made on commits
that are not on the branch are left out.  "Best" follows the metric's direction.
"""

from __future__ import annotations

import datetime as dt

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.query.directions import Direction
from gittrack.review.history import LogEntry, best_per_commit
from gittrack.store.config import find_root
from gittrack.ui import data
from gittrack.ui.html import esc, json_script, link, run_url, table
from gittrack.ui.web import Query, Response, Site, one

MAX_COMMITS = 2000


def render(app: Site, query: Query) -> Response:
    warnings: list[str] = []
    exp = one(query, "exp")
    branch = app.rev or "HEAD"
    everything = app.search(warnings.append)
    frame = everything[everything["experiment_id"] == exp] if exp else everything
    metrics = data.main_metrics(frame, 1_000)
    metric = one(query, "metric") or (metrics[0] if metrics else "")
    way = data.direction(metric, app.config) if metric else "min"
    form = _form(sorted(set(everything["experiment_id"])), exp, metrics, metric)
    root = find_root(app.store if app.store.exists() else app.store.parent)
    if root is None:
        return app.page(
            "History",
            f'<h1>History</h1><p class="error">{esc(app.store)} is not in a git repository</p>',
            warnings,
        )
    try:
        commits = git.first_parent_history(root, branch, max_count=MAX_COMMITS)
    except GittrackError as exc:
        return app.page("History", f'<h1>History</h1>{form}<p class="error">{esc(exc)}</p>', warnings)
    rows = [e for e in best_per_commit(frame, commits, metric or None, way) if e.runs]
    body = f"<h1>History of {esc(branch)}</h1>" + form + _intro(rows, metric, way) + _table(rows)
    return app.page(
        "History", body, warnings, charts=True, data=json_script("page-data", _payload(rows, metric))
    )


def _intro(rows: list[LogEntry], metric: str, way: Direction) -> str:
    """What the table shows, and the chart's place when there is something to chart."""
    if not metric:
        return ""
    intro = (
        f'<p class="muted">best <strong>{esc(metric)}</strong> {data.arrow(way)} '
        "per commit with runs, newest first</p>"
    )
    if rows:
        intro += '<figure class="chart-box wide"><div class="chart" id="history-chart"></div></figure>'
    return intro


def _form(experiments: list[str], exp: str, metrics: list[str], metric: str) -> str:
    def options(values: list[str], chosen: str, blank: str | None) -> str:
        first = f'<option value="">{esc(blank)}</option>' if blank is not None else ""
        return first + "".join(
            f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(v)}</option>' for v in values
        )

    return (
        '<form class="chart-controls" id="history-form" action="/history" method="get">'
        "<label>experiment "
        f'<select name="exp">{options(experiments, exp, "all experiments")}</select></label>'
        f'<label>metric <select name="metric">{options(metrics, metric, None)}</select></label>'
        '<button type="submit">Show</button></form>'
    )


def _table(rows: list[LogEntry]) -> str:
    if not rows:
        return '<p class="empty">No runs on commits of this branch.</p>'
    body = (
        [
            f'<span class="mono" title="{esc(r.commit)}">{esc(r.commit[:8])}</span>',
            esc(_date(r.time)),
            esc(r.subject),
            str(r.runs),
            f"<strong>{esc(f'{r.best_value:.6g}')}</strong>" if r.best_run else "",
            link(esc(run_url(r.best_run.run_id)), r.best_run.name) if r.best_run else "",
        ]
        for r in rows
    )
    return table(
        ["commit", "date", "subject", "runs", "best", "best run"], body, 'class="grid" id="history-table"'
    )


def _date(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")


def _payload(rows: list[LogEntry], metric: str) -> dict[str, object]:
    points = [r for r in reversed(rows) if r.best_run is not None]  # oldest first, left to right
    return {
        "metric": metric,
        "x": [r.commit[:10] for r in points],
        "y": [r.best_value for r in points],
        "text": [f"{r.commit[:8]} {r.subject} — {r.best_run.name}" for r in points if r.best_run],
    }
