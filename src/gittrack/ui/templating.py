"""The one Jinja2 environment that renders every page of the UI and the static report.

Templates live in ``gittrack/ui/templates/`` (read with ``PackageLoader``): ``base.html``
is the layout, each page extends it, and ``macros.html`` holds the shared pieces
(links, status badges, shortened values, tables, chart boxes).  Autoescaping is on, so
every run-supplied string is escaped where it is written, in text and in attribute
values alike; the only values marked safe are the ones built here: JSON for the page's
scripts (:func:`json_text`) and the report's inlined assets.

jinja2 is imported when the first page renders, never when the UI's modules are
imported: ``gittrack --help`` stays fast.  The environment is built once per process.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from gittrack.review.render import cell
from gittrack.store.layout import iso_utc

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_lock = threading.Lock()
_environment: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The process's template environment (built on first use; the server renders in threads)."""
    global _environment
    with _lock:
        if _environment is None:
            _environment = _build()
        return _environment


def _build() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gittrack.ui", "templates"),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(json=json_markup, when=when, cell=cell, text=text, arrow=arrow, size=size)
    env.globals.update(url=url, run_url=run_url, model_url=model_url)
    return env


def render(template: str, **context: Any) -> str:
    """``template`` rendered with ``context`` (values are escaped by the template)."""
    return environment().get_template(template).render(**context)


def safe(trusted: str) -> Markup:
    """Markup that the templates write as it is: only for text built to be safe in place
    (JSON from :func:`json_text`, assets made safe to inline by the report)."""
    from markupsafe import Markup

    return Markup(trusted)  # noqa: S704 - callers pass only text made safe for its place


def json_text(data: Any) -> str:
    """JSON with NaN/inf as null, safe inside a ``<script>`` element: ``<``, ``>``, ``&`` and
    U+2028/2029 are written as ``\\u003c`` etc., so no value can close the element or open
    a comment."""
    text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"), default=str)
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def json_markup(data: Any) -> Markup:
    """The ``json`` filter: data for the page's scripts (``JSON.parse(el.textContent)``)."""
    return safe(json_text(data))


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, Mapping):
        return {str(k): _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def url(path: str, params: Mapping[str, object] | Sequence[tuple[str, object]] | None = None) -> str:
    """``path`` with a query string of the non-empty ``params`` (the template escapes it)."""
    items = list(params.items()) if isinstance(params, Mapping) else list(params or [])
    kept = [(k, str(v)) for k, v in items if v is not None and v != ""]
    return path + ("?" + urlencode(kept) if kept else "")


def run_url(run_id: str, *rest: str) -> str:
    """``/runs/<id>[/rest...]`` with every segment percent-encoded (``/`` inside ``rest`` kept)."""
    tail = "".join("/" + quote(part, safe="/") for part in rest)
    return "/runs/" + quote(run_id, safe="") + tail


def model_url(name: str, version: int | None = None) -> str:
    """``/models/<name>`` (percent-encoded; a name of dots too, which a browser would
    otherwise resolve as ``.``/``..``), ``#v<version>`` for one of its versions."""
    encoded = quote(name, safe="")
    if not encoded.strip("."):
        encoded = encoded.replace(".", "%2E")
    return "/models/" + encoded + ("" if version is None else f"#v{version}")


def when(epoch_ms: object) -> str:
    """Milliseconds since the epoch as ``YYYY-MM-DD HH:MM:SS`` (UTC); blank when missing."""
    try:
        return iso_utc(int(epoch_ms))[:19].replace("T", " ")  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""


def text(value: object) -> str:
    """A value as text, None as blank."""
    return "" if value is None else str(value)


def arrow(way: str) -> str:
    return "↓" if way == "min" else "↑"


def size(count: int) -> str:
    """A byte count for people: ``512 B``, ``1.5 KiB``..."""
    value = float(count)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
