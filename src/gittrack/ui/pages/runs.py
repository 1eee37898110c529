"""``/runs``: the runs table of one experiment (or all), filtered and sorted by the query engine.

The filter box takes the same language as ``gittrack ls -f``; the text goes to the
server.  Rows come 100 to a page, and only the page is read: the count, the page's rows
and the columns the matching runs have come from SQL over the run index
(:func:`gittrack.query.paging.search_page`), so an experiment of 100,000 runs costs a
page of rows, not a frame of every run.  The page links keep the filter, sort and
columns in the query string.  With ``partial=1`` only the results block
(``runs_results.html``) is returned: app.js swaps it in as the user types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gittrack.errors import FilterError
from gittrack.query.filter_parse import quote_column
from gittrack.review.ls import display_frame
from gittrack.ui.pages.compare import MAX_COMPARE
from gittrack.ui.templating import render as render_template
from gittrack.ui.templating import url
from gittrack.ui.web import HTTPError, Query, Response, Site, one

if TYPE_CHECKING:
    import pandas as pd

    from gittrack.query.paging import Page

PER_PAGE = 100
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")  # 1 to 999,999,999: an offset SQLite can take
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
        given = one(query, "page", "1")
        if not _PAGE_NUMBER.fullmatch(given):
            shown = given if len(given) <= 20 else given[:20] + "…"
            raise HTTPError(400, f"page must be a whole number from 1 to 999999999, not {shown!r}")
        page = int(given)
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
    results = results_context(app, view, warnings)
    if one(query, "partial") == "1":
        return Response(body=render_template("runs_results.html", **results).encode("utf-8"))
    return app.page(
        "runs.html",
        title=view.exp or "All runs",
        warnings=warnings,
        heading=view.exp or "All runs",
        filter=view.filter,
        hidden=[(k, v) for k, v in view.params(page=1) if k != "filter" and v],
        max_compare=MAX_COMPARE,
        **results,
    )


def results_context(app: Site, view: View, warnings: list[str]) -> dict[str, Any]:
    """Count, inline filter error, table and pager: the part that changes as you type."""
    sortable = (
        view.sort
        if view.sort.startswith(("params.", "metrics.", "tags.")) or view.sort in dict(_FIXED)
        else ""
    )
    order_by = [order_key(sortable, view.dir)] if sortable else None
    try:
        found = _page(app, view, warnings, order_by, view.page)
        pages = max(1, -(-found.total // PER_PAGE))
        if view.page > pages:  # a link older than the last deletion: show the last page
            found = _page(app, view, warnings, order_by, pages)
    except FilterError as exc:
        return {"error": {"message": str(exc), "column": exc.column, "text": view.filter}}
    columns = list(view.cols) if view.cols is not None else default_columns(found.present)
    number = min(view.page, pages)
    return {
        "error": None,
        "count": found.total,
        "first": found.offset + 1,
        "last": found.offset + len(found.frame),
        "headers": _headers(view, columns),
        "rows": rows(found.frame, columns),
        "pager": _pager(view, number, pages),
        "picker": _picker(found.available, columns, view),
    }


def _page(app: Site, view: View, warnings: list[str], order_by: list[str] | None, number: int) -> Page:
    return app.search_page(
        warnings.append,
        experiments=[view.exp] if view.exp else None,
        filter_string=view.filter,
        order_by=order_by,
        offset=(number - 1) * PER_PAGE,
        limit=PER_PAGE,
    )


def default_columns(present: list[str], limit: int = 8) -> list[str]:
    """Up to ``limit`` params and ``limit`` metrics that some matching run has."""
    params = [c for c in present if c.startswith("params.")][:limit]
    metrics = [c for c in present if c.startswith("metrics.")][:limit]
    return params + metrics


def _headers(view: View, columns: list[str]) -> list[dict[str, str]]:
    """Column headings; each but Commit links to the table sorted by it (again: reversed)."""
    out = []
    for column, label in [*_FIXED, ("", "Commit"), *((c, c) for c in columns)]:
        ascending = view.sort == column and view.dir == "asc"
        out.append(
            {
                "column": column,
                "label": label,
                "mark": (" ▲" if ascending else " ▼") if column and view.sort == column else "",
                "sort_url": url("/runs", view.params(sort=column, dir="desc" if ascending else "asc", page=1))
                if column
                else "",
            }
        )
    return out


def rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The shown runs: id, start, duration and commit as ``gittrack ls`` writes them, the
    chosen columns' values as logged."""
    shown = display_frame(frame, columns=columns).to_dict("records")
    records = frame.to_dict("records")
    return [
        {
            "run_id": str(record["run_id"]),
            "name": cells["name"],
            "short_id": cells["id"],
            "status": cells["status"],
            "start": cells["start"],
            "duration": cells["duration"],
            "commit": cells["commit"],
            "commit_full": record.get("git.commit") or "",
            "cells": [(c, record.get(c)) for c in columns],
        }
        for record, cells in zip(records, shown, strict=True)
    ]


def _pager(view: View, page: int, pages: int) -> dict[str, Any]:
    return {
        "page": page,
        "pages": pages,
        "prev_url": url("/runs", view.params(page=page - 1)) if page > 1 else "",
        "next_url": url("/runs", view.params(page=page + 1)) if page < pages else "",
    }


def _picker(available: list[str], columns: list[str], view: View) -> dict[str, Any]:
    """The column chooser: every param, metric and tag column, the shown ones checked."""
    return {
        "available": available,
        "chosen": columns,
        "hidden": [(k, v) for k, v in view.params(page=1, cols=()) if v],
    }
