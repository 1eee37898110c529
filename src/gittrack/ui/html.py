"""HTML building blocks for the UI and the static report: escaping, links, layout.

Every run-supplied string reaches the page through :func:`esc` (text and attribute
values alike), and data for scripts through :func:`json_script`, which is safe inside
``<script>``: ``<``, ``>`` and ``&`` are written as ``\\u003c`` etc., so no value can
close the element or open a comment.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from gittrack.review.render import cell
from gittrack.store.layout import iso_utc

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def esc(value: object) -> str:
    """Any value as text safe in HTML content and in quoted attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def json_text(data: Any) -> str:
    """JSON with NaN/inf as null, safe to embed inside a ``<script>`` element."""
    text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"), default=str)
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def json_script(element_id: str, data: Any) -> str:
    """Data for the page's scripts, read with ``JSON.parse(el.textContent)``."""
    return f'<script type="application/json" id="{esc(element_id)}">{json_text(data)}</script>'


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, Mapping):
        return {str(k): _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def href(path: str, params: Mapping[str, object] | Sequence[tuple[str, object]] | None = None) -> str:
    """A URL with its query string, escaped for an attribute value."""
    items = list(params.items()) if isinstance(params, Mapping) else list(params or [])
    kept = [(k, str(v)) for k, v in items if v is not None and v != ""]
    return esc(path + ("?" + urlencode(kept) if kept else ""))


def run_url(run_id: str, *rest: str) -> str:
    """``/runs/<id>[/rest...]`` with every segment percent-encoded (``/`` inside ``rest`` kept)."""
    tail = "".join("/" + quote(part, safe="/") for part in rest)
    return "/runs/" + quote(run_id, safe="") + tail


def link(url: str, text: object, cls: str = "") -> str:
    """``url`` must already be escaped (as :func:`href` returns it)."""
    klass = f' class="{esc(cls)}"' if cls else ""
    return f'<a href="{url}"{klass}>{esc(text)}</a>'


def show(value: object, width: int = 40) -> str:
    """A cell value shortened for people, with the exact value as a tooltip when cut."""
    short = cell(value, width)
    full = "" if value is None else str(value)
    title = f' title="{esc(full)}"' if short != full and full not in ("nan", "<NA>") else ""
    return f"<span{title}>{esc(short)}</span>"


def when(epoch_ms: object) -> str:
    try:
        return iso_utc(int(epoch_ms))[:19].replace("T", " ")  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""


def status_badge(status: object) -> str:
    text = str(status or "")
    return f'<span class="status s-{esc(text.lower())}">{esc(text)}</span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], attrs: str = "") -> str:
    """A table from already-escaped header and cell HTML."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table {attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def mapping_table(data: Mapping[str, object], empty: str) -> str:
    if not data:
        return f'<p class="muted">{esc(empty)}</p>'
    rows = ([esc(k), show(v, 120)] for k, v in data.items())
    return table(["name", "value"], rows, 'class="kv"')


def warnings_box(messages: Sequence[str]) -> str:
    if not messages:
        return ""
    items = "".join(f"<li>{esc(m)}</li>" for m in messages[:50])
    more = f"<li>... and {len(messages) - 50} more</li>" if len(messages) > 50 else ""
    return f'<div class="warnings" role="status"><strong>Warnings</strong><ul>{items}{more}</ul></div>'


_NAV = (("/", "Experiments"), ("/runs", "Runs"), ("/history", "History"))


def layout(
    title: str, body: str, *, head: str = "", scripts: str = "", subtitle: str = "", nav: bool = True
) -> str:
    """A whole page; ``head`` and ``scripts`` are trusted markup (asset tags, json_script)."""
    links = "".join(f'<a href="{u}">{t}</a>' for u, t in _NAV) if nav else ""
    brand = '<a class="brand" href="/">gittrack</a>' if nav else '<span class="brand">gittrack</span>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>{esc(title)} · gittrack</title>{head}</head><body>"
        f'<header class="top">{brand}<nav>{links}</nav>'
        f'<span class="where">{esc(subtitle)}</span></header>'
        f"<main>{body}</main>{scripts}</body></html>"
    )
