"""``gittrack best``: the best run(s) by one metric's last value, shown as ``ls`` shows runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gittrack.errors import RunNotFoundError
from gittrack.query import directions, keys
from gittrack.query.directions import Direction
from gittrack.query.filter_parse import quote_column
from gittrack.store.config import Config

if TYPE_CHECKING:
    import pandas as pd


def best(
    store: Path,
    *,
    metric: str,
    config: Config,
    direction: Direction | None = None,
    filter_string: str = "",
    experiments: Sequence[str] | None = None,
    limit: int = 1,
    rev: str | None = None,
    exact: bool = False,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The ``limit`` runs with the best last value of ``metric``, best first (as committed
    at git revision ``rev`` when given).

    The direction is ``direction``, else the metric's configured or guessed one.
    Runs without the metric (or whose last value is NaN) are left out; when none is left,
    :class:`RunNotFoundError` says so.  A metric that no run of ``experiments`` at ``rev``
    has is an :class:`~gittrack.errors.UnknownKeyError` naming the nearest one.
    """
    from gittrack.query.filter import parse_filter
    from gittrack.query.search import search
    from gittrack.review.ls import ls

    parse_filter(filter_string)  # errors point into the user's text, not our wrapper
    scope = search(store, experiments=experiments, rev=rev, warn=_ignore)  # ls warns of damage
    if not scope.empty:
        known = keys.names_of("metrics", keys.present_columns(scope))
        where = keys.scope_text(experiments, rev)
        keys.check_known([metric], known, option="--metric", what="metric", where=where)
    way = direction or directions.direction(metric, config)
    key = metric_key(metric)
    wanted = f"({key} >= 0 OR {key} < 0)"  # a number: neither missing nor NaN
    if filter_string.strip():
        wanted = f"({filter_string}) AND {wanted}"
    frame = ls(
        store,
        experiments=experiments,
        filter_string=wanted,
        order_by=[f"{key} {'ASC' if way == 'min' else 'DESC'}"],
        limit=limit,
        rev=rev,
        exact=exact,
        warn=warn,
    )
    if frame.empty:
        where = " matching the filter" if filter_string.strip() else ""
        raise RunNotFoundError(f"no run{where} has a value for metric {metric!r}; see `gittrack ls`")
    return _metric_first(frame, f"metrics.{metric}")


def _metric_first(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    # The ranking metric right after the run summary, so a narrow table never hides it.
    from gittrack.review.ls import SUMMARY_COLUMNS

    summary = [c for c in frame.columns if c in SUMMARY_COLUMNS]
    rest = [c for c in frame.columns if c not in SUMMARY_COLUMNS and c != column]
    return frame[[*summary, column, *rest]]


def metric_key(metric: str) -> str:
    """``metrics.`<name>``` for the filter language, whatever characters the name holds."""
    return quote_column(f"metrics.{metric}")


def _ignore(message: str) -> None:
    pass
