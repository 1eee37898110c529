"""``/runs``: the runs table of one experiment (or all), filtered and sorted by the query engine.

The filter box takes the same language as ``gittrack ls -f``; the text goes to the
server, which calls :func:`gittrack.query.search.search`.  Rows come 100 to a page, so
a store of ten thousand runs renders no more than a hundred rows.  With ``partial=1``
only the results block is returned: app.js swaps it in as the user types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gittrack.errors import FilterError
from gittrack.query.filter_parse import quote_column
from gittrack.review.ls import short_ids
from gittrack.ui.html import esc, href, link, run_url, show, status_badge, when
from gittrack.ui.web import HTTPError, Query, Response, Site, one

if TYPE_CHECKING:
    import pandas as pd

PER_PAGE = 100
MAX_COMPARE = 10
_FIXED = (("run_name", "Name"), ("status", "Status"), ("start_time", "Start"), ("duration", "Duration"))


@dataclass(frozen=True)
class View:
    """The state of the runs table, as carried in the URL."""

    exp: str
    filter: str
    sort: str
    dir: str
    page: int
    cols: tuple[str, ...] | None  # None: the default columns

    @classmethod
    def from_query(cls, query: Query) -> View:
        try:
            page = max(1, int(one(query, "page", "1")))
        except ValueError:
            raise HTTPError(400, "page must be a number") from None
        direction = one(query, "dir", "desc").lower()
        cols = tuple(c for c in query.get("col", []) if c) if "col" in query else None
        return cls(one(query, "exp"), one(query, "filter"), one(query, "sort"), direction, page, cols)

    def params(self, **changes: Any) -> list[tuple[str, object]]:
        state = {"exp": self.exp, "filter": self.filter, "sort": self.sort, "dir": self.dir, **changes}
        pairs: list[tuple[str, object]] = list(state.items())
        cols = changes.get("cols", self.cols)
        pairs += [("col", c) for c in cols or ()]
        return [(k, v) for k, v in pairs if k != "cols"]


def order_key(column: str, direction: str) -> str:
    """A frame column as an ORDER BY key of the filter language (keys quoted with backticks)."""
    return f"{quote_column(column)} {'ASC' if direction == 'asc' else 'DESC'}"


def render(app: Site, query: Query) -> Response:
    view = View.from_query(query)
    warnings: list[str] = []
    results = results_html(app, view, warnings)
    if one(query, "partial") == "1":
        return Response(body=results.encode("utf-8"))
    title = view.exp or "All runs"
    body = f'<h1>{esc(title)}</h1>{_controls(view)}<div id="results">{results}</div>'
    return app.page(title, body, warnings)


def results_html(app: Site, view: View, warnings: list[str]) -> str:
    """Count, inline filter error, table and pager: the part that changes as you type."""
    sortable = (
        view.sort
        if view.sort.startswith(("params.", "metrics.", "tags.")) or view.sort in dict(_FIXED)
        else ""
    )
    try:
        frame = app.search(
            warnings.append,
            experiments=[view.exp] if view.exp else None,
            filter_string=view.filter,
            order_by=[order_key(sortable, view.dir)] if sortable else None,
        )
    except FilterError as exc:
        return _filter_error(exc, view.filter)
    columns = list(view.cols) if view.cols is not None else default_columns(frame)
    pages = max(1, -(-len(frame) // PER_PAGE))
    page = min(view.page, pages)
    shown = frame.iloc[(page - 1) * PER_PAGE : page * PER_PAGE]
    count = (
        f'<p id="run-count" data-count="{len(frame)}">{len(frame)} run{"s" if len(frame) != 1 else ""}</p>'
    )
    return (
        count
        + _table(shown, columns, view)
        + _pager(view, page, pages)
        + _column_picker(frame, columns, view)
    )


def _filter_error(exc: FilterError, text: str) -> str:
    caret = ""
    if exc.column is not None:
        caret = f'<pre class="caret">{esc(text)}\n{" " * (exc.column - 1)}^</pre>'
    column = "" if exc.column is None else f' data-column="{exc.column}"'
    return (
        '<p id="run-count" data-count="0">no runs: the filter has an error</p>'
        f'<div class="error" id="filter-error"{column}>{esc(str(exc))}{caret}</div>'
    )


def default_columns(frame: pd.DataFrame, limit: int = 8) -> list[str]:
    """Up to ``limit`` params and ``limit`` metrics that some shown run has."""
    present = frame.columns[frame.notna().any().to_numpy()] if len(frame) else []
    params = [c for c in present if c.startswith("params.")][:limit]
    metrics = [c for c in present if c.startswith("metrics.")][:limit]
    return params + metrics


def _header(view: View, column: str, label: str) -> str:
    ascending = view.sort == column and view.dir == "asc"
    mark = (" ▲" if ascending else " ▼") if view.sort == column else ""
    url = href("/runs", view.params(sort=column, dir="desc" if ascending else "asc", page=1))
    return f'<a href="{url}" class="sort" data-column="{esc(column)}">{esc(label)}{mark}</a>'


def _table(frame: pd.DataFrame, columns: list[str], view: View) -> str:
    if frame.empty:
        return '<p class="empty">No runs match.</p>'
    headers = ['<input type="checkbox" id="pick-all" aria-label="select all runs on this page">']
    headers += [_header(view, col, label) for col, label in _FIXED]
    headers += ["Commit"] + [_header(view, col, col) for col in columns]
    head = "".join(f"<th>{h}</th>" for h in headers)
    ids = list(frame["run_id"])
    rows = [
        _row(record, short, columns)
        for record, short in zip(frame.to_dict("records"), short_ids(ids), strict=True)
    ]
    body = "".join(rows)
    return f'<table class="grid" id="runs-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _row(record: dict[str, Any], short_id: str, columns: list[str]) -> str:
    run_id = str(record["run_id"])
    commit = record.get("git.commit")
    commit_text = (str(commit)[:8] + ("*" if record.get("git.dirty") is True else "")) if commit else ""
    cells = [
        f'<input type="checkbox" class="pick" name="run" form="compare-form" '
        f'value="{esc(run_id)}" aria-label="select run">',
        f'{link(esc(run_url(run_id)), record["run_name"], "run")}<div class="id">{esc(short_id)}</div>',
        status_badge(record["status"]),
        esc(when(record["start_time"])),
        show(_duration(record["duration"])),
        f'<span class="mono" title="{esc(commit)}">{esc(commit_text)}</span>',
        *(
            f'<span class="num">{show(record.get(c), 24)}</span>'
            if c.startswith("metrics.")
            else show(record.get(c), 24)
            for c in columns
        ),
    ]
    return f'<tr data-run-id="{esc(run_id)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _duration(seconds: object) -> str:
    from gittrack.review.ls import _duration as fmt

    return fmt(seconds)


def _pager(view: View, page: int, pages: int) -> str:
    if pages == 1:
        return ""
    prev = link(href("/runs", view.params(page=page - 1)), "« previous") if page > 1 else ""
    after = link(href("/runs", view.params(page=page + 1)), "next »") if page < pages else ""
    return f'<nav class="pager">{prev} <span>page {page} of {pages}</span> {after}</nav>'


def _column_picker(frame: pd.DataFrame, columns: list[str], view: View) -> str:
    available = [c for c in frame.columns if c.startswith(("params.", "metrics.", "tags."))]
    boxes = "".join(
        f'<label><input type="checkbox" name="col" value="{esc(c)}"'
        f"{' checked' if c in columns else ''}> {esc(c)}</label>"
        for c in available
    )
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{esc(v)}">' for k, v in view.params(page=1, cols=()) if v
    )
    return (
        f'<details class="columns"><summary>Columns ({len(columns)} of {len(available)})</summary>'
        f'<form action="/runs" method="get">{hidden}<input type="hidden" name="col" value="">'
        f'<div class="boxes">{boxes}</div><button type="submit">Show columns</button></form></details>'
    )


def _controls(view: View) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{esc(v)}">'
        for k, v in view.params(page=1)
        if k != "filter" and v
    )
    return (
        f'<form id="filter-form" action="/runs" method="get" role="search">{hidden}'
        f'<input type="search" id="filter" name="filter" value="{esc(view.filter)}" autocomplete="off" '
        'spellcheck="false" placeholder="metrics.rmse &lt; 0.5 and params.model = &#x27;xgb&#x27;" '
        'aria-label="filter runs"><button type="submit">Filter</button></form>'
        f'<form id="compare-form" action="/compare" method="get"><button type="submit" id="compare-button" '
        f'disabled data-max="{MAX_COMPARE}">Compare selected (<span id="picked">0</span>)</button></form>'
    )
