"""``gittrack ls``: the runs table, newest first, as people read it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.query import keys
from gittrack.review.render import Table
from gittrack.store.layout import iso_utc

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_COLUMNS = ("id", "name", "experiment", "status", "start", "duration", "commit")
# Columns --columns may name besides params./metrics./tags. keys (id and name always come first).
EXTRA_COLUMNS = ("stage", "user", "branch", "parent")
NAMED_COLUMNS = (*SUMMARY_COLUMNS, *EXTRA_COLUMNS)


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
    parent: str | None = None,
    view: str = "active",
    rev: str | None = None,
    exact: bool = False,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Runs matching the query as a display table (short ids, commit with ``*`` when dirty).

    With ``group_by``, one row per group of runs instead, their metrics aggregated by ``agg``
    (see :func:`group_table`): ``order_by``, ``columns`` and ``all_columns`` do not apply,
    and ``limit`` keeps the first groups.  ``parent`` (a run id, id prefix or name) keeps
    the children of that run: a sweep's trials.

    A key of ``order_by``, ``columns`` or ``group_by`` that no run in scope has (the runs
    of ``experiments`` at ``rev``) raises :class:`~gittrack.errors.UnknownKeyError` naming
    the nearest one; a filter key no run has is answered as MLflow does (no run matches
    it) and told to ``warn``.
    """
    from gittrack.query.filter import parse_order_by
    from gittrack.query.search import search

    if group_by is not None:
        from gittrack.query.group import check_aggregates, group_keys  # numpy.typing: only when used

        group_keys(group_by)  # bad keys and aggregates fail before any reading
        if agg is not None:
            check_aggregates(agg)
    order_keys = parse_order_by(order_by) if group_by is None else []
    found = _scope_keys(store, experiments, view, rev, warn or _warn)  # (any run, keys, from the index)
    if found[0]:  # no run in scope: nothing to list, and no name to be wrong about
        _check_keys(
            found[1], order_keys=[k.column for k in order_keys], columns=columns, group_by=group_by,
            filter_string=filter_string, where=keys.scope_text(experiments, rev), warn=warn or _warn,
        )  # fmt: skip
    wanted = _children(store, parent, rev) if parent is not None else None
    frame = search(
        store,
        experiments=experiments,
        filter_string=filter_string,
        order_by=order_by if group_by is None else None,
        max_results=limit if group_by is None and wanted is None else None,
        view=view,
        rev=rev,
        warn=_ignore,  # the scope's search above told ``warn`` of every damaged run
        index_fresh=found[2],
    )
    if wanted is not None:
        frame = frame[frame["parent_run_id"] == wanted]
        if group_by is None and limit is not None:
            frame = frame.head(limit)
        frame = frame.reset_index(drop=True)
    if group_by is not None:
        return group_table(frame, group_by, agg=agg, limit=limit, exact=exact)
    return display_frame(
        frame, columns=columns, all_columns=all_columns, exact=exact, stage=view == "all", only_columns=True
    )


def ls_table(
    store: Path,
    *,
    experiments: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
    columns: Sequence[str] | None = None,
    all_columns: bool = False,
    view: str = "active",
    rev: str | None = None,
    exact: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Table | None:
    """:func:`ls` (no grouping, no parent) as a :class:`Table` answered by the run index
    without importing pandas; None when the index cannot answer (use :func:`ls`).  At a
    revision: a listing with no filter, newest first, from the revision's own index
    (:mod:`gittrack.query.revision_index`).  The same checks, warnings and cells as :func:`ls`."""
    from gittrack.query.filter_parse import parse_filter, parse_order_by
    from gittrack.query.search import search_records

    order_keys = parse_order_by(order_by)
    if rev is not None:
        if order_keys or parse_filter(filter_string) is not None:
            return None
        listed = _revision_listing(store, rev, experiments, view, limit, warn or _warn)
        if listed is None:
            return None
        rows, store_columns, any_run, known = listed
        if any_run:
            _check_keys(
                known, order_keys=[], columns=columns, group_by=None, filter_string="",
                where=keys.scope_text(experiments, rev), warn=warn or _warn,
            )  # fmt: skip
        return display_rows(
            rows, store_columns, columns=columns, all_columns=all_columns, exact=exact,
            stage=view == "all", only_columns=True,
        )  # fmt: skip
    found = _indexed_keys(store, experiments, view, warn or _warn)
    if found is None:
        return None
    if found[0]:
        _check_keys(
            found[1], order_keys=[k.column for k in order_keys], columns=columns, group_by=None,
            filter_string=filter_string, where=keys.scope_text(experiments), warn=warn or _warn,
        )  # fmt: skip
    got = search_records(
        store, experiments=experiments, filter_string=filter_string, order_by=order_by,
        max_results=limit, view=view, warn=_ignore, index_fresh=True,
    )  # fmt: skip
    if got is None:
        return None
    return display_rows(
        got[0], got[1], columns=columns, all_columns=all_columns, exact=exact, stage=view == "all",
        only_columns=True,
    )  # fmt: skip


def _revision_listing(
    store: Path, rev: str, experiments: Sequence[str] | None, view: str, limit: int | None,
    warn: Callable[[str], None],
) -> tuple[list[dict[str, Any]], list[str], bool, set[str]] | None:  # fmt: skip
    """The newest runs at ``rev`` from its index, built from the revision's rows the first time."""
    from gittrack import git
    from gittrack.query import revision_index
    from gittrack.query.revision import store_prefix

    root, prefix = store_prefix(store)
    sha = git.resolve_revision(root, rev)
    tree = git.tree_id(root, sha, prefix)
    if tree is None:
        return None
    query = {"experiments": experiments, "view": view, "limit": limit, "warn": warn}
    found = revision_index.listing(store, tree, **query)  # type: ignore[arg-type]
    if found is None:
        from gittrack.query.revision_cache import rows_at

        notes: list[str] = []
        rows, deleted = rows_at(store, sha, notes.append)
        revision_index.build(store, tree, rows, deleted, notes)
        found = revision_index.listing(store, tree, **query)  # type: ignore[arg-type]
        if found is None:
            for message in notes:  # the frame's path would say them: say them here
                warn(message)
    return found


def _indexed_keys(
    store: Path, experiments: Sequence[str] | None, view: str, warn: Callable[[str], None]
) -> tuple[bool, set[str]] | None:
    """Whether any run of the work tree is in scope and the data keys its runs have, from
    the run index (brought up to date); None when it cannot answer."""
    from gittrack.query import search as search_module

    if not search_module.uses_index():
        return None
    from gittrack.query import indexed

    deleted = search_module.deleted_experiments(store)
    return indexed.present_keys(store, experiments=experiments, view=view, deleted=deleted, warn=warn)


def _scope_keys(
    store: Path, experiments: Sequence[str] | None, view: str, rev: str | None, warn: Callable[[str], None]
) -> tuple[bool, set[str], bool]:
    """Whether any run is in scope, the data keys its runs have, and whether they came from
    the index (just brought up to date)."""
    from gittrack.query import search as search_module

    if rev is None:
        found = _indexed_keys(store, experiments, view, warn)
        if found is not None:
            return (*found, True)
    scope = search_module.search(store, experiments=experiments, view=view, rev=rev, warn=warn)
    return not scope.empty, keys.present_columns(scope), False


def _check_keys(
    known: set[str],
    *,
    order_keys: Sequence[str],
    columns: Sequence[str] | None,
    group_by: Sequence[str] | str | None,
    filter_string: str,
    where: str,
    warn: Callable[[str], None],
) -> None:
    """Every key named must be one of ``known``, the data keys the runs in scope have (see
    :mod:`gittrack.query.keys`)."""
    keys.check_data_columns(order_keys, known, option="--sort", where=where)
    if columns:
        keys.check_known(
            [c for c in columns if c not in NAMED_COLUMNS], known | set(NAMED_COLUMNS),
            option="--columns", where=where,
        )  # fmt: skip
    if group_by is not None:
        from gittrack.query.group import group_keys

        keys.check_data_columns(group_keys(group_by), known, option="--group-by", where=where)
    for message in keys.unknown_in_filter(filter_string, known, where=where):
        warn(message)


def _children(store: Path, parent: str, rev: str | None) -> str:
    """The run id of ``parent`` (an id, unique id prefix or name), among every run at ``rev``."""
    from gittrack.query.search import load_frame
    from gittrack.store.reader import only_match

    frame = load_frame(store, rev=rev, warn=_ignore)
    ids = [str(r) for r in frame["run_id"]]
    matches = [r for r in ids if r == parent] or [r for r in ids if parent and r.startswith(parent)]
    if not matches:
        matches = [str(i) for i, n in zip(frame["run_id"], frame["run_name"], strict=True) if n == parent]
    where = f"{store} at {rev}" if rev else str(store)
    return only_match(matches, matches, parent, where=where)


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
    only_columns: bool = False,
) -> pd.DataFrame:
    """Summary columns, then ``columns`` (by default the metrics and params, and tags with
    ``all_columns``, that some run of ``frame`` has).  With ``only_columns`` (``gittrack ls
    --columns``) the id and name come first, then exactly ``columns``: :data:`NAMED_COLUMNS`
    or ``params.``/``metrics.``/``tags.`` keys.

    With ``exact`` (csv/json) ids, times and commits are given in full, durations in seconds.
    With ``stage`` a ``stage`` column (active or deleted) follows ``status``.
    """
    import pandas as pd

    present = [str(c) for c in frame.columns]
    shown = _display(
        lambda name: list(frame[name]) if name in frame.columns else [None] * len(frame),
        present, keys.present_columns(frame),
        columns=columns, all_columns=all_columns, exact=exact, stage=stage, only_columns=only_columns,
    )  # fmt: skip
    # object columns keep each value as logged: an int param stays 5, not 5.0 beside a gap
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in shown.items()})


def display_rows(
    rows: Sequence[dict[str, Any]],
    store_columns: Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    all_columns: bool = False,
    exact: bool = False,
    stage: bool = False,
    only_columns: bool = False,
) -> Table:
    """:func:`display_frame` of the frame made of ``rows`` (frame columns to values) with
    the store's columns ``store_columns``, without pandas: the same cells."""
    filled = {
        k for row in rows for k, v in row.items()
        if v is not None and v == v and k.partition(".")[0] in keys.DATA_KINDS
    }  # fmt: skip
    shown = _display(
        lambda name: [row.get(name) for row in rows], list(store_columns), filled,
        columns=columns, all_columns=all_columns, exact=exact, stage=stage, only_columns=only_columns,
    )  # fmt: skip
    names = list(shown)
    return Table(names, [list(cells) for cells in zip(*shown.values(), strict=True)] if rows else [])


def _display(
    get: Callable[[str], list[Any]],
    available: list[str],
    filled: set[str],
    *,
    columns: Sequence[str] | None,
    all_columns: bool,
    exact: bool,
    stage: bool,
    only_columns: bool,
) -> dict[str, list[Any]]:
    """The display columns from ``get`` (a frame column's values), the frame's columns
    ``available`` and those of them with a value in some run, ``filled``."""
    named = _named_columns(get, exact)
    summary = list(SUMMARY_COLUMNS)
    if stage:
        summary.insert(summary.index("status") + 1, "stage")
    if columns and only_columns and not all_columns:
        summary = ["id", "name"]
    if columns and not all_columns:
        data = [c for c in dict.fromkeys(columns) if c not in summary]
    else:
        # results first: metrics, then the params that produced them (as MLflow's UI orders them)
        kinds = ("metrics.", "params.", "tags.") if all_columns else ("metrics.", "params.")
        data = [c for kind in kinds for c in available if c.startswith(kind) and c in filled]
    return {name: named[name]() if name in named else get(name) for name in [*summary, *data]}


def _named_columns(get: Callable[[str], list[Any]], exact: bool) -> dict[str, Callable[[], list[Any]]]:
    """How each of :data:`NAMED_COLUMNS` is made from the runs frame (only when shown)."""
    ids = [str(r) for r in get("run_id")]

    def commits() -> list[str]:
        pairs = zip(get("git.commit"), get("git.dirty"), strict=True)
        return [commit_text(c, d, exact=exact) for c, d in pairs]

    def parents() -> list[str]:
        return [p if exact or not isinstance(p, str) else p[:15] for p in get("parent_run_id")]

    return {
        "id": lambda: ids if exact else short_ids(ids),
        "name": lambda: get("run_name"),
        "experiment": lambda: get("experiment_id"),
        "status": lambda: get("status"),
        "stage": lambda: get("lifecycle_stage"),
        "start": lambda: [_start(v, exact) for v in get("start_time")],
        "duration": lambda: get("duration") if exact else [_duration(v) for v in get("duration")],
        "commit": commits,
        "user": lambda: get("user"),
        "branch": lambda: get("git.branch"),
        "parent": parents,
    }


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


def _ignore(message: str) -> None:
    pass


def _warn(message: str) -> None:
    import warnings

    from gittrack.errors import GittrackWarning

    warnings.warn(message, GittrackWarning, stacklevel=3)
