"""The query engine: load the runs frame, then filter, sort and limit it.

The CLI, the Python API (``search_runs``, ``Client``) and the UI all call
:func:`search`, so a filter means the same thing everywhere.  A query of the work tree is
answered in SQL over the run index (:mod:`gittrack.query.indexed`), which decodes only the
rows returned; what that path does not cover goes through the whole runs frame.  Both
give identical frames (``tests/test_indexed.py``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

VIEWS = ("active", "deleted", "all")


def load_frame(
    store: Path, *, rev: str | None = None, warn: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """Every run of the store (or of ``.runs`` at git revision ``rev``) as the runs frame."""

    if rev is not None:
        return _frame_at(store, rev, warn or _warn)
    from gittrack.query import index, snapshot
    from gittrack.query.frame import columns_from_rows, frame_from_columns

    sigs = index.signatures(store)
    stamp = index.stamp(store)
    cached = _frames.get(store)
    if cached is not None and cached[:2] == (stamp, sigs):
        return cached[2]  # callers select and sort into new frames; they never modify this one
    columns = snapshot.load_snapshot(store, sigs)
    settled = columns is not None
    if columns is None:
        rows, settled = index.load(store, warn or _warn, sigs)
        columns = columns_from_rows(rows)
        if settled:
            snapshot.save_snapshot(store, sigs, columns)
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
    from gittrack.query import index, indexed

    index.clear_memory()
    indexed.clear_memory()
    _frames.clear()
    _rev_frames.clear()
    _results.clear()


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
    index_fresh: bool = False,
) -> pd.DataFrame:
    """Runs matching ``filter_string`` in ``experiments``, sorted by ``order_by``.

    Runs of a deleted experiment count as deleted.  ``params_as_text`` sorts params by
    their string form, as MLflow does; by default numbers sort as numbers.  ``index_fresh``:
    the caller has just brought the run index up to date (``gittrack ls``'s key check).
    """
    from gittrack.query import filter as filt
    from gittrack.query.filter_parse import columns_of

    key = (store, repr((experiments, filter_string, order_by, max_results, view, params_as_text)))
    kept = _results.get(key) if rev is None and _use_index else None
    if kept is not None:
        from gittrack.query import index

        index_fresh = index.refresh(store, warn or _warn)
        if index_fresh and index.stamp(store) == kept[0] and _deleted_experiments(store) == kept[1]:
            return kept[2].copy()  # the same query of an unchanged index: its answer (a copy to change)
    found = search_records(
        store, experiments=experiments, filter_string=filter_string, order_by=order_by,
        max_results=max_results, view=view, rev=rev, warn=warn, params_as_text=params_as_text,
        index_fresh=index_fresh,
    )  # fmt: skip
    if found is not None:
        from gittrack.query import index

        frame = _frame_of(*found)
        _results[key] = (index.stamp(store), _deleted_experiments(store), frame)
        while len(_results) > _MAX_RESULTS:
            del _results[next(iter(_results))]
        return frame.copy()
    limit = _limit(max_results)
    named = columns_of(filt.parse_filter(filter_string)) | {k.column for k in filt.parse_order_by(order_by)}
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


def search_records(
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
    index_fresh: bool = False,
) -> tuple[list[dict[str, Any]], list[str], set[str]] | None:
    """:func:`search`'s answer as plain rows, without pandas, from the run index: the rows
    returned (frame columns to values), every column of the store's frame, and those
    holding only strings; None when the index cannot answer (then :func:`search` can).
    Bad arguments raise here, before any reading."""
    from gittrack.query import indexed
    from gittrack.query.filter_parse import parse_filter, parse_order_by

    if view not in VIEWS:
        raise ValueError(f"view {view!r} is not one of {', '.join(VIEWS)}")
    limit = _limit(max_results)
    keys = parse_order_by(order_by)  # syntax errors surface before any reading
    expr = parse_filter(filter_string)
    if rev is not None or not _use_index:
        return None
    wanted = [experiments] if isinstance(experiments, str) else experiments
    return indexed.search_rows(
        store, expr=expr, keys=keys, experiments=wanted, view=view, limit=limit,
        deleted=_deleted_experiments(store), params_as_text=params_as_text, warn=warn or _warn,
        fresh=index_fresh,
    )  # fmt: skip


# The last answers of the index, by store and query: (index file stamp, deleted experiments, frame).
_results: dict[tuple[Path, str], tuple[object, set[str], pd.DataFrame]] = {}
_MAX_RESULTS = 8


_use_index = True  # False: every query takes the DataFrame path (tests compare the two)


def uses_index() -> bool:
    """Whether queries of the work tree may be answered in SQL over the index."""
    return _use_index


def deleted_experiments(store: Path) -> set[str]:
    """The names of the store's deleted experiments (their runs count as deleted)."""
    return _deleted_experiments(store)


def _frame_of(rows: list[dict[str, Any]], columns: list[str], strings: set[str]) -> pd.DataFrame:
    """The runs frame of the rows the index returned, with the whole store's columns and
    the dtypes pandas gives them in the whole frame (``str`` where every value is a string,
    in pandas versions that infer it)."""
    import pandas as pd

    text = _text_dtype()
    data: dict[str, Any] = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        if name.startswith("metrics.") or name == "duration":
            data[name] = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
        elif name in ("start_time", "end_time"):
            data[name] = pd.array(values, dtype="Int64")
        elif name in strings:
            data[name] = pd.array(values, dtype=text)
        else:  # a Series keeps object: an array of strings only would be inferred as str
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=columns)


def _text_dtype() -> Any:
    """The dtype pandas gives a column of strings (``str`` from pandas 3, else object)."""
    import pandas as pd

    return pd.DataFrame({"x": pd.array(["x"], dtype=object)}).dtypes["x"]


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
    if _use_index:
        from gittrack.query import indexed

        found = indexed.experiment_starts(store, _warn)
        if found is not None:
            return found
    frame = load_frame(store)
    if frame.empty:
        return {}
    starts = frame.groupby("experiment_id")["start_time"].min()
    return {str(k): int(v) for k, v in starts.items()}


def _limit(max_results: int | None) -> int | None:
    """``max_results`` checked before any reading: a negative ``head()`` would drop runs."""
    return None if max_results is None else whole_number(max_results, "max_results")


def whole_number(value: int, name: str) -> int:
    """``value`` checked before any reading: a whole number, 0 or more (not a bool)."""
    try:
        number = operator.index(value)
    except TypeError:
        number = -1
    if number < 0 or isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, 0 or more, not {value!r}")
    return number


def _warn(message: str) -> None:
    import warnings

    from gittrack.errors import GittrackWarning

    warnings.warn(message, GittrackWarning, stacklevel=3)
