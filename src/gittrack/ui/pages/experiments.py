"""``/``: every experiment with its run counts and its best runs, direction-aware."""

from __future__ import annotations

from gittrack.ui import data
from gittrack.ui.web import Query, Response, Site


def render(app: Site, query: Query) -> Response:
    warnings: list[str] = []
    frame = app.search(warnings.append)
    summaries = data.experiments(frame, app.config)
    return app.page(
        "experiments.html",
        title="Experiments",
        warnings=warnings,
        experiments=summaries,
        total_runs=len(frame),
    )
