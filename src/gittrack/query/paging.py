"""One page of a query's runs, with the count and the columns of all the runs it matches.

:func:`search_page` answers what a paged table needs (the UI's runs page) without building
the frame of every run: over the run index it counts the matching runs and collects the
keys they have in one SQL pass, then decodes only the page's rows
(:func:`gittrack.query.indexed.search_rows` with ``offset`` and ``limit``).  Where the
index cannot answer (a revision, ``datasets.`` keys, ...) it pages the frame of
:func:`gittrack.query.search.search`.  Either way the page holds the runs ``gittrack ls``
lists with the same filter and order, at the same positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gittrack.query.search import whole_number

if TYPE_CHECKING:
    import pandas as pd

_KEYED = ("params.", "metrics.", "tags.")


@dataclass(frozen=True)
class Page:
    """Runs ``offset`` to ``offset + len(frame)`` of a query's answer."""

    frame: pd.DataFrame  # the page's runs, in order, with every column of the store's frame
    total: int  # how many runs the query matches in all
    offset: int
    present: list[str]  # params./metrics./tags. columns some matching run has, in frame order

    @property
    def available(self) -> list[str]:
        """Every ``params.``/``metrics.``/``tags.`` column of the store's frame."""
        return [c for c in self.frame.columns if c.startswith(_KEYED)]


def search_page(
    store: Path,
    *,
    experiments: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    offset: int = 0,
    limit: int = 100,
    view: str = "active",
    rev: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> Page:
    """Up to ``limit`` runs after the first ``offset`` of
    :func:`~gittrack.query.search.search` with the same arguments.  An ``offset`` past the
    end gives an empty page (and the total, so the caller can point at the last one)."""
    from gittrack.query import filter as filt
    from gittrack.query import indexed, search

    offset, limit = whole_number(offset, "offset"), whole_number(limit, "limit")
    if view not in search.VIEWS:
        raise ValueError(f"view {view!r} is not one of {', '.join(search.VIEWS)}")
    keys = filt.parse_order_by(order_by)  # syntax errors surface before any reading
    expr = filt.parse_filter(filter_string)
    if rev is None and search.uses_index():
        wanted = [experiments] if isinstance(experiments, str) else experiments
        deleted, note = search.deleted_experiments(store), warn or search._warn
        counted = indexed.count_rows(
            store, expr=expr, experiments=wanted, view=view, deleted=deleted, warn=note
        )
        found = None
        if counted is not None:
            found = indexed.search_rows(
                store, expr=expr, keys=keys, experiments=wanted, view=view, limit=limit, offset=offset,
                deleted=deleted, params_as_text=False, warn=note, fresh=True,
            )  # fmt: skip
        if counted is not None and found is not None:
            frame = search._frame_of(*found)
            return Page(frame, counted[0], offset, [c for c in frame.columns if c in counted[1]])
    whole = search.search(
        store, experiments=experiments, filter_string=filter_string, order_by=order_by,
        view=view, rev=rev, warn=warn,
    )  # fmt: skip
    filled = whole.notna().any().to_numpy() if len(whole) else [False] * len(whole.columns)
    present = [c for c, has in zip(whole.columns, filled, strict=True) if has and c.startswith(_KEYED)]
    shown = whole.iloc[offset : offset + limit].reset_index(drop=True)
    return Page(shown, len(whole), offset, present)
