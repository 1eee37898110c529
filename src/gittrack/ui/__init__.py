"""``gittrack ui``: a local web app over the run store, and ``gittrack report``.

:mod:`~gittrack.ui.server` is the HTTP side (stdlib ``ThreadingHTTPServer``),
:mod:`~gittrack.ui.app` routes a request to a page of :mod:`~gittrack.ui.pages`,
and every page reads runs through :func:`gittrack.query.search.search`.  Pages are
Jinja2 templates (``templates/``, autoescaped) rendered by :mod:`~gittrack.ui.templating`.
Edits (rename, note, tags, delete/restore) go through the tracking ``Client``
(:mod:`~gittrack.ui.pages.edit`), only on the work tree served on a loopback address.
Charts are drawn by plotly.js, served from the installed ``plotly`` package, so the UI
works with no network at all.  :mod:`~gittrack.ui.report` writes the same pages as one
HTML file.  It may import ``review``, ``maintenance``, ``tracking``, ``query``, ``store``,
``git`` and ``errors``; only the CLI imports it.
"""
