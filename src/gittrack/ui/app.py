"""Routing: a request path and query become a :class:`Response`, with no sockets involved.

Routes (GET/HEAD; the server answers 405 to any other method, but POST to an edit)::

    /                                   experiments
    /runs?exp=&filter=&sort=&dir=&page=&col=   runs table (``partial=1``: the results only)
    /runs/<id>                          one run
    /runs/<id>/metrics.json             status and metric histories (polled while RUNNING)
    /runs/<id>/diff                     the run's git.diff
    /runs/<id>/preview/<path>           an artifact shown in the page
    /runs/<id>/artifacts/<path>         an artifact downloaded
    /compare?run=<id>&run=<id>...       2 to 10 runs side by side
    /history?exp=&metric=               best metric per commit along the branch
    /models                             registered models: latest versions, aliases, stages, problems
    /models/<name>                      one registered model: every version with its run
    /static/<file>                      app.js, app.css, plotly.min.js

POST (only when :attr:`~gittrack.ui.web.Site.edits` is on; see :mod:`gittrack.ui.pages.edit`)::

    /runs/<id>/rename, /note, /tags, /tags/delete, /delete, /restore
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from gittrack.ui.web import HTTPError, Query, Response, Site, static


class App(Site):
    """The web app over one store: routes a request target to a page."""

    def handle(self, target: str) -> Response:
        """Route one GET request target (path and query string)."""
        segments, query = _split(target)
        return self.route(segments, query)

    def is_edit(self, target: str) -> bool:
        """Whether ``target`` is a path that takes a POST (an edit), whether or not edits are on."""
        from gittrack.ui.pages import edit

        return edit.is_edit(_split(target)[0])

    def handle_post(self, target: str, form: Query) -> Response:
        """Make the edit ``target`` names; the server has checked origin and token."""
        from gittrack.ui.pages import edit

        if not self.edits:
            raise HTTPError(405, "this UI is read-only")
        return edit.apply(self, _split(target)[0], form)

    def warm(self) -> None:
        """Do before serving what the first page would wait for: import the pages' libraries,
        compile the runs page's templates, bring the run index up to date and read its
        column list (problems are left for the pages to report)."""
        import contextlib

        from gittrack.errors import GittrackError
        from gittrack.query.paging import search_page
        from gittrack.ui.pages import compare, experiments, history, models, run, runs  # noqa: F401
        from gittrack.ui.templating import environment

        for template in ("runs.html", "runs_results.html", "experiments.html", "run.html"):
            environment().get_template(template)
        with contextlib.suppress(GittrackError, OSError, ValueError):
            search_page(self.store, limit=0, rev=self.rev, warn=lambda _message: None)

    def route(self, segments: list[str], query: Query) -> Response:
        from gittrack.ui.pages import compare, experiments, history, models, run, runs

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
        if head == "models":
            return models.route(self, segments, query)
        if head == "static" and len(segments) == 2:
            return static(segments[1])
        raise HTTPError(404, "no such page")


def _split(target: str) -> tuple[list[str], Query]:
    parts = urlsplit(target)
    segments = [unquote(s) for s in parts.path.split("/")[1:]]
    return segments, parse_qs(parts.query, keep_blank_values=True)
