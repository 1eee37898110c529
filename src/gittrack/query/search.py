"""The query engine: load the runs frame, then filter, sort and limit it.

The CLI, the Python API (``search_runs``, ``Client``) and the UI all call
:func:`search`, so a filter means the same thing everywhere.
"""

from __future__ import annotations

import operator
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

    if rev is not None:
        return _frame_at(store, rev, warn or _warn)
    from gittrack.query import index
    from gittrack.query.frame import columns_from_rows, frame_from_columns

    sigs = index.signatures(store)
    stamp = index.stamp(store)
    cached = _frames.get(store)
    if cached is not None and cached[:2] == (stamp, sigs):
        return cached[2]  # callers select and sort into new frames; they never modify this one
    columns = index.load_snapshot(store, sigs)
    settled = columns is not None
    if columns is None:
        rows, settled = index.load(store, warn or _warn, sigs)
        columns = columns_from_rows(rows)
        if settled:
            index.save_snapshot(store, sigs, columns)
    frame = frame_from_columns(columns)
    if settled:  # keyed on the index file too, so a deleted or damaged index gets rebuilt
        _frames[store] = (index.stamp(store), sigs, frame)
    else:  # RUNNING or damaged runs: read again next time, so their state stays current
        _frames.pop(store, None)
    return frame


def _frame_at(store: Path, rev: str, warn: Callable[[str], None]) -> pd.DataFrame:
    """The runs frame at a revision; a commit never changes, so its frame is kept."""
    from gittrack import git
    from gittrack.query.frame import frame_from_rows
    from gittrack.query.revision import store_prefix
    from gittrack.query.revision_cache import rows_at

    root, _prefix = store_prefix(store)
    key = (store, git.resolve_revision(root, rev))
    if key in _rev_frames:
        return _rev_frames[key]
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        warn(message)

    rows, deleted = rows_at(store, key[1], note)
    frame = _mark_deleted(frame_from_rows(rows), deleted)
    if not warnings:  # a damaged run is warned about on every read
        _rev_frames[key] = frame
        while len(_rev_frames) > _MAX_REV_FRAMES:
            del _rev_frames[next(iter(_rev_frames))]
    return frame


_rev_frames: dict[tuple[Path, str], pd.DataFrame] = {}
_MAX_REV_FRAMES = 8

# The last settled frame per store with the run signatures it was built from: a query
# that finds the same signatures reuses it.
_frames: dict[Path, tuple[object, dict[str, str], pd.DataFrame]] = {}


def clear_memory() -> None:
    """Forget every in-process memo of runs (tests; a long-lived process that wants a cold read)."""
    from gittrack.query import index

    index.clear_memory()
    _frames.clear()
    _rev_frames.clear()


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
    params_as_text: bool = False,
) -> pd.DataFrame:
    """Runs matching ``filter_string`` in ``experiments``, sorted by ``order_by``.

    Runs of a deleted experiment count as deleted.  ``params_as_text`` sorts params by
    their string form, as MLflow does; by default numbers sort as numbers.
    """
    from gittrack.query import filter as filt
    from gittrack.query.filter_parse import columns_of

    if view not in VIEWS:
        raise ValueError(f"view {view!r} is not one of {', '.join(VIEWS)}")
    limit = _limit(max_results)
    keys = filt.parse_order_by(order_by)  # syntax errors surface before any reading
    named = columns_of(filt.parse_filter(filter_string)) | {k.column for k in keys}
    frame = load_frame(store, rev=rev, warn=warn)
    if "artifact_uri" in named:
        frame = with_artifact_uris(frame, store)
    if rev is None:  # at a revision, load_frame has applied them
        frame = _mark_deleted(frame, _deleted_experiments(store))
    if view != "all":
        frame = frame[frame["lifecycle_stage"] == view]
    if experiments:
        wanted = [experiments] if isinstance(experiments, str) else list(experiments)
        frame = frame[frame["experiment_id"].isin(wanted)]
    if filter_string and filter_string.strip():
        frame = filt.filter_frame(frame, filter_string)
    frame = filt.sort_frame(frame, order_by, params_as_text=params_as_text)
    if limit is not None:
        frame = frame.head(limit)
    return frame.reset_index(drop=True)


def with_artifact_uris(frame: pd.DataFrame, store: Path) -> pd.DataFrame:
    """The frame with MLflow's ``artifact_uri`` column: each run's ``artifacts/`` folder, found
    in the current checkout (never a path stored by the machine that logged it)."""
    import pandas as pd

    base = store.resolve().as_uri()
    uris = [f"{base}/{run_id}/artifacts" for run_id in frame["run_id"]]
    return frame.assign(artifact_uri=pd.Series(uris, index=frame.index, dtype=object))


def _deleted_experiments(store: Path) -> set[str]:
    from gittrack.query.experiments import deleted_experiments

    return deleted_experiments(store)


def _mark_deleted(frame: pd.DataFrame, deleted: set[str]) -> pd.DataFrame:
    """Runs of a deleted experiment count as deleted (their files are not rewritten)."""
    if not deleted:
        return frame
    hidden = frame["experiment_id"].isin(list(deleted)).to_numpy()
    if not hidden.any():
        return frame
    frame = frame.copy()
    frame.loc[hidden, "lifecycle_stage"] = "deleted"
    return frame


def experiment_starts(store: Path) -> dict[str, int]:
    """Each experiment that has runs (deleted ones too), with its earliest run's start time."""
    frame = load_frame(store)
    if frame.empty:
        return {}
    starts = frame.groupby("experiment_id")["start_time"].min()
    return {str(k): int(v) for k, v in starts.items()}


def _limit(max_results: int | None) -> int | None:
    """``max_results`` checked before any reading: a negative ``head()`` would drop runs."""
    if max_results is None:
        return None
    try:
        limit = operator.index(max_results)
    except TypeError:
        limit = -1
    if limit < 0 or isinstance(max_results, bool):
        raise ValueError(f"max_results must be a whole number, 0 or more, not {max_results!r}")
    return limit


def _warn(message: str) -> None:
    import warnings

    from gittrack.errors import GittrackWarning

    warnings.warn(message, GittrackWarning, stacklevel=3)
