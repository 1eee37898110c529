"""``gittrack ls``: the runs table, newest first, as people read it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.store.layout import iso_utc

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_COLUMNS = ("id", "name", "experiment", "status", "start", "duration", "commit")


def ls(
    store: Path,
    *,
    experiments: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
    columns: Sequence[str] | None = None,
    all_columns: bool = False,
    group_by: Sequence[str] | str | None = None,
    agg: Sequence[str] | None = None,
    view: str = "active",
    rev: str | None = None,
    exact: bool = False,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Runs matching the query as a display table (short ids, commit with ``*`` when dirty).

    With ``group_by``, one row per group of runs instead, their metrics aggregated by ``agg``
    (see :func:`group_table`): ``order_by``, ``columns`` and ``all_columns`` do not apply,
    and ``limit`` keeps the first groups.
    """
    from gittrack.query.search import search

    if group_by is not None:
        from gittrack.query.group import check_aggregates, group_keys  # numpy.typing: only when used

        group_keys(group_by)  # bad keys and aggregates fail before any reading
        if agg is not None:
            check_aggregates(agg)
    frame = search(
        store,
        experiments=experiments,
        filter_string=filter_string,
        order_by=order_by if group_by is None else None,
        max_results=limit if group_by is None else None,
        view=view,
        rev=rev,
        warn=warn,
    )
    if group_by is not None:
        return group_table(frame, group_by, agg=agg, limit=limit, exact=exact)
    return display_frame(frame, columns=columns, all_columns=all_columns, exact=exact, stage=view == "all")


def group_table(
    frame: pd.DataFrame,
    group_by: Sequence[str] | str,
    *,
    agg: Sequence[str] | None = None,
    limit: int | None = None,
    exact: bool = False,
) -> pd.DataFrame:
    """The runs of ``frame`` grouped by ``group_by``, their metrics aggregated, first
    ``limit`` groups.  For people (not ``exact``) ``mean`` and ``std`` are one
    ``mean ± std`` column; csv/json keep every aggregate as its own exact column."""
    from gittrack.query.group import group_runs, pretty

    grouped = group_runs(frame, group_by, agg=agg)
    if limit is not None:
        grouped = grouped.head(limit)
    return grouped if exact else pretty(grouped)


def display_frame(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    all_columns: bool = False,
    exact: bool = False,
    stage: bool = False,
) -> pd.DataFrame:
    """Summary columns, then params and metrics (and tags with ``all_columns``).

    With ``exact`` (csv/json) ids, times and commits are given in full, durations in seconds.
    With ``stage`` a ``stage`` column (active or deleted) follows ``status``.
    """
    import pandas as pd

    ids = list(frame["run_id"])
    commits = zip(frame["git.commit"], frame["git.dirty"], strict=True)
    shown: dict[str, Any] = {
        "id": ids if exact else short_ids(ids),
        "name": list(frame["run_name"]),
        "experiment": list(frame["experiment_id"]),
        "status": list(frame["status"]),
        **({"stage": list(frame["lifecycle_stage"])} if stage else {}),
        "start": [_start(v, exact) for v in frame["start_time"]],
        "duration": list(frame["duration"]) if exact else [_duration(v) for v in frame["duration"]],
        "commit": [commit_text(c, d, exact=exact) for c, d in commits],
    }
    # results first: metrics, then the params that produced them (as MLflow's UI orders them)
    kinds = ("metrics.", "params.", "tags.") if all_columns else ("metrics.", "params.")
    if columns and not all_columns:
        extra = list(columns)
    else:
        extra = [c for kind in kinds for c in frame.columns if c.startswith(kind)]
    for name in extra:
        shown[name] = list(frame[name]) if name in frame.columns else [None] * len(frame)
    # object columns keep each value as logged: an int param stays 5, not 5.0 beside a gap
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in shown.items()})


def short_ids(run_ids: list[str], minimum: int = 15) -> list[str]:
    """The shortest prefixes (at least date and time) that tell the given runs apart, like git."""
    length = minimum
    while length < max((len(r) for r in run_ids), default=0):
        if len({r[:length] for r in run_ids}) == len(run_ids):
            break
        length += 1
    return [r[:length] for r in run_ids]


def _start(epoch_ms: Any, exact: bool) -> str:
    try:
        text = iso_utc(int(epoch_ms))
    except (TypeError, ValueError):  # missing (None, pd.NA) or NaN
        return ""
    return text if exact else text[:16].replace("T", " ")


def _duration(seconds: object) -> str:
    if seconds is None or seconds != seconds:
        return ""
    total = float(seconds)  # type: ignore[arg-type]
    if total < 60:
        return f"{total:.1f}s"
    minutes, secs = divmod(int(total), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def commit_text(commit: object, dirty: object, *, exact: bool = False) -> str:
    """A run's commit as tables show it: 8 hex digits (``exact``: all 40), ``*`` when dirty."""
    if not isinstance(commit, str) or not commit:
        return ""
    return (commit if exact else commit[:8]) + ("*" if dirty is True else "")
