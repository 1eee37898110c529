"""The query engine: load the runs frame, then filter, sort and limit it.

The CLI, the Python API (``search_runs``, ``Client``) and the UI all call
:func:`search`, so a filter means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

VIEWS = ("active", "deleted", "all")


def load_frame(
    store: Path, *, rev: str | None = None, warn: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """Every run of the store (or of ``.runs`` at git revision ``rev``) as the runs frame."""
    from gittrack.query.frame import frame_from_rows

    if rev is not None:
        from gittrack.query.revision import load_rows_at

        return frame_from_rows(load_rows_at(store, rev, warn or _warn))
    from gittrack.query.index import load_rows

    return frame_from_rows(load_rows(store, warn or _warn))


def search(
    store: Path,
    *,
    experiments: Sequence[str] | str | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | str | None = None,
    max_results: int | None = None,
    view: str = "active",
    rev: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Runs matching ``filter_string`` in ``experiments``, sorted by ``order_by``."""
    from gittrack.query import filter as filt

    if view not in VIEWS:
        raise ValueError(f"view {view!r} is not one of {', '.join(VIEWS)}")
    filt.parse_order_by(order_by)  # syntax errors surface before any reading
    if filter_string:
        filt.parse_filter(filter_string)
    frame = load_frame(store, rev=rev, warn=warn)
    if view != "all":
        frame = frame[frame["lifecycle_stage"] == view]
    if experiments:
        wanted = [experiments] if isinstance(experiments, str) else list(experiments)
        frame = frame[frame["experiment_id"].isin(wanted)]
    if filter_string and filter_string.strip():
        frame = filt.filter_frame(frame, filter_string)
    frame = filt.sort_frame(frame, order_by)
    if max_results is not None:
        frame = frame.head(max_results)
    return frame.reset_index(drop=True)


def _warn(message: str) -> None:
    import warnings

    from gittrack.errors import GittrackWarning

    warnings.warn(message, GittrackWarning, stacklevel=3)
