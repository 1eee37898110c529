"""``/history``: the best value of a metric at each commit along the branch's first parents.

Runs are matched to commits by their recorded ``git.commit``; runs made on commits
that are not on the branch are left out.  "Best" follows the metric's direction; the
metric shown when none is chosen is the one ``gittrack log`` follows
(:func:`gittrack.review.history.pick_metric`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.review.history import LogEntry, best_per_commit, pick_metric
from gittrack.store.config import find_root
from gittrack.ui import data
from gittrack.ui.web import Query, Response, Site, one

MAX_COMMITS = 2000


def render(app: Site, query: Query) -> Response:
    warnings: list[str] = []
    exp = one(query, "exp")
    branch = app.rev or "HEAD"
    everything = app.search(warnings.append)
    frame = everything[everything["experiment_id"] == exp] if exp else everything
    metrics = data.main_metrics(frame, 1_000)
    counts = {m: int(frame[f"metrics.{m}"].notna().sum()) for m in metrics}
    metric = one(query, "metric") or pick_metric(counts, app.config) or ""
    way = data.direction(metric, app.config) if metric else "min"
    context: dict[str, Any] = {
        "branch": branch,
        "experiments": sorted(set(everything["experiment_id"])),
        "exp": exp,
        "metrics": metrics,
        "metric": metric,
        "direction": way,
        "error": None,
        "rows": [],
    }
    root = find_root(app.store if app.store.exists() else app.store.parent)
    if root is None:
        context["error"] = f"{app.store} is not in a git repository"
        return app.page("history.html", title="History", warnings=warnings, **context)
    try:
        commits = git.first_parent_history(root, branch, max_count=MAX_COMMITS)
    except GittrackError as exc:
        context["error"] = str(exc)
        return app.page("history.html", title="History", warnings=warnings, **context)
    rows = [e for e in best_per_commit(frame, commits, metric or None, way) if e.runs]
    return app.page(
        "history.html",
        title="History",
        warnings=warnings,
        plotly=True,
        page_data=_payload(rows, metric),
        **{**context, "rows": [_row(r) for r in rows]},
    )


def _row(entry: LogEntry) -> dict[str, Any]:
    date = dt.datetime.fromtimestamp(entry.time, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")
    return {"entry": entry, "date": date}


def _payload(rows: list[LogEntry], metric: str) -> dict[str, object]:
    points = [r for r in reversed(rows) if r.best_run is not None]  # oldest first, left to right
    return {
        "metric": metric,
        "x": [r.commit[:10] for r in points],
        "y": [r.best_value for r in points],
        "text": [f"{r.commit[:8]} {r.subject} — {r.best_run.name}" for r in points if r.best_run],
    }
