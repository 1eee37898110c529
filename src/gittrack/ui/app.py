"""Routing: a request path and query become a :class:`Response`, with no sockets involved.

Routes (all GET/HEAD; the server answers 405 to anything else)::

    /                                   experiments
    /runs?exp=&filter=&sort=&dir=&page=&col=   runs table (``partial=1``: the results only)
    /runs/<id>                          one run
    /runs/<id>/metrics.json             status and metric histories (polled while RUNNING)
    /runs/<id>/diff                     the run's git.diff
    /runs/<id>/preview/<path>           an artifact shown in the page
    /runs/<id>/artifacts/<path>         an artifact downloaded
    /compare?run=<id>&run=<id>...       2 to 10 runs side by side
    /history?exp=&metric=               best metric per commit along the branch
    /static/<file>                      app.js, app.css, plotly.min.js
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from gittrack.ui.web import HTTPError, Query, Response, Site, static


class App(Site):
    """The read-only web app over one store: routes a request target to a page."""

    def handle(self, target: str) -> Response:
        """Route one GET request target (path and query string)."""
        parts = urlsplit(target)
        segments = [unquote(s) for s in parts.path.split("/")[1:]]
        query = parse_qs(parts.query, keep_blank_values=True)
        return self.route(segments, query)

    def route(self, segments: list[str], query: Query) -> Response:
        from gittrack.ui.pages import compare, experiments, history, run, runs

        head = segments[0] if segments else ""
        if head == "" and len(segments) <= 1:
            return experiments.render(self, query)
        if head == "runs" and len(segments) == 1:
            return runs.render(self, query)
        if head == "runs" and len(segments) >= 2 and segments[1]:
            return run.route(self, segments[1], segments[2:], query)
        if segments == ["compare"]:
            return compare.render(self, query)
        if segments == ["history"]:
            return history.render(self, query)
        if head == "static" and len(segments) == 2:
            return static(segments[1])
        raise HTTPError(404, "no such page")
