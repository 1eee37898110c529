"""What every page of the UI shares: the request and response types, and the site a page reads.

:class:`Site` is the store (at a revision, or the work tree) with the one way pages get
runs (the shared query engine) and the page layout; :mod:`gittrack.ui.app` routes a
request to a page of :mod:`gittrack.ui.pages`, which receives the Site.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from gittrack.store.config import Config
from gittrack.ui.templating import render

if TYPE_CHECKING:
    import pandas as pd

    from gittrack.query.paging import Page

Query = Mapping[str, list[str]]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
    # UI's own form posts, and the server could not tell them from a cross-site post
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
}


class HTTPError(Exception):
    """An answer other than 200 that is not a bug: 400, 403, 404, 405."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stream: BinaryIO | None = None  # sent after body, then closed (artifact downloads)
    length: int | None = None


@dataclass
class Site:
    """The web app over one store (at ``rev``, or the work tree when None).

    ``edits`` is whether runs may be changed through it: :func:`gittrack.ui.server.make_server`
    turns it on for the work tree on a loopback address, never at a revision.  Every form
    carries ``csrf_token``, drawn once per server session.
    """

    store: Path
    config: Config | None = None
    rev: str | None = None
    edits: bool = False
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def token_matches(self, given: str) -> bool:
        """Whether ``given`` is this session's CSRF token (compared in constant time)."""
        return hmac.compare_digest(given.encode("utf-8"), self.csrf_token.encode("utf-8"))

    def subtitle(self) -> str:
        return str(self.store) + (f" @ {self.rev}" if self.rev else "")

    def search(
        self,
        warn: Callable[[str], None],
        *,
        experiments: list[str] | None = None,
        filter_string: str = "",
        order_by: list[str] | None = None,
        view: str = "active",
    ) -> pd.DataFrame:
        """The one way pages get runs: the shared query engine (``view="all"``: deleted runs too)."""
        from gittrack.query.search import search

        return search(
            self.store,
            experiments=experiments,
            filter_string=filter_string,
            order_by=order_by,
            view=view,
            rev=self.rev,
            warn=warn,
        )

    def search_page(
        self,
        warn: Callable[[str], None],
        *,
        experiments: list[str] | None,
        filter_string: str,
        order_by: list[str] | None,
        offset: int,
        limit: int,
    ) -> Page:
        """One page of :meth:`search`'s runs, with their count, from the index where it can."""
        from gittrack.query.paging import search_page

        return search_page(
            self.store, experiments=experiments, filter_string=filter_string, order_by=order_by,
            offset=offset, limit=limit, rev=self.rev, warn=warn,
        )  # fmt: skip

    def page(self, template: str, *, title: str, warnings: list[str], **context: Any) -> Response:
        """``template`` (one of ``ui/templates/``) as a whole page of this site."""
        text = render(template, title=title, warnings=warnings, subtitle=self.subtitle(), **context)
        return Response(body=text.encode("utf-8"))


def one(query: Query, key: str, default: str = "") -> str:
    values = query.get(key)
    return values[-1] if values else default


_STATIC = ("app.js", "app.css")


def static(name: str) -> Response:
    """The UI's own assets, and plotly.min.js from the installed plotly package (never a CDN)."""
    if name == "plotly.min.js":
        data = plotly_js()
    elif name in _STATIC:
        data = resources.files("gittrack.ui").joinpath("static").joinpath(name).read_bytes()
    else:
        raise HTTPError(404, "no such file")
    kind = "text/css; charset=utf-8" if name.endswith(".css") else "text/javascript; charset=utf-8"
    return Response(body=data, content_type=kind, headers={"Cache-Control": "max-age=3600"})


_plotly: bytes | None = None


def plotly_js() -> bytes:
    """The plotly.js bundle shipped inside the ``plotly`` Python package."""
    global _plotly
    if _plotly is None:
        _plotly = resources.files("plotly").joinpath("package_data").joinpath("plotly.min.js").read_bytes()
    return _plotly


def error_page(status: int, message: str) -> Response:
    title = _TITLES.get(status, "Internal error")
    text = render("error.html", title=title, message=message, warnings=[], subtitle="")
    headers = {"Allow": "GET, HEAD"} if status == 405 else {}
    return Response(status=status, body=text.encode("utf-8"), headers=headers)


_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    411: "Length required",
    413: "Form too large",
    415: "Unsupported form",
}
